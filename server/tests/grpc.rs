//! The server end to end in process: the real [`hql_server::serve`] on
//! `127.0.0.1:0`, a real tonic client, and an engine whose scorers are
//! linked statically (the workspace's `tests` crate covers the `hqld` binary
//! with plugin libraries). One test per behaviour of the transport: field
//! paths, per-lead errors, stream order, deadlines, limits, drain.

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use hql_plugin_api::{
    Attribute, Config, ConfigError, Context, FactSpec, Lead, NativeScorer, Score, ScoreError, Scorer,
};
use hql_proto::pb;
use hql_proto::pb::lead_qualification_service_client::LeadQualificationServiceClient;
use hql_qualifier::{Engine, LoadOptions, ScorerSource};
use hql_server::{Limits, serve};
use hyper_util::rt::{TokioExecutor, TokioIo};
use prost_types::Timestamp;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;
use tonic::{Code, Request};
use tonic_types::{RpcStatusExt, StatusExt};

const AS_OF_SECONDS: i64 = 1_795_420_800;

/// 25 points per demo request.
struct Demos;

impl Scorer for Demos {
    const NAME: &'static str = "demos";
    const VERSION: &'static str = "2.0.0";
    const DIMENSION: &'static str = "engagement";
    const FACTS: &'static [FactSpec] = &[FactSpec::number("count", "demo requests")];

    fn configure(_config: &Config<'_>) -> Result<Self, ConfigError> {
        Ok(Demos)
    }

    fn score(&self, lead: &Lead<'_>, _ctx: &Context<'_>) -> Result<Score, ScoreError> {
        let n = lead.events().filter(|e| e.event_type() == "demo_request").count();
        let mut s = Score::new((n as f64 * 25.0).min(100.0));
        s.reason("demos.request", 25.0 * n as f64, "requested demos");
        s.fact("count", n);
        Ok(s)
    }
}

/// Sleeps for the lead's `sleep_ms` attribute: a slow plugin, for deadlines.
struct Slow;

impl Scorer for Slow {
    const NAME: &'static str = "slow";
    const VERSION: &'static str = "0.1.0";
    const DIMENSION: &'static str = "fit";

    fn configure(_config: &Config<'_>) -> Result<Self, ConfigError> {
        Ok(Slow)
    }

    fn score(&self, lead: &Lead<'_>, _ctx: &Context<'_>) -> Result<Score, ScoreError> {
        if let Some(Attribute::Number(ms)) = lead.attribute("sleep_ms") {
            std::thread::sleep(Duration::from_millis(ms as u64));
        }
        Ok(Score::new(50.0))
    }
}

const POLICY: &str = r#"
[policy]
name = "server-test"
version = "7"

[scoring]
top_reasons = 2
required_failure_cap = "MQL"

[[scorer]]
id = "demos"
library = "demos"
weight = 1

[[scorer]]
id = "slow"
library = "slow"
weight = 1

[[stage]]
stage = "MQL"
[[stage.gate]]
name = "total"
subject = "total"
op = ">="
value = 20

[[stage]]
stage = "SQL"
[[stage.gate]]
name = "demo"
subject = "demos.count"
op = ">="
value = 1
hint = "Offer a demo."
"#;

fn engine() -> Engine {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(POLICY.as_bytes()).expect("write policy");
    Engine::load(&LoadOptions {
        policy_path: file.path().to_path_buf(),
        scorers: ScorerSource::Static(vec![
            ("demos".to_owned(), NativeScorer::of::<Demos>()),
            ("slow".to_owned(), NativeScorer::of::<Slow>()),
        ]),
    })
    .expect("policy loads")
}

/// A server on a free port, stopped (and drained) on drop of `stop`.
struct TestServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), hql_server::ServeError>>,
}

