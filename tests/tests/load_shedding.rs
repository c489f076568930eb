//! Load shedding, end to end: with `--max-concurrent-requests 2`, two open
//! QualifyStream calls hold both slots, and every further decision call
//! (Qualify, QualifyBatch, Explain, another stream) is refused at once with
//! RESOURCE_EXHAUSTED, while ListScorers and health checks still answer.
//! Closing a stream frees its slot and calls are served again.
//!
//! Deterministic by construction: a stream holds its slot from its first
//! answer to its end, and the test decides when it ends; nothing depends on
//! how fast a decision is. The refusals are counted in
//! `hql_requests_shed_total`, the slots taken in `hql_requests_in_flight`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use hql_proto::pb::lead_qualification_service_client::LeadQualificationServiceClient;
use hql_tests::{AS_OF_MS, Hqld, PluginDir, default_policy, pb, serve_args, sql_lead, ts};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// An open QualifyStream that has answered its first lead: it holds a slot
/// until dropped.
struct OpenStream {
    sender: mpsc::Sender<pb::QualifyStreamRequest>,
    responses: tonic::Streaming<pb::QualifyStreamResponse>,
}

impl OpenStream {
    async fn open(client: &mut LeadQualificationServiceClient<Channel>, name: &str) -> OpenStream {
        let (sender, receiver) = mpsc::channel(4);
        let lead = sql_lead(name, AS_OF_MS).build();
        sender
            .send(pb::QualifyStreamRequest { lead: Some(lead), as_of: Some(ts(AS_OF_MS)) })
            .await
            .expect("send");
        let mut responses = client
            .qualify_stream(ReceiverStream::new(receiver))
            .await
            .expect("the stream is admitted")
            .into_inner();
        let first = responses.message().await.expect("an answer").expect("one message");
        assert_eq!(first.index, 0);
        OpenStream { sender, responses }
    }

    /// Ends the stream from the client side and reads it to its end.
    async fn close(self) {
        let OpenStream { sender, mut responses } = self;
        drop(sender);
        while responses.message().await.expect("ends cleanly").is_some() {}
    }
}

/// The value of the sample `series` (name and labels, as printed) in a
/// scrape of `server`'s `/metrics`, if it is there.
fn sample(server: &Hqld, series: &str) -> Option<f64> {
    let mut stream = TcpStream::connect(server.metrics_addr()).expect("connect to /metrics");
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: hqld\r\nConnection: close\r\n\r\n").expect("request");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read the scrape");
    text.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .map(|value| value.trim().parse().expect("a number"))
}

/// [`sample`], 0 when absent.
fn metric(server: &Hqld, series: &str) -> f64 {
    sample(server, series).unwrap_or(0.0)
}

fn qualify_request(name: &str) -> pb::QualifyRequest {
    sql_lead(name, AS_OF_MS).qualify_request(AS_OF_MS)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_limit_decision_calls_are_refused_at_once_and_the_rest_is_served() {
    let plugins = PluginDir::bundled();
    let mut args = serve_args(&default_policy(), plugins.path());
    args.extend(["--max-concurrent-requests".into(), "2".into()]);
    let server = Hqld::start(args);
    let mut client = server.client().await;

    let first = OpenStream::open(&mut client, "held-1").await;
    let second = OpenStream::open(&mut client, "held-2").await;
    assert_eq!(metric(&server, "hql_requests_in_flight"), 2.0);

    let status = client.qualify(qualify_request("shed")).await.expect_err("shed");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(
        status.message(),
        "hqld is at its limit of 2 concurrent qualification calls (limits.max_concurrent_requests); \
         retry with backoff, or on another replica"
    );
    let batch =
        pb::QualifyBatchRequest { leads: vec![sql_lead("b", AS_OF_MS).build()], as_of: Some(ts(AS_OF_MS)) };
    assert_eq!(client.qualify_batch(batch).await.expect_err("shed").code(), Code::ResourceExhausted);
    let explain = sql_lead("e", AS_OF_MS).explain_request(AS_OF_MS);
    assert_eq!(client.explain(explain).await.expect_err("shed").code(), Code::ResourceExhausted);
    let (_tx, rx) = mpsc::channel::<pb::QualifyStreamRequest>(1);
    let third = client.qualify_stream(ReceiverStream::new(rx)).await.expect_err("shed");
    assert_eq!(third.code(), Code::ResourceExhausted);

    // What is not a decision is never shed.
    let scorers = client.list_scorers(pb::ListScorersRequest {}).await.expect("ListScorers answers");
    assert!(!scorers.into_inner().scorers.is_empty());
    let channel = Channel::from_shared(server.url()).expect("url").connect().await.expect("connect");
    let health = HealthClient::new(channel)
        .check(HealthCheckRequest { service: "hql.v1.LeadQualificationService".into() })
        .await
        .expect("health answers");
    assert_eq!(health.into_inner().status, 1, "SERVING");

    assert_eq!(metric(&server, r#"hql_requests_shed_total{grpc_method="Qualify"}"#), 1.0);
    assert_eq!(metric(&server, r#"hql_requests_shed_total{grpc_method="QualifyBatch"}"#), 1.0);
    assert_eq!(metric(&server, r#"hql_requests_shed_total{grpc_method="Explain"}"#), 1.0);
    assert_eq!(metric(&server, r#"hql_requests_shed_total{grpc_method="QualifyStream"}"#), 1.0);
    let handled = r#"grpc_server_handled_total{grpc_type="unary",grpc_service="hql.v1.LeadQualificationService",grpc_method="Qualify",grpc_code="ResourceExhausted"}"#;
    assert_eq!(metric(&server, handled), 1.0);

    // A slot freed is a call served. The slot is released when the server
    // drops the stream's response, just after the client saw it end.
    first.close().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match client.qualify(qualify_request("after")).await {
            Ok(answer) => {
                assert!(answer.into_inner().decision.is_some());
                break;
            }
            Err(status) if status.code() == Code::ResourceExhausted && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(status) => panic!("a freed slot did not serve the call: {status:?}"),
        }
    }
    second.close().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while metric(&server, "hql_requests_in_flight") != 0.0 {
        assert!(Instant::now() < deadline, "slots were not released");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_series_exist_at_zero_from_the_start() {
    let plugins = PluginDir::bundled();
    let server = Hqld::serve(&default_policy(), plugins.path());
    server.qualify(qualify_request("one")).await;
    for method in ["Qualify", "QualifyBatch", "QualifyStream", "Explain"] {
        let series = format!(r#"hql_requests_shed_total{{grpc_method="{method}"}}"#);
        assert_eq!(sample(&server, &series), Some(0.0), "{series}");
    }
    assert_eq!(sample(&server, "hql_requests_in_flight"), Some(0.0));
}
