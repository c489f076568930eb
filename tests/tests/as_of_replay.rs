//! Decisions are a pure function of (lead, policy, as_of): the same request
//! replays to the same bytes and the same `decision_id`, on the same server
//! or a freshly started one; events after `as_of` are invisible (and
//! Explain says how many were ignored); without `as_of` the server's clock
//! is used and echoed back.
//!
//! Replay is what makes a decision auditable months later ("why was this
//! lead an HQL on 14 November?") and what lets a caller re-run history with
//! a new policy. It depends on every plugin reading time only from the
//! decision's `as_of`, never from a clock, which only a run through the real
//! plugin libraries can show.

use std::time::{SystemTime, UNIX_EPOCH};

use hql_tests::{AS_OF_MS, Hqld, PluginDir, days_before, default_policy, hql_lead, pb, ts};
use prost::Message;

fn serve_default(plugins: &PluginDir) -> Hqld {
    Hqld::serve(&default_policy(), plugins.path())
}

fn fact(e: &pb::Explanation, name: &str) -> Option<pb::fact::Value> {
    e.scorers.iter().flat_map(|t| &t.facts).find(|f| f.name == name).and_then(|f| f.value.clone())
}

fn now_ms() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970");
    i64::try_from(since_epoch.as_millis()).expect("fits")
}

#[tokio::test]
async fn the_same_request_replays_to_the_same_bytes_and_decision_id() {
    let plugins = PluginDir::bundled();
    let server = serve_default(&plugins);
    let request = hql_lead("dana-replay", AS_OF_MS).qualify_request(AS_OF_MS);

    let first = server.qualify(request.clone()).await;
    let second = server.qualify(request.clone()).await;
    assert_eq!(first.encode_to_vec(), second.encode_to_vec());
    assert_eq!(first.decision_id.len(), 32, "{}", first.decision_id);
    assert!(first.decision_id.chars().all(|c| c.is_ascii_hexdigit()), "{}", first.decision_id);
    assert_eq!(first.as_of, Some(ts(AS_OF_MS)), "as_of is echoed");

    // A different server process, same policy and plugin files: same bytes.
    drop(server);
    let restarted = serve_default(&plugins);
    let replayed = restarted.qualify(request).await;
    assert_eq!(replayed.encode_to_vec(), first.encode_to_vec());
}

