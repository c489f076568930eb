//! Prometheus metrics, end to end: the real `hqld` with the bundled plugins
//! and `--metrics-listen 127.0.0.1:0`, real gRPC calls, and a plain HTTP
//! scrape of `GET /metrics`, as Prometheus does it.
//!
//! Each assertion names a series by its exact label set and checks its exact
//! value, so a renamed label, a label too many, or a call counted twice
//! fails here: these names are what dashboards and alerts are written
//! against (go-grpc-prometheus for `grpc_server_*`, docs/operations.md for
//! `hql_*`).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use hql_tests::scrape::scrape;
use hql_tests::{AS_OF_MS, Hqld, PluginDir, default_policy, hql_lead, mql_lead, pb, serve_args, sql_lead};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// The qualification service's labels for `method` (all its unary RPCs).
fn unary(method: &str) -> Vec<(&'static str, String)> {
    vec![
        ("grpc_type", "unary".to_string()),
        ("grpc_service", "hql.v1.LeadQualificationService".to_string()),
        ("grpc_method", method.to_string()),
    ]
}

/// `labels` plus `grpc_code`.
fn with_code(mut labels: Vec<(&'static str, String)>, code: &str) -> Vec<(&'static str, String)> {
    labels.push(("grpc_code", code.to_string()));
    labels
}

/// The label value of a decision's stage (`HQL`), from its proto enum.
fn stage_label(stage: i32) -> String {
    let stage = pb::Stage::try_from(stage).expect("a known stage");
    stage.as_str_name().trim_start_matches("STAGE_").to_string()
}

/// hqld on the default policy and bundled plugins, metrics on a free port.
fn serve() -> (PluginDir, Hqld, SocketAddr) {
    let plugins = PluginDir::bundled();
    let mut args = serve_args(&default_policy(), plugins.path());
    args.extend(["--metrics-listen", "127.0.0.1:0"].map(Into::into));
    let server = Hqld::start(args);
    let metrics = server.metrics_addr();
    (plugins, server, metrics)
}

#[tokio::test]
async fn the_metrics_line_follows_the_listening_line() {
    let (_plugins, server, metrics) = serve();
    assert_ne!(metrics.port(), 0, "the real port, not the one asked for");
    assert_ne!(metrics, server.addr());
    assert_eq!(server.stdout(), format!("hqld listening on {}\nhqld metrics on {metrics}\n", server.addr()));
}

#[tokio::test]
async fn calls_decisions_and_scorers_are_counted() {
    let (_plugins, server, metrics) = serve();

    let decided = server.qualify(hql_lead("metrics-1", AS_OF_MS).qualify_request(AS_OF_MS)).await;
    let refused = server.client().await.qualify(sql_lead("", AS_OF_MS).qualify_request(AS_OF_MS)).await;
    assert_eq!(refused.expect_err("a lead without an id is refused").code(), Code::InvalidArgument);
    let explained = server.explain(mql_lead("metrics-2", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let explained = explained.decision.expect("an explanation carries its decision");
    let channel = tonic::transport::Endpoint::from_shared(server.url()).expect("url").connect().await;
    let health = HealthClient::new(channel.expect("connects"))
        .check(HealthCheckRequest { service: String::new() })
        .await
        .expect("health answers");
    assert_eq!(health.into_inner().status, 1, "SERVING");

    let m = tokio::task::spawn_blocking(move || scrape(metrics)).await.expect("scrape");

    // Calls, as go-grpc-prometheus counts them.
    assert_eq!(m.value("grpc_server_started_total", &unary("Qualify")), 2.0, "{}", m.text);
    assert_eq!(m.value("grpc_server_handled_total", &with_code(unary("Qualify"), "OK")), 1.0);
    assert_eq!(m.value("grpc_server_handled_total", &with_code(unary("Qualify"), "InvalidArgument")), 1.0);
    assert_eq!(m.value("grpc_server_msg_received_total", &unary("Qualify")), 2.0);
    assert_eq!(m.value("grpc_server_msg_sent_total", &unary("Qualify")), 1.0, "no message with an error");
    assert_eq!(m.value("grpc_server_handling_seconds_count", &unary("Qualify")), 2.0);
    let mut inf = unary("Qualify");
    inf.push(("le", "+Inf".to_string()));
    assert_eq!(m.value("grpc_server_handling_seconds_bucket", &inf), 2.0);
    // Buckets fine enough for a millisecond objective, and Prometheus'
    // defaults still there for dashboards written for go-grpc-prometheus.
    for le in ["0.0001", "0.001", "0.005", "10"] {
        let mut bucket = unary("Qualify");
        bucket.push(("le", le.to_string()));
        let counted = m.value("grpc_server_handling_seconds_bucket", &bucket);
        assert!((0.0..=2.0).contains(&counted), "le={le}: {counted}\n{}", m.text);
    }
    assert_eq!(m.value("grpc_server_started_total", &unary("Explain")), 1.0);
    assert_eq!(m.value("grpc_server_handled_total", &with_code(unary("Explain"), "OK")), 1.0);
    let check = vec![
        ("grpc_type", "unary".to_string()),
        ("grpc_service", "grpc.health.v1.Health".to_string()),
        ("grpc_method", "Check".to_string()),
    ];
    assert_eq!(m.value("grpc_server_handled_total", &with_code(check, "OK")), 1.0);
    // Nothing else was called, nothing else counted: 2 Qualify, 1 Explain, 1 Check.
    let handled: f64 = m.named("grpc_server_handled_total").iter().map(|s| s.value).sum();
    assert_eq!(handled, 4.0, "{:#?}", m.named("grpc_server_handled_total"));

    // Decisions: the refused call decided nothing; Explain decided once.
    let mut by_stage: BTreeMap<String, f64> =
        ["DISQUALIFIED", "UNQUALIFIED", "MQL", "SQL", "PQL", "HQL"].map(|s| (s.to_string(), 0.0)).into();
    *by_stage.get_mut(&stage_label(decided.stage)).expect("a stage") += 1.0;
    *by_stage.get_mut(&stage_label(explained.stage)).expect("a stage") += 1.0;
    for (stage, expected) in &by_stage {
        assert_eq!(m.value("hql_decisions_total", &[("stage", stage.clone())]), *expected, "{stage}");
    }
    assert_eq!(m.named("hql_decisions_total").len(), 6, "one series per stage");
    assert_eq!(m.value("hql_decisions_degraded_total", &[]), 0.0);

    // Every scorer ran for both decisions, and none failed.
    let scorers = server.client().await.list_scorers(pb::ListScorersRequest {}).await.expect("ListScorers");
    let scorers = scorers.into_inner().scorers;
    let mut ids: Vec<&str> = scorers.iter().map(|s| s.name.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["bant", "icp_fit", "intent", "product_usage", "trust_nurture"]);
    for scorer in &scorers {
        let id = [("scorer", scorer.name.clone())];
        assert_eq!(m.value("hql_scorer_duration_seconds_count", &id), 2.0, "{}", scorer.name);
        let inf = [("scorer", scorer.name.clone()), ("le", "+Inf".to_string())];
        assert_eq!(m.value("hql_scorer_duration_seconds_bucket", &inf), 2.0);
        for reason in ["error", "panic", "invalid_output"] {
            let labels = [("scorer", scorer.name.clone()), ("reason", reason.to_string())];
            assert_eq!(m.value("hql_scorer_failures_total", &labels), 0.0, "{} {reason}", scorer.name);
        }
        let info = [
            ("scorer", scorer.name.clone()),
            ("plugin", scorer.plugin.clone()),
            ("version", scorer.version.clone()),
            ("sha256", scorer.library_sha256.clone()),
        ];
        assert_eq!(m.value("hql_scorer_info", &info), 1.0);
        assert_eq!(scorer.library_sha256.len(), 64, "{}", scorer.name);
    }

    // What is running: the policy every decision names, and this build.
    let policy = decided.policy.expect("a decision names its policy");
    let info = [("name", policy.name), ("version", policy.version), ("digest", policy.digest)];
    assert_eq!(m.value("hql_policy_info", &info), 1.0);
    assert_eq!(m.value("hql_build_info", &[("version", env!("CARGO_PKG_VERSION").to_string())]), 1.0);

    // Every metric says what it is.
    for name in [
        "grpc_server_started_total",
        "grpc_server_handled_total",
        "grpc_server_handling_seconds",
        "grpc_server_msg_received_total",
        "grpc_server_msg_sent_total",
        "hql_decisions_total",
        "hql_decisions_degraded_total",
        "hql_scorer_duration_seconds",
        "hql_scorer_failures_total",
        "hql_policy_info",
        "hql_build_info",
        "hql_scorer_info",
    ] {
        assert!(m.text.contains(&format!("# HELP {name} ")), "no HELP for {name}");
        assert!(m.text.contains(&format!("# TYPE {name} ")), "no TYPE for {name}");
    }
}

#[tokio::test]
async fn every_scorers_latency_reads_zero_before_the_first_decision() {
    // Registered when the policy loads, so a rate or an alert on them works
    // from the first scrape.
    let (_plugins, _server, metrics) = serve();
    let m = tokio::task::spawn_blocking(move || scrape(metrics)).await.expect("scrape");
    for scorer in ["bant", "icp_fit", "intent", "product_usage", "trust_nurture"] {
        let id = [("scorer", scorer.to_string())];
        assert_eq!(m.value("hql_scorer_duration_seconds_count", &id), 0.0, "{scorer}\n{}", m.text);
        let inf = [("scorer", scorer.to_string()), ("le", "+Inf".to_string())];
        assert_eq!(m.value("hql_scorer_duration_seconds_bucket", &inf), 0.0, "{scorer}");
    }
    assert!(m.text.contains("# TYPE hql_scorer_duration_seconds histogram"), "{}", m.text);
}

#[tokio::test]
async fn only_get_metrics_is_served() {
    let (_plugins, _server, metrics) = serve();
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(metrics).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).expect("read timeout");
        write!(stream, "GET / HTTP/1.1\r\nHost: {metrics}\r\nConnection: close\r\n\r\n").expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
    })
    .await
    .expect("request");
    assert!(answer.starts_with("HTTP/1.1 404 Not Found\r\n"), "{answer}");
}

