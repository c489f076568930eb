//! Unit tests: every component, its bands and edge cases, config validation,
//! determinism, and the C ABI path.

use hql_plugin_api::record::{BantRecord, LeadRecord};
use hql_plugin_api::testing::Harness;
use hql_plugin_api::{Authority, BudgetStatus, FactValue, Need, Score};

use crate::BantScorer;

const AS_OF: i64 = 1_700_000_000_000;

fn harness(config: &str) -> Harness<BantScorer> {
    match Harness::new(config) {
        Ok(h) => h,
        Err(e) => panic!("config refused: {e}"),
    }
}

fn config_error(config: &str) -> hql_plugin_api::ConfigError {
    match Harness::<BantScorer>::new(config) {
        Ok(_) => panic!("config {config} was accepted"),
        Err(e) => e,
    }
}

fn lead(bant: BantRecord) -> LeadRecord {
    LeadRecord { lead_id: "lead-1".into(), bant, ..LeadRecord::default() }
}

fn score(h: &Harness<BantScorer>, bant: BantRecord) -> Score {
    h.score(&lead(bant), AS_OF).expect("score")
}

fn default_score(bant: BantRecord) -> Score {
    score(&harness("{}"), bant)
}

fn points(s: &Score, code: &str) -> f64 {
    s.reason_by_code(code).unwrap_or_else(|| panic!("no reason {code} in {:?}", s.reasons())).points
}

fn num(s: &Score, fact: &str) -> Option<f64> {
    match s.fact_value(fact) {
        Some(FactValue::Number(n)) => Some(*n),
        None => None,
        Some(other) => panic!("fact {fact} is not a number: {other:?}"),
    }
}

fn text(s: &Score, fact: &str) -> String {
    match s.fact_value(fact) {
        Some(FactValue::Text(t)) => t.to_string(),
        other => panic!("fact {fact} is not text: {other:?}"),
    }
}

fn assert_close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < 1e-9, "expected {expected}, got {actual}");
}

fn full_lead() -> BantRecord {
    BantRecord {
        budget_status: BudgetStatus::Confirmed,
        budget_amount: Some(40_000.0),
        authority: Authority::EconomicBuyer,
        need: Need::Confirmed,
        timeline_days: Some(20),
    }
}

#[test]
fn empty_lead_is_all_unknown_and_scores_zero() {
    let s = default_score(BantRecord::default());
    assert_eq!(s.value(), 0.0);
    let codes: Vec<&str> = s.reasons().iter().map(|r| r.code.as_ref()).collect();
    assert_eq!(
        codes,
        ["bant.budget.unknown", "bant.authority.unknown", "bant.need.unknown", "bant.timeline.unknown"]
    );
    assert!(s.reasons().iter().all(|r| r.points == 0.0 && r.message.contains("unknown")));
    assert!(s.disqualifiers().is_empty());
    assert_eq!(text(&s, "authority"), "unknown");
    assert_eq!(num(&s, "authority_rank"), Some(0.0));
    assert_eq!(text(&s, "budget_status"), "unknown");
    assert_eq!(s.fact_value("budget_confirmed"), Some(&FactValue::Bool(false)));
    assert_eq!(num(&s, "budget_ratio"), None);
    assert_eq!(text(&s, "need"), "unknown");
    assert_eq!(num(&s, "timeline_days"), None);
    assert_eq!(num(&s, "components_known"), Some(0.0));
}

#[test]
fn fully_qualified_lead_scores_100_with_concrete_messages() {
    let s = default_score(full_lead());
    assert_eq!(s.value(), 100.0);
    assert_eq!(s.total_points(), 100.0);
    let budget = s.reason_by_code("bant.budget.confirmed").expect("budget reason");
    assert_eq!(budget.message, "Budget confirmed: $40,000 (1.6× typical deal of $25,000)");
    assert_eq!(budget.points, 25.0);
    assert_eq!(budget.fields, vec!["bant.budget_status", "bant.budget_amount"]);
    assert_eq!(points(&s, "bant.authority.economic_buyer"), 25.0);
    assert_eq!(points(&s, "bant.need.confirmed"), 25.0);
    assert_eq!(points(&s, "bant.timeline.within"), 25.0);
    assert_eq!(
        s.reason_by_code("bant.timeline.within").expect("timeline").fields,
        vec!["bant.timeline_days"]
    );
    assert_eq!(text(&s, "authority"), "economic_buyer");
    assert_eq!(num(&s, "authority_rank"), Some(4.0));
    assert_eq!(text(&s, "budget_status"), "confirmed");
    assert_eq!(s.fact_value("budget_confirmed"), Some(&FactValue::Bool(true)));
    assert_close(num(&s, "budget_ratio").expect("ratio"), 1.6);
    assert_eq!(text(&s, "need"), "confirmed");
    assert_eq!(num(&s, "timeline_days"), Some(20.0));
    assert_eq!(num(&s, "components_known"), Some(4.0));
    assert!(s.disqualifiers().is_empty());
}

