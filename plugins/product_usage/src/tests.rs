//! Behaviour of the scorer as a whole, through the SDK's test harness.

use hql_plugin_api::record::{EventRecord, LeadRecord, ProductUsageRecord};
use hql_plugin_api::testing::{Harness, days_before};
use hql_plugin_api::{FactValue, Score, Scorer};

use crate::{ProductUsageScorer, hql_scorer_descriptor};

const AS_OF: i64 = 1_700_000_000_000;
const DAY: i64 = hql_plugin_api::record::MS_PER_DAY;

fn harness() -> Harness<ProductUsageScorer> {
    Harness::new("{}").expect("default config is valid")
}

fn lead_with(usage: ProductUsageRecord) -> LeadRecord {
    LeadRecord { lead_id: "l-1".into(), usage: Some(usage), ..LeadRecord::default() }
}

fn score(usage: ProductUsageRecord) -> Score {
    harness().score(&lead_with(usage), AS_OF).expect("scores")
}

fn points(s: &Score, code: &str) -> f64 {
    s.reason_by_code(code).unwrap_or_else(|| panic!("no reason {code} in {:#?}", s.reasons())).points
}

fn number(s: &Score, name: &str) -> Option<f64> {
    match s.fact_value(name) {
        Some(FactValue::Number(n)) => Some(*n),
        None => None,
        Some(other) => panic!("fact {name} is not a number: {other:?}"),
    }
}

fn codes(s: &Score) -> Vec<&str> {
    s.reasons().iter().map(|r| r.code.as_ref()).collect()
}

/// Every score must add up and stay in range whatever the input.
fn assert_consistent(s: &Score) {
    assert!((0.0..=100.0).contains(&s.value()), "score {} out of range", s.value());
    assert!(
        (s.total_points() - s.value()).abs() < 1e-9,
        "reasons add up to {} not {}",
        s.total_points(),
        s.value()
    );
    for r in s.reasons() {
        assert!(r.code.starts_with("product_usage."), "code {}", r.code);
        assert!(!r.message.is_empty(), "empty message for {}", r.code);
    }
    for f in s.facts() {
        let spec = ProductUsageScorer::FACTS
            .iter()
            .find(|spec| spec.name == f.name)
            .unwrap_or_else(|| panic!("fact {} is not declared", f.name));
        assert_eq!(spec.kind, f.value.kind(), "fact {} has the wrong kind", f.name);
    }
}

/// A textbook PQL: every signal present and strong.
fn strong_pql() -> ProductUsageRecord {
    ProductUsageRecord {
        signed_up_at: Some(days_before(AS_OF, 50)),
        trial_ends_at: Some(AS_OF + 3 * DAY),
        activated: true,
        active_days_last_30: Some(22),
        active_days_prev_30: Some(12),
        seats: Some(6),
        invited_teammates: Some(4),
        plan_limit_hits: Some(3),
        plan: "Trial".into(),
        features_adopted: vec!["api".into(), "SSO".into(), "integrations".into(), "reporting".into()],
    }
}

#[test]
fn no_usage_scores_zero_and_says_unknown() {
    let s = harness().score(&LeadRecord::default(), AS_OF).expect("scores");
    assert_eq!(s.value(), 0.0);
    assert_eq!(codes(&s), ["product_usage.no_data"]);
    assert_eq!(s.reasons()[0].points, 0.0);
    assert!(s.reasons()[0].message.contains("no product usage data"));
    assert_eq!(s.fact_value("has_usage"), Some(&FactValue::Bool(false)));
    assert_eq!(s.facts().len(), 1, "nothing else is known: {:?}", s.facts());
    assert_consistent(&s);
}

#[test]
fn empty_usage_block_is_all_unknown_not_negative() {
    let s = score(ProductUsageRecord::default());
    assert_eq!(s.value(), 0.0);
    assert_eq!(
        codes(&s),
        [
            "product_usage.not_activated",
            "product_usage.active_days.unknown",
            "product_usage.trend.unknown",
            "product_usage.seats.unknown",
            "product_usage.invites.unknown",
            "product_usage.features.none",
            "product_usage.plan_limits.unknown",
            "product_usage.trial.unknown",
            "product_usage.plan.unknown",
        ]
    );
    assert!(s.reasons().iter().all(|r| r.points == 0.0));
    assert_eq!(s.fact_value("has_usage"), Some(&FactValue::Bool(true)));
    assert_eq!(s.fact_value("activated"), Some(&FactValue::Bool(false)));
    assert_eq!(number(&s, "key_features_adopted"), Some(0.0));
    for unknown in [
        "active_days_last_30",
        "usage_trend",
        "seats",
        "invited_teammates",
        "plan_limit_hits",
        "trial_days_left",
        "plan",
    ] {
        assert_eq!(s.fact_value(unknown), None, "{unknown} should be unset");
    }
    assert_consistent(&s);
}

