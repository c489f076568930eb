//! The layer against a stand-in for tonic's routes, with a Prometheus
//! recorder local to each test: what each kind of ending counts.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Mutex;

use futures::FutureExt;
use futures::executor::block_on;
use futures::future::BoxFuture;
use http::{HeaderMap, HeaderValue};
use http_body_util::{BodyExt, Full};
use tower_layer::Layer;
use tower_service::Service;

use super::*;

const QUALIFY: &str = "/hql.v1.LeadQualificationService/Qualify";
const QUALIFY_LABELS: &str =
    r#"grpc_type="unary",grpc_service="hql.v1.LeadQualificationService",grpc_method="Qualify""#;

/// `n` framed messages of 3 bytes each, in one chunk.
fn messages(n: usize) -> Bytes {
    let one = [0u8, 0, 0, 0, 3, 7, 7, 7];
    Bytes::from(one.repeat(n))
}

fn status(code: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("grpc-status", HeaderValue::from_static(code));
    headers
}

/// A response body made of prepared frames.
struct Frames(VecDeque<Frame<Bytes>>);

impl HttpBody for Frames {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.pop_front().map(Ok))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }
}

/// How the stand-in routes answer.
enum Answer {
    /// Headers (maybe with a trailers-only status) and body frames.
    Respond(HeaderMap, Vec<Frame<Bytes>>),
    /// Never: the handler is still running.
    Hang,
}

/// Stands in for tonic's routes: keeps the request, answers as told.
struct Routes {
    answer: Option<Answer>,
    requests: Arc<Mutex<Vec<http::Request<Body>>>>,
}

impl Service<http::Request<Body>> for Routes {
    type Response = http::Response<Frames>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<http::Response<Frames>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        self.requests.lock().expect("lock").push(request);
        match self.answer.take() {
            Some(Answer::Respond(headers, frames)) => {
                let mut response = http::Response::new(Frames(frames.into()));
                *response.headers_mut() = headers;
                futures::future::ready(Ok(response)).boxed()
            }
            Some(Answer::Hang) | None => futures::future::pending().boxed(),
        }
    }
}