#[test]
fn budget_status_and_amount_give_partial_credit() {
    let cases: [(BudgetStatus, Option<f64>, &str, f64); 8] = [
        (BudgetStatus::Confirmed, None, "bant.budget.confirmed", 15.0),
        (BudgetStatus::Confirmed, Some(25_000.0), "bant.budget.confirmed", 25.0),
        (BudgetStatus::Confirmed, Some(12_500.0), "bant.budget.confirmed", 20.0),
        (BudgetStatus::Estimated, None, "bant.budget.estimated", 10.0),
        (BudgetStatus::Estimated, Some(12_500.0), "bant.budget.estimated", 15.0),
        (BudgetStatus::Estimated, Some(100_000.0), "bant.budget.estimated", 20.0),
        (BudgetStatus::None, Some(100_000.0), "bant.budget.none", 0.0),
        (BudgetStatus::Unknown, Some(25_000.0), "bant.budget.unknown", 10.0),
    ];
    for (status, amount, code, expected) in cases {
        let s = default_score(BantRecord {
            budget_status: status,
            budget_amount: amount,
            ..BantRecord::default()
        });
        assert_eq!(points(&s, code), expected, "{status:?} {amount:?}");
        assert_eq!(s.value(), expected, "{status:?} {amount:?}");
        let known = if status.is_known() || amount.is_some() { 1.0 } else { 0.0 };
        assert_eq!(num(&s, "components_known"), Some(known));
    }
}

#[test]
fn budget_messages_and_ratio_fact() {
    let s = default_score(BantRecord {
        budget_status: BudgetStatus::Estimated,
        budget_amount: Some(10_000.0),
        ..BantRecord::default()
    });
    let r = s.reason_by_code("bant.budget.estimated").expect("reason");
    assert_eq!(
        r.message,
        "Budget estimated: $10,000 (0.4× typical deal of $25,000; amount earns 40% of its share)"
    );
    assert_eq!(r.points, 14.0);
    assert_close(num(&s, "budget_ratio").expect("ratio"), 0.4);
    assert_eq!(s.fact_value("budget_confirmed"), Some(&FactValue::Bool(false)));

    let none = default_score(BantRecord {
        budget_status: BudgetStatus::None,
        budget_amount: Some(50_000.0),
        ..BantRecord::default()
    });
    let r = none.reason_by_code("bant.budget.none").expect("reason");
    assert!(r.message.starts_with("No budget for this purchase (amount $50,000"), "{}", r.message);
    assert_close(num(&none, "budget_ratio").expect("ratio"), 2.0);
    assert_eq!(text(&none, "budget_status"), "none");
}

#[test]
fn negative_budget_amount_is_unknown() {
    let s = default_score(BantRecord {
        budget_status: BudgetStatus::Confirmed,
        budget_amount: Some(-5.0),
        ..BantRecord::default()
    });
    assert_eq!(points(&s, "bant.budget.confirmed"), 15.0);
    assert_eq!(num(&s, "budget_ratio"), None);
    assert_eq!(s.reason_by_code("bant.budget.confirmed").expect("r").fields, vec!["bant.budget_status"]);
}

