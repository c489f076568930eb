//! QualifyBatch calls beyond two per decision thread wait, their request
//! still unread, and are all answered in the end.
//!
//! `hqld` with one decision thread and the slow fixture scorer: four batch
//! calls of one slow lead each (400 ms) arrive together. One is decided, one
//! is read and waits for the thread, and the other two wait before being
//! read, counted by `hql_batch_calls_waiting`; the gauge falls as calls are
//! answered and every call gets its decision. Time only sets how long the
//! gauge holds its value (400 ms per step, polled every 10 ms), so a loaded
//! machine slows the test down without failing it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hql_tests::scrape::scrape;
use hql_tests::{
    AS_OF_MS, Hqld, PANICKING_PLUGIN, PluginDir, default_policy_with, pb, plugin_path, serve_args, sql_lead,
    ts, write_policy,
};

const WAITING: &str = "hql_batch_calls_waiting";

async fn gauge(metrics: SocketAddr) -> f64 {
    tokio::task::spawn_blocking(move || scrape(metrics).value(WAITING, &[])).await.expect("scrape")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_calls_past_two_per_decision_thread_wait_unread_and_are_all_answered() {
    let plugins = PluginDir::bundled();
    plugins.add(plugin_path(PANICKING_PLUGIN));
    let dir = tempfile::tempdir().expect("tempdir");
    // A budget well above the sleep: the slow calls are slow, not failed.
    let block = "[[scorer]]\nid = \"slow\"\nlibrary = \"hql_test_panicking\"\nweight = 0.10\n\
                 dimension = \"engagement\"\n[scorer.isolation]\ntime_budget_ms = 3000\n";
    let policy = write_policy(dir.path(), &default_policy_with(block));
    let mut args = serve_args(&policy, plugins.path());
    args.extend(["--metrics-listen", "127.0.0.1:0", "--decision-threads", "1"].map(Into::into));
    let server = Hqld::start(args);
    let metrics = server.metrics_addr();
    assert_eq!(gauge(metrics).await, 0.0, "the gauge exists at 0 from the start");

    let calls: Vec<_> = (0..4)
        .map(|i| {
            let url = server.url();
            tokio::spawn(async move {
                let mut client =
                    hql_proto::pb::lead_qualification_service_client::LeadQualificationServiceClient::connect(url)
                        .await
                        .expect("connect");
                let lead = sql_lead(&format!("slow-400-{i}"), AS_OF_MS).build();
                let request = pb::QualifyBatchRequest { leads: vec![lead], as_of: Some(ts(AS_OF_MS)) };
                client.qualify_batch(request).await.map(tonic::Response::into_inner)
            })
        })
        .collect();

    // Two of the four wait at the gate while the first is decided.
    let give_up = Instant::now() + Duration::from_secs(20);
    let mut most = 0.0_f64;
    while most < 2.0 && Instant::now() < give_up {
        most = most.max(gauge(metrics).await);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(most, 2.0, "two calls should wait past one deciding and one read");

    for call in calls {
        let answer = call.await.expect("the call task").expect("answered");
        let [result] = answer.results.as_slice() else { panic!("one result per lead: {answer:?}") };
        let Some(pb::qualify_batch_result::Outcome::Decision(d)) = &result.outcome else {
            panic!("a decision: {result:?}")
        };
        let slow = d.scorers.iter().find(|s| s.name == "slow").expect("the slow scorer");
        assert_eq!(slow.status(), pb::ScorerStatus::Ok, "{d:?}");
    }
    assert_eq!(gauge(metrics).await, 0.0, "nothing waits once all are answered");
}

#[tokio::test]
async fn a_batch_over_the_message_limit_is_out_of_range_and_the_server_serves_on() {
    let plugins = PluginDir::bundled();
    let mut args = serve_args(&hql_tests::default_policy(), plugins.path());
    args.extend(["--max-message-bytes", "4096"].map(Into::into));
    let server = Hqld::start(args);
    let mut client = server.client().await;
    let batch = |n: usize| pb::QualifyBatchRequest {
        leads: (0..n).map(|i| sql_lead(&format!("big-{i}"), AS_OF_MS).build()).collect(),
        as_of: Some(ts(AS_OF_MS)),
    };
    let too_big = batch(40);
    assert!(prost::Message::encoded_len(&too_big) > 4096);
    let status = client.qualify_batch(too_big).await.expect_err("over the limit");
    assert_eq!(status.code(), tonic::Code::OutOfRange, "{status:?}");
    assert_eq!(
        status.message(),
        "the request is larger than limits.max_message_bytes (4096 bytes); split the batch"
    );

    let fits = batch(1);
    assert!(prost::Message::encoded_len(&fits) < 4096);
    let answer = client.qualify_batch(fits).await.expect("a batch within the limit").into_inner();
    assert_eq!(answer.results.len(), 1);
}
