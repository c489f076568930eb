//! Behaviour of the scorer as a whole, through the SDK's test harness.

use hql_plugin_api::record::{EventRecord, LeadRecord, MS_PER_DAY};
use hql_plugin_api::testing::{Harness, days_before};
use hql_plugin_api::{FactValue, Response, Score, Scorer, Source};

use crate::{TrustNurtureScorer, hql_scorer_descriptor};

const AS_OF: i64 = 1_700_000_000_000;
const EPS: f64 = 1e-9;

fn harness() -> Harness<TrustNurtureScorer> {
    Harness::new("{}").expect("default config is valid")
}

/// A first-party event `days` days before `AS_OF` on `channel`.
fn ev(kind: &'static str, days: i64, channel: &'static str) -> EventRecord {
    EventRecord { channel: channel.into(), ..EventRecord::new(kind, days_before(AS_OF, days)) }
}

fn with_response(mut e: EventRecord, response: Response) -> EventRecord {
    e.response = response;
    e
}

fn third_party(mut e: EventRecord) -> EventRecord {
    e.source = Source::ThirdParty;
    e
}

fn lead(events: Vec<EventRecord>) -> LeadRecord {
    LeadRecord { lead_id: "l-1".into(), events, ..LeadRecord::default() }
}

fn score_with(h: &Harness<TrustNurtureScorer>, events: Vec<EventRecord>) -> Score {
    let s = h.score(&lead(events), AS_OF).expect("scores");
    assert_consistent(&s);
    s
}

fn score(events: Vec<EventRecord>) -> Score {
    score_with(&harness(), events)
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

fn content_only(s: &Score) -> bool {
    match s.fact_value("content_only") {
        Some(FactValue::Bool(b)) => *b,
        other => panic!("content_only is {other:?}"),
    }
}

fn assert_close(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < EPS, "expected {expected}, got {actual}");
}

/// Every score must add up, stay in range and only set declared facts.
fn assert_consistent(s: &Score) {
    assert!((0.0..=100.0).contains(&s.value()), "score {} out of range", s.value());
    assert!(
        (s.total_points() - s.value()).abs() < EPS,
        "reasons add up to {} not {}",
        s.total_points(),
        s.value()
    );
    for r in s.reasons() {
        assert!(r.code.starts_with("trust_nurture."), "code {}", r.code);
        assert!(!r.message.is_empty(), "empty message for {}", r.code);
    }
    for f in s.facts() {
        let spec = TrustNurtureScorer::FACTS
            .iter()
            .find(|spec| spec.name == f.name)
            .unwrap_or_else(|| panic!("fact {} is not declared", f.name));
        assert_eq!(spec.kind, f.value.kind(), "fact {} has the wrong kind", f.name);
    }
}

/// 40 e-book and whitepaper downloads within one week, by e-mail and web.
fn forty_downloads_in_a_week() -> Vec<EventRecord> {
    (0..40)
        .map(|i| {
            let kind = if i % 2 == 0 { "ebook_download" } else { "whitepaper_download" };
            let channel = if i % 3 == 0 { "email" } else { "web" };
            EventRecord {
                channel: channel.into(),
                ..EventRecord::new(kind, days_before(AS_OF, 6) + i64::from(i) * 3_600_000)
            }
        })
        .collect()
}

/// Eight consecutive active weeks over e-mail, chat, phone and web, with
/// replies, an inbound question and a meeting.
fn nurtured_over_eight_weeks() -> Vec<EventRecord> {
    vec![
        ev("sales_meeting", 2, "phone"),
        with_response(ev("email_reply", 9, "email"), Response::Positive),
        ev("inbound_question", 16, "chat"),
        ev("webinar_attendance", 23, "web"),
        with_response(ev("email_reply", 30, "email"), Response::Positive),
        ev("blog_view", 37, "web"),
        ev("email_click", 44, "email"),
        with_response(ev("email_reply", 51, "email"), Response::Positive),
    ]
}

#[test]
fn a_lead_without_events_is_unknown_not_negative() {
    let s = score(vec![]);
    assert_eq!(s.value(), 0.0);
    assert_eq!(s.reasons().len(), 1);
    assert_eq!(points(&s, "trust_nurture.no_events"), 0.0);
    assert!(s.reasons()[0].message.contains("unknown"));
    for name in ["active_weeks", "longest_streak_weeks", "channels", "positive_responses"] {
        assert_eq!(number(&s, name), Some(0.0), "{name}");
    }
    assert_eq!(number(&s, "negative_responses"), Some(0.0));
    assert_eq!(number(&s, "reciprocal_interactions"), Some(0.0));
    assert_eq!(number(&s, "relationship_days"), None, "no event, no relationship age");
    assert!(!content_only(&s));
}

