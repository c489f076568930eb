//! Unit tests with the SDK's harness: no server needed. `Harness::score`
//! calls the scorer directly; `Harness::score_via_abi` goes through the C
//! entry point and the host callbacks exactly as hqld does after loading the
//! library, and must agree.

use hql_plugin_api::record::{AttributeValue, EventRecord, LeadRecord};
use hql_plugin_api::testing::{Harness, days_before};
use hql_plugin_api::{FactValue, Score};

use super::*;

const AS_OF: i64 = 1_795_683_600_000;

fn harness(config: &str) -> Harness<PartnerReferralScorer> {
    Harness::new(config).expect("valid config")
}

fn referred(days_ago: &[i64], tier: Option<&str>) -> LeadRecord {
    let mut lead = LeadRecord { lead_id: "l-1".into(), ..LeadRecord::default() };
    lead.events.push(EventRecord::new("webinar_attendance", days_before(AS_OF, 3)));
    for d in days_ago {
        lead.events.push(EventRecord::new(REFERRAL_EVENT, days_before(AS_OF, *d)));
    }
    if let Some(t) = tier {
        lead.attributes.insert(TIER_ATTRIBUTE.into(), AttributeValue::Text(t.into()));
    }
    lead
}

fn points(s: &Score, code: &str) -> f64 {
    s.reason_by_code(code).unwrap_or_else(|| panic!("no reason {code} in {:?}", s.reasons())).points
}

#[test]
fn a_fresh_referral_from_a_gold_partner_scores_points_and_bonus() {
    let s = harness("{}").score(&referred(&[0], Some("Gold")), AS_OF).expect("scores");
    assert_eq!(points(&s, "partner.referrals"), 40.0);
    assert_eq!(points(&s, "partner.tier"), 20.0);
    assert_eq!(s.value(), 60.0);
    assert_eq!(s.fact_value("referrals"), Some(&FactValue::Number(1.0)));
    assert_eq!(s.fact_value("partner_tier"), Some(&FactValue::Text("gold".into())));
    // Evidence: the referral is event 1 (event 0 is the webinar).
    assert_eq!(s.reason_by_code("partner.referrals").expect("reason").events, vec![1]);
}

#[test]
fn referrals_halve_every_half_life_and_are_capped() {
    let h = harness(r#"{"half_life_days": 30}"#);
    let s = h.score(&referred(&[30], None), AS_OF).expect("scores");
    assert_eq!(points(&s, "partner.referrals"), 20.0);
    let many = h.score(&referred(&[0, 0, 0, 0], None), AS_OF).expect("scores");
    assert_eq!(points(&many, "partner.referrals"), 80.0, "capped at max_referral_points");
}

#[test]
fn no_referral_is_unknown_not_a_penalty() {
    let s = harness("{}").score(&referred(&[], None), AS_OF).expect("scores");
    assert_eq!(s.value(), 0.0);
    assert_eq!(points(&s, "partner.none"), 0.0);
    assert_eq!(s.fact_value("referrals"), Some(&FactValue::Number(0.0)));
    assert!(s.fact_value("partner_tier").is_none());
}

#[test]
fn a_referral_after_as_of_is_not_seen() {
    let s = harness("{}").score(&referred(&[-2], None), AS_OF).expect("scores");
    assert_eq!(s.fact_value("referrals"), Some(&FactValue::Number(0.0)));
}

#[test]
fn a_blocked_partner_reports_the_disqualifier() {
    let mut lead = referred(&[1], Some("silver"));
    lead.attributes.insert(PARTNER_ATTRIBUTE.into(), AttributeValue::Text("ShadyLeads".into()));
    let s = harness(r#"{"blocked_partners": ["shadyleads"]}"#).score(&lead, AS_OF).expect("scores");
    assert_eq!(s.disqualifiers().len(), 1);
    assert_eq!(s.disqualifiers()[0].code, "partner.blocked");
}

#[test]
fn bad_config_is_refused_naming_the_key() {
    let err = Harness::<PartnerReferralScorer>::new(r#"{"points_per_referral": 500}"#).expect_err("refused");
    assert_eq!(err.key, "points_per_referral");
    let err = Harness::<PartnerReferralScorer>::new(r#"{"half_life": 3}"#).expect_err("unknown key refused");
    assert!(err.to_string().contains("half_life"), "{err}");
    let err = Harness::<PartnerReferralScorer>::new(r#"{"tier_bonus": {"gold": -1}}"#).expect_err("refused");
    assert_eq!(err.key, "tier_bonus.gold");
}

#[test]
fn the_c_abi_gives_the_same_answer_as_a_direct_call() {
    let h = harness("{}");
    for lead in [referred(&[], None), referred(&[0, 40], Some("gold")), referred(&[-1, 5], Some("bronze"))] {
        let direct = h.score(&lead, AS_OF).expect("scores");
        let via_abi = h.score_via_abi(hql_scorer_descriptor, &lead, AS_OF).expect("scores through the ABI");
        assert_eq!(via_abi, direct);
    }
}
