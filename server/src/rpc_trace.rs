//! One span and one log line per RPC.
//!
//! The span (`rpc`) is named as OpenTelemetry's RPC conventions
//! name server spans (`hql.v1.LeadQualificationService/Qualify`), carries
//! `rpc.system`, `rpc.service`, `rpc.method`, `client.address`, and at the end
//! `rpc.grpc.status_code` and, for a batch or stream, `hql.leads`. When the
//! request carries a W3C `traceparent` (and `tracestate`), the span joins
//! the caller's trace. With OTLP export on it is what the collector
//! receives (see `otlp`); whenever it is enabled, every log line written
//! while a call is handled names the call.
//!
//! The span is at INFO when spans are exported (OTLP on), and at DEBUG
//! otherwise: with logs only, at the default level, opening one was 4 % of
//! `hqld`'s CPU per Qualify under load (the JSON formatter renders a span's
//! fields when it opens), for lines that carry the method and peer
//! themselves. At `--log-level hql_server::rpc_trace=debug` (or debug
//! overall) every line written during a call names it again.
//!
//! The closing fields are recorded on the span only when spans are exported:
//! the log formatter has no use for them (the closing log line carries
//! them), and recording them costs the JSON formatter a parse and a rewrite
//! of the span's fields each.
//!
//! The log line (target `hql_server::rpc_trace`, message `rpc`) is written
//! when the call's status is known, with the method, the gRPC code, the
//! duration in milliseconds, the peer and the lead count: at DEBUG for every
//! outcome a client causes or expects, at ERROR for the codes that mean the
//! server failed (INTERNAL, UNKNOWN, DATA_LOSS), which are therefore logged
//! at the default level. `--log-level hql_server::rpc_trace=debug` logs every call.
//!
//! Like the metrics layer, this is a tower layer around every route, and
//! reads the status the same way: from the headers of a trailers-only answer,
//! otherwise from the trailers; a response dropped before its status is a
//! CANCELLED call. Method names come from the routed services' descriptors,
//! never from the client: a path naming no method is `unknown`.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry_http::HeaderExtractor;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use pin_project_lite::pin_project;
use tonic::Code;
use tonic::transport::server::TcpConnectInfo;
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::metrics::{MethodMetrics, MethodTable};

/// The tower layer; see the module docs.
#[derive(Clone, Debug)]
pub(crate) struct RpcTraceLayer {
    methods: Arc<MethodTable>,
}

impl RpcTraceLayer {
    /// A layer naming calls after the methods of `methods`.
    pub(crate) fn new(methods: MethodTable) -> RpcTraceLayer {
        RpcTraceLayer { methods: Arc::new(methods) }
    }
}

impl<S> tower_layer::Layer<S> for RpcTraceLayer {
    type Service = RpcTrace<S>;

    fn layer(&self, inner: S) -> RpcTrace<S> {
        RpcTrace { inner, methods: Arc::clone(&self.methods) }
    }
}

/// The service [`RpcTraceLayer`] wraps around the routes.
#[derive(Clone, Debug)]
pub(crate) struct RpcTrace<S> {
    inner: S,
    methods: Arc<MethodTable>,
}

/// How many leads a call carried, set by its handler: a request extension
/// the layer reads when the call ends. Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct LeadCount(Arc<AtomicU64>);

impl LeadCount {
    /// No count recorded.
    const UNSET: u64 = u64::MAX;

    fn new() -> LeadCount {
        LeadCount(Arc::new(AtomicU64::new(LeadCount::UNSET)))
    }

    /// The count of `request`, when it came through the layer.
    pub(crate) fn of<T>(request: &tonic::Request<T>) -> Option<LeadCount> {
        request.extensions().get::<LeadCount>().cloned()
    }

    /// Records `n` leads.
    pub(crate) fn set(&self, n: usize) {
        self.0.store(u64::try_from(n).unwrap_or(u64::MAX - 1), Ordering::Relaxed);
    }

    /// Records `n` more leads.
    pub(crate) fn add(&self, n: usize) {
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        let _ = self.0.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
            Some(if old == LeadCount::UNSET { n } else { old.saturating_add(n).min(u64::MAX - 1) })
        });
    }

    fn get(&self) -> Option<u64> {
        Some(self.0.load(Ordering::Relaxed)).filter(|n| *n != LeadCount::UNSET)
    }
}