#[tokio::test]
async fn events_after_as_of_are_ignored_and_explain_says_how_many() {
    let plugins = PluginDir::bundled();
    let server = serve_default(&plugins);
    // Dana as her record stands today, decided as of five days ago: her demo
    // request (3 days ago) and sales meeting (1 day ago) had not happened yet.
    let earlier = days_before(AS_OF_MS, 5);

    let now = server.explain(hql_lead("dana-history", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let then = server.explain(hql_lead("dana-history", AS_OF_MS).explain_request(earlier)).await;
    let (now_d, then_d) = (now.decision.as_ref().expect("now"), then.decision.as_ref().expect("then"));

    assert_eq!(now_d.stage(), pb::Stage::Hql, "{}", now.text);
    assert!(now.warnings.iter().all(|w| !w.contains("after as_of")), "{:?}", now.warnings);
    assert_eq!(then_d.as_of, Some(ts(earlier)));
    assert!(
        then.warnings.contains(
            &"2 event(s) after as_of were ignored (decisions only see the past of as_of)".to_string()
        ),
        "{:?}",
        then.warnings
    );
    // Only the pricing-page view was bottom-funnel back then.
    assert_eq!(fact(&now, "intent.bottom_funnel_events"), Some(pb::fact::Value::NumberValue(3.0)));
    assert_eq!(fact(&then, "intent.bottom_funnel_events"), Some(pb::fact::Value::NumberValue(1.0)));
    let intent = |d: &pb::Decision| d.scorers.iter().find(|s| s.name == "intent").expect("intent").score;
    assert!(intent(then_d) < 40.0 && intent(now_d) > 80.0, "{} vs {}", intent(then_d), intent(now_d));
    assert_eq!(then_d.stage(), pb::Stage::Sql, "{}", then.text);
    // Evidence still points at positions in the request as sent.
    let pricing = then
        .scorers
        .iter()
        .flat_map(|t| &t.reasons)
        .find(|r| r.code == "intent.bottom_funnel.pricing_page_view")
        .expect("the pricing-page reason");
    assert_eq!(pricing.evidence.as_ref().expect("evidence").event_indexes, [6]);
    assert_ne!(then_d.decision_id, now_d.decision_id);
}

#[tokio::test]
async fn an_event_exactly_at_as_of_is_seen_and_one_a_millisecond_later_is_not() {
    let plugins = PluginDir::bundled();
    let server = serve_default(&plugins);
    let demo_at = |at: i64| {
        hql_tests::lead("boundary")
            .event(hql_tests::event(pb::EventType::DemoRequest, at))
            .explain_request(AS_OF_MS)
    };
    let at = server.explain(demo_at(AS_OF_MS)).await;
    let after = server.explain(demo_at(AS_OF_MS + 1)).await;
    assert_eq!(fact(&at, "intent.bottom_funnel_events"), Some(pb::fact::Value::NumberValue(1.0)));
    assert!(at.warnings.iter().all(|w| !w.contains("after as_of")), "{:?}", at.warnings);
    assert_eq!(fact(&after, "intent.bottom_funnel_events"), Some(pb::fact::Value::NumberValue(0.0)));
    assert!(after.warnings.iter().any(|w| w.starts_with("1 event(s) after as_of")), "{:?}", after.warnings);
}

#[tokio::test]
async fn without_as_of_the_server_decides_as_of_its_own_clock_and_echoes_it() {
    let plugins = PluginDir::bundled();
    let server = serve_default(&plugins);
    let lead = hql_lead("dana-now", AS_OF_MS).build();

    let before = now_ms();
    let decision = server.qualify(pb::QualifyRequest { lead: Some(lead.clone()), as_of: None }).await;
    let after = now_ms();
    let echoed = decision.as_of.expect("the server's as_of is echoed");
    let echoed_ms = echoed.seconds * 1000 + i64::from(echoed.nanos / 1_000_000);
    // Same machine, same clock; a second of slack for clock granularity.
    assert!(before - 1000 <= echoed_ms && echoed_ms <= after + 1000, "{before} <= {echoed_ms} <= {after}");

    // Replaying with the echoed as_of reproduces that decision exactly.
    let replayed = server.qualify(pb::QualifyRequest { lead: Some(lead), as_of: Some(echoed) }).await;
    assert_eq!(replayed.encode_to_vec(), decision.encode_to_vec());
}

#[tokio::test]
async fn a_different_as_of_gives_a_different_decision_id() {
    let plugins = PluginDir::bundled();
    let server = serve_default(&plugins);
    let lead = || hql_lead("dana-ids", AS_OF_MS);

    let base = server.qualify(lead().qualify_request(AS_OF_MS)).await;
    let one_ms_later = server.qualify(lead().qualify_request(AS_OF_MS + 1)).await;
    let next_day = server.qualify(lead().qualify_request(AS_OF_MS + hql_tests::MS_PER_DAY)).await;
    assert_ne!(base.decision_id, one_ms_later.decision_id);
    assert_ne!(base.decision_id, next_day.decision_id);
    assert_ne!(one_ms_later.decision_id, next_day.decision_id);
    // The lead matters too: the same as_of for another lead is another id.
    let other = server.qualify(hql_lead("dana-ids-2", AS_OF_MS).qualify_request(AS_OF_MS)).await;
    assert_ne!(base.decision_id, other.decision_id);
    // Same stage throughout: the id tracks the inputs, not the outcome.
    assert_eq!(base.stage(), pb::Stage::Hql);
    assert_eq!(one_ms_later.stage(), pb::Stage::Hql);
}