#[test]
fn strong_pql_reaches_100_with_every_fact() {
    let s = score(strong_pql());
    assert_eq!(s.value(), 100.0);
    assert_eq!(points(&s, "product_usage.activated"), 20.0);
    assert_eq!(points(&s, "product_usage.active_days"), 25.0);
    assert_eq!(points(&s, "product_usage.trend.growing"), 10.0);
    assert_eq!(points(&s, "product_usage.seats"), 10.0);
    assert_eq!(points(&s, "product_usage.invites"), 10.0);
    assert_eq!(points(&s, "product_usage.features.key"), 20.0);
    assert_eq!(points(&s, "product_usage.plan_limits"), 12.0);
    assert_eq!(points(&s, "product_usage.trial.ending_soon"), 8.0);
    assert_eq!(points(&s, "product_usage.clamped"), 100.0 - 115.0);
    assert_eq!(points(&s, "product_usage.plan.unpaid"), 0.0);
    assert_eq!(s.fact_value("has_usage"), Some(&FactValue::Bool(true)));
    assert_eq!(s.fact_value("activated"), Some(&FactValue::Bool(true)));
    assert_eq!(number(&s, "active_days_last_30"), Some(22.0));
    assert_eq!(number(&s, "usage_trend"), Some(10.0));
    assert_eq!(number(&s, "seats"), Some(6.0));
    assert_eq!(number(&s, "invited_teammates"), Some(4.0));
    assert_eq!(number(&s, "key_features_adopted"), Some(4.0));
    assert_eq!(number(&s, "plan_limit_hits"), Some(3.0));
    assert_eq!(number(&s, "trial_days_left"), Some(3.0));
    assert_eq!(s.fact_value("plan"), Some(&FactValue::Text("trial".into())));
    assert_eq!(s.facts().len(), ProductUsageScorer::FACTS.len(), "every fact is set");
    assert_consistent(&s);
}

#[test]
fn reasons_cite_their_fields() {
    let s = score(strong_pql());
    let r = s.reason_by_code("product_usage.trend.growing").expect("trend");
    assert_eq!(r.fields, ["product_usage.active_days_last_30", "product_usage.active_days_prev_30"]);
    assert!(
        r.message.contains("22") && r.message.contains("12") && r.message.contains("+10"),
        "{}",
        r.message
    );
    let r = s.reason_by_code("product_usage.features.key").expect("features");
    assert_eq!(r.fields, ["product_usage.features_adopted"]);
    assert!(r.message.contains("api, SSO, integrations, reporting"), "{}", r.message);
    let r = s.reason_by_code("product_usage.trial.ending_soon").expect("trial");
    assert!(r.fields.iter().any(|f| f == "product_usage.trial_ends_at"));
}