#[test]
fn typical_deal_size_and_full_ratio_are_configurable() {
    let h = harness(r#"{"typical_deal_size":100000,"budget":{"full_amount_ratio":0.5}}"#);
    let s = score(
        &h,
        BantRecord {
            budget_status: BudgetStatus::Confirmed,
            budget_amount: Some(25_000.0),
            ..BantRecord::default()
        },
    );
    // ratio 0.25 of a 0.5 target: half of the amount share (10 * 0.5 = 5).
    assert_eq!(points(&s, "bant.budget.confirmed"), 20.0);
    assert_close(num(&s, "budget_ratio").expect("ratio"), 0.25);
}

#[test]
fn authority_levels_score_in_order() {
    let cases = [
        (Authority::User, "bant.authority.user", 5.0, 1.0),
        (Authority::Influencer, "bant.authority.influencer", 12.5, 2.0),
        (Authority::DecisionMaker, "bant.authority.decision_maker", 20.0, 3.0),
        (Authority::EconomicBuyer, "bant.authority.economic_buyer", 25.0, 4.0),
    ];
    for (authority, code, expected, rank) in cases {
        let s = default_score(BantRecord { authority, ..BantRecord::default() });
        assert_eq!(points(&s, code), expected);
        assert_eq!(s.reason_by_code(code).expect("r").fields, vec!["bant.authority"]);
        assert_eq!(num(&s, "authority_rank"), Some(rank));
        assert_eq!(text(&s, "authority"), authority.as_str());
        assert_eq!(num(&s, "components_known"), Some(1.0));
    }
}

#[test]
fn authority_points_per_level_are_configurable() {
    let h = harness(r#"{"authority":{"max_points":40,"user":0.5}}"#);
    let s = score(&h, BantRecord { authority: Authority::User, ..BantRecord::default() });
    assert_eq!(points(&s, "bant.authority.user"), 20.0);
}

#[test]
fn need_none_reports_the_disqualifier_code() {
    let s = default_score(BantRecord { need: Need::None, ..BantRecord::default() });
    assert_eq!(points(&s, "bant.need.none"), 0.0);
    assert_eq!(s.disqualifiers().len(), 1);
    assert_eq!(s.disqualifiers()[0].code, "bant.no_need");
    assert_eq!(text(&s, "need"), "none");
    assert_eq!(num(&s, "components_known"), Some(1.0));

    for (need, code, expected) in
        [(Need::Stated, "bant.need.stated", 15.0), (Need::Confirmed, "bant.need.confirmed", 25.0)]
    {
        let s = default_score(BantRecord { need, ..BantRecord::default() });
        assert_eq!(points(&s, code), expected);
        assert!(s.disqualifiers().is_empty());
    }
}

#[test]
fn timeline_band_boundaries() {
    let cases = [
        (0, "bant.timeline.within", 25.0),
        (30, "bant.timeline.within", 25.0),
        (31, "bant.timeline.within", 17.5),
        (90, "bant.timeline.within", 17.5),
        (91, "bant.timeline.within", 10.0),
        (180, "bant.timeline.within", 10.0),
        (181, "bant.timeline.beyond", 2.5),
        (1_000, "bant.timeline.beyond", 2.5),
    ];
    for (days, code, expected) in cases {
        let s = default_score(BantRecord { timeline_days: Some(days), ..BantRecord::default() });
        assert_eq!(points(&s, code), expected, "{days} days");
        assert_eq!(num(&s, "timeline_days"), Some(days as f64));
        assert_eq!(num(&s, "components_known"), Some(1.0));
    }
    let s = default_score(BantRecord { timeline_days: Some(45), ..BantRecord::default() });
    assert_eq!(
        s.reason_by_code("bant.timeline.within").expect("r").message,
        "Purchase decision in 45 days (within the 90-day band, 70% of timeline points)"
    );
}

#[test]
fn negative_timeline_is_treated_as_unknown() {
    let s = default_score(BantRecord { timeline_days: Some(-3), ..BantRecord::default() });
    let r = s.reason_by_code("bant.timeline.unknown").expect("r");
    assert_eq!(r.points, 0.0);
    assert!(r.message.contains("-3 days"), "{}", r.message);
    assert_eq!(num(&s, "timeline_days"), None);
    assert_eq!(num(&s, "components_known"), Some(0.0));
}

#[test]
fn custom_timeline_bands() {
    let h = harness(r#"{"timeline":{"bands":[{"max_days":14,"share":1.0}],"beyond_share":0.5}}"#);
    let within = score(&h, BantRecord { timeline_days: Some(14), ..BantRecord::default() });
    assert_eq!(points(&within, "bant.timeline.within"), 25.0);
    let beyond = score(&h, BantRecord { timeline_days: Some(15), ..BantRecord::default() });
    assert_eq!(points(&beyond, "bant.timeline.beyond"), 12.5);
}

#[test]
fn unknown_components_can_earn_neutral_credit() {
    let h = harness(
        r#"{"budget":{"unknown_share":0.2},"authority":{"unknown_share":0.2},
            "need":{"unknown_share":0.2},"timeline":{"unknown_share":0.2}}"#,
    );
    let s = score(&h, BantRecord::default());
    assert_eq!(s.value(), 20.0);
    assert_eq!(points(&s, "bant.budget.unknown"), 5.0);
    assert_eq!(points(&s, "bant.timeline.unknown"), 5.0);
    assert_eq!(num(&s, "components_known"), Some(0.0));
}

#[test]
fn score_is_clamped_to_100() {
    let h = harness(
        r#"{"budget":{"max_points":100},"authority":{"max_points":100},
            "need":{"max_points":100},"timeline":{"max_points":100}}"#,
    );
    let s = score(&h, full_lead());
    assert_eq!(s.value(), 100.0);
    let clamped = s.reason_by_code("bant.clamped").expect("clamped reason");
    assert_eq!(clamped.points, -300.0);
    assert_eq!(clamped.message, "Score capped at 100 (reasons add up to 400)");
    assert_eq!(s.total_points(), 100.0);
    // No clamping, no clamped reason.
    assert!(default_score(full_lead()).reason_by_code("bant.clamped").is_none());
}

#[test]
fn default_policy_config_is_accepted() {
    // policies/default.toml: [scorer.config] typical_deal_size = 25000
    let h = harness(r#"{"typical_deal_size":25000}"#);
    assert_eq!(score(&h, full_lead()).value(), 100.0);
}

#[test]
fn mixed_lead_adds_up() {
    let s = default_score(BantRecord {
        budget_status: BudgetStatus::Estimated,
        budget_amount: None,
        authority: Authority::Influencer,
        need: Need::Stated,
        timeline_days: Some(120),
    });
    // 10 + 12.5 + 15 + 10
    assert_eq!(s.value(), 47.5);
    assert_eq!(s.total_points(), 47.5);
    assert_eq!(num(&s, "components_known"), Some(4.0));
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (r#"{"budget":{"max_points":150}}"#, "budget.max_points"),
        (r#"{"budget":{"max_points":-1}}"#, "budget.max_points"),
        (r#"{"typical_deal_size":0}"#, "typical_deal_size"),
        (r#"{"typical_deal_size":-25000}"#, "typical_deal_size"),
        (r#"{"budget":{"full_amount_ratio":-1}}"#, "budget.full_amount_ratio"),
        (r#"{"budget":{"amount_share":0.5}}"#, "budget.amount_share"),
        (r#"{"budget":{"confirmed_share":1.5}}"#, "budget.confirmed_share"),
        (r#"{"authority":{"user":1.5}}"#, "authority.user"),
        (r#"{"authority":{"economic_buyer":-0.1}}"#, "authority.economic_buyer"),
        (r#"{"need":{"stated":2}}"#, "need.stated"),
        (r#"{"timeline":{"bands":[]}}"#, "timeline.bands"),
        (
            r#"{"timeline":{"bands":[{"max_days":90,"share":1},{"max_days":30,"share":0.5}]}}"#,
            "timeline.bands[1].max_days",
        ),
        (r#"{"timeline":{"bands":[{"max_days":-1,"share":1}]}}"#, "timeline.bands[0].max_days"),
        (r#"{"timeline":{"bands":[{"max_days":30,"share":3}]}}"#, "timeline.bands[0].share"),
        (r#"{"timeline":{"beyond_share":1.1}}"#, "timeline.beyond_share"),
        (r#"{"budget":{"max_points":"lots"}}"#, "budget.max_points"),
    ];
    for (config, key) in cases {
        let e = config_error(config);
        assert_eq!(e.key, key, "{config}: {e}");
        assert!(!e.message.is_empty());
    }
}

#[test]
fn unknown_config_keys_are_refused() {
    let e = config_error(r#"{"budget":{"typical_deal_size":1000}}"#);
    assert!(e.key.starts_with("budget"), "{e}");
    assert!(e.message.contains("typical_deal_size"), "{e}");
    let e = config_error(r#"{"bugdet":{}}"#);
    assert!(e.message.contains("bugdet"), "{e}");
}

#[test]
fn empty_config_is_the_documented_default() {
    assert!(Harness::<BantScorer>::new("").is_ok());
    let h = harness("{}");
    assert_eq!(h.scorer().config, crate::config::BantConfig::default());
    assert_eq!(h.scorer().config.typical_deal_size, 25_000.0);
}

#[test]
fn scoring_is_deterministic() {
    let h = harness("{}");
    let record = lead(full_lead());
    let a = h.score(&record, AS_OF).expect("a");
    let b = h.score(&record, AS_OF).expect("b");
    assert_eq!(a, b);
    // BANT does not depend on time.
    let c = h.score(&record, AS_OF + 90 * hql_plugin_api::record::MS_PER_DAY).expect("c");
    assert_eq!(a, c);
}

#[test]
fn abi_path_returns_the_same_score() {
    let h = harness(r#"{"typical_deal_size":30000}"#);
    for bant in [
        BantRecord::default(),
        full_lead(),
        BantRecord { need: Need::None, timeline_days: Some(200), ..BantRecord::default() },
    ] {
        let record = lead(bant);
        let direct = h.score(&record, AS_OF).expect("direct");
        let via_abi = h.score_via_abi(crate::hql_scorer_descriptor, &record, AS_OF).expect("abi");
        assert_eq!(direct, via_abi);
    }
}

#[test]
fn declared_facts_and_codes_match_what_is_emitted() {
    use hql_plugin_api::Scorer;
    let s = default_score(BantRecord { need: Need::None, ..full_lead() });
    for fact in s.facts() {
        let spec = BantScorer::FACTS.iter().find(|f| f.name == fact.name).expect("declared fact");
        assert_eq!(spec.kind, fact.value.kind(), "{}", fact.name);
    }
    assert_eq!(s.facts().len(), BantScorer::FACTS.len());
    for d in s.disqualifiers() {
        assert!(BantScorer::DISQUALIFIERS.iter().any(|c| c.code == d.code));
    }
    assert!(s.reasons().iter().all(|r| r.code.starts_with("bant.")));
}
