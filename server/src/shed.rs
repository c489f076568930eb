//! Load shedding: at most `max_concurrent_requests` qualification calls in
//! flight; the next one is refused at once with RESOURCE_EXHAUSTED.
//!
//! Refusing beats queueing. Decisions run on tokio's blocking pool, so
//! calls past the pool's size would wait inside the server, invisible to the
//! client, its deadline running, while memory grows with every queued
//! request. An immediate RESOURCE_EXHAUSTED lets the client back off or go to
//! another replica, and shows in `hql_requests_shed_total` (and in
//! `grpc_server_handled_total{grpc_code="ResourceExhausted"}`) as the
//! signal to scale out.
//!
//! Only the calls that make decisions hold a slot: Qualify, QualifyBatch,
//! QualifyStream and Explain. ListScorers (an operator's look at what is
//! loaded, most useful when things go wrong), health checks and reflection
//! are never shed: this layer wraps the qualification service alone, and
//! lets ListScorers through. A call holds its slot until its response has
//! been sent or dropped, so a QualifyStream holds one for as long as it is
//! open.
//!
//! `hql_requests_in_flight` is the number of slots taken. Both series exist,
//! at 0, from the start.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use ::metrics::{Counter, Gauge};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use pin_project_lite::pin_project;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::body::Body;
use tonic::server::NamedService;

/// Counter: qualification calls refused with RESOURCE_EXHAUSTED because
/// `max_concurrent_requests` were in flight, by `grpc_method`.
pub const SHED_TOTAL: &str = "hql_requests_shed_total";
/// Gauge: qualification calls in flight (slots taken).
pub const IN_FLIGHT: &str = "hql_requests_in_flight";

/// The methods that take a slot.
const SHED_METHODS: [&str; 4] = ["Qualify", "QualifyBatch", "QualifyStream", "Explain"];

/// Describes this module's metrics to the installed recorder.
pub(crate) fn describe() {
    ::metrics::describe_counter!(
        SHED_TOTAL,
        ::metrics::Unit::Count,
        "Qualification calls refused with RESOURCE_EXHAUSTED because max_concurrent_requests were in flight."
    );
    ::metrics::describe_gauge!(IN_FLIGHT, ::metrics::Unit::Count, "Qualification calls in flight.");
}

/// The slots and the series, shared by every connection's copy of [`Shed`].
#[derive(Debug)]
struct Slots {
    permits: Arc<Semaphore>,
    limit: usize,
    /// `hql_requests_shed_total` per method of [`SHED_METHODS`], in order.
    shed: [Counter; 4],
    in_flight: Gauge,
    /// The path of each method of [`SHED_METHODS`], in order.
    paths: [String; 4],
}

/// The qualification service `S` behind a limit of concurrent calls.
#[derive(Debug)]
pub(crate) struct Shed<S> {
    inner: S,
    slots: Arc<Slots>,
}

impl<S: Clone> Clone for Shed<S> {
    fn clone(&self) -> Shed<S> {
        Shed { inner: self.inner.clone(), slots: Arc::clone(&self.slots) }
    }
}

impl<S: NamedService> Shed<S> {
    /// `inner` admitting at most `limit` decision calls at once.
    pub(crate) fn new(inner: S, limit: usize) -> Shed<S> {
        let shed = SHED_METHODS.map(|method| ::metrics::counter!(SHED_TOTAL, "grpc_method" => method));
        let in_flight = ::metrics::gauge!(IN_FLIGHT);
        in_flight.set(0.0);
        let paths = SHED_METHODS.map(|method| format!("/{}/{method}", S::NAME));
        let slots = Slots { permits: Arc::new(Semaphore::new(limit)), limit, shed, in_flight, paths };
        Shed { inner, slots: Arc::new(slots) }
    }
}

impl<S: NamedService> NamedService for Shed<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> tower_service::Service<http::Request<Body>> for Shed<S>
where
    S: tower_service::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = ShedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let slots = &self.slots;
        let Some(method) = slots.paths.iter().position(|path| path == request.uri().path()) else {
            return ShedFuture { state: State::Pass { inner: self.inner.call(request) } };
        };
        match Arc::clone(&slots.permits).try_acquire_owned() {
            Ok(permit) => {
                slots.in_flight.increment(1.0);
                let slot = Slot { _permit: permit, slots: Arc::clone(slots) };
                ShedFuture { state: State::Admitted { inner: self.inner.call(request), slot: Some(slot) } }
            }
            Err(_) => {
                slots.shed[method].increment(1);
                let status = tonic::Status::resource_exhausted(format!(
                    "hqld is at its limit of {} concurrent qualification calls \
                     (limits.max_concurrent_requests); retry with backoff, or on another replica",
                    slots.limit
                ));
                ShedFuture { state: State::Shed { response: Some(status.into_http()) } }
            }
        }
    }
}

/// A slot taken: released, and the gauge lowered, when dropped.
#[derive(Debug)]
struct Slot {
    _permit: OwnedSemaphorePermit,
    slots: Arc<Slots>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.in_flight.decrement(1.0);
    }
}

pin_project! {
    /// The response of [`Shed`]: passed through, admitted (the slot moves
    /// into the body), or refused.
    pub(crate) struct ShedFuture<F> {
        #[pin]
        state: State<F>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F> {
        Pass { #[pin] inner: F },
        Admitted { #[pin] inner: F, slot: Option<Slot> },
        Shed { response: Option<http::Response<Body>> },
    }
}

impl<F> Future for ShedFuture<F>
where
    F: Future<Output = Result<http::Response<Body>, Infallible>>,
{
    type Output = Result<http::Response<Body>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Pass { inner } => inner.poll(cx),
            StateProj::Admitted { inner, slot } => {
                let Ok(response) = ready!(inner.poll(cx));
                Poll::Ready(Ok(response.map(|body| Body::new(SlotBody { inner: body, _slot: slot.take() }))))
            }
            StateProj::Shed { response } => Poll::Ready(Ok(response
                .take()
                .unwrap_or_else(|| tonic::Status::internal("response polled after completion").into_http()))),
        }
    }
}

pin_project! {
    /// A response body holding its call's slot until it is dropped.
    struct SlotBody {
        #[pin]
        inner: Body,
        _slot: Option<Slot>,
    }
}

impl HttpBody for SlotBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