/// Runs one call to `path` sending `sent` request messages, answered with
/// `answer`; `finish` decides what happens to the response. Returns the
/// rendered metrics.
fn one_call(
    path: &str,
    sent: usize,
    answer: Answer,
    finish: impl FnOnce(ResponseFuture<BoxFuture<'static, Result<http::Response<Frames>, Infallible>>>),
) -> String {
    let (recorder, handle) = super::super::recorder::HqlRecorder::new();
    ::metrics::with_local_recorder(&recorder, || {
        let table = MethodTable::from_descriptor_sets(&crate::server::ROUTED_DESCRIPTOR_SETS).expect("table");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let routes = Routes { answer: Some(answer), requests: Arc::clone(&requests) };
        let mut service = GrpcMetricsLayer::new(table).layer(routes);
        let request = http::Request::builder()
            .uri(format!("http://localhost{path}"))
            .body(Body::new(Full::new(messages(sent))))
            .expect("request");
        let future = service.call(request);
        // The handler reads its request.
        let request = requests.lock().expect("lock").pop().expect("routed");
        block_on(request.into_body().collect()).expect("request body");
        finish(future);
    });
    handle.render()
}

/// Awaits the response and reads its body to the end, as hyper does.
fn read_to_end(future: ResponseFuture<BoxFuture<'static, Result<http::Response<Frames>, Infallible>>>) {
    let response = block_on(future).expect("infallible");
    block_on(response.into_body().collect()).expect("response body");
}

fn line(text: &str, wanted: &str) -> bool {
    text.lines().any(|l| l == wanted)
}

#[test]
fn a_unary_ok_call_is_counted_from_its_trailers() {
    let answer =
        Answer::Respond(HeaderMap::new(), vec![Frame::data(messages(1)), Frame::trailers(status("0"))]);
    let text = one_call(QUALIFY, 1, answer, read_to_end);
    for wanted in [
        format!("grpc_server_started_total{{{QUALIFY_LABELS}}} 1"),
        format!("grpc_server_handled_total{{{QUALIFY_LABELS},grpc_code=\"OK\"}} 1"),
        format!("grpc_server_msg_received_total{{{QUALIFY_LABELS}}} 1"),
        format!("grpc_server_msg_sent_total{{{QUALIFY_LABELS}}} 1"),
        format!("grpc_server_handling_seconds_count{{{QUALIFY_LABELS}}} 1"),
        format!("grpc_server_handling_seconds_bucket{{{QUALIFY_LABELS},le=\"+Inf\"}} 1"),
    ] {
        assert!(line(&text, &wanted), "missing {wanted}\n{text}");
    }
    assert_eq!(text.matches("grpc_server_handled_total{").count(), 1, "{text}");
}

#[test]
fn a_trailers_only_error_is_counted_from_the_headers() {
    let text = one_call(QUALIFY, 1, Answer::Respond(status("3"), Vec::new()), read_to_end);
    let wanted = format!("grpc_server_handled_total{{{QUALIFY_LABELS},grpc_code=\"InvalidArgument\"}} 1");
    assert!(line(&text, &wanted), "{text}");
    assert!(!text.contains("grpc_server_msg_sent_total"), "{text}");
}

#[test]
fn an_error_counts_once_even_if_the_body_is_never_read() {
    // hyper does not poll an empty body; the status was in the headers.
    let text = one_call(QUALIFY, 1, Answer::Respond(status("4"), Vec::new()), |future| {
        drop(block_on(future));
    });
    let wanted = format!("grpc_server_handled_total{{{QUALIFY_LABELS},grpc_code=\"DeadlineExceeded\"}} 1");
    assert!(line(&text, &wanted), "{text}");
    assert_eq!(text.matches("grpc_server_handled_total{").count(), 1, "{text}");
}

#[test]
fn a_stream_is_counted_when_it_ends_with_the_status_it_ends_with() {
    let path = "/hql.v1.LeadQualificationService/QualifyStream";
    let labels = r#"grpc_type="bidi_stream",grpc_service="hql.v1.LeadQualificationService",grpc_method="QualifyStream""#;
    let frames = vec![Frame::data(messages(2)), Frame::data(messages(1)), Frame::trailers(status("13"))];
    let text = one_call(path, 3, Answer::Respond(HeaderMap::new(), frames), read_to_end);
    for wanted in [
        format!("grpc_server_handled_total{{{labels},grpc_code=\"Internal\"}} 1"),
        format!("grpc_server_msg_received_total{{{labels}}} 3"),
        format!("grpc_server_msg_sent_total{{{labels}}} 3"),
    ] {
        assert!(line(&text, &wanted), "missing {wanted}\n{text}");
    }
}

#[test]
fn a_response_dropped_before_its_trailers_is_canceled() {
    let answer =
        Answer::Respond(HeaderMap::new(), vec![Frame::data(messages(1)), Frame::trailers(status("0"))]);
    let text = one_call(QUALIFY, 1, answer, |future| {
        let response = block_on(future).expect("infallible");
        drop(response);
    });
    let wanted = format!("grpc_server_handled_total{{{QUALIFY_LABELS},grpc_code=\"Canceled\"}} 1");
    assert!(line(&text, &wanted), "{text}");
}

#[test]
fn a_call_dropped_while_its_handler_runs_is_canceled() {
    let text = one_call(QUALIFY, 1, Answer::Hang, drop);
    let wanted = format!("grpc_server_handled_total{{{QUALIFY_LABELS},grpc_code=\"Canceled\"}} 1");
    assert!(line(&text, &wanted), "{text}");
}

#[test]
fn a_body_ending_without_a_status_is_unknown() {
    let answer = Answer::Respond(HeaderMap::new(), vec![Frame::data(messages(1))]);
    let text = one_call(QUALIFY, 1, answer, read_to_end);
    let wanted = format!("grpc_server_handled_total{{{QUALIFY_LABELS},grpc_code=\"Unknown\"}} 1");
    assert!(line(&text, &wanted), "{text}");
}

#[test]
fn an_unknown_method_is_labelled_unknown_not_by_its_path() {
    let text =
        one_call("/evil.Service/x-random-123", 0, Answer::Respond(status("12"), Vec::new()), read_to_end);
    let wanted = r#"grpc_server_handled_total{grpc_type="unknown",grpc_service="unknown",grpc_method="unknown",grpc_code="Unimplemented"} 1"#;
    assert!(line(&text, wanted), "{text}");
    assert!(!text.contains("evil"), "{text}");
}

#[test]
fn health_is_labelled_as_health() {
    let labels = r#"grpc_type="unary",grpc_service="grpc.health.v1.Health",grpc_method="Check""#;
    let answer =
        Answer::Respond(HeaderMap::new(), vec![Frame::data(messages(1)), Frame::trailers(status("0"))]);
    let text = one_call("/grpc.health.v1.Health/Check", 1, answer, read_to_end);
    let wanted = format!("grpc_server_handled_total{{{labels},grpc_code=\"OK\"}} 1");
    assert!(line(&text, &wanted), "{text}");
}
