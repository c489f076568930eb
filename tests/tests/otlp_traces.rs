//! OTLP trace export, end to end: the real `hqld` started with the standard
//! `OTEL_*` variables pointing at a collector that lives in the test (a
//! plain HTTP/1.1 one for `http/protobuf`, a tonic one for `grpc`), real
//! calls, then SIGTERM, after which the spans must have arrived: the
//! exporter flushes on shutdown, so nothing here waits on the batch timer.
//!
//! What the spans must say is what a tracing backend shows: one server span
//! per RPC named `hql.v1.LeadQualificationService/<Method>`, the gRPC status,
//! the lead count of a batch, the `hqld` service name, and the caller's
//! trace when the request carried a W3C `traceparent`. And without the
//! variables, or with `OTEL_TRACES_EXPORTER=none`, nothing connects to a
//! collector at all; a collector that is down fails no call, does not hold
//! up the shutdown for long, and is reported in the logs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hql_tests::{
    AS_OF_MS, Hqld, PluginDir, default_policy, hqld_command, pb, run_to_exit, serve_args, sql_lead,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;

/// The trace and parent span of the caller, as `traceparent` carries them.
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";

/// Everything a collector received: the export requests, decoded.
#[derive(Clone, Default)]
struct Received {
    exports: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
    connections: Arc<AtomicUsize>,
}

impl Received {
    /// Every span received, with its resource's `service.name`.
    fn spans(&self) -> Vec<(String, Span)> {
        let exports = self.exports.lock().expect("not poisoned");
        let mut spans = Vec::new();
        for export in exports.iter() {
            for resource in &export.resource_spans {
                let service = resource
                    .resource
                    .as_ref()
                    .and_then(|r| attribute(&r.attributes, "service.name"))
                    .and_then(|v| string(&v))
                    .unwrap_or_default();
                for scope in &resource.scope_spans {
                    spans.extend(scope.spans.iter().map(|span| (service.clone(), span.clone())));
                }
            }
        }
        spans
    }

    /// The one span named `name`; panics listing the names otherwise.
    fn span(&self, name: &str) -> (String, Span) {
        let spans = self.spans();
        let mut named = spans.iter().filter(|(_, span)| span.name == name);
        match (named.next(), named.next()) {
            (Some(one), None) => one.clone(),
            _ => panic!(
                "expected one span named {name}, got: {:?}",
                spans.iter().map(|(_, s)| s.name.as_str()).collect::<Vec<_>>()
            ),
        }
    }
}

fn attribute(attributes: &[KeyValue], key: &str) -> Option<AnyValue> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| kv.value.clone())
}

fn string(value: &AnyValue) -> Option<String> {
    match &value.value {
        Some(Value::StringValue(s)) => Some(s.clone()),
        _ => None,
    }
}

fn int(value: &AnyValue) -> Option<i64> {
    match &value.value {
        Some(Value::IntValue(n)) => Some(*n),
        _ => None,
    }
}

/// A minimal OTLP/HTTP collector: answers every POST with 200 and keeps
/// the decoded body. Serves until the test process ends.
fn http_collector() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the collector");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let received = Received::default();
    let sink = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            sink.connections.fetch_add(1, Ordering::SeqCst);
            let sink = sink.clone();
            std::thread::spawn(move || serve_http(stream, &sink));
        }
    });
    (url, received)
}

