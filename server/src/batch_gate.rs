//! QualifyBatch calls wait for a decision thread as bytes, a bounded number
//! at a time, in arrival order.
//!
//! A decoded batch takes several times its encoded size: every event, string
//! and attribute of every lead becomes its own allocation (about 8 KB of
//! memory per 1.5 KB lead, from peak RSS at 8 and at 64 batch calls in
//! flight). Decisions run on `limits.decision_threads` threads, so under
//! load most batch calls in flight are waiting for one. Decoded, 64 waiting
//! calls of 100 leads held about 45 MiB of `hqld`'s 69 MiB peak
//! (docs/performance.md, "Batch calls wait as bytes"). Here a batch call's
//! request is read off the connection and kept as the bytes that arrived,
//! and only handed on once a slot is free; the handler decodes it on the
//! decision thread that decides it (`hql_proto::encoded`).
//!
//! The request is read before the wait, not left unread in HTTP/2's
//! buffers: flow control is per connection as well as per stream, and calls
//! left unread would hold the connection's window while the call being
//! decided on the same connection still needs it for the rest of its body
//! (a deadlock, seen under load with 8 calls of 150 kB per connection).
//! Reading stops at `limits.max_message_bytes` (plus gRPC's 5-byte frame
//! header), answered OUT_OF_RANGE as tonic answers a message over the limit.
//!
//! Two slots per decision thread: one batch being decided and the next
//! read and queued for it, so a thread never waits for the network. Slots are
//! granted in arrival order (tokio's semaphore is fair) and held until the
//! answer is ready to send; a call abandoned while it waits leaves the
//! queue. The other methods pass straight through: their requests hold one
//! lead, and a stream takes one message at a time. Calls wait here only
//! after [`crate::shed`] admitted them, so the shedding limit still counts
//! them, and `hql_batch_calls_waiting` says how many are queued.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ::metrics::Gauge;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use pin_project_lite::pin_project;
use tokio::sync::Semaphore;
use tonic::body::Body;
use tonic::server::NamedService;

/// Gauge: QualifyBatch calls waiting, unread, for a decision thread.
pub const BATCH_CALLS_WAITING: &str = "hql_batch_calls_waiting";

/// Batch calls admitted past the gate per decision thread.
const SLOTS_PER_THREAD: usize = 2;
/// gRPC's frame header: a compression flag and a 4-byte length.
const FRAME_HEADER_BYTES: usize = 5;

/// Describes this module's metric to the installed recorder and sets it to
/// 0, so it is exported from the first scrape: `/metrics` answers before
/// the gRPC service (and its [`BatchGate`]) is built.
pub(crate) fn describe() {
    ::metrics::describe_gauge!(
        BATCH_CALLS_WAITING,
        ::metrics::Unit::Count,
        "QualifyBatch calls waiting, their request held as bytes, for a decision thread."
    );
    ::metrics::gauge!(BATCH_CALLS_WAITING).set(0.0);
}

/// What every connection's copy of [`BatchGate`] shares.
#[derive(Debug)]
struct Queue {
    slots: Arc<Semaphore>,
    waiting: Gauge,
    /// The QualifyBatch path of the wrapped service.
    path: String,
    /// `limits.max_message_bytes`.
    max_message_bytes: usize,
}

/// The qualification service `S`, its QualifyBatch calls queued for slots.
#[derive(Debug)]
pub(crate) struct BatchGate<S> {
    inner: S,
    queue: Arc<Queue>,
}

impl<S: Clone> Clone for BatchGate<S> {
    fn clone(&self) -> BatchGate<S> {
        BatchGate { inner: self.inner.clone(), queue: Arc::clone(&self.queue) }
    }
}

impl<S: NamedService> BatchGate<S> {
    /// `inner` decoding at most two batch requests per decision thread at
    /// once, each at most `max_message_bytes`.
    pub(crate) fn new(inner: S, decision_threads: usize, max_message_bytes: usize) -> BatchGate<S> {
        let waiting = ::metrics::gauge!(BATCH_CALLS_WAITING);
        waiting.set(0.0);
        let slots = Arc::new(Semaphore::new(decision_threads.max(1) * SLOTS_PER_THREAD));
        let path = format!("/{}/QualifyBatch", S::NAME);
        BatchGate { inner, queue: Arc::new(Queue { slots, waiting, path, max_message_bytes }) }
    }
}

impl<S: NamedService> NamedService for BatchGate<S> {
    const NAME: &'static str = S::NAME;
}

impl<S> tower_service::Service<http::Request<Body>> for BatchGate<S>
where
    S: tower_service::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = GateFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if request.uri().path() != self.queue.path {
            return GateFuture::Pass { inner: self.inner.call(request) };
        }
        // The call is made later, from the future: it takes the service
        // that was made ready and leaves a fresh clone in its place (tonic's
        // generated services are always ready).
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let queue = Arc::clone(&self.queue);
        GateFuture::Queued {
            queued: Box::pin(async move {
                let (parts, body) = request.into_parts();
                let limit = queue.max_message_bytes;
                let body = match Limited::new(body, limit.saturating_add(FRAME_HEADER_BYTES)).collect().await
                {
                    Ok(body) => body,
                    Err(error) => return Ok(unread(&*error, limit).into_http()),
                };
                let slot = {
                    let _waiting = Waiting::new(&queue.waiting);
                    // Never closed, so never an error.
                    Arc::clone(&queue.slots).acquire_owned().await.ok()
                };
                let response = inner.call(http::Request::from_parts(parts, Body::new(body))).await;
                // Released once the answer is built: its encoding needs no
                // decision thread.
                drop(slot);
                response
            }),
        }
    }
}

/// The answer to a batch request that could not be read in full.
fn unread(error: &(dyn std::error::Error + 'static), limit: usize) -> tonic::Status {
    if error.is::<LengthLimitError>() {
        tonic::Status::out_of_range(format!(
            "the request is larger than limits.max_message_bytes ({limit} bytes); split the batch"
        ))
    } else {
        // The client reset the call or the connection broke: nobody reads
        // this answer, but the call ends cleanly.
        tonic::Status::cancelled(format!("the request could not be read: {error}"))
    }
}

/// Counts a call in `hql_batch_calls_waiting` while it lives.
struct Waiting<'a>(&'a Gauge);

impl<'a> Waiting<'a> {
    fn new(gauge: &'a Gauge) -> Waiting<'a> {
        gauge.increment(1.0);
        Waiting(gauge)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

type Queued = Pin<Box<dyn Future<Output = Result<http::Response<Body>, Infallible>> + Send>>;

pin_project! {
    /// The response of [`BatchGate`]: passed through, or queued for a slot.
    #[project = GateProj]
    pub(crate) enum GateFuture<F> {
        Pass { #[pin] inner: F },
        Queued { queued: Queued },
    }
}

impl<F> Future for GateFuture<F>
where
    F: Future<Output = Result<http::Response<Body>, Infallible>>,
{
    type Output = Result<http::Response<Body>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GateProj::Pass { inner } => inner.poll(cx),
            GateProj::Queued { queued } => queued.as_mut().poll(cx),
        }
    }
}