impl TestServer {
    async fn start(limits: Limits) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, engine(), limits, async {
            let _ = stopped.await;
        }));
        TestServer { addr, stop: Some(stop), task }
    }

    async fn client(&self) -> LeadQualificationServiceClient<Channel> {
        LeadQualificationServiceClient::connect(format!("http://{}", self.addr)).await.expect("connect")
    }

    /// A client with no timer of its own, for deadline tests: tonic's
    /// `Channel` enforces `grpc-timeout` locally too and reports its own
    /// expiry as CANCELLED, which would hide what the server answered.
    async fn raw_client(&self) -> LeadQualificationServiceClient<RawH2> {
        let tcp = tokio::net::TcpStream::connect(self.addr).await.expect("connect");
        let (sender, connection) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
                .await
                .expect("h2 handshake");
        tokio::spawn(connection);
        let origin = format!("http://{}", self.addr).parse().expect("origin");
        LeadQualificationServiceClient::with_origin(RawH2(sender), origin)
    }

    async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.expect("join").expect("served cleanly");
    }
}

/// A bare HTTP/2 connection as a gRPC transport.
#[derive(Clone)]
struct RawH2(hyper::client::conn::http2::SendRequest<tonic::body::Body>);

type RawResponse = http::Response<hyper::body::Incoming>;

impl tower_service::Service<http::Request<tonic::body::Body>> for RawH2 {
    type Response = RawResponse;
    type Error = hyper::Error;
    type Future = Pin<Box<dyn Future<Output = Result<RawResponse, hyper::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), hyper::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        Box::pin(self.0.send_request(request))
    }
}

