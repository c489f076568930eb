//! Explain returns the very decision Qualify returns, byte for byte, plus a
//! complete trail: every scorer's reasons with their evidence, every stage's
//! gates with actual and required values, and a plain-text rendering.
//!
//! The contract (`Explanation.decision`: "byte-identical to what Qualify
//! returns for the same lead, policy, as_of") is what lets a CRM store the
//! cheap Qualify answer and fetch the explanation later without ever seeing
//! two different stories. It is checked on the wire, through the real
//! binary, by comparing protobuf encodings, for leads on every stage and for
//! a degraded decision whose scorer panicked inside its plugin.

use hql_tests::{
    AS_OF_MS, Hqld, LeadBuilder, PANICKING_PLUGIN, PluginDir, competitor_lead, default_policy,
    default_policy_with, hql_lead, mql_lead, pb, plugin_path, pql_lead, sql_lead, unqualified_lead,
    write_policy,
};
use prost::Message;

fn serve_default() -> (PluginDir, Hqld) {
    let plugins = PluginDir::bundled();
    let server = Hqld::serve(&default_policy(), plugins.path());
    (plugins, server)
}

/// Qualify's decision and Explain's explanation for the same lead and as_of.
async fn both(server: &Hqld, lead: LeadBuilder) -> (pb::Decision, pb::Explanation) {
    let mut client = server.client().await;
    let qualified = client
        .qualify(lead.clone().qualify_request(AS_OF_MS))
        .await
        .unwrap_or_else(|s| panic!("Qualify failed: {s:?}\n{}", server.stderr()))
        .into_inner()
        .decision
        .expect("a decision");
    let explained = client
        .explain(lead.explain_request(AS_OF_MS))
        .await
        .unwrap_or_else(|s| panic!("Explain failed: {s:?}\n{}", server.stderr()))
        .into_inner()
        .explanation
        .expect("an explanation");
    (qualified, explained)
}

fn all_personas() -> Vec<LeadBuilder> {
    vec![
        hql_lead("parity-hql", AS_OF_MS),
        sql_lead("parity-sql", AS_OF_MS),
        pql_lead("parity-pql", AS_OF_MS),
        mql_lead("parity-mql", AS_OF_MS),
        unqualified_lead("parity-unqualified", AS_OF_MS),
        competitor_lead("parity-competitor", AS_OF_MS),
    ]
}

#[tokio::test]
async fn explain_carries_qualifys_decision_byte_for_byte_on_every_stage() {
    let (_plugins, server) = serve_default();
    let mut stages = Vec::new();
    for lead in all_personas() {
        let (qualified, explained) = both(&server, lead).await;
        let inner = explained.decision.as_ref().expect("a decision");
        assert_eq!(
            inner.encode_to_vec(),
            qualified.encode_to_vec(),
            "Explain's decision differs from Qualify's for {}",
            qualified.lead_id
        );
        assert!(!qualified.decision_id.is_empty());
        stages.push(qualified.stage());
    }
    // The comparison covered every stage of the ladder.
    use pb::Stage as S;
    assert_eq!(stages, [S::Hql, S::Sql, S::Pql, S::Mql, S::Unqualified, S::Disqualified]);
}

#[tokio::test]
async fn a_degraded_decision_is_explained_byte_for_byte_too() {
    // The default policy plus the panicking fixture; a lead id starting with
    // "panic" makes it panic inside the plugin.
    let plugins = PluginDir::bundled();
    plugins.add(plugin_path(PANICKING_PLUGIN));
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = write_policy(
        dir.path(),
        &default_policy_with("[[scorer]]\nid = \"flaky\"\nlibrary = \"hql_test_panicking\"\nweight = 0.1\n"),
    );
    let server = Hqld::serve(&policy, plugins.path());

    let (qualified, explained) = both(&server, sql_lead("panic-marcus", AS_OF_MS)).await;
    assert!(qualified.degraded, "{qualified:?}");
    let inner = explained.decision.as_ref().expect("a decision");
    assert_eq!(inner.encode_to_vec(), qualified.encode_to_vec());
    let flaky = qualified.scorers.iter().find(|s| s.name == "flaky").expect("flaky");
    assert_eq!(flaky.status(), pb::ScorerStatus::Failed);
    assert!(explained.text.contains("DEGRADED"), "{}", explained.text);
}

