//! Unit tests: points, decay, third-party discount, caps, negatives, stale and
//! future events, facts, config validation, determinism, and the C ABI path.

use hql_plugin_api::record::{EventRecord, LeadRecord, MS_PER_DAY};
use hql_plugin_api::testing::{Harness, days_before};
use hql_plugin_api::{FactValue, Response, Score, Source};

use crate::IntentScorer;

const AS_OF: i64 = 1_700_000_000_000;

fn harness(config: &str) -> Harness<IntentScorer> {
    match Harness::new(config) {
        Ok(h) => h,
        Err(e) => panic!("config refused: {e}"),
    }
}

fn config_error(config: &str) -> hql_plugin_api::ConfigError {
    match Harness::<IntentScorer>::new(config) {
        Ok(_) => panic!("config {config} was accepted"),
        Err(e) => e,
    }
}

fn ev(event_type: &'static str, days_ago: i64) -> EventRecord {
    EventRecord::new(event_type, days_before(AS_OF, days_ago))
}

fn with_source(mut e: EventRecord, source: Source) -> EventRecord {
    e.source = source;
    e
}

fn lead(events: Vec<EventRecord>) -> LeadRecord {
    LeadRecord { lead_id: "lead-1".into(), events, ..LeadRecord::default() }
}

fn score_with(h: &Harness<IntentScorer>, events: Vec<EventRecord>) -> Score {
    h.score(&lead(events), AS_OF).expect("score")
}

fn score(events: Vec<EventRecord>) -> Score {
    score_with(&harness("{}"), events)
}

fn points(s: &Score, code: &str) -> f64 {
    s.reason_by_code(code).unwrap_or_else(|| panic!("no reason {code} in {:#?}", s.reasons())).points
}

fn num(s: &Score, fact: &str) -> Option<f64> {
    match s.fact_value(fact) {
        Some(FactValue::Number(n)) => Some(*n),
        None => None,
        Some(other) => panic!("fact {fact} is not a number: {other:?}"),
    }
}

fn codes(s: &Score) -> Vec<&str> {
    s.disqualifiers().iter().map(|d| d.code.as_ref()).collect()
}

fn reason_codes(s: &Score) -> Vec<&str> {
    s.reasons().iter().map(|r| r.code.as_ref()).collect()
}

#[test]
fn empty_lead_has_unknown_intent() {
    let s = score(Vec::new());
    assert_eq!(s.value(), 0.0);
    assert_eq!(reason_codes(&s), ["intent.no_events"]);
    assert_eq!(s.reasons()[0].points, 0.0);
    assert!(s.reasons()[0].message.contains("unknown"));
    assert!(s.disqualifiers().is_empty());
    for fact in [
        "bottom_funnel_events",
        "mid_funnel_events",
        "top_funnel_events",
        "third_party_signals",
        "content_downloads",
        "recent_events_30d",
        "negative_events",
        "decayed_points",
    ] {
        assert_eq!(num(&s, fact), Some(0.0), "{fact}");
    }
    assert_eq!(num(&s, "days_since_bottom_funnel"), None);
}

#[test]
fn one_demo_request_today() {
    let s = score(vec![ev("demo_request", 0)]);
    assert_eq!(s.value(), 35.0);
    let r = s.reason_by_code("intent.bottom_funnel.demo_request").expect("reason");
    assert_eq!(r.points, 35.0);
    assert_eq!(r.message, "1× demo_request (bottom-funnel, latest today): 35 pts each, 35 after decay");
    assert_eq!(r.events, vec![0]);
    assert_eq!(
        reason_codes(&s),
        ["intent.bottom_funnel.demo_request", "intent.recency.bottom_funnel", "intent.frequency"]
    );
    assert_eq!(
        s.reason_by_code("intent.recency.bottom_funnel").expect("r").message,
        "Latest bottom-funnel event: demo_request today"
    );
    assert_eq!(num(&s, "bottom_funnel_events"), Some(1.0));
    assert_eq!(num(&s, "days_since_bottom_funnel"), Some(0.0));
    assert_eq!(num(&s, "recent_events_30d"), Some(1.0));
    assert_eq!(num(&s, "decayed_points"), Some(35.0));
}