/// Reads requests off one keep-alive connection until it closes.
fn serve_http(stream: TcpStream, sink: &Received) {
    let mut writer = stream.try_clone().expect("clone the stream");
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().expect("a content length");
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        assert!(request_line.starts_with("POST /v1/traces "), "unexpected request: {request_line}");
        let export = ExportTraceServiceRequest::decode(body.as_slice()).expect("an OTLP trace export");
        sink.exports.lock().expect("not poisoned").push(export);
        let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// A minimal OTLP/gRPC collector on the test's runtime.
#[derive(Clone, Default)]
struct GrpcCollector(Received);

#[tonic::async_trait]
impl TraceService for GrpcCollector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.exports.lock().expect("not poisoned").push(request.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

async fn grpc_collector() -> (String, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the collector");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let collector = GrpcCollector::default();
    let received = collector.0.clone();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    (url, received)
}

/// Starts `hqld` with the bundled plugins and `env`.
fn start(plugins: &PluginDir, env: &[(&str, &str)]) -> Hqld {
    let mut command = hqld_command(serve_args(&default_policy(), plugins.path()));
    command.envs(env.iter().copied());
    Hqld::from_command(command)
}

/// One Qualify carrying the caller's `traceparent`, and one QualifyBatch
/// of three leads.
async fn make_calls(server: &Hqld) {
    let mut client = server.client().await;
    let mut request = tonic::Request::new(sql_lead("traced", AS_OF_MS).qualify_request(AS_OF_MS));
    let traceparent = format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01");
    request.metadata_mut().insert("traceparent", traceparent.parse().expect("ascii"));
    client.qualify(request).await.expect("Qualify answers");
    let leads = (0..3).map(|i| sql_lead(&format!("batch-{i}"), AS_OF_MS).build()).collect();
    let batch = pb::QualifyBatchRequest { leads, as_of: Some(hql_tests::ts(AS_OF_MS)) };
    client.qualify_batch(batch).await.expect("QualifyBatch answers");
}

/// Stops `server` with SIGTERM; it must exit 0 (after flushing its spans).
fn stop(mut server: Hqld) -> String {
    let status = server.terminate(Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{}", server.stderr());
    server.stderr()
}

fn assert_spans(received: &Received) {
    let (service, qualify) = received.span("hql.v1.LeadQualificationService/Qualify");
    assert_eq!(service, "hqld");
    assert_eq!(hex::encode(&qualify.trace_id), TRACE_ID, "the caller's trace is joined");
    assert_eq!(hex::encode(&qualify.parent_span_id), PARENT_SPAN_ID, "the caller's span is the parent");
    // SPAN_KIND_SERVER.
    assert_eq!(qualify.kind, 2);
    let attrs = &qualify.attributes;
    assert_eq!(attribute(attrs, "rpc.system").and_then(|v| string(&v)).as_deref(), Some("grpc"));
    assert_eq!(attribute(attrs, "rpc.method").and_then(|v| string(&v)).as_deref(), Some("Qualify"));
    assert_eq!(attribute(attrs, "rpc.grpc.status_code").and_then(|v| int(&v)), Some(0));
    assert_eq!(attribute(attrs, "client.address").and_then(|v| string(&v)).as_deref(), Some("127.0.0.1"));

    let (_, batch) = received.span("hql.v1.LeadQualificationService/QualifyBatch");
    assert_eq!(attribute(&batch.attributes, "hql.leads").and_then(|v| int(&v)), Some(3));
    assert_ne!(hex::encode(&batch.trace_id), TRACE_ID, "a call without traceparent starts its own trace");
    assert!(batch.parent_span_id.is_empty());
}

#[tokio::test]
async fn spans_reach_an_http_protobuf_collector_and_join_the_callers_trace() {
    let plugins = PluginDir::bundled();
    let (url, received) = http_collector();
    let server = start(&plugins, &[("OTEL_EXPORTER_OTLP_ENDPOINT", &url)]);
    assert!(server.wait_for_stderr("exporting traces", Duration::from_secs(10)), "{}", server.stderr());
    make_calls(&server).await;
    let stderr = tokio::task::spawn_blocking(move || stop(server)).await.expect("stopped");
    assert!(!received.spans().is_empty(), "no span arrived; hqld said:\n{stderr}");
    assert_spans(&received);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_reach_a_grpc_collector() {
    let plugins = PluginDir::bundled();
    let (url, received) = grpc_collector().await;
    let server = start(
        &plugins,
        &[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &url),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_SERVICE_NAME", "hqld-eu"),
        ],
    );
    make_calls(&server).await;
    let stderr = tokio::task::spawn_blocking(move || stop(server)).await.expect("stopped");
    assert!(!received.spans().is_empty(), "no span arrived; hqld said:\n{stderr}");
    let (service, _) = received.span("hql.v1.LeadQualificationService/Qualify");
    assert_eq!(service, "hqld-eu", "OTEL_SERVICE_NAME names the service");
}

#[tokio::test]
async fn without_the_variables_or_with_exporter_none_nothing_connects() {
    let plugins = PluginDir::bundled();
    let (url, received) = http_collector();

    let none = start(&plugins, &[("OTEL_EXPORTER_OTLP_ENDPOINT", &url), ("OTEL_TRACES_EXPORTER", "none")]);
    make_calls(&none).await;
    let stderr = tokio::task::spawn_blocking(move || stop(none)).await.expect("stopped");
    assert!(stderr.contains("trace export off"), "{stderr}");

    let unset = start(&plugins, &[]);
    make_calls(&unset).await;
    let stderr = tokio::task::spawn_blocking(move || stop(unset)).await.expect("stopped");
    assert!(stderr.contains("trace export off"), "{stderr}");

    assert_eq!(received.connections.load(Ordering::SeqCst), 0, "nothing may connect to the collector");
}

#[tokio::test]
async fn a_collector_that_is_down_fails_no_call_and_is_logged() {
    let plugins = PluginDir::bundled();
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let server =
        start(&plugins, &[("OTEL_EXPORTER_OTLP_ENDPOINT", &url), ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")]);
    make_calls(&server).await;
    let started = std::time::Instant::now();
    let stderr = tokio::task::spawn_blocking(move || stop(server)).await.expect("stopped");
    assert!(started.elapsed() < Duration::from_secs(20), "the flush on shutdown is bounded");
    assert!(stderr.contains("opentelemetry"), "the failed export is logged:\n{stderr}");
}

#[test]
fn check_config_shows_the_export_and_refuses_what_cannot_work() {
    let plugins = PluginDir::bundled();
    let args = || {
        let mut args = serve_args(&default_policy(), plugins.path());
        args.push("--check-config".into());
        args
    };
    let (status, stdout, stderr) = run_to_exit(hqld_command(args()), Duration::from_secs(60));
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stdout.lines().any(|line| line == "traces: off"), "{stdout}");

    let mut on = hqld_command(args());
    on.env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");
    let (status, stdout, stderr) = run_to_exit(on, Duration::from_secs(60));
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("traces: otlp http/protobuf to http://127.0.0.1:4318/v1/traces (timeout 10000ms)"),
        "{stdout}"
    );

    let mut json = hqld_command(args());
    json.env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json");
    let (status, _, stderr) = run_to_exit(json, Duration::from_secs(60));
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("hqld: OTEL_EXPORTER_OTLP_PROTOCOL: `http/json` is not supported"), "{stderr}");
}