#[test]
fn forty_downloads_in_one_week_are_capped_as_content_only() {
    let s = score(forty_downloads_in_a_week());
    assert!(content_only(&s));
    assert!(s.value() <= 20.0);
    assert_eq!(number(&s, "active_weeks"), Some(1.0));
    assert_eq!(number(&s, "longest_streak_weeks"), Some(1.0));
    assert_eq!(number(&s, "channels"), Some(2.0));
    assert_eq!(number(&s, "reciprocal_interactions"), Some(0.0));
    assert_eq!(number(&s, "relationship_days"), Some(6.0));
    // 25/8 + 10/6 + 2 channels * 5 + 10 * 6/180, each rounded to 2 decimals: already under the cap.
    assert_close(s.value(), 3.13 + 1.67 + 10.0 + 0.33);
    assert_close(s.value(), 15.13);
    let r = s.reason_by_code("trust_nurture.content_only").expect("content_only reason");
    assert_eq!(r.points, 0.0);
    assert_eq!(r.events.len(), 40, "every download is cited");
    assert!(r.message.contains("all 40 engagement events"), "{}", r.message);
}

#[test]
fn a_nurtured_lead_scores_high() {
    let s = score(nurtured_over_eight_weeks());
    assert!(!content_only(&s));
    assert!(s.reason_by_code("trust_nurture.content_only").is_none());
    assert_eq!(number(&s, "active_weeks"), Some(8.0));
    assert_eq!(number(&s, "longest_streak_weeks"), Some(8.0));
    assert_eq!(number(&s, "channels"), Some(4.0));
    assert_eq!(number(&s, "positive_responses"), Some(3.0));
    assert_eq!(number(&s, "negative_responses"), Some(0.0));
    assert_eq!(number(&s, "reciprocal_interactions"), Some(5.0));
    assert_eq!(number(&s, "relationship_days"), Some(51.0));
    assert_eq!(points(&s, "trust_nurture.regularity"), 25.0);
    assert_eq!(points(&s, "trust_nurture.streak"), 10.0);
    assert_eq!(points(&s, "trust_nurture.channels"), 15.0);
    assert_eq!(points(&s, "trust_nurture.responses.positive"), 15.0);
    assert_eq!(points(&s, "trust_nurture.reciprocal"), 20.0);
    assert_eq!(points(&s, "trust_nurture.analogous_interest.none"), 0.0);
    assert_eq!(points(&s, "trust_nurture.relationship"), 2.83, "10 * 51/180");
    assert_close(s.value(), 87.83);
    let r = s.reason_by_code("trust_nurture.reciprocal").expect("reciprocal");
    assert!(r.message.contains("email_reply ×3, inbound_question ×1, sales_meeting ×1"), "{}", r.message);
    assert_eq!(r.events, [0, 1, 2, 4, 7]);
    let r = s.reason_by_code("trust_nurture.channels").expect("channels");
    assert!(r.message.contains("chat, email, phone, web"), "{}", r.message);
}

#[test]
fn downloads_score_far_lower_than_nurture() {
    let downloads = score(forty_downloads_in_a_week());
    let nurtured = score(nurtured_over_eight_weeks());
    assert!(nurtured.value() >= 80.0, "nurtured: {}", nurtured.value());
    assert!(downloads.value() <= 20.0, "downloads: {}", downloads.value());
    assert!(nurtured.value() - downloads.value() >= 60.0);
}

#[test]
fn content_spread_over_a_quarter_on_three_channels_is_still_capped() {
    let channels = ["email", "web", "social"];
    let events: Vec<EventRecord> = (0..12)
        .flat_map(|week| {
            let day = week * 7 + 1;
            [ev("blog_view", day, channels[(week % 3) as usize]), ev("email_open", day, "email")]
        })
        .collect();
    let s = score(events);
    assert!(content_only(&s));
    assert_eq!(number(&s, "active_weeks"), Some(12.0));
    assert_eq!(number(&s, "channels"), Some(3.0));
    assert_eq!(s.value(), 20.0);
    // 25 + 10 + 15 + 4.33 (10 * 78/180) earned, the rest cut.
    assert_eq!(points(&s, "trust_nurture.relationship"), 4.33);
    assert_close(points(&s, "trust_nurture.content_only"), -34.33);
}