#[test]
fn decay_halves_points_at_one_half_life() {
    assert_eq!(score(vec![ev("demo_request", 30)]).value(), 17.5);
    assert_eq!(score(vec![ev("demo_request", 60)]).value(), 8.75);
    let h = harness(r#"{"half_life_days":7}"#);
    assert_eq!(score_with(&h, vec![ev("pricing_page_view", 7)]).value(), 7.5);
    let s = score(vec![ev("demo_request", 30)]);
    assert_eq!(
        s.reason_by_code("intent.bottom_funnel.demo_request").expect("r").message,
        "1× demo_request (bottom-funnel, latest 30 days ago): 35 pts each, 17.5 after decay"
    );
    assert_eq!(num(&s, "days_since_bottom_funnel"), Some(30.0));
}

#[test]
fn days_since_bottom_funnel_is_whole_days_of_the_latest() {
    let half_day = MS_PER_DAY / 2;
    let s = score(vec![
        ev("pricing_page_view", 40),
        EventRecord::new("demo_request", AS_OF - 2 * MS_PER_DAY - half_day),
        ev("blog_view", 1),
    ]);
    assert_eq!(num(&s, "days_since_bottom_funnel"), Some(2.0));
    let r = s.reason_by_code("intent.recency.bottom_funnel").expect("r");
    assert_eq!(r.events, vec![1]);
    assert_eq!(r.message, "Latest bottom-funnel event: demo_request 2 days ago");
}

#[test]
fn third_party_counts_less() {
    let first = score(vec![with_source(ev("keyword_research", 0), Source::FirstParty)]);
    assert_eq!(first.value(), 6.0);
    assert_eq!(num(&first, "third_party_signals"), Some(0.0));

    let third = score(vec![with_source(ev("keyword_research", 0), Source::ThirdParty)]);
    assert_eq!(third.value(), 3.0);
    assert_eq!(num(&third, "third_party_signals"), Some(1.0));
    let r = third.reason_by_code("intent.third_party.keyword_research").expect("r");
    assert!(r.message.ends_with("; 1 third-party at 50%"), "{}", r.message);

    // Unknown source: third-party for third-party types, first-party otherwise.
    let unknown = score(vec![with_source(ev("competitor_site_visit", 0), Source::Unknown)]);
    assert_eq!(unknown.value(), 4.0);
    let unknown_bof = score(vec![with_source(ev("pricing_page_view", 0), Source::Unknown)]);
    assert_eq!(unknown_bof.value(), 15.0);
    assert_eq!(num(&unknown_bof, "third_party_signals"), Some(0.0));

    // A bottom-funnel type reported by a third party is discounted too.
    let bought = score(vec![with_source(ev("pricing_page_view", 0), Source::ThirdParty)]);
    assert_eq!(bought.value(), 7.5);
    assert_eq!(num(&bought, "bottom_funnel_events"), Some(1.0));

    let h = harness(r#"{"third_party_multiplier":0.25}"#);
    assert_eq!(
        score_with(&h, vec![with_source(ev("review_site_visit", 0), Source::ThirdParty)]).value(),
        2.0
    );
}

#[test]
fn fifty_blog_views_are_worth_less_than_one_demo_request() {
    let blogs = score((0..50).map(|_| ev("blog_view", 0)).collect());
    let demo = score(vec![ev("demo_request", 10)]);
    assert_eq!(blogs.value(), 6.0);
    assert!(blogs.value() < demo.value(), "{} vs {}", blogs.value(), demo.value());
    let r = blogs.reason_by_code("intent.top_funnel.blog_view").expect("r");
    assert_eq!(r.events.len(), 50);
    assert_eq!(
        r.message,
        "50× blog_view (top-funnel, latest today): 2 pts each, 100 after decay; capped at 6"
    );
    assert_eq!(blogs.reasons().iter().filter(|r| r.code == "intent.top_funnel.blog_view").count(), 1);
    assert_eq!(num(&blogs, "top_funnel_events"), Some(50.0));
}

#[test]
fn type_caps_override_the_default_multiple() {
    let views = || (0..3).map(|_| ev("pricing_page_view", 0)).collect::<Vec<_>>();
    assert_eq!(score(views()).value(), 45.0);
    let h = harness(r#"{"type_caps":{"pricing_page_view":20}}"#);
    assert_eq!(score_with(&h, views()).value(), 20.0);
    let h = harness(r#"{"default_type_cap":1}"#);
    assert_eq!(score_with(&h, views()).value(), 15.0);
}

/// Three each of three top-funnel content types, today.
fn content_binge() -> Vec<EventRecord> {
    let mut events = Vec::new();
    for _ in 0..3 {
        events.push(ev("whitepaper_download", 0));
        events.push(ev("ebook_download", 0));
        events.push(ev("newsletter_signup", 0));
    }
    events
}

#[test]
fn stage_caps_limit_content_consumption() {
    let s = score(content_binge());
    // 15 + 12 + 9 = 36, top-funnel cap 25.
    assert_eq!(points(&s, "intent.stage_cap.top_funnel"), -11.0);
    assert_eq!(
        s.reason_by_code("intent.stage_cap.top_funnel").expect("r").message,
        "Top-funnel points capped at 25 (earned 36 across types)"
    );
    assert_eq!(s.value(), 25.0);
    assert_eq!(s.total_points(), 25.0);
    assert_eq!(num(&s, "content_downloads"), Some(6.0));
    assert_eq!(num(&s, "top_funnel_events"), Some(9.0));
    assert_eq!(
        s.reason_by_code("intent.stage_cap.top_funnel").expect("r").events,
        (0..9).collect::<Vec<u32>>()
    );

    let h = harness(r#"{"stage_caps":{"top_funnel":30}}"#);
    assert_eq!(score_with(&h, content_binge()).value(), 30.0);
}

#[test]
fn bottom_funnel_stage_cap_and_clamp() {
    let s = score((0..3).map(|_| ev("demo_request", 0)).collect());
    // 105 earned, bottom-funnel stage capped at 100.
    assert_eq!(points(&s, "intent.bottom_funnel.demo_request"), 105.0);
    assert_eq!(points(&s, "intent.stage_cap.bottom_funnel"), -5.0);
    assert_eq!(s.value(), 100.0);

    let mut events: Vec<EventRecord> = (0..3).map(|_| ev("demo_request", 0)).collect();
    events.extend((0..3).map(|_| ev("case_study_view", 0)));
    let s = score(events);
    assert_eq!(num(&s, "decayed_points"), Some(124.0));
    assert_eq!(s.value(), 100.0);
    assert_eq!(points(&s, "intent.clamped"), -24.0);
    assert_eq!(s.total_points(), 100.0);
}

#[test]
fn events_older_than_max_age_are_ignored_with_a_reason() {
    let s = score(vec![ev("demo_request", 400), ev("blog_view", 366)]);
    assert_eq!(s.value(), 0.0);
    let r = s.reason_by_code("intent.stale").expect("stale");
    assert_eq!(r.events, vec![0, 1]);
    assert_eq!(r.message, "2 events older than 365 days ignored");
    assert_eq!(num(&s, "bottom_funnel_events"), Some(0.0));
    assert_eq!(num(&s, "days_since_bottom_funnel"), None);
    assert!(s.reason_by_code("intent.recency.none").is_some());
    // Exactly max age still counts.
    let s = score(vec![ev("demo_request", 365)]);
    assert_eq!(num(&s, "bottom_funnel_events"), Some(1.0));
    assert!(s.value() > 0.0);
}

#[test]
fn bottom_funnel_events_outside_the_window_are_history_not_a_current_request() {
    // The default policy sets a 90-day window: a demo request from eight
    // months ago keeps its decayed points but is no longer "asked for sales".
    let h = harness(r#"{"bottom_funnel_window_days":90}"#);
    let stale = score_with(&h, vec![ev("pricing_page_view", 243), ev("demo_request", 240)]);
    assert_eq!(num(&stale, "bottom_funnel_events"), Some(0.0));
    assert_eq!(num(&stale, "days_since_bottom_funnel"), Some(240.0));
    assert!(stale.value() > 0.0, "decayed points still count");
    let r = stale.reason_by_code("intent.recency.bottom_funnel").expect("recency");
    assert_eq!(r.events, vec![1]);
    assert_eq!(
        r.message,
        "Latest bottom-funnel event: demo_request 240 days ago; \
         older than 90 days, so no longer counted as a current buying action"
    );
    // Inside the window (the boundary included) it counts as before.
    let recent = score_with(&h, vec![ev("demo_request", 90), ev("demo_request", 91)]);
    assert_eq!(num(&recent, "bottom_funnel_events"), Some(1.0));
    assert_eq!(
        recent.reason_by_code("intent.recency.bottom_funnel").expect("r").message,
        "Latest bottom-funnel event: demo_request 90 days ago"
    );
    // Without the key, the window is max_age_days: nothing changes.
    let default = score(vec![ev("demo_request", 240)]);
    assert_eq!(num(&default, "bottom_funnel_events"), Some(1.0));
}

#[test]
fn a_bare_form_fill_is_top_funnel_and_below_the_mql_interest_bar() {
    // Domain notes: UNQUALIFIED is "nothing beyond a form fill"; the default
    // policy's MQL gate asks for intent >= 2.
    let s = score(vec![ev("form_submission", 1)]);
    assert!(s.value() < 2.0, "{}", s.value());
    assert_eq!(points(&s, "intent.top_funnel.form_submission"), 0.98);
    assert_eq!(num(&s, "top_funnel_events"), Some(1.0));
    assert_eq!(num(&s, "mid_funnel_events"), Some(0.0));
    // Anything the lead does besides the form is what lifts it.
    let with_webinar = score(vec![ev("form_submission", 1), ev("webinar_attendance", 1)]);
    assert!(with_webinar.value() >= 2.0, "{}", with_webinar.value());
}

#[test]
fn events_after_as_of_are_not_counted() {
    let future = EventRecord::new("demo_request", AS_OF + MS_PER_DAY);
    let s = score(vec![future.clone(), ev("blog_view", 1)]);
    // Only the blog view: 2 × 0.5^(1/30) = 1.954…
    assert_eq!(s.value(), 1.95);
    assert_eq!(num(&s, "bottom_funnel_events"), Some(0.0));
    assert!(s.reason_by_code("intent.bottom_funnel.demo_request").is_none());
    let only_future = score(vec![future]);
    assert_eq!(reason_codes(&only_future), ["intent.no_events"]);
}

#[test]
fn unknown_and_custom_types() {
    let s = score(vec![ev("partner_webinar", 0), ev("partner_webinar", 3)]);
    assert_eq!(s.value(), 0.0);
    let r = s.reason_by_code("intent.unknown_type.partner_webinar").expect("r");
    assert_eq!(r.points, 0.0);
    assert_eq!(r.events, vec![0, 1]);
    assert!(r.message.contains("custom_points"), "{}", r.message);
    assert_eq!(num(&s, "recent_events_30d"), Some(2.0));

    let h = harness(r#"{"custom_points":{"partner_webinar":12}}"#);
    let s = score_with(&h, vec![ev("partner_webinar", 0)]);
    assert_eq!(points(&s, "intent.other.partner_webinar"), 12.0);

    let h = harness(
        r#"{"custom_points":{"partner_webinar":12},
            "mid_funnel_types":["partner_webinar","case_study_view"]}"#,
    );
    let s = score_with(&h, vec![ev("partner_webinar", 0)]);
    assert_eq!(points(&s, "intent.mid_funnel.partner_webinar"), 12.0);
    assert_eq!(num(&s, "mid_funnel_events"), Some(1.0));
}

#[test]
fn interleaved_types_each_keep_their_own_events_in_request_order() {
    // Seventy custom types: the later ones rank past the groups' direct
    // index and are found by a search instead; both must group alike, and
    // so must groups past the room reserved for the usual number of types.
    let custom: Vec<String> = (0..70).map(|i| format!(r#""zz_custom_{i:02}":1"#)).collect();
    let h = harness(&format!(r#"{{"custom_points":{{{}}}}}"#, custom.join(",")));
    let s = score_with(
        &h,
        vec![
            ev("zz_custom_69", 1), // 0
            ev("unsubscribe", 40), // 1
            ev("demo_request", 1), // 2
            ev("mystery_b", 1),    // 3
            ev("zz_custom_69", 2), // 4
            ev("hard_bounce", 20), // 5
            ev("mystery_a", 1),    // 6
            ev("demo_request", 3), // 7
            ev("mystery_b", 2),    // 8
            ev("zz_custom_00", 1), // 9
            ev("unsubscribe", 30), // 10
            ev("zz_custom_69", 5), // 11
        ]
        .into_iter()
        // Past the room reserved for twelve types: five more, events 12-16.
        .chain((10..15).map(|i| EventRecord::new(format!("zz_custom_{i}"), days_before(AS_OF, 1))))
        .collect(),
    );
    let events = |code: &str| s.reason_by_code(code).unwrap_or_else(|| panic!("no {code}")).events.clone();
    assert_eq!(events("intent.other.zz_custom_69"), [0, 4, 11]);
    assert_eq!(events("intent.other.zz_custom_00"), [9]);
    for i in 10..15 {
        assert_eq!(events(&format!("intent.other.zz_custom_{i}")), [i + 2]);
    }
    assert_eq!(events("intent.bottom_funnel.demo_request"), [2, 7]);
    assert_eq!(events("intent.unknown_type.mystery_a"), [6]);
    assert_eq!(events("intent.unknown_type.mystery_b"), [3, 8]);
    assert_eq!(events("intent.negative.hard_bounce"), [5]);
    assert_eq!(events("intent.negative.unsubscribe"), [1, 10]);
    // Negative types are reported in name order, whatever came first.
    assert_eq!(codes(&s), ["intent.hard_bounce", "intent.unsubscribed"]);
    let order: Vec<&str> =
        reason_codes(&s).into_iter().filter(|c| c.starts_with("intent.negative.")).collect();
    assert_eq!(order, ["intent.negative.hard_bounce", "intent.negative.unsubscribe"]);
    // Unknown types follow the scored ones of their stage, in name order.
    let unknown: Vec<&str> = reason_codes(&s).into_iter().filter(|c| c.contains("unknown_type")).collect();
    assert_eq!(unknown, ["intent.unknown_type.mystery_a", "intent.unknown_type.mystery_b"]);
}

#[test]
fn negative_events_subtract_and_report_codes() {
    let s = score(vec![ev("demo_request", 0), ev("unsubscribe", 10), ev("unsubscribe", 500)]);
    assert_eq!(points(&s, "intent.negative.unsubscribe"), -20.0);
    assert_eq!(s.value(), 15.0);
    assert_eq!(codes(&s), ["intent.unsubscribed"]);
    assert_eq!(s.disqualifiers()[0].message, "Lead unsubscribed (10 days ago)");
    assert_eq!(s.reason_by_code("intent.negative.unsubscribe").expect("r").events, vec![1, 2]);
    assert_eq!(num(&s, "negative_events"), Some(2.0));
    // The 500-day-old unsubscribe is not stale: negatives never expire.
    assert!(s.reason_by_code("intent.stale").is_none());

    let s = score(vec![ev("hard_bounce", 0)]);
    assert_eq!(codes(&s), ["intent.hard_bounce"]);
    assert_eq!(num(&s, "decayed_points"), Some(-25.0));
    assert_eq!(s.value(), 0.0);
    let clamped = s.reason_by_code("intent.clamped").expect("clamped reason");
    assert_eq!(clamped.points, 25.0);
    assert_eq!(clamped.message, "Score floored at 0 (reasons add up to -25)");

    let s = score(vec![ev("spam_complaint", 100), ev("website_visit", 0)]);
    assert_eq!(codes(&s), ["intent.spam_complaint"]);
    assert_eq!(points(&s, "intent.negative.spam_complaint"), -40.0);

    let h = harness(r#"{"points":{"hard_bounce":0}}"#);
    let s = score_with(&h, vec![ev("hard_bounce", 0)]);
    assert_eq!(points(&s, "intent.negative.hard_bounce"), 0.0);
    assert_eq!(codes(&s), ["intent.hard_bounce"]);
}

#[test]
fn negative_responses_subtract_a_little() {
    let mut negative = ev("campaign_response", 0);
    negative.response = Response::Negative;
    let mut positive = ev("campaign_response", 0);
    positive.response = Response::Positive;
    let s = score(vec![negative.clone(), ev("demo_request", 0)]);
    assert_eq!(points(&s, "intent.negative_response"), -2.0);
    assert_eq!(s.value(), 33.0);
    assert_eq!(num(&s, "negative_events"), Some(1.0));
    assert_eq!(num(&s, "top_funnel_events"), Some(0.0));
    assert!(s.disqualifiers().is_empty());

    let s = score(vec![positive]);
    assert_eq!(points(&s, "intent.top_funnel.campaign_response"), 2.0);

    let s = score(vec![negative]);
    assert_eq!(num(&s, "decayed_points"), Some(-2.0));
    assert_eq!(s.value(), 0.0);
}

#[test]
fn frequency_and_funnel_counts() {
    let s = score(vec![
        ev("demo_request", 2),
        ev("case_study_view", 5),
        ev("ebook_download", 29),
        ev("whitepaper_download", 31),
        with_source(ev("review_site_visit", 10), Source::ThirdParty),
    ]);
    assert_eq!(num(&s, "bottom_funnel_events"), Some(1.0));
    assert_eq!(num(&s, "mid_funnel_events"), Some(1.0));
    assert_eq!(num(&s, "top_funnel_events"), Some(2.0));
    assert_eq!(num(&s, "third_party_signals"), Some(1.0));
    assert_eq!(num(&s, "content_downloads"), Some(2.0));
    assert_eq!(num(&s, "recent_events_30d"), Some(4.0));
    let r = s.reason_by_code("intent.frequency").expect("r");
    assert_eq!(r.message, "4 events in the last 30 days");
    assert_eq!(r.events, vec![0, 1, 2, 4]);
    // Reasons: bottom funnel first, then by points (whitepaper 2.44 > ebook 2.05).
    assert_eq!(
        reason_codes(&s)[..5],
        [
            "intent.bottom_funnel.demo_request",
            "intent.mid_funnel.case_study_view",
            "intent.top_funnel.whitepaper_download",
            "intent.top_funnel.ebook_download",
            "intent.third_party.review_site_visit",
        ]
    );
    assert!((s.total_points() - s.value()).abs() < 1e-9);
}

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (r#"{"half_life_days":0}"#, "half_life_days"),
        (r#"{"max_age_days":-1}"#, "max_age_days"),
        (r#"{"bottom_funnel_window_days":0}"#, "bottom_funnel_window_days"),
        (r#"{"bottom_funnel_window_days":400}"#, "bottom_funnel_window_days"),
        (r#"{"max_age_days":60,"bottom_funnel_window_days":90}"#, "bottom_funnel_window_days"),
        (r#"{"third_party_multiplier":1.5}"#, "third_party_multiplier"),
        (r#"{"default_type_cap":0}"#, "default_type_cap"),
        (r#"{"negative_response_points":3}"#, "negative_response_points"),
        (r#"{"stage_caps":{"top_funnel":150}}"#, "stage_caps.top_funnel"),
        (r#"{"points":{"unsubscribe":5}}"#, "points.unsubscribe"),
        (r#"{"points":{"blog_view":-1}}"#, "points.blog_view"),
        (r#"{"points":{"demo_request":500}}"#, "points.demo_request"),
        (r#"{"custom_points":{"demo_request":10}}"#, "custom_points.demo_request"),
        (r#"{"custom_points":{"Partner Webinar":10}}"#, "custom_points.Partner Webinar"),
        (r#"{"type_caps":{"nope":10}}"#, "type_caps.nope"),
        (r#"{"type_caps":{"unsubscribe":10}}"#, "type_caps.unsubscribe"),
        (r#"{"type_caps":{"blog_view":-1}}"#, "type_caps.blog_view"),
        (r#"{"mid_funnel_types":["demo_request"]}"#, "mid_funnel_types[0]"),
        (r#"{"top_funnel_types":["blog_view","podcast_listen"]}"#, "top_funnel_types[1]"),
        (r#"{"content_download_types":["ebook"]}"#, "content_download_types[0]"),
        (r#"{"negative_types":["hard_bounce","spam_complaint"]}"#, "points.unsubscribe"),
        (
            r#"{"negative_types":["unsubscribe","hard_bounce","spam_complaint","email_open"]}"#,
            "negative_types[3]",
        ),
        (
            r#"{"top_funnel_types":["blog_view"],"negative_types":["unsubscribe","hard_bounce","spam_complaint","email_open"]}"#,
            "points.email_open",
        ),
        (r#"{"half_life_days":"a month"}"#, "half_life_days"),
    ];
    for (config, key) in cases {
        let e = config_error(config);
        assert_eq!(e.key, key, "{config}: {e}");
        assert!(!e.message.is_empty());
    }
    let e = config_error(r#"{"points":{"demo_requests":40}}"#);
    assert!(e.message.contains("demo_requests"), "{e}");
}

#[test]
fn points_overrides_keep_the_other_defaults() {
    let h = harness(r#"{"points":{"demo_request":50}}"#);
    let s = score_with(&h, vec![ev("demo_request", 0), ev("pricing_page_view", 0)]);
    assert_eq!(points(&s, "intent.bottom_funnel.demo_request"), 50.0);
    assert_eq!(points(&s, "intent.bottom_funnel.pricing_page_view"), 15.0);
}

#[test]
fn scoring_is_deterministic() {
    let h = harness("{}");
    let events = vec![
        ev("blog_view", 3),
        ev("demo_request", 12),
        with_source(ev("keyword_research", 1), Source::ThirdParty),
        ev("unsubscribe", 2),
        ev("mystery", 4),
        ev("blog_view", 400),
    ];
    let a = score_with(&h, events.clone());
    let b = score_with(&h, events);
    assert_eq!(a, b);
}

#[test]
fn reasons_do_not_depend_on_the_order_events_came_in() {
    let h = harness("{}");
    let events = vec![
        ev("blog_view", 3),
        ev("mystery_b", 4),
        ev("demo_request", 12),
        ev("newsletter_signup", 3),
        ev("hard_bounce", 9),
        with_source(ev("keyword_research", 1), Source::ThirdParty),
        ev("mystery_a", 4),
        ev("unsubscribe", 2),
        ev("pricing_page_view", 2),
        ev("blog_view", 5),
        ev("webinar_attended", 6),
    ];
    let n = u32::try_from(events.len()).expect("few");
    let forward = score_with(&h, events.clone());
    let backward = score_with(&h, events.into_iter().rev().collect());
    let read = |s: &Score, mirrored: bool| -> Vec<(String, String, f64, Vec<u32>)> {
        s.reasons()
            .iter()
            .map(|r| {
                let mut cited: Vec<u32> =
                    r.events.iter().map(|&i| if mirrored { n - 1 - i } else { i }).collect();
                cited.sort_unstable();
                (r.code.to_string(), r.message.to_string(), r.points, cited)
            })
            .collect()
    };
    assert_eq!(read(&forward, false), read(&backward, true));
    assert_eq!(codes(&forward), codes(&backward));
    assert_eq!(forward.value(), backward.value());
}

#[test]
fn abi_path_returns_the_same_score() {
    let h = harness(r#"{"half_life_days":14,"custom_points":{"partner_webinar":9}}"#);
    let mut negative = ev("campaign_response", 1);
    negative.response = Response::Negative;
    let cases = [
        Vec::new(),
        vec![ev("demo_request", 1), ev("blog_view", 3), ev("partner_webinar", 2)],
        vec![
            with_source(ev("competitor_site_visit", 4), Source::ThirdParty),
            ev("spam_complaint", 9),
            negative,
            ev("ebook_download", 500),
            EventRecord::new("quote_request", AS_OF + MS_PER_DAY),
        ],
    ];
    for events in cases {
        let record = lead(events);
        let direct = h.score(&record, AS_OF).expect("direct");
        let via_abi = h.score_via_abi(crate::hql_scorer_descriptor, &record, AS_OF).expect("abi");
        assert_eq!(direct, via_abi);
    }
}

#[test]
fn emitted_facts_and_codes_are_declared() {
    use hql_plugin_api::Scorer;
    let s = score(vec![
        ev("demo_request", 1),
        ev("unsubscribe", 1),
        ev("hard_bounce", 1),
        ev("spam_complaint", 1),
    ]);
    assert_eq!(s.facts().len(), IntentScorer::FACTS.len());
    for fact in s.facts() {
        let spec = IntentScorer::FACTS.iter().find(|f| f.name == fact.name).expect("declared fact");
        assert_eq!(spec.kind, fact.value.kind(), "{}", fact.name);
    }
    assert_eq!(codes(&s).len(), 3);
    for d in s.disqualifiers() {
        assert!(IntentScorer::DISQUALIFIERS.iter().any(|c| c.code == d.code), "{}", d.code);
    }
    assert!(s.reasons().iter().all(|r| r.code.starts_with("intent.")));
}