#[test]
fn scaled_points_are_rounded_and_still_add_up() {
    let h: Harness<ProductUsageScorer> = Harness::new(r#"{"active_days":{"full_at":30}}"#).expect("valid");
    let s = h
        .score(
            &lead_with(ProductUsageRecord { active_days_last_30: Some(10), ..ProductUsageRecord::default() }),
            AS_OF,
        )
        .expect("scores");
    assert_eq!(points(&s, "product_usage.active_days"), 8.33, "25 * 10/30");
    assert_eq!(s.value(), 8.33);
    assert_consistent(&s);
}

#[test]
fn activation_alone_earns_its_points() {
    let s = score(ProductUsageRecord { activated: true, ..ProductUsageRecord::default() });
    assert_eq!(points(&s, "product_usage.activated"), 20.0);
    assert_eq!(s.value(), 20.0);
    assert_consistent(&s);
}

#[test]
fn active_days_scale_linearly_up_to_full_at() {
    let at = |days| {
        let s =
            score(ProductUsageRecord { active_days_last_30: Some(days), ..ProductUsageRecord::default() });
        assert_consistent(&s);
        points(&s, "product_usage.active_days")
    };
    assert_eq!(at(0), 0.0);
    assert_eq!(at(1), 1.25);
    assert_eq!(at(10), 12.5);
    assert_eq!(at(19), 23.75);
    assert_eq!(at(20), 25.0);
    assert_eq!(at(30), 25.0);
    // Out-of-range input is clamped, never trusted.
    assert_eq!(at(45), 25.0);
    assert_eq!(at(-4), 0.0);
}

fn trend_of(last: i64, prev: i64) -> Score {
    let s = score(ProductUsageRecord {
        active_days_last_30: Some(last),
        active_days_prev_30: Some(prev),
        ..ProductUsageRecord::default()
    });
    assert_consistent(&s);
    s
}

#[test]
fn growing_usage_earns_a_bonus_and_shrinking_usage_a_penalty() {
    let up = trend_of(15, 5);
    assert_eq!(points(&up, "product_usage.trend.growing"), 10.0);
    assert_eq!(number(&up, "usage_trend"), Some(10.0));
    let down = trend_of(5, 15);
    assert_eq!(points(&down, "product_usage.trend.shrinking"), -10.0);
    assert_eq!(number(&down, "usage_trend"), Some(-10.0));
    assert_eq!(up.value(), 18.75 + 10.0, "15 active days + growing");
    assert_eq!(down.value(), 0.0, "5 active days (6.25) - 10 floors at 0");
    assert_eq!(points(&down, "product_usage.clamped"), 10.0 - 6.25);
}

#[test]
fn trend_thresholds_are_inclusive() {
    assert_eq!(points(&trend_of(13, 10), "product_usage.trend.growing"), 10.0);
    assert_eq!(points(&trend_of(12, 10), "product_usage.trend.stable"), 0.0);
    assert_eq!(points(&trend_of(10, 10), "product_usage.trend.stable"), 0.0);
    assert_eq!(points(&trend_of(8, 10), "product_usage.trend.stable"), 0.0);
    assert_eq!(points(&trend_of(7, 10), "product_usage.trend.shrinking"), -10.0);
    assert_eq!(number(&trend_of(12, 10), "usage_trend"), Some(2.0));
}

#[test]
fn trend_needs_both_windows() {
    let s = score(ProductUsageRecord { active_days_last_30: Some(12), ..ProductUsageRecord::default() });
    assert_eq!(points(&s, "product_usage.trend.unknown"), 0.0);
    assert!(s.reason_by_code("product_usage.trend.unknown").expect("r").message.contains("previous 30 days"));
    assert_eq!(number(&s, "usage_trend"), None);
    let s = score(ProductUsageRecord { active_days_prev_30: Some(12), ..ProductUsageRecord::default() });
    assert_eq!(number(&s, "usage_trend"), None);
    assert_eq!(number(&s, "active_days_last_30"), None);
}

#[test]
fn a_new_account_has_no_trend_to_reward() {
    let usage = ProductUsageRecord {
        signed_up_at: Some(days_before(AS_OF, 12)),
        active_days_last_30: Some(10),
        active_days_prev_30: Some(0),
        ..ProductUsageRecord::default()
    };
    let s = score(usage.clone());
    assert_eq!(points(&s, "product_usage.trend.new_account"), 0.0);
    assert!(s.reason_by_code("product_usage.trend.growing").is_none());
    assert_eq!(number(&s, "usage_trend"), Some(10.0), "the fact is still last30 - prev30");
    assert!(s.reason_by_code("product_usage.trend.new_account").expect("r").message.contains("12 days ago"));
    // Thirty days after sign-up the previous window exists and growth counts.
    let older = ProductUsageRecord { signed_up_at: Some(days_before(AS_OF, 30)), ..usage };
    assert_eq!(points(&score(older), "product_usage.trend.growing"), 10.0);
}

#[test]
fn seats_count_beyond_the_first_with_a_cap() {
    let at = |seats| {
        let s = score(ProductUsageRecord { seats: Some(seats), ..ProductUsageRecord::default() });
        assert_eq!(number(&s, "seats"), Some(seats as f64));
        points(&s, "product_usage.seats")
    };
    assert_eq!(at(0), 0.0);
    assert_eq!(at(1), 0.0);
    assert_eq!(at(2), 2.0);
    assert_eq!(at(5), 8.0);
    assert_eq!(at(6), 10.0);
    assert_eq!(at(250), 10.0);
}

#[test]
fn invites_count_with_a_cap() {
    let at = |n| {
        points(
            &score(ProductUsageRecord { invited_teammates: Some(n), ..ProductUsageRecord::default() }),
            "product_usage.invites",
        )
    };
    assert_eq!(at(0), 0.0);
    assert_eq!(at(1), 3.0);
    assert_eq!(at(3), 9.0);
    assert_eq!(at(4), 10.0);
    assert_eq!(at(40), 10.0);
}

fn features(list: &[&str]) -> Score {
    let s = score(ProductUsageRecord {
        features_adopted: list.iter().map(|f| (*f).to_string()).collect(),
        ..ProductUsageRecord::default()
    });
    assert_consistent(&s);
    s
}

#[test]
fn key_features_weigh_more_than_others() {
    let s = features(&["api", "Dashboards", "export", "comments"]);
    assert_eq!(points(&s, "product_usage.features.key"), 10.0);
    assert_eq!(points(&s, "product_usage.features.other"), 2.0);
    assert_eq!(number(&s, "key_features_adopted"), Some(2.0));
    assert_eq!(s.value(), 12.0);
}

#[test]
fn repeated_features_count_once() {
    let s = features(&["api", "API", " api ", "export", "Export"]);
    assert_eq!(number(&s, "key_features_adopted"), Some(1.0));
    assert_eq!(points(&s, "product_usage.features.key"), 5.0);
    assert_eq!(points(&s, "product_usage.features.other"), 1.0);
}

#[test]
fn feature_cap_trims_other_features_first() {
    let s = features(&["api", "sso", "reporting", "a", "b", "c", "d", "e", "f", "g"]);
    assert_eq!(points(&s, "product_usage.features.key"), 15.0);
    assert_eq!(points(&s, "product_usage.features.other"), 5.0);
    let s = features(&["api", "sso", "reporting", "automation", "dashboards", "integrations", "x"]);
    assert_eq!(points(&s, "product_usage.features.key"), 20.0);
    assert_eq!(points(&s, "product_usage.features.other"), 0.0);
    assert_eq!(number(&s, "key_features_adopted"), Some(6.0));
}

#[test]
fn only_other_features_earn_a_little() {
    let s = features(&["export"]);
    assert!(s.reason_by_code("product_usage.features.key").is_none());
    assert_eq!(points(&s, "product_usage.features.other"), 1.0);
    assert_eq!(number(&s, "key_features_adopted"), Some(0.0));
}

#[test]
fn plan_limit_hits_count_with_a_cap() {
    let at = |n| {
        let s = score(ProductUsageRecord { plan_limit_hits: Some(n), ..ProductUsageRecord::default() });
        assert_eq!(number(&s, "plan_limit_hits"), Some(n as f64));
        points(&s, "product_usage.plan_limits")
    };
    assert_eq!(at(0), 0.0);
    assert_eq!(at(2), 8.0);
    assert_eq!(at(3), 12.0);
    assert_eq!(at(30), 12.0);
}

fn trial(ends_in_ms: i64, activated: bool, active_days: Option<i64>, plan: &str) -> Score {
    let s = score(ProductUsageRecord {
        trial_ends_at: Some(AS_OF + ends_in_ms),
        activated,
        active_days_last_30: active_days,
        plan: plan.into(),
        ..ProductUsageRecord::default()
    });
    assert_consistent(&s);
    s
}

#[test]
fn trial_ending_soon_on_an_active_account_adds_urgency() {
    let s = trial(3 * DAY, true, None, "trial");
    assert_eq!(points(&s, "product_usage.trial.ending_soon"), 8.0);
    assert_eq!(number(&s, "trial_days_left"), Some(3.0));
    // Active by usage alone (min_active_days = 4).
    let s = trial(3 * DAY, false, Some(4), "trial");
    assert_eq!(points(&s, "product_usage.trial.ending_soon"), 8.0);
    // Not active: noted, no points.
    let s = trial(3 * DAY, false, Some(3), "trial");
    assert_eq!(points(&s, "product_usage.trial.ending_soon_inactive"), 0.0);
    assert!(s.reason_by_code("product_usage.trial.ending_soon").is_none());
    let r = s.reason_by_code("product_usage.trial.ending_soon_inactive").expect("r");
    assert!(r.message.contains("in 3 days") && r.message.contains("3 active days"), "{}", r.message);
    // Unknown activity is not activity, and the message says it is unknown.
    let s = trial(3 * DAY, false, None, "trial");
    let r = s.reason_by_code("product_usage.trial.ending_soon_inactive").expect("r");
    assert!(r.message.contains("active days unknown"), "{}", r.message);
}

#[test]
fn trial_ending_soon_boundaries() {
    // Exactly 7 days left is still "soon"; a millisecond short of 8 days too.
    assert_eq!(points(&trial(7 * DAY, true, None, ""), "product_usage.trial.ending_soon"), 8.0);
    assert_eq!(points(&trial(8 * DAY - 1, true, None, ""), "product_usage.trial.ending_soon"), 8.0);
    let s = trial(8 * DAY, true, None, "");
    assert_eq!(points(&s, "product_usage.trial.running"), 0.0);
    assert_eq!(number(&s, "trial_days_left"), Some(8.0));
    // Ends right now: 0 days left, not expired.
    let s = trial(0, true, None, "");
    assert_eq!(points(&s, "product_usage.trial.ending_soon"), 8.0);
    assert_eq!(number(&s, "trial_days_left"), Some(0.0));
    assert!(s.reason_by_code("product_usage.trial.ending_soon").expect("r").message.contains("within a day"));
}

#[test]
fn expired_trial_costs_points_unless_the_account_pays() {
    let s = trial(-2 * DAY, true, None, "trial");
    assert_eq!(points(&s, "product_usage.trial.expired"), -5.0);
    assert_eq!(number(&s, "trial_days_left"), Some(-2.0));
    assert_eq!(s.value(), 15.0, "activation 20 - expired 5");
    assert!(s.reason_by_code("product_usage.trial.expired").expect("r").message.contains("2 days ago"));
    // One millisecond past the end is expired.
    let s = trial(-1, true, None, "free");
    assert_eq!(points(&s, "product_usage.trial.expired"), -5.0);
    assert_eq!(number(&s, "trial_days_left"), Some(-1.0));
    // Converted: the trial ended on a paid plan.
    let s = trial(-10 * DAY, true, None, "Team");
    assert_eq!(points(&s, "product_usage.trial.converted"), 0.0);
    assert!(s.reason_by_code("product_usage.trial.expired").is_none());
    assert_eq!(s.value(), 20.0);
}

#[test]
fn trial_days_follow_as_of_not_the_clock() {
    let lead = lead_with(ProductUsageRecord { trial_ends_at: Some(AS_OF), ..ProductUsageRecord::default() });
    let h = harness();
    let before = h.score(&lead, AS_OF - 10 * DAY).expect("scores");
    let after = h.score(&lead, AS_OF + 10 * DAY).expect("scores");
    assert_eq!(number(&before, "trial_days_left"), Some(10.0));
    assert_eq!(number(&after, "trial_days_left"), Some(-10.0));
}

#[test]
fn paid_plans_are_noted_not_scored() {
    let s = score(ProductUsageRecord { plan: " Enterprise".into(), ..ProductUsageRecord::default() });
    assert_eq!(points(&s, "product_usage.plan.paid"), 0.0);
    assert!(
        s.reason_by_code("product_usage.plan.paid").expect("r").message.contains("already a paying customer")
    );
    assert_eq!(s.fact_value("plan"), Some(&FactValue::Text("enterprise".into())));
    assert!(
        s.reason_by_code("product_usage.trial.unknown").is_none(),
        "a paying account has no trial to miss"
    );
    let s = score(ProductUsageRecord { plan: "free".into(), ..ProductUsageRecord::default() });
    assert_eq!(points(&s, "product_usage.plan.unpaid"), 0.0);
    assert_eq!(s.fact_value("plan"), Some(&FactValue::Text("free".into())));
}

#[test]
fn config_changes_the_weights() {
    let h: Harness<ProductUsageScorer> = Harness::new(
        r#"{"activated_points":5,"key_features":["export"],"paid_plans":["gold"],
            "features":{"points_per_key":7,"points_per_other":0},"trial":{"expired_penalty":0}}"#,
    )
    .expect("valid");
    let lead = lead_with(ProductUsageRecord {
        activated: true,
        features_adopted: vec!["Export".into(), "api".into()],
        plan: "gold".into(),
        trial_ends_at: Some(AS_OF - DAY),
        ..ProductUsageRecord::default()
    });
    let s = h.score(&lead, AS_OF).expect("scores");
    assert_eq!(points(&s, "product_usage.activated"), 5.0);
    assert_eq!(points(&s, "product_usage.features.key"), 7.0);
    assert_eq!(points(&s, "product_usage.features.other"), 0.0);
    assert_eq!(points(&s, "product_usage.plan.paid"), 0.0);
    assert_eq!(points(&s, "product_usage.trial.converted"), 0.0);
    assert_eq!(s.value(), 12.0);
}