#[test]
fn one_non_content_interaction_lifts_the_cap() {
    let mut events = forty_downloads_in_a_week();
    events.push(ev("email_click", 1, "email"));
    let s = score(events);
    assert!(!content_only(&s));
    assert!(s.reason_by_code("trust_nurture.content_only").is_none());
}

#[test]
fn third_party_research_does_not_break_the_content_only_test() {
    let mut events = forty_downloads_in_a_week();
    events.push(third_party(ev("keyword_research", 1, "")));
    let s = score(events);
    assert!(content_only(&s));
    assert_eq!(points(&s, "trust_nurture.analogous_interest"), 2.0);
}

/// Ten website visits, either within one week or one per week.
fn ten_visits(spread: bool) -> Vec<EventRecord> {
    (0..10).map(|i| ev("website_visit", if spread { 1 + 7 * i } else { 1 + i % 5 }, "web")).collect()
}

#[test]
fn a_burst_week_scores_low_and_the_same_events_spread_score_high() {
    let burst = score(ten_visits(false));
    let spread = score(ten_visits(true));
    assert_eq!(number(&burst, "active_weeks"), Some(1.0));
    assert_eq!(number(&burst, "longest_streak_weeks"), Some(1.0));
    assert_eq!(number(&spread, "active_weeks"), Some(10.0));
    assert_eq!(number(&spread, "longest_streak_weeks"), Some(10.0));
    assert_eq!(points(&burst, "trust_nurture.regularity"), 3.13);
    assert_eq!(points(&spread, "trust_nurture.regularity"), 25.0);
    assert_eq!(points(&burst, "trust_nurture.streak"), 1.67);
    assert_eq!(points(&spread, "trust_nurture.streak"), 10.0);
    // Same single channel either way.
    assert_eq!(points(&burst, "trust_nurture.channels"), 5.0);
    assert_eq!(points(&spread, "trust_nurture.channels"), 5.0);
    assert!(!content_only(&burst) && !content_only(&spread));
    assert_close(burst.value(), 3.13 + 1.67 + 5.0 + 0.28);
    assert_close(spread.value(), 25.0 + 10.0 + 5.0 + 3.56);
    let r = spread.reason_by_code("trust_nurture.regularity").expect("regularity");
    assert_eq!(r.events, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "one event per active week");
    assert!(r.message.contains("10 weeks of the last 12"), "{}", r.message);
}

#[test]
fn gaps_shorten_the_streak_but_not_the_active_weeks() {
    // Weeks 0, 1, 2, then 5, 6, then 9.
    let s = score([1, 8, 15, 36, 43, 64].into_iter().map(|d| ev("website_visit", d, "web")).collect());
    assert_eq!(number(&s, "active_weeks"), Some(6.0));
    assert_eq!(number(&s, "longest_streak_weeks"), Some(3.0));
    assert_eq!(points(&s, "trust_nurture.regularity"), 25.0 * 6.0 / 8.0);
    assert_eq!(points(&s, "trust_nurture.streak"), 5.0);
}

#[test]
fn the_lookback_window_is_12_weeks_back_from_as_of() {
    let week = 7 * MS_PER_DAY;
    let at = |t| {
        let s = score(vec![EventRecord { channel: "web".into(), ..EventRecord::new("website_visit", t) }]);
        number(&s, "active_weeks").expect("set")
    };
    assert_eq!(at(AS_OF), 1.0, "an event exactly at as_of is seen");
    assert_eq!(at(AS_OF - 12 * week + 1), 1.0);
    assert_eq!(at(AS_OF - 12 * week), 0.0, "12 weeks ago is outside the lookback");
    // Outside the lookback, an old event still dates the relationship.
    let s = score(vec![ev("website_visit", 200, "web")]);
    assert_eq!(number(&s, "relationship_days"), Some(200.0));
    assert_eq!(points(&s, "trust_nurture.relationship"), 10.0);
    assert_eq!(points(&s, "trust_nurture.regularity"), 0.0);
}