impl<S, ReqBody, ResBody> tower_service::Service<http::Request<ReqBody>> for RpcTrace<S>
where
    S: tower_service::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
{
    type Response = http::Response<TracedBody<ResBody>>;
    type Error = S::Error;
    type Future = TracedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<ReqBody>) -> Self::Future {
        let rpc = Arc::clone(self.methods.lookup(request.uri().path()));
        let [_, service, method] = rpc.label_values();
        let peer = request.extensions().get::<TcpConnectInfo>().and_then(TcpConnectInfo::remote_addr);
        // One field list, two levels (a span's level is fixed where it is
        // written): INFO when spans are exported, DEBUG otherwise.
        macro_rules! rpc_span {
            ($level:expr) => {
                tracing::span!(
                    $level,
                    "rpc",
                    otel.name = rpc.rpc_name(),
                    otel.kind = "server",
                    otel.status_code = Empty,
                    rpc.system = "grpc",
                    rpc.service = %service,
                    rpc.method = %method,
                    client.address = peer.map(|peer| tracing::field::display(peer.ip())),
                    client.port = peer.map(|peer| peer.port()),
                    rpc.grpc.status_code = Empty,
                    hql.leads = Empty,
                )
            };
        }
        let span = if crate::logging::spans_exported() {
            rpc_span!(tracing::Level::INFO)
        } else {
            rpc_span!(tracing::Level::DEBUG)
        };
        if !span.is_disabled() && request.headers().contains_key("traceparent") {
            let parent = TraceContextPropagator::new().extract(&HeaderExtractor(request.headers()));
            // Fails only when no OpenTelemetry layer is installed: nothing to join then.
            let _ = span.set_parent(parent);
        }
        let leads = LeadCount::new();
        request.extensions_mut().insert(leads.clone());
        let inner = span.in_scope(|| self.inner.call(request));
        let call = CallLog { rpc, peer, started: Instant::now(), span, leads, finished: false };
        TracedFuture { inner, call: Some(call) }
    }
}

/// One call until its status: logs and closes its span exactly once, as
/// CANCELLED if dropped first.
#[derive(Debug)]
struct CallLog {
    rpc: Arc<MethodMetrics>,
    peer: Option<SocketAddr>,
    started: Instant,
    span: Span,
    leads: LeadCount,
    finished: bool,
}

impl CallLog {
    fn finish(&mut self, code: Code) {
        if self.finished {
            return;
        }
        self.finished = true;
        let elapsed_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let leads = self.leads.get();
        if crate::logging::spans_exported() {
            self.record_outcome(code, leads);
        }
        let (method, span) = (self.rpc.rpc_name(), &self.span);
        let peer = self.peer.map(tracing::field::display);
        if matches!(code, Code::Internal | Code::Unknown | Code::DataLoss) {
            tracing::error!(parent: span, method, code = ?code, elapsed_ms, peer, leads, "rpc");
        } else {
            tracing::debug!(parent: span, method, code = ?code, elapsed_ms, peer, leads, "rpc");
        }
    }
}

impl CallLog {
    /// Records the call's outcome on its span, for the exporter: the log
    /// line above carries the same fields, and no line is written in the
    /// span after it (see [`crate::logging::spans_exported`]).
    fn record_outcome(&self, code: Code, leads: Option<u64>) {
        self.span.record("rpc.grpc.status_code", code as i32);
        if let Some(leads) = leads {
            // As i64: OpenTelemetry has no unsigned integers, and the bridge
            // would record a u64 as text.
            self.span.record("hql.leads", i64::try_from(leads).unwrap_or(i64::MAX));
        }
        if server_failed(code) {
            self.span.record("otel.status_code", "ERROR");
        }
    }
}

impl Drop for CallLog {
    fn drop(&mut self) {
        self.finish(Code::Cancelled);
    }
}

/// Whether a server span with `code` is an error, by OpenTelemetry's gRPC
/// conventions: the codes that mean the server, not the request, failed.
fn server_failed(code: Code) -> bool {
    matches!(
        code,
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    )
}

/// The `grpc-status` in `headers`, if any.
fn status_in(headers: &http::HeaderMap) -> Option<Code> {
    headers.get("grpc-status").map(|value| Code::from_bytes(value.as_bytes()))
}

pin_project! {
    /// The routes' response future, in the call's span.
    pub(crate) struct TracedFuture<F> {
        #[pin]
        inner: F,
        call: Option<CallLog>,
    }
}

impl<F, ResBody, E> Future for TracedFuture<F>
where
    F: Future<Output = Result<http::Response<ResBody>, E>>,
{
    type Output = Result<http::Response<TracedBody<ResBody>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = {
            let _entered = this.call.as_ref().map(|call| call.span.enter());
            ready!(this.inner.poll(cx))
        };
        let mut call = this.call.take();
        match result {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                // Trailers-only: the status is already here.
                if let (Some(call), Some(code)) = (call.as_mut(), status_in(&parts.headers)) {
                    call.finish(code);
                }
                Poll::Ready(Ok(http::Response::from_parts(parts, TracedBody { inner: body, call })))
            }
            Err(error) => {
                if let Some(call) = call.as_mut() {
                    call.finish(Code::Unknown);
                }
                Poll::Ready(Err(error))
            }
        }
    }
}

pin_project! {
    /// A response body, in the call's span, reading the status from its trailers.
    pub(crate) struct TracedBody<B> {
        #[pin]
        inner: B,
        call: Option<CallLog>,
    }
}

impl<B> HttpBody for TracedBody<B>
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
        let polled = {
            let _entered = this.call.as_ref().map(|call| call.span.enter());
            ready!(this.inner.as_mut().poll_frame(cx))
        };
        let Some(call) = this.call.as_mut() else {
            return Poll::Ready(polled);
        };
        match &polled {
            Some(Ok(frame)) => {
                if let Some(trailers) = frame.trailers_ref() {
                    call.finish(status_in(trailers).unwrap_or(Code::Unknown));
                } else if this.inner.is_end_stream() {
                    // A body that ends without trailers is not polled again.
                    call.finish(Code::Unknown);
                }
            }
            Some(Err(_)) | None => call.finish(Code::Unknown),
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
