//! Under `policies/default.toml` with the five bundled plugins, realistic
//! leads reach every stage of the ladder (UNQUALIFIED, MQL, SQL, PQL, HQL,
//! DISQUALIFIED), and the Explain trail says why.
//!
//! This is the product's core promise seen end to end: the real `hqld`, the
//! real plugin libraries and the shipped policy put a lead where the domain
//! articles would put it, and a salesperson reading the trail can see which
//! gates carried it there and what is missing for the next stage. Each lead
//! is a persona from `hql_tests::personas`, whose doc comment explains the
//! inputs; the assertions here pin the stage, the next stage, the failing
//! gates with their actual values, and the disqualification codes.

use hql_tests::{
    AS_OF_MS, Hqld, PluginDir, competitor_lead, default_policy, hql_lead, mql_lead, pb, pql_lead, sql_lead,
    touch, unqualified_lead,
};

/// The default policy served with the bundled plugins.
fn serve_default() -> (PluginDir, Hqld) {
    let plugins = PluginDir::bundled();
    let server = Hqld::serve(&default_policy(), plugins.path());
    (plugins, server)
}

fn decision(explanation: &pb::Explanation) -> &pb::Decision {
    explanation.decision.as_ref().expect("a decision")
}

/// The evaluation of `stage` in the trail.
fn evaluation(explanation: &pb::Explanation, stage: pb::Stage) -> &pb::StageEvaluation {
    explanation
        .stages
        .iter()
        .find(|s| s.stage() == stage)
        .unwrap_or_else(|| panic!("no {stage:?} in the trail:\n{}", explanation.text))
}

/// Gate `name` of `stage` in the trail.
fn gate<'a>(explanation: &'a pb::Explanation, stage: pb::Stage, name: &str) -> &'a pb::GateResult {
    evaluation(explanation, stage)
        .gates
        .iter()
        .find(|g| g.name == name)
        .unwrap_or_else(|| panic!("{stage:?} has no gate {name}:\n{}", explanation.text))
}

/// Names of the gates the gap to the next stage lists as failing.
fn failing_gates(explanation: &pb::Explanation) -> Vec<&str> {
    let gap = explanation.gap.as_ref().expect("a gap");
    gap.failing_gates.iter().map(|g| g.name.as_str()).collect()
}

fn assert_all_scorers_ok(explanation: &pb::Explanation) {
    let d = decision(explanation);
    assert!(!d.degraded, "{}", explanation.text);
    for s in &d.scorers {
        assert_eq!(s.status(), pb::ScorerStatus::Ok, "{}: {}", s.name, s.error);
    }
}