#[test]
fn events_after_as_of_are_not_seen() {
    let past = vec![ev("ebook_download", 3, "web")];
    let mut with_future = past.clone();
    for day in 1..=5 {
        let t = AS_OF + day * MS_PER_DAY;
        with_future.push(with_response(
            EventRecord { channel: "email".into(), ..EventRecord::new("email_reply", t) },
            Response::Positive,
        ));
    }
    let h = harness();
    let expected = score_with(&h, past);
    let s = score_with(&h, with_future.clone());
    assert_eq!(s, expected);
    assert!(content_only(&s), "the future replies must not lift the cap");
    assert_eq!(number(&s, "reciprocal_interactions"), Some(0.0));
    // Seen from later, the replies count.
    let later = h.score(&lead(with_future), AS_OF + 10 * MS_PER_DAY).expect("scores");
    assert_eq!(number(&later, "reciprocal_interactions"), Some(5.0));
    // Only future events: nothing is known yet.
    let only_future = vec![EventRecord::new("email_reply", AS_OF + 1)];
    assert_eq!(score_with(&h, only_future).reasons()[0].code, "trust_nurture.no_events");
}

#[test]
fn unsubscribes_and_complaints_erode_trust_heavily() {
    let mut events = nurtured_over_eight_weeks();
    let base = score(events.clone()).value();
    events.push(ev("unsubscribe", 1, "email"));
    let s = score(events.clone());
    assert_eq!(points(&s, "trust_nurture.negative.unsubscribe"), -25.0);
    assert_eq!(number(&s, "negative_responses"), Some(1.0));
    assert_close(s.value(), base - 25.0);
    events.push(ev("spam_complaint", 0, "email"));
    events.push(ev("hard_bounce", 0, "email"));
    events.push(ev("hard_bounce", 0, "email"));
    let s = score(events);
    assert_eq!(points(&s, "trust_nurture.negative.spam_complaint"), -40.0);
    assert_eq!(points(&s, "trust_nurture.negative.hard_bounce"), -30.0);
    assert_eq!(number(&s, "negative_responses"), Some(4.0));
    assert_eq!(s.value(), 0.0, "trust is gone");
    assert!(points(&s, "trust_nurture.clamped") > 0.0);
    // Negative events are not engagement: they add no active week or channel.
    assert_eq!(number(&s, "active_weeks"), Some(8.0));
}

#[test]
fn negative_responses_cost_points_and_are_not_engagement() {
    let s = score(vec![
        ev("website_visit", 1, "web"),
        with_response(ev("email_reply", 2, "email"), Response::Negative),
        with_response(ev("campaign_response", 3, "social"), Response::Negative),
    ]);
    assert_eq!(points(&s, "trust_nurture.responses.negative"), -16.0);
    assert_eq!(number(&s, "negative_responses"), Some(2.0));
    assert_eq!(number(&s, "reciprocal_interactions"), Some(0.0), "a reply saying no is not reciprocity");
    assert_eq!(number(&s, "channels"), Some(1.0));
    assert_eq!(s.value(), 0.0);
}

#[test]
fn positive_responses_are_capped() {
    let events: Vec<EventRecord> =
        (0..5).map(|i| with_response(ev("email_click", 1 + i, "email"), Response::Positive)).collect();
    let s = score(events);
    assert_eq!(number(&s, "positive_responses"), Some(5.0));
    assert_eq!(points(&s, "trust_nurture.responses.positive"), 15.0);
    let s = score(vec![with_response(ev("email_click", 1, "email"), Response::Positive)]);
    assert_eq!(points(&s, "trust_nurture.responses.positive"), 5.0);
    let s = score(vec![with_response(ev("email_click", 1, "email"), Response::Neutral)]);
    assert_eq!(number(&s, "positive_responses"), Some(0.0));
    assert_eq!(points(&s, "trust_nurture.responses.none"), 0.0);
}

#[test]
fn positive_campaign_responses_are_reciprocal() {
    let s = score(vec![
        with_response(ev("campaign_response", 1, "email"), Response::Positive),
        with_response(ev("campaign_response", 2, "email"), Response::Neutral),
        ev("campaign_response", 3, "email"),
    ]);
    assert_eq!(number(&s, "reciprocal_interactions"), Some(1.0));
    assert_eq!(points(&s, "trust_nurture.reciprocal"), 8.0);
    assert_eq!(s.reason_by_code("trust_nurture.reciprocal").expect("r").events, [0]);
}