fn ts(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

fn lead(id: &str, demos: usize) -> pb::Lead {
    pb::Lead {
        lead_id: id.to_owned(),
        events: (0..demos)
            .map(|i| pb::Event {
                r#type: pb::EventType::DemoRequest as i32,
                occurred_at: ts(AS_OF_SECONDS - 86_400 * (i as i64 + 1)),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

fn slow_lead(id: &str, sleep_ms: f64) -> pb::Lead {
    let mut l = lead(id, 0);
    l.attributes.insert(
        "sleep_ms".into(),
        pb::AttributeValue { kind: Some(pb::attribute_value::Kind::NumberValue(sleep_ms)) },
    );
    l
}

fn bad_request_fields(status: &tonic_types::pb::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .expect("BadRequest detail")
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qualify_decides_and_echoes_as_of() {
    let server = TestServer::start(Limits::default()).await;
    let mut client = server.client().await;
    let decision = client
        .qualify(pb::QualifyRequest { lead: Some(lead("a", 1)), as_of: ts(AS_OF_SECONDS) })
        .await
        .expect("qualify")
        .into_inner()
        .decision
        .expect("decision");
    assert_eq!(decision.lead_id, "a");
    assert_eq!(decision.stage, pb::Stage::Sql as i32);
    assert_eq!(decision.as_of, ts(AS_OF_SECONDS));
    assert_eq!(decision.policy.expect("policy").name, "server-test");
    assert_eq!(decision.scorers.len(), 2);

    // No as_of: the server's clock, echoed.
    let decision = client
        .qualify(pb::QualifyRequest { lead: Some(lead("b", 0)), as_of: None })
        .await
        .expect("qualify")
        .into_inner()
        .decision
        .expect("decision");
    let as_of = decision.as_of.expect("as_of echoed");
    assert!(as_of.seconds > AS_OF_SECONDS - 86_400 * 365 * 10, "{as_of:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qualify_reports_every_violation_with_its_path() {
    let server = TestServer::start(Limits::default()).await;
    let mut client = server.client().await;
    let mut bad = lead("", 1);
    bad.events[0].occurred_at = None;
    bad.events.push(pb::Event { r#type: 0, occurred_at: ts(AS_OF_SECONDS), ..Default::default() });
    let status = client
        .qualify(pb::QualifyRequest { lead: Some(bad), as_of: Some(Timestamp { seconds: 0, nanos: -1 }) })
        .await
        .expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("4 violations"), "{}", status.message());
    let fields: Vec<_> = status
        .get_details_bad_request()
        .expect("BadRequest")
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, ["as_of", "lead.lead_id", "lead.events[0].occurred_at", "lead.events[1].type"]);

    let status = client.qualify(pb::QualifyRequest { lead: None, as_of: None }).await.expect_err("no lead");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(status.message(), "invalid request: lead: is required");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_carries_the_same_decision_as_qualify() {
    let server = TestServer::start(Limits::default()).await;
    let mut client = server.client().await;
    let qualified = client
        .qualify(pb::QualifyRequest { lead: Some(lead("e", 2)), as_of: ts(AS_OF_SECONDS) })
        .await
        .expect("qualify")
        .into_inner()
        .decision;
    let explanation = client
        .explain(pb::ExplainRequest { lead: Some(lead("e", 2)), as_of: ts(AS_OF_SECONDS) })
        .await
        .expect("explain")
        .into_inner()
        .explanation
        .expect("explanation");
    assert_eq!(explanation.decision, qualified);
    assert_eq!(explanation.scorers.len(), 2);
    assert!(!explanation.text.is_empty());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_scorers_names_the_loaded_scorers_and_policy() {
    let server = TestServer::start(Limits::default()).await;
    let mut client = server.client().await;
    let listed = client.list_scorers(pb::ListScorersRequest {}).await.expect("list").into_inner();
    let names: Vec<_> = listed.scorers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["demos", "slow"]);
    assert_eq!(listed.scorers[0].version, "2.0.0");
    assert_eq!(listed.scorers[0].library, "static:demos");
    let policy = listed.policy.expect("policy");
    assert_eq!((policy.name.as_str(), policy.version.as_str()), ("server-test", "7"));
    assert_eq!(listed.host_abi_version, "1.3");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_lead_in_a_batch_gets_its_own_error() {
    use pb::qualify_batch_result::Outcome;

    let server = TestServer::start(Limits::default()).await;
    let mut client = server.client().await;
    let mut bad = lead("b", 0);
    bad.lead_id.clear();
    bad.company = Some(pb::Company { employee_count: Some(-3), ..Default::default() });
    let results = client
        .qualify_batch(pb::QualifyBatchRequest {
            leads: vec![lead("a", 1), bad, lead("c", 0)],
            as_of: ts(AS_OF_SECONDS),
        })
        .await
        .expect("batch")
        .into_inner()
        .results;
    assert_eq!(results.len(), 3);
    let Some(Outcome::Decision(first)) = &results[0].outcome else { panic!("{:?}", results[0]) };
    assert_eq!(first.lead_id, "a");
    let Some(Outcome::Error(error)) = &results[1].outcome else { panic!("{:?}", results[1]) };
    assert_eq!(error.code, Code::InvalidArgument as i32);
    assert_eq!(bad_request_fields(error), ["leads[1].lead_id", "leads[1].company.employee_count"]);
    let Some(Outcome::Decision(third)) = &results[2].outcome else { panic!("{:?}", results[2]) };
    assert_eq!(third.lead_id, "c");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_over_the_limit_fails_whole() {
    let server = TestServer::start(Limits { max_batch_size: 2, ..Limits::default() }).await;
    let mut client = server.client().await;
    let status = client
        .qualify_batch(pb::QualifyBatchRequest {
            leads: vec![lead("a", 0), lead("b", 0), lead("c", 0)],
            as_of: None,
        })
        .await
        .expect_err("too many");
    assert_eq!(status.code(), Code::InvalidArgument);
    let bad = status.get_details_bad_request().expect("BadRequest");
    assert_eq!(bad.field_violations[0].field, "leads");
    assert_eq!(bad.field_violations[0].description, "must have at most 2 leads, got 3");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_answers_in_order_and_survives_a_bad_item() {
    use pb::qualify_batch_result::Outcome;

    let server = TestServer::start(Limits::default()).await;
    let mut client = server.client().await;
    let (tx, rx) = mpsc::channel(4);
    let mut responses =
        client.qualify_stream(ReceiverStream::new(rx)).await.expect("stream opens").into_inner();
    let items = [Some(lead("s0", 1)), None, Some(lead("s2", 0))];
    for (i, item) in items.into_iter().enumerate() {
        tx.send(pb::QualifyStreamRequest { lead: item, as_of: ts(AS_OF_SECONDS) }).await.expect("send");
        // Each answer arrives before the next request is sent.
        let response = responses.message().await.expect("ok").expect("an answer");
        assert_eq!(response.index, i as u64);
        let outcome = response.result.expect("result").outcome.expect("outcome");
        match (i, outcome) {
            (1, Outcome::Error(error)) => {
                assert_eq!(error.code, Code::InvalidArgument as i32);
                assert_eq!(bad_request_fields(&error), ["lead"]);
            }
            (_, Outcome::Decision(d)) => assert_eq!(d.lead_id, format!("s{i}")),
            other => panic!("unexpected {other:?}"),
        }
    }
    drop(tx);
    assert!(responses.message().await.expect("clean end").is_none());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_sent_all_at_once_is_answered_whole_and_in_order() {
    use pb::qualify_batch_result::Outcome;

    let server = TestServer::start(Limits::default()).await;
    let mut client = server.client().await;
    // Everything is queued, and the stream closed, before the call starts:
    // the server finds the messages waiting and decides them in groups,
    // with a bad one inside the second group and the end of the stream
    // arriving with the last.
    const SENT: usize = 40;
    const BAD: usize = 17;
    let (tx, rx) = mpsc::channel(SENT);
    for i in 0..SENT {
        let item = (i != BAD).then(|| lead(&format!("g{i}"), i % 3));
        tx.send(pb::QualifyStreamRequest { lead: item, as_of: ts(AS_OF_SECONDS) }).await.expect("send");
    }
    drop(tx);
    let mut responses =
        client.qualify_stream(ReceiverStream::new(rx)).await.expect("stream opens").into_inner();
    for i in 0..SENT {
        let response = responses.message().await.expect("ok").expect("an answer");
        assert_eq!(response.index, i as u64);
        match response.result.expect("result").outcome.expect("outcome") {
            Outcome::Error(error) if i == BAD => {
                assert_eq!(error.code, Code::InvalidArgument as i32);
                assert_eq!(bad_request_fields(&error), ["lead"]);
            }
            Outcome::Decision(d) if i != BAD => assert_eq!(d.lead_id, format!("g{i}")),
            other => panic!("answer {i}: unexpected {other:?}"),
        }
    }
    assert!(responses.message().await.expect("clean end").is_none());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passed_deadline_is_deadline_exceeded_not_cancelled() {
    let server = TestServer::start(Limits::default()).await;
    let mut client = server.raw_client().await;

    let mut request = Request::new(pb::QualifyRequest { lead: Some(slow_lead("q", 300.0)), as_of: None });
    request.set_timeout(Duration::from_millis(100));
    let status = client.qualify(request).await.expect_err("too slow");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(status.message().contains("100ms"), "{}", status.message());

    let mut request = Request::new(pb::QualifyBatchRequest {
        leads: vec![slow_lead("b0", 80.0), slow_lead("b1", 80.0), slow_lead("b2", 80.0)],
        as_of: None,
    });
    request.set_timeout(Duration::from_millis(120));
    let status = client.qualify_batch(request).await.expect_err("too slow");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");

    let (tx, rx) = mpsc::channel(4);
    let mut request = Request::new(ReceiverStream::new(rx));
    request.set_timeout(Duration::from_millis(150));
    let mut responses = client.qualify_stream(request).await.expect("stream opens").into_inner();
    tx.send(pb::QualifyStreamRequest { lead: Some(lead("s0", 0)), as_of: None }).await.expect("send");
    assert_eq!(responses.message().await.expect("first").expect("an answer").index, 0);
    // Nothing more is sent: the deadline passes while the server waits.
    let status = responses.message().await.expect_err("deadline");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    drop(tx);

    // The server is still fine afterwards.
    client.qualify(pb::QualifyRequest { lead: Some(lead("after", 0)), as_of: None }).await.expect("ok");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_are_refused() {
    let server = TestServer::start(Limits { max_message_bytes: 4096, ..Limits::default() }).await;
    let mut client = server.client().await;
    let mut big = lead("big", 0);
    big.contact = Some(pb::Contact { job_title: "x".repeat(8000), ..Default::default() });
    let status = client.qualify(pb::QualifyRequest { lead: Some(big), as_of: None }).await.expect_err("big");
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_an_in_flight_call_finish() {
    let server = TestServer::start(Limits::default()).await;
    let mut client = server.client().await;
    let call = tokio::spawn(async move {
        client.qualify(pb::QualifyRequest { lead: Some(slow_lead("drain", 300.0)), as_of: None }).await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let addr = server.addr;
    server.shutdown().await;
    let answered = call.await.expect("join").expect("answered during the drain");
    assert_eq!(answered.into_inner().decision.expect("decision").lead_id, "drain");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "no longer accepting");
}