#[tokio::test]
async fn a_nurtured_economic_buyer_with_budget_and_a_recent_demo_is_an_hql() {
    let (_plugins, server) = serve_default();
    let e = server.explain(hql_lead("dana-whitfield", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let d = decision(&e);

    assert_eq!(d.stage(), pb::Stage::Hql, "{}", e.text);
    assert_eq!(d.lead_id, "dana-whitfield");
    assert!(d.disqualifications.is_empty());
    assert_all_scorers_ok(&e);
    // The top of the ladder: nothing above, and the trail says so.
    assert_eq!(d.next_stage(), pb::Stage::Unspecified);
    assert_eq!(d.next_stage_gap, "Highest stage reached.");
    assert!(failing_gates(&e).is_empty());

    let hql = evaluation(&e, pb::Stage::Hql);
    assert!(hql.passed);
    assert_eq!(hql.gates.len(), 8);
    assert!(hql.gates.iter().all(|g| g.passed), "{}", e.text);
    // The gates that make her *highly* qualified, with her actual values.
    assert_eq!(gate(&e, pb::Stage::Hql, "authority").actual, "economic_buyer");
    assert_eq!(gate(&e, pb::Stage::Hql, "budget").actual, "confirmed");
    assert_eq!(gate(&e, pb::Stage::Hql, "periodic_interaction").actual, "8");
    assert_eq!(gate(&e, pb::Stage::Hql, "beyond_downloads").actual, "false");
    assert_eq!(gate(&e, pb::Stage::Hql, "strong_fit").actual, "100");
    assert!(e.text.contains("HQL: all gates pass"), "{}", e.text);
}

#[tokio::test]
async fn a_decision_maker_who_requested_a_demo_is_an_sql_still_short_of_budget_and_nurture() {
    let (_plugins, server) = serve_default();
    let e = server.explain(sql_lead("marcus-lee", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let d = decision(&e);

    assert_eq!(d.stage(), pb::Stage::Sql, "{}", e.text);
    assert_all_scorers_ok(&e);
    assert!(evaluation(&e, pb::Stage::Sql).passed);
    assert_eq!(gate(&e, pb::Stage::Sql, "bottom_funnel_intent").actual, "1");
    assert_eq!(gate(&e, pb::Stage::Sql, "some_bant").actual, "2");
    // No trial account, so the product track is closed.
    assert!(!evaluation(&e, pb::Stage::Pql).passed);
    assert_eq!(gate(&e, pb::Stage::Pql, "activated").actual, "unknown");

    // Next: HQL, missing exactly strong intent, a budget and weeks of nurture.
    assert_eq!(d.next_stage(), pb::Stage::Hql);
    assert_eq!(failing_gates(&e), ["strong_intent", "budget", "trust", "periodic_interaction"]);
    assert!(d.next_stage_gap.starts_with("HQL needs "), "{}", d.next_stage_gap);
    assert!(d.next_stage_gap.contains("bant.budget_status in [estimated, confirmed] (is unknown)"));
    assert!(d.next_stage_gap.contains("trust_nurture.active_weeks >= 3 (is 1)"));
    let budget = gate(&e, pb::Stage::Hql, "budget");
    assert_eq!(budget.hint, "Confirm a budget exists for this purchase.");
    assert!(e.text.contains("Confirm a budget exists for this purchase."), "{}", e.text);
}

#[tokio::test]
async fn an_activated_trial_account_with_team_adoption_is_a_pql_without_talking_to_sales() {
    let (_plugins, server) = serve_default();
    let e = server.explain(pql_lead("priya-raman", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let d = decision(&e);

    assert_eq!(d.stage(), pb::Stage::Pql, "{}", e.text);
    assert_all_scorers_ok(&e);
    assert!(evaluation(&e, pb::Stage::Pql).passed);
    assert_eq!(gate(&e, pb::Stage::Pql, "activated").actual, "true");
    assert_eq!(gate(&e, pb::Stage::Pql, "product_signals").actual, "79.5");
    // The sales track fails on BANT alone: nobody has qualified her yet.
    let sql = evaluation(&e, pb::Stage::Sql);
    assert!(!sql.passed);
    let failing: Vec<&str> = sql.gates.iter().filter(|g| !g.passed).map(|g| g.name.as_str()).collect();
    assert_eq!(failing, ["some_bant"]);
    assert_eq!(gate(&e, pb::Stage::Sql, "some_bant").actual, "0");

    let product = d.dimensions.iter().find(|x| x.name == "product").expect("a product dimension");
    assert_eq!(product.score, 79.5);
    assert_eq!(d.next_stage(), pb::Stage::Hql);
    assert!(failing_gates(&e).contains(&"authority"), "{:?}", failing_gates(&e));
}

#[tokio::test]
async fn content_interest_from_a_plausible_fit_is_an_mql_that_needs_a_buying_signal_for_sql() {
    let (_plugins, server) = serve_default();
    let e = server.explain(mql_lead("tom-becker", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let d = decision(&e);

    assert_eq!(d.stage(), pb::Stage::Mql, "{}", e.text);
    assert_all_scorers_ok(&e);
    assert!(evaluation(&e, pb::Stage::Mql).passed);
    assert_eq!(gate(&e, pb::Stage::Mql, "shown_interest").actual, "8.09");
    // His region comes from his country (DE → EMEA), which is served.
    let icp =
        e.scorers.iter().find(|s| s.summary.as_ref().is_some_and(|m| m.name == "icp_fit")).expect("icp");
    assert!(
        icp.reasons
            .iter()
            .any(|r| r.code == "icp_fit.region.served" && r.message.contains("from country DE")),
        "{:?}",
        icp.reasons
    );

    assert_eq!(d.next_stage(), pb::Stage::Sql);
    assert_eq!(failing_gates(&e), ["bottom_funnel_intent", "some_bant"]);
    assert_eq!(
        d.next_stage_gap,
        "SQL needs intent.bottom_funnel_events >= 1 (is 0); bant.components_known >= 2 (is 0)."
    );
    assert!(e.text.contains("Invite to a demo or share pricing."), "{}", e.text);
}

#[tokio::test]
async fn a_single_website_visit_from_an_unknown_company_is_unqualified() {
    let (_plugins, server) = serve_default();
    let e = server.explain(unqualified_lead("sam-ortiz", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let d = decision(&e);

    assert_eq!(d.stage(), pb::Stage::Unqualified, "{}", e.text);
    assert!(d.disqualifications.is_empty(), "too little signal is not a disqualification");
    assert_all_scorers_ok(&e);
    assert!(e.stages.iter().all(|s| !s.passed), "{}", e.text);

    assert_eq!(d.next_stage(), pb::Stage::Mql);
    assert_eq!(failing_gates(&e), ["shown_interest", "plausible_fit"]);
    assert_eq!(gate(&e, pb::Stage::Mql, "shown_interest").actual, "1");
    assert_eq!(gate(&e, pb::Stage::Mql, "plausible_fit").actual, "7.2");
    assert!(d.next_stage_gap.starts_with("MQL needs intent.score >= 2 (is 1)"), "{}", d.next_stage_gap);
    assert!(e.text.contains("Enrich the company data"), "{}", e.text);
}

#[tokio::test]
async fn a_competitor_is_disqualified_whatever_its_intent() {
    let (_plugins, server) = serve_default();
    let e =
        server.explain(competitor_lead("rival-posing-as-buyer", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let d = decision(&e);

    assert_eq!(d.stage(), pb::Stage::Disqualified, "{}", e.text);
    let codes: Vec<(&str, &str)> =
        d.disqualifications.iter().map(|q| (q.code.as_str(), q.scorer.as_str())).collect();
    assert_eq!(codes, [("icp.competitor", "icp_fit")]);
    assert!(d.disqualifications[0].message.contains("rivalscore.com"), "{:?}", d.disqualifications);
    // Its signals would have made an MQL: the disqualifier overrides them.
    assert!(evaluation(&e, pb::Stage::Mql).passed);
    assert_eq!(d.next_stage(), pb::Stage::Unspecified);
    assert_eq!(d.next_stage_gap, "Disqualified (icp.competitor): not to be worked.");
    assert!(failing_gates(&e).is_empty());
    assert!(e.text.contains("DISQUALIFIED by icp.competitor (icp_fit)"), "{}", e.text);
}

#[tokio::test]
async fn a_personal_free_mail_address_is_disqualified_for_a_b2b_seller() {
    let (_plugins, server) = serve_default();
    let lead = sql_lead("marcus-gmail", AS_OF_MS).email("marcus.lee.1984@gmail.com").company_domain("");
    let e = server.explain(lead.explain_request(AS_OF_MS)).await;
    let d = decision(&e);

    assert_eq!(d.stage(), pb::Stage::Disqualified, "{}", e.text);
    let codes: Vec<&str> = d.disqualifications.iter().map(|q| q.code.as_str()).collect();
    assert_eq!(codes, ["icp.free_mail"]);
    let icp =
        e.scorers.iter().find(|s| s.summary.as_ref().is_some_and(|m| m.name == "icp_fit")).expect("icp");
    let reason = icp.reasons.iter().find(|r| r.code == "icp_fit.free_mail").expect("a free-mail reason");
    assert_eq!(reason.evidence.as_ref().expect("evidence").fields, ["contact.email"]);
}

#[tokio::test]
async fn an_unsubscribe_disqualifies_even_an_otherwise_highly_qualified_lead() {
    let (_plugins, server) = serve_default();
    // Dana, who then unsubscribed from our e-mail yesterday.
    let lead = hql_lead("dana-unsubscribed", AS_OF_MS).event(touch(
        pb::EventType::Unsubscribe,
        AS_OF_MS,
        1,
        pb::Channel::Email,
    ));
    let e = server.explain(lead.explain_request(AS_OF_MS)).await;
    let d = decision(&e);

    assert_eq!(d.stage(), pb::Stage::Disqualified, "{}", e.text);
    let codes: Vec<(&str, &str)> =
        d.disqualifications.iter().map(|q| (q.code.as_str(), q.scorer.as_str())).collect();
    assert_eq!(codes, [("intent.unsubscribed", "intent")]);
    let intent =
        e.scorers.iter().find(|s| s.summary.as_ref().is_some_and(|m| m.name == "intent")).expect("intent");
    let reason = intent.reasons.iter().find(|r| r.code == "intent.negative.unsubscribe").expect("a reason");
    assert_eq!(reason.evidence.as_ref().expect("evidence").event_indexes, [10], "the unsubscribe event");
    assert_eq!(d.next_stage(), pb::Stage::Unspecified);
}

#[tokio::test]
async fn an_explicit_no_need_is_reported_but_does_not_disqualify_under_the_default_policy() {
    // bant reports `bant.no_need`, but the default policy does not list it
    // in [disqualifiers]: the lead keeps its stage and Explain warns.
    let (_plugins, server) = serve_default();
    let lead = sql_lead("marcus-no-need", AS_OF_MS).bant(pb::Bant {
        authority: pb::Authority::DecisionMaker as i32,
        need: pb::Need::None as i32,
        ..pb::Bant::default()
    });
    let e = server.explain(lead.explain_request(AS_OF_MS)).await;
    let d = decision(&e);

    assert_eq!(d.stage(), pb::Stage::Sql, "{}", e.text);
    assert!(d.disqualifications.is_empty());
    assert!(
        e.warnings
            .iter()
            .any(|w| w.starts_with("disqualifier not applied") && w.contains("bant.no_need (bant)")),
        "{:?}",
        e.warnings
    );
}