#[test]
fn reciprocal_interactions_are_capped() {
    let s = score((0..4).map(|d| ev("inbound_question", d, "chat")).collect());
    assert_eq!(number(&s, "reciprocal_interactions"), Some(4.0));
    assert_eq!(points(&s, "trust_nurture.reciprocal"), 20.0);
    let s = score(vec![ev("inbound_question", 1, "chat"), ev("sales_meeting", 2, "phone")]);
    assert_eq!(points(&s, "trust_nurture.reciprocal"), 16.0);
}

#[test]
fn analogous_interest_earns_a_small_capped_credit() {
    let s = score(vec![
        third_party(ev("review_site_visit", 1, "")),
        ev("competitor_site_visit", 2, ""),
        third_party(ev("pricing_research", 3, "")),
    ]);
    assert_eq!(points(&s, "trust_nurture.analogous_interest"), 5.0);
    assert_eq!(s.reason_by_code("trust_nurture.analogous_interest").expect("r").events, [0, 1, 2]);
    // Research elsewhere is not interaction with us.
    assert_eq!(number(&s, "active_weeks"), Some(0.0));
    assert!(!content_only(&s), "no engagement at all is not content-only");
    assert_eq!(points(&s, "trust_nurture.channels.unknown"), 0.0);
    let s = score(vec![ev("keyword_research", 1, "")]);
    assert_eq!(points(&s, "trust_nurture.analogous_interest"), 2.0);
}

#[test]
fn relationship_age_scales_to_180_days() {
    let at = |days| {
        let s = score(vec![ev("website_visit", days, "web")]);
        assert_eq!(number(&s, "relationship_days"), Some(days as f64));
        points(&s, "trust_nurture.relationship")
    };
    assert_eq!(at(0), 0.0);
    assert_eq!(at(90), 5.0);
    assert_eq!(at(179), 9.94);
    assert_eq!(at(180), 10.0);
    assert_eq!(at(1000), 10.0);
    // The earliest event dates the relationship, whatever the request order.
    let s = score(vec![
        ev("website_visit", 3, "web"),
        ev("blog_view", 40, "web"),
        ev("email_click", 10, "email"),
    ]);
    assert_eq!(number(&s, "relationship_days"), Some(40.0));
    assert_eq!(s.reason_by_code("trust_nurture.relationship").expect("r").events, [1]);
}

#[test]
fn missing_channels_are_unknown_not_negative() {
    let s = score(vec![ev("website_visit", 1, ""), ev("email_click", 2, "")]);
    assert_eq!(number(&s, "channels"), Some(0.0));
    let r = s.reason_by_code("trust_nurture.channels.unknown").expect("unknown");
    assert_eq!(r.points, 0.0);
    assert!(r.message.contains("all 2 engagement events"), "{}", r.message);
}

#[test]
fn config_changes_the_rules() {
    let h: Harness<TrustNurtureScorer> = Harness::new(
        r#"{"content_only_cap":10,"reciprocal_types":["email_reply","demo_request"],
            "negative_types":{"unsubscribe":5},"channels":{"points_per_channel":1,"max_points":2}}"#,
    )
    .expect("valid");
    let s = score_with(
        &h,
        ten_visits(true)
            .into_iter()
            .map(|mut e| {
                e.event_type = "blog_view".into();
                e
            })
            .collect(),
    );
    assert!(content_only(&s));
    assert_eq!(s.value(), 10.0);
    let s = score_with(
        &h,
        vec![ev("demo_request", 1, "web"), ev("unsubscribe", 1, "email"), ev("spam_complaint", 1, "email")],
    );
    assert_eq!(points(&s, "trust_nurture.reciprocal"), 8.0);
    assert_eq!(points(&s, "trust_nurture.negative.unsubscribe"), -5.0);
    // The table was replaced: spam_complaint is no longer a negative type.
    assert!(s.reason_by_code("trust_nurture.negative.spam_complaint").is_none());
    assert_eq!(points(&s, "trust_nurture.channels"), 2.0);
    // An empty content list disables the cap.
    let h: Harness<TrustNurtureScorer> = Harness::new(r#"{"content_types":[]}"#).expect("valid");
    let s = score_with(&h, forty_downloads_in_a_week());
    assert!(!content_only(&s));
}