#[test]
fn bad_config_is_refused_naming_the_key() {
    let err = Harness::<ProductUsageScorer>::new(r#"{"seats":{"max_points":-3}}"#).expect_err("refused");
    assert_eq!(err.key, "seats.max_points");
    let err = Harness::<ProductUsageScorer>::new(r#"{"bogus":1}"#).expect_err("refused");
    assert_eq!(err.key, "bogus");
}

#[test]
fn penalties_alone_floor_at_zero_and_still_add_up() {
    let s = score(ProductUsageRecord {
        trial_ends_at: Some(AS_OF - 3 * DAY),
        active_days_last_30: Some(0),
        active_days_prev_30: Some(20),
        ..ProductUsageRecord::default()
    });
    assert_eq!(points(&s, "product_usage.trend.shrinking"), -10.0);
    assert_eq!(points(&s, "product_usage.trial.expired"), -5.0);
    assert_eq!(points(&s, "product_usage.clamped"), 15.0);
    assert_eq!(s.value(), 0.0);
    assert_consistent(&s);
}

#[test]
fn events_do_not_matter_to_product_usage() {
    let mut lead = lead_with(strong_pql());
    let without = harness().score(&lead, AS_OF).expect("scores");
    lead.events =
        vec![EventRecord::new("demo_request", AS_OF + DAY), EventRecord::new("unsubscribe", AS_OF - DAY)];
    assert_eq!(harness().score(&lead, AS_OF).expect("scores"), without);
}

#[test]
fn scoring_is_deterministic() {
    let h = harness();
    let lead = lead_with(strong_pql());
    let a = h.score(&lead, AS_OF).expect("scores");
    let b = h.score(&lead, AS_OF).expect("scores");
    assert_eq!(a, b);
    assert_eq!(a, harness().score(&lead, AS_OF).expect("scores"), "a fresh instance agrees");
}

#[test]
fn the_abi_path_returns_the_same_score() {
    let h = harness();
    for lead in [
        lead_with(strong_pql()),
        lead_with(ProductUsageRecord::default()),
        LeadRecord::default(),
        lead_with(ProductUsageRecord {
            trial_ends_at: Some(AS_OF - DAY),
            plan: "free".into(),
            ..strong_pql()
        }),
    ] {
        let direct = h.score(&lead, AS_OF).expect("scores");
        let via_abi = h.score_via_abi(hql_scorer_descriptor, &lead, AS_OF).expect("scores through the ABI");
        assert_eq!(via_abi, direct);
    }
}

#[test]
fn the_descriptor_declares_name_dimension_and_no_disqualifiers() {
    assert_eq!(ProductUsageScorer::NAME, "product_usage");
    assert_eq!(ProductUsageScorer::DIMENSION, "product");
    assert_eq!(ProductUsageScorer::VERSION, env!("CARGO_PKG_VERSION"));
    assert!(ProductUsageScorer::DISQUALIFIERS.is_empty());
    let names: Vec<&str> = ProductUsageScorer::FACTS.iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        [
            "has_usage",
            "activated",
            "active_days_last_30",
            "usage_trend",
            "seats",
            "invited_teammates",
            "key_features_adopted",
            "plan_limit_hits",
            "trial_days_left",
            "plan",
        ]
    );
}