#[tokio::test]
async fn metrics_off_serves_none_and_prints_no_metrics_line() {
    let plugins = PluginDir::bundled();
    let mut args = serve_args(&default_policy(), plugins.path());
    args.extend(["--metrics-listen", "off"].map(Into::into));
    let mut server = Hqld::start(args);
    // Still serving gRPC.
    server.qualify(hql_lead("metrics-off", AS_OF_MS).qualify_request(AS_OF_MS)).await;
    // Off the runtime, so it can close the client's connection while hqld drains.
    let (status, server) =
        tokio::task::spawn_blocking(move || (server.terminate(Duration::from_secs(30)), server))
            .await
            .expect("terminate");
    assert!(status.success(), "{status}");
    assert_eq!(server.stdout(), format!("hqld listening on {}\n", server.addr()));
    assert!(server.stderr().contains("metrics off"), "{}", server.stderr());
}

#[test]
fn a_taken_metrics_port_stops_hqld_before_it_listens() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let plugins = PluginDir::bundled();
    let mut args = serve_args(&default_policy(), plugins.path());
    args.extend(["--metrics-listen".into(), addr.clone().into()]);
    let (status, stdout, stderr) = hql_tests::run_hqld_to_exit(args, Duration::from_secs(60));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "", "nothing announced");
    assert!(stderr.contains(&format!("hqld: cannot serve metrics on {addr}")), "{stderr}");
}