#[test]
fn a_shorter_lookback_counts_fewer_weeks() {
    let h: Harness<TrustNurtureScorer> =
        Harness::new(r#"{"lookback_weeks":4,"regularity":{"full_at_weeks":4},"streak":{"full_at_weeks":2}}"#)
            .expect("valid");
    let s = score_with(&h, ten_visits(true));
    assert_eq!(number(&s, "active_weeks"), Some(4.0));
    assert_eq!(points(&s, "trust_nurture.regularity"), 25.0);
    assert!(s.reason_by_code("trust_nurture.regularity").expect("r").message.contains("of the last 4"));
}

#[test]
fn bad_config_is_refused_naming_the_key() {
    let err = Harness::<TrustNurtureScorer>::new(r#"{"lookback_weeks":0}"#).expect_err("refused");
    assert_eq!(err.key, "lookback_weeks");
    let err =
        Harness::<TrustNurtureScorer>::new(r#"{"regularity":{"full_at_weeks":13}}"#).expect_err("refused");
    assert_eq!(err.key, "regularity.full_at_weeks");
    let err =
        Harness::<TrustNurtureScorer>::new(r#"{"content_types":["email_reply"]}"#).expect_err("refused");
    assert_eq!(err.key, "reciprocal_types[0]");
}

#[test]
fn scoring_is_deterministic() {
    let h = harness();
    let mut events = nurtured_over_eight_weeks();
    events.extend(forty_downloads_in_a_week());
    events.push(ev("unsubscribe", 4, "email"));
    let lead = lead(events);
    let a = h.score(&lead, AS_OF).expect("scores");
    let b = h.score(&lead, AS_OF).expect("scores");
    assert_eq!(a, b);
    assert_eq!(a, harness().score(&lead, AS_OF).expect("scores"), "a fresh instance agrees");
}

#[test]
fn the_abi_path_returns_the_same_score() {
    let h = harness();
    let mut mixed = nurtured_over_eight_weeks();
    mixed.push(third_party(ev("review_site_visit", 5, "")));
    mixed.push(ev("hard_bounce", 5, "email"));
    for events in [nurtured_over_eight_weeks(), forty_downloads_in_a_week(), vec![], mixed] {
        let lead = lead(events);
        let direct = h.score(&lead, AS_OF).expect("scores");
        let via_abi = h.score_via_abi(hql_scorer_descriptor, &lead, AS_OF).expect("scores through the ABI");
        assert_eq!(via_abi, direct);
    }
}

#[test]
fn the_descriptor_declares_name_dimension_and_no_disqualifiers() {
    assert_eq!(TrustNurtureScorer::NAME, "trust_nurture");
    assert_eq!(TrustNurtureScorer::DIMENSION, "engagement");
    assert_eq!(TrustNurtureScorer::VERSION, env!("CARGO_PKG_VERSION"));
    assert!(TrustNurtureScorer::DISQUALIFIERS.is_empty());
    let names: Vec<&str> = TrustNurtureScorer::FACTS.iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        [
            "active_weeks",
            "longest_streak_weeks",
            "channels",
            "positive_responses",
            "negative_responses",
            "reciprocal_interactions",
            "relationship_days",
            "content_only",
        ]
    );
    // Every declared fact is set on a lead with events.
    let s = score(nurtured_over_eight_weeks());
    assert_eq!(s.facts().len(), TrustNurtureScorer::FACTS.len());
}

fn messages(s: &Score) -> Vec<(&str, &str)> {
    s.reasons().iter().map(|r| (r.code.as_ref(), r.message.as_ref())).collect()
}

#[test]
fn every_message_reads_as_before() {
    let s = score(vec![
        ev("email_reply", 1, "email"),
        ev("email_reply", 9, "web"),
        with_response(ev("campaign_response", 20, "social"), Response::Positive),
        with_response(ev("webinar_attendance", 2, ""), Response::Negative),
        ev("unsubscribe", 3, "email"),
        ev("unsubscribe", 4, ""),
        ev("hard_bounce", 5, ""),
        third_party(ev("blog_view", 6, "web")),
        ev("inbound_question", 1_500, "phone"),
    ]);
    assert_eq!(
        messages(&s),
        [
            ("trust_nurture.regularity", "engaged in 3 weeks of the last 12 (full credit from 8)"),
            ("trust_nurture.streak", "longest run: 3 active weeks in a row (full credit from 6)"),
            ("trust_nurture.channels", "engaged on 4 channels: email, phone, social, web"),
            ("trust_nurture.responses.positive", "responded positively 1 time"),
            ("trust_nurture.responses.negative", "responded negatively 1 time: trust eroded"),
            ("trust_nurture.negative.hard_bounce", "1 event hard_bounce: trust eroded"),
            ("trust_nurture.negative.unsubscribe", "2 events unsubscribe: trust eroded"),
            (
                "trust_nurture.reciprocal",
                "4 reciprocal interactions: campaign_response ×1, email_reply ×2, inbound_question ×1"
            ),
            ("trust_nurture.analogous_interest", "1 signal of interest in analogous solutions"),
            ("trust_nurture.relationship", "first seen 1500 days ago (full credit from 180)"),
            ("trust_nurture.clamped", "Score floored at 0 (reasons add up to -6.62)"),
        ]
    );

    let h: Harness<TrustNurtureScorer> =
        Harness::new(r#"{"content_only_cap":12.345,"lookback_weeks":1,"regularity":{"full_at_weeks":1},"streak":{"full_at_weeks":1}}"#)
            .expect("valid");
    let s = score_with(&h, vec![ev("blog_view", 0, ""), ev("email_open", 1, ""), ev("blog_view", 8, "")]);
    assert_eq!(
        messages(&s),
        [
            ("trust_nurture.regularity", "engaged in 1 week of the last 1 (full credit from 1)"),
            ("trust_nurture.streak", "longest run: 1 active week in a row (full credit from 1)"),
            ("trust_nurture.channels.unknown", "channel unknown on all 3 engagement events"),
            ("trust_nurture.responses.none", "no positive response to a campaign yet"),
            (
                "trust_nurture.reciprocal.none",
                "no reciprocal interaction yet (reply, inbound question, meeting)"
            ),
            ("trust_nurture.analogous_interest.none", "no research of analogous solutions observed"),
            ("trust_nurture.relationship", "first seen 8 days ago (full credit from 180)"),
            (
                "trust_nurture.content_only",
                "all 3 engagement events are content downloads or passive reads: capped at 12.345 \
                 (downloads alone do not qualify a lead)"
            ),
        ]
    );

    let s = score_with(&h, vec![ev("blog_view", 0, "web"), ev("email_open", 0, "email")]);
    assert_eq!(
        messages(&s).last().copied(),
        Some((
            "trust_nurture.content_only",
            "all 2 engagement events are content downloads or passive reads: capped at 12.345 \
             (downloads alone do not qualify a lead)"
        ))
    );

    let s = score(vec![third_party(ev("webinar_attendance", 2, "web"))]);
    assert_eq!(messages(&s)[2], ("trust_nurture.channels.unknown", "no engagement with us, so no channels"));
    let s = score(vec![]);
    assert_eq!(messages(&s), [("trust_nurture.no_events", "no events: trust and nurture unknown")]);
}

#[test]
fn campaign_responses_in_configured_lists_keep_their_classes() {
    let positive = |days| with_response(ev("campaign_response", days, "email"), Response::Positive);
    // Content as well as reciprocal when positive.
    let h: Harness<TrustNurtureScorer> =
        Harness::new(r#"{"content_types":["campaign_response","blog_view"]}"#).expect("valid");
    let s = score_with(&h, vec![positive(1), ev("blog_view", 2, "web"), ev("campaign_response", 3, "web")]);
    assert!(content_only(&s));
    assert_eq!(number(&s, "reciprocal_interactions"), Some(1.0));
    // Reciprocal whatever the response when listed as reciprocal.
    let h: Harness<TrustNurtureScorer> =
        Harness::new(r#"{"reciprocal_types":["campaign_response","email_reply"]}"#).expect("valid");
    let s =
        score_with(&h, vec![ev("campaign_response", 3, "web"), positive(1), ev("email_reply", 2, "email")]);
    assert_eq!(
        s.reason_by_code("trust_nurture.reciprocal").map(|r| r.message.as_ref()),
        Some("3 reciprocal interactions: campaign_response ×2, email_reply ×1")
    );
    // A negative type first of all.
    let h: Harness<TrustNurtureScorer> =
        Harness::new(r#"{"negative_types":{"campaign_response":3}}"#).expect("valid");
    let s = score_with(&h, vec![positive(1), ev("email_reply", 2, "email")]);
    assert_eq!(points(&s, "trust_nurture.negative.campaign_response"), -3.0);
    assert_eq!(number(&s, "positive_responses"), Some(0.0));
}
