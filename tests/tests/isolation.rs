//! Containment of slow and repeatedly failing scorers, end to end: the real
//! `hqld` with the bundled plugins plus the misbehaving fixture
//! (`hql_test_panicking`, which sleeps on lead ids `slow-<ms>…` and fails on
//! `fail…`) as an optional scorer `flaky` with tight `[scorer.isolation]`
//! limits.
//!
//! - A call over its time budget is TIMED_OUT: output discarded, decision
//!   degraded, counted as `reason="timeout"`; the next call is normal.
//! - Consecutive failures open the circuit breaker: the scorer is SKIPPED
//!   (not called) with the reason in the decision, Explain and ListScorers;
//!   after the cool-down one trial call closes it again. Metrics follow.
//! - A call running past `stuck_after` turns health NOT_SERVING (both the
//!   server and the service) while other requests are still answered, and
//!   SERVING again once it returns.
//!
//! Time margins are wide (budgets of 100 ms against sleeps of 400 ms or
//! more), so a loaded machine slows these tests down without failing them.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hql_tests::scrape::scrape;
use hql_tests::{
    AS_OF_MS, Hqld, PANICKING_PLUGIN, PluginDir, default_policy_with, pb, plugin_path, serve_args, sql_lead,
    write_policy,
};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const SERVICE: &str = "hql.v1.LeadQualificationService";

struct Served {
    _plugins: PluginDir,
    _dir: tempfile::TempDir,
    server: Hqld,
    metrics: SocketAddr,
}

/// The default policy plus `flaky` with `isolation` as its
/// `[scorer.isolation]` table; metrics on a free port.
fn serve(isolation: &str) -> Served {
    let plugins = PluginDir::bundled();
    plugins.add(plugin_path(PANICKING_PLUGIN));
    let dir = tempfile::tempdir().expect("tempdir");
    let block = format!(
        "[[scorer]]\nid = \"flaky\"\nlibrary = \"hql_test_panicking\"\nweight = 0.10\n\
         dimension = \"engagement\"\n[scorer.isolation]\n{isolation}\n"
    );
    let policy = write_policy(dir.path(), &default_policy_with(&block));
    let mut args = serve_args(&policy, plugins.path());
    args.extend(["--metrics-listen", "127.0.0.1:0"].map(Into::into));
    let server = Hqld::start(args);
    let metrics = server.metrics_addr();
    Served { _plugins: plugins, _dir: dir, server, metrics }
}

fn decision(e: &pb::Explanation) -> &pb::Decision {
    e.decision.as_ref().expect("a decision")
}

fn flaky(d: &pb::Decision) -> &pb::ScorerSummary {
    d.scorers.iter().find(|s| s.name == "flaky").expect("scorer flaky")
}

async fn explain(server: &Hqld, lead_id: &str) -> pb::Explanation {
    server.explain(sql_lead(lead_id, AS_OF_MS).explain_request(AS_OF_MS)).await
}