#[tokio::test]
async fn every_reason_in_the_trail_names_its_scorer_and_cites_its_evidence() {
    let (_plugins, server) = serve_default();
    let lead = hql_lead("dana-trail", AS_OF_MS);
    let events = lead.clone().build().events.len();
    let (qualified, e) = both(&server, lead).await;

    let names: Vec<&str> =
        e.scorers.iter().map(|t| t.summary.as_ref().expect("summary").name.as_str()).collect();
    assert_eq!(names, ["icp_fit", "bant", "intent", "trust_nurture", "product_usage"]);
    let mut with_points = 0;
    for trail in &e.scorers {
        let summary = trail.summary.as_ref().expect("summary");
        assert!(!trail.reasons.is_empty(), "{} gave no reason", summary.name);
        for r in &trail.reasons {
            assert_eq!(r.scorer, summary.name);
            assert!(r.code.starts_with(&format!("{}.", summary.name)), "{} from {}", r.code, summary.name);
            assert!(!r.message.is_empty(), "{}", r.code);
            let evidence = r.evidence.as_ref().expect("evidence");
            assert!(
                evidence.event_indexes.iter().all(|i| (*i as usize) < events),
                "{}: {evidence:?}",
                r.code
            );
            if r.points != 0.0 {
                with_points += 1;
                assert!(
                    !evidence.fields.is_empty() || !evidence.event_indexes.is_empty(),
                    "{} moved the score without evidence",
                    r.code
                );
            }
        }
    }
    assert!(with_points >= 20, "only {with_points} reasons carried points");

    // Specific evidence: the demo request is event 8, the budget two fields.
    let reason = |code: &str| {
        e.scorers
            .iter()
            .flat_map(|t| &t.reasons)
            .find(|r| r.code == code)
            .unwrap_or_else(|| panic!("no reason {code}:\n{}", e.text))
    };
    let demo = reason("intent.bottom_funnel.demo_request");
    assert_eq!(demo.evidence.as_ref().expect("evidence").event_indexes, [8]);
    let budget = reason("bant.budget.confirmed");
    assert_eq!(budget.points, 25.0);
    assert_eq!(
        budget.evidence.as_ref().expect("evidence").fields,
        ["bant.budget_status", "bant.budget_amount"]
    );

    // Facts are named <scorer>.<fact> and match what the gates read.
    let fact = |name: &str| {
        e.scorers.iter().flat_map(|t| &t.facts).find(|f| f.name == name).and_then(|f| f.value.clone())
    };
    assert_eq!(fact("bant.authority"), Some(pb::fact::Value::TextValue("economic_buyer".into())));
    assert_eq!(fact("intent.bottom_funnel_events"), Some(pb::fact::Value::NumberValue(3.0)));
    assert_eq!(fact("trust_nurture.content_only"), Some(pb::fact::Value::BoolValue(false)));

    // The decision's top reasons are drawn from the trail, largest first.
    assert_eq!(qualified.top_reasons.len(), 5, "default policy: top_reasons = 5");
    for top in &qualified.top_reasons {
        let trail = e.scorers.iter().find(|t| t.summary.as_ref().is_some_and(|s| s.name == top.scorer));
        assert!(trail.expect("its scorer").reasons.contains(top), "{top:?} is not in the trail");
    }
    let weight = |scorer: &str| qualified.scorers.iter().find(|s| s.name == scorer).expect("scorer").weight;
    let effects: Vec<f64> =
        qualified.top_reasons.iter().map(|r| (r.points * weight(&r.scorer)).abs()).collect();
    assert!(effects.windows(2).all(|w| w[0] >= w[1]), "{effects:?}");
}

#[tokio::test]
async fn every_gate_reports_subject_operator_required_actual_and_outcome_highest_stage_first() {
    let (_plugins, server) = serve_default();
    let (_, e) = both(&server, sql_lead("marcus-gates", AS_OF_MS)).await;

    let order: Vec<pb::Stage> = e.stages.iter().map(|s| s.stage()).collect();
    assert_eq!(order, [pb::Stage::Hql, pb::Stage::Pql, pb::Stage::Sql, pb::Stage::Mql]);
    for stage in &e.stages {
        assert!(!stage.description.is_empty());
        assert!(!stage.gates.is_empty());
        assert_eq!(stage.passed, stage.gates.iter().all(|g| g.passed), "{:?}", stage.stage());
        for g in &stage.gates {
            assert!(!g.name.is_empty() && !g.subject.is_empty() && !g.operator.is_empty());
            assert!(!g.required.is_empty() && !g.actual.is_empty(), "{g:?}");
            assert!(!g.hint.is_empty(), "the default policy gives every gate a hint: {g:?}");
        }
    }
    let hql = &e.stages[0];
    let strong_fit = &hql.gates[0];
    assert_eq!(
        (strong_fit.name.as_str(), strong_fit.subject.as_str(), strong_fit.operator.as_str()),
        ("strong_fit", "icp_fit.score", ">=")
    );
    assert_eq!((strong_fit.required.as_str(), strong_fit.actual.as_str()), ("60", "84.87"));
    assert!(strong_fit.passed);
    let authority = hql.gates.iter().find(|g| g.name == "authority").expect("authority gate");
    assert_eq!(authority.operator, "in");
    assert_eq!(authority.required, "[decision_maker, economic_buyer]");
    assert_eq!(authority.actual, "decision_maker");
    assert!(authority.passed);
    let budget = hql.gates.iter().find(|g| g.name == "budget").expect("budget gate");
    assert_eq!((budget.actual.as_str(), budget.passed), ("unknown", false));

    // The gap repeats the failing gates of the next stage, and only those.
    let gap = e.gap.as_ref().expect("gap");
    assert_eq!(gap.stage(), pb::Stage::Hql);
    let failing: Vec<&pb::GateResult> = hql.gates.iter().filter(|g| !g.passed).collect();
    assert_eq!(gap.failing_gates.iter().collect::<Vec<_>>(), failing);
    assert_eq!(gap.summary, e.decision.as_ref().expect("decision").next_stage_gap);
}

#[tokio::test]
async fn the_plain_text_trail_tells_a_salesperson_the_stage_the_reasons_and_the_next_step() {
    let (_plugins, server) = serve_default();
    let (qualified, e) = both(&server, mql_lead("tom-text", AS_OF_MS)).await;
    let text = &e.text;

    assert!(text.starts_with("Lead tom-text: MQL (score "), "{text}");
    assert!(text.contains("as of 2023-11-14T22:13:20Z"), "{text}");
    assert!(text.contains("Policy default 1.0.0"), "{text}");
    for heading in ["Why:", "Scorers:", "Stage gates (highest first):", "Next step:"] {
        assert!(text.contains(heading), "no {heading:?} in:\n{text}");
    }
    for top in &qualified.top_reasons {
        assert!(text.contains(&top.message), "top reason {:?} not rendered", top.message);
    }
    assert!(text.contains(&qualified.next_stage_gap), "{text}");
    assert!(text.contains("  MQL: all gates pass"), "{text}");
    assert!(text.contains("  SQL: not reached"), "{text}");
    assert!(!text.contains("DEGRADED") && !text.contains("DISQUALIFIED"), "{text}");
}
