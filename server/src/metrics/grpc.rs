//! The standard gRPC server metrics, as go-grpc-prometheus names and labels
//! them, from a tower layer around every route.
//!
//! A layer rather than code in each handler, so health, reflection and calls
//! tonic refuses before a handler runs (an unknown method, a message too
//! large) are counted too, by one piece of code that knows nothing of HQL.
//!
//! What a call goes through:
//! - on arrival: `grpc_server_started_total`, and the start instant;
//! - request messages, as the handler reads them from the body:
//!   `grpc_server_msg_received_total`;
//! - response messages, as they are written: `grpc_server_msg_sent_total`;
//! - at its status: `grpc_server_handled_total{grpc_code}` and
//!   `grpc_server_handling_seconds`. The status is the `grpc-status` of the
//!   response headers when the answer is trailers-only (how tonic sends an
//!   error from a unary handler), otherwise of the trailers, which end every
//!   other answer: a stream is counted when it ends, with the status it ends
//!   with, and its duration is the stream's.
//!
//! A call whose response is dropped before its status was written (the
//! client cancelled or the connection closed) counts as `Canceled`, as the
//! server side of gRPC-Go reports it; one whose response ends without any
//! status (a protocol error) as `Unknown`. Every call is counted exactly
//! once ([`Call`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use pin_project_lite::pin_project;
use tonic::body::Body;

use super::code::GrpcCode;
use super::frames::MessageCounter;
use super::methods::{MethodMetrics, MethodTable};

/// The tower layer counting every call; see the module docs.
#[derive(Clone, Debug)]
pub(crate) struct GrpcMetricsLayer {
    methods: Arc<MethodTable>,
}

impl GrpcMetricsLayer {
    /// A layer labelling calls with the methods of `methods`.
    pub(crate) fn new(methods: MethodTable) -> GrpcMetricsLayer {
        GrpcMetricsLayer { methods: Arc::new(methods) }
    }
}

impl<S> tower_layer::Layer<S> for GrpcMetricsLayer {
    type Service = GrpcMetrics<S>;

    fn layer(&self, inner: S) -> GrpcMetrics<S> {
        GrpcMetrics { inner, methods: Arc::clone(&self.methods) }
    }
}

/// The service [`GrpcMetricsLayer`] wraps around the routes.
#[derive(Clone, Debug)]
pub(crate) struct GrpcMetrics<S> {
    inner: S,
    methods: Arc<MethodTable>,
}

impl<S, ResBody> tower_service::Service<http::Request<Body>> for GrpcMetrics<S>
where
    S: tower_service::Service<http::Request<Body>, Response = http::Response<ResBody>>,
{
    type Response = http::Response<SentBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let method = Arc::clone(self.methods.lookup(request.uri().path()));
        method.started();
        let call = Call { method: Arc::clone(&method), started: Instant::now(), finished: false };
        let request = request
            .map(|body| Body::new(ReceivedBody { inner: body, method, messages: MessageCounter::default() }));
        ResponseFuture { inner: self.inner.call(request), call: Some(call) }
    }
}

/// One call between its start and its status: records `handled` exactly
/// once, as `Canceled` if dropped before [`Call::finish`].
#[derive(Debug)]
struct Call {
    method: Arc<MethodMetrics>,
    started: Instant,
    finished: bool,
}

impl Call {
    /// Records the call's status; later calls do nothing.
    fn finish(&mut self, code: GrpcCode) {
        if !self.finished {
            self.finished = true;
            self.method.handled(code, self.started.elapsed());
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.finish(GrpcCode::CANCELED);
    }
}

pin_project! {
    /// The routes' response future, handing the call over to the response body.
    pub(crate) struct ResponseFuture<F> {
        #[pin]
        inner: F,
        call: Option<Call>,
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<http::Response<ResBody>, E>>,
{
    type Output = Result<http::Response<SentBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let mut call = this.call.take();
        match result {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                // Trailers-only: the status is already here, the body empty.
                if let (Some(call), Some(code)) = (call.as_mut(), GrpcCode::from_headers(&parts.headers)) {
                    call.finish(code);
                }
                let body = SentBody { inner: body, call, messages: MessageCounter::default() };
                Poll::Ready(Ok(http::Response::from_parts(parts, body)))
            }
            Err(error) => {
                // The routes failed outright (tonic's are infallible): no status reached the client.
                if let Some(call) = call.as_mut() {
                    call.finish(GrpcCode::UNKNOWN);
                }
                Poll::Ready(Err(error))
            }
        }
    }
}

pin_project! {
    /// A response body, counting the messages sent and reading the status
    /// from its trailers.
    pub(crate) struct SentBody<B> {
        #[pin]
        inner: B,
        // `None` only if the response future was polled after completing.
        call: Option<Call>,
        messages: MessageCounter,
    }
}

impl<B> HttpBody for SentBody<B>
where
    B: HttpBody<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let mut this = self.project();
        let polled = ready!(this.inner.as_mut().poll_frame(cx));
        let Some(call) = this.call.as_mut() else {
            return Poll::Ready(polled);
        };
        match &polled {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    let sent = this.messages.feed(data);
                    if sent > 0 {
                        call.method.sent(sent);
                    }
                    // A body that ends without trailers is not polled again.
                    if this.inner.is_end_stream() {
                        call.finish(GrpcCode::UNKNOWN);
                    }
                } else if let Some(trailers) = frame.trailers_ref() {
                    call.finish(GrpcCode::from_headers(trailers).unwrap_or(GrpcCode::UNKNOWN));
                }
            }
            // An error resets the stream; the end without trailers is a protocol error.
            Some(Err(_)) | None => call.finish(GrpcCode::UNKNOWN),
        }
        Poll::Ready(polled)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

pin_project! {
    /// A request body, counting the messages the handler reads.
    struct ReceivedBody<B> {
        #[pin]
        inner: B,
        method: Arc<MethodMetrics>,
        messages: MessageCounter,
    }
}

impl<B> HttpBody for ReceivedBody<B>
where
    B: HttpBody<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.project();
        let polled = ready!(this.inner.poll_frame(cx));
        if let Some(Ok(frame)) = &polled
            && let Some(data) = frame.data_ref()
        {
            let received = this.messages.feed(data);
            if received > 0 {
                this.method.received(received);
            }
        }
        Poll::Ready(polled)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests;