async fn metric(metrics: SocketAddr, name: &str, labels: &[(&'static str, &str)]) -> f64 {
    let labels: Vec<(&'static str, String)> = labels.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let name = name.to_string();
    tokio::task::spawn_blocking(move || scrape(metrics).value(&name, &labels)).await.expect("scrape")
}

async fn breaker_open(server: &Hqld) -> bool {
    let listed = server.client().await.list_scorers(pb::ListScorersRequest {}).await.expect("ListScorers");
    listed.into_inner().scorers.iter().find(|s| s.name == "flaky").expect("flaky listed").breaker_open
}

#[tokio::test]
async fn a_call_over_its_time_budget_is_timed_out_and_its_output_discarded() {
    let s = serve("time_budget_ms = 100\nbreaker_failures = 0");
    let slow = explain(&s.server, "slow-400-ana").await;
    let d = decision(&slow);
    let f = flaky(d);
    assert_eq!(f.status(), pb::ScorerStatus::TimedOut);
    assert_eq!((f.score, f.contribution), (0.0, 0.0), "output discarded");
    assert!(f.error.contains("over its time budget of 100.000 ms"), "{}", f.error);
    assert!(d.degraded);
    assert_eq!(d.stage(), pb::Stage::Sql, "an optional scorer timing out does not change the stage");
    let trail = slow.scorers.iter().find(|t| t.summary.as_ref().is_some_and(|s| s.name == "flaky"));
    assert!(trail.expect("flaky's trail").reasons.is_empty(), "no reasons from discarded output");
    assert!(
        slow.warnings.iter().any(|w| w.starts_with("scorer `flaky` timed out: took")),
        "{:?}",
        slow.warnings
    );
    assert!(slow.text.contains("TIMED OUT"), "{}", slow.text);

    let fast = explain(&s.server, "ana").await;
    assert_eq!(flaky(decision(&fast)).status(), pb::ScorerStatus::Ok, "the next call is judged on its own");
    assert!(!decision(&fast).degraded);

    let timeouts = [("scorer", "flaky"), ("reason", "timeout")];
    assert_eq!(metric(s.metrics, "hql_scorer_failures_total", &timeouts).await, 1.0);
    let listed = s.server.client().await.list_scorers(pb::ListScorersRequest {}).await.expect("ListScorers");
    let info = listed.into_inner().scorers.into_iter().find(|i| i.name == "flaky").expect("flaky");
    assert_eq!(info.time_budget_ms, 100.0);
}

#[tokio::test]
async fn consecutive_failures_open_the_breaker_and_a_trial_after_the_cool_down_closes_it() {
    let s = serve("breaker_failures = 3\nbreaker_cool_down_ms = 1500");
    let scorer = [("scorer", "flaky")];
    assert_eq!(metric(s.metrics, "hql_scorer_breaker_open", &scorer).await, 0.0);

    for i in 0..3 {
        let e = explain(&s.server, &format!("fail-{i}")).await;
        assert_eq!(flaky(decision(&e)).status(), pb::ScorerStatus::Failed, "failure {i} is still called");
    }
    assert!(breaker_open(&s.server).await);
    assert_eq!(metric(s.metrics, "hql_scorer_breaker_open", &scorer).await, 1.0);
    assert_eq!(metric(s.metrics, "hql_scorer_breaker_opened_total", &scorer).await, 1.0);

    // A lead the scorer would score fine is not even offered to it.
    let skipped = explain(&s.server, "ana").await;
    let f = flaky(decision(&skipped));
    assert_eq!(f.status(), pb::ScorerStatus::Skipped);
    assert!(
        f.error.contains("circuit breaker open after 3 consecutive failures or time-outs"),
        "{}",
        f.error
    );
    assert!(decision(&skipped).degraded);
    assert_eq!(decision(&skipped).stage(), pb::Stage::Sql, "the other scorers decide as usual");
    assert!(skipped.warnings.iter().any(|w| w.starts_with("scorer `flaky` skipped: circuit breaker open")));
    assert!(skipped.text.contains("SKIPPED"), "{}", skipped.text);
    let calls = metric(s.metrics, "hql_scorer_duration_seconds_count", &scorer).await;
    assert_eq!(metric(s.metrics, "hql_scorer_skipped_total", &scorer).await, 1.0);

    // After the cool-down, one trial call; it succeeds and closes the breaker.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let trial = explain(&s.server, "ana").await;
    assert_eq!(flaky(decision(&trial)).status(), pb::ScorerStatus::Ok);
    assert!(!decision(&trial).degraded);
    assert!(!breaker_open(&s.server).await);
    assert_eq!(metric(s.metrics, "hql_scorer_breaker_open", &scorer).await, 0.0);
    assert_eq!(
        metric(s.metrics, "hql_scorer_duration_seconds_count", &scorer).await,
        calls + 1.0,
        "the skipped call never reached the scorer; the trial did"
    );
}

#[tokio::test]
async fn a_failed_trial_keeps_the_breaker_open() {
    let s = serve("breaker_failures = 1\nbreaker_cool_down_ms = 800");
    let first = explain(&s.server, "fail-first").await;
    assert_eq!(flaky(decision(&first)).status(), pb::ScorerStatus::Failed);
    assert_eq!(flaky(decision(&explain(&s.server, "ana").await)).status(), pb::ScorerStatus::Skipped);
    tokio::time::sleep(Duration::from_millis(900)).await;
    let trial = explain(&s.server, "fail-trial").await;
    assert_eq!(flaky(decision(&trial)).status(), pb::ScorerStatus::Failed, "the trial call runs");
    assert_eq!(
        flaky(decision(&explain(&s.server, "ana").await)).status(),
        pb::ScorerStatus::Skipped,
        "and its failure re-opens the breaker for another cool-down"
    );
    assert!(breaker_open(&s.server).await);
    assert_eq!(metric(s.metrics, "hql_scorer_breaker_opened_total", &[("scorer", "flaky")]).await, 1.0);
}

async fn health(server: &Hqld, service: &str) -> ServingStatus {
    let channel = tonic::transport::Endpoint::from_shared(server.url()).expect("url").connect().await;
    HealthClient::new(channel.expect("connects"))
        .check(HealthCheckRequest { service: service.into() })
        .await
        .expect("health check")
        .into_inner()
        .status()
}

/// Polls until both health entries read `want`, for at most 10 s.
async fn wait_for_health(server: &Hqld, want: ServingStatus) {
    let started = Instant::now();
    loop {
        if health(server, "").await == want && health(server, SERVICE).await == want {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "health never became {want:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_stuck_call_turns_health_not_serving_until_it_returns() {
    let s = serve("time_budget_ms = 100\nstuck_after_ms = 300\nbreaker_failures = 0");
    wait_for_health(&s.server, ServingStatus::Serving).await;

    let mut client = s.server.client().await;
    let stuck = tokio::spawn(async move {
        client.qualify(sql_lead("slow-3000-stuck", AS_OF_MS).qualify_request(AS_OF_MS)).await
    });
    wait_for_health(&s.server, ServingStatus::NotServing).await;
    assert_eq!(metric(s.metrics, "hql_scorer_calls_stuck", &[("scorer", "flaky")]).await, 1.0);
    assert!(
        s.server.wait_for_stderr("scorer call stuck", Duration::from_secs(5)),
        "the watchdog names the scorer in the log:\n{}",
        s.server.stderr()
    );

    // The process still answers on its other threads.
    let meanwhile = s.server.qualify(sql_lead("ana", AS_OF_MS).qualify_request(AS_OF_MS)).await;
    assert_eq!(flaky(&meanwhile).status(), pb::ScorerStatus::Ok);

    let late = stuck.await.expect("join").expect("the stuck call is answered when it returns").into_inner();
    assert_eq!(flaky(late.decision.as_ref().expect("a decision")).status(), pb::ScorerStatus::TimedOut);
    wait_for_health(&s.server, ServingStatus::Serving).await;
    assert_eq!(metric(s.metrics, "hql_scorer_calls_stuck", &[("scorer", "flaky")]).await, 0.0);
}
