//! The `LeadQualificationService` trait, implemented by delegation.
//!
//! This file only dispatches: each RPC lives in its own file and returns a
//! [`RequestError`] on failure, turned into a `tonic::Status` here by the one
//! mapping in [`crate::status`]. The handlers follow one shape: read the
//! deadline, then on a decision thread decode, validate and convert the
//! request, let the engine decide, convert and encode the answer.
//!
//! The engine always runs on tokio's blocking pool, raced against the
//! caller's deadline ([`decide`]). Scorers are plugin code of unknown speed:
//! on a runtime worker a slow one would stall every other connection served
//! by that worker, and a handler stuck in it could not answer
//! DEADLINE_EXCEEDED on time. The hop costs microseconds per call.
//!
//! The deciding methods take and give their messages as wire bytes
//! ([`Encoded`], see `hql_proto::encoded`), so the decision thread that
//! decides a lead is also the one that decodes it and encodes its answer:
//! what it allocates it frees itself, and the runtime workers only move
//! bytes. A message that does not parse is found there
//! ([`RequestError::Undecodable`]) and answered INTERNAL, as tonic answers
//! it for the methods it decodes itself.

use std::panic::{AssertUnwindSafe, catch_unwind};

use hql_proto::encoded::Encoded;
use hql_proto::pb;
use hql_proto::pb::lead_qualification_service_server::LeadQualificationService;
use tokio::task::JoinError;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use crate::config::Limits;
use crate::current::CurrentEngine;
use crate::deadline::Deadline;
use crate::status::RequestError;

pub(crate) mod batch;
pub(crate) mod explain;
mod list_scorers;
pub(crate) mod qualify;
mod stream;

/// The service: the engine in force and the limits requests are held to.
/// Each request takes the engine once (`engine.get()`) and keeps it.
#[derive(Clone)]
pub(crate) struct QualificationService {
    engine: CurrentEngine,
    limits: Limits,
}

impl QualificationService {
    /// A service deciding with whatever `engine` holds, under `limits`.
    pub(crate) fn new(engine: CurrentEngine, limits: Limits) -> QualificationService {
        QualificationService { engine, limits }
    }
}

#[tonic::async_trait]
impl LeadQualificationService for QualificationService {
    async fn qualify(
        &self,
        request: Request<Encoded<pb::QualifyRequest>>,
    ) -> Result<Response<Encoded<pb::QualifyResponse>>, Status> {
        qualify::qualify(self, request).await.map(Response::new).map_err(Status::from)
    }

    async fn qualify_batch(
        &self,
        request: Request<Encoded<pb::QualifyBatchRequest>>,
    ) -> Result<Response<Encoded<pb::QualifyBatchResponse>>, Status> {
        batch::qualify_batch(self, request).await.map(Response::new).map_err(Status::from)
    }

    type QualifyStreamStream = ReceiverStream<Result<Encoded<pb::QualifyStreamResponse>, Status>>;

    async fn qualify_stream(
        &self,
        request: Request<Streaming<Encoded<pb::QualifyStreamRequest>>>,
    ) -> Result<Response<Self::QualifyStreamStream>, Status> {
        Ok(Response::new(stream::qualify_stream(self, request)))
    }

    async fn explain(
        &self,
        request: Request<Encoded<pb::ExplainRequest>>,
    ) -> Result<Response<Encoded<pb::ExplainResponse>>, Status> {
        explain::explain(self, request).await.map(Response::new).map_err(Status::from)
    }

    async fn list_scorers(
        &self,
        request: Request<pb::ListScorersRequest>,
    ) -> Result<Response<pb::ListScorersResponse>, Status> {
        Ok(Response::new(list_scorers::list_scorers(self, request)))
    }
}

/// Runs engine work on the blocking pool and waits for it until `deadline`.
///
/// When the deadline wins, the answer is DEADLINE_EXCEEDED at once; the work
/// itself cannot be interrupted (a scorer is foreign code) and finishes in
/// the background, its result dropped.
async fn decide<T: Send + 'static>(
    deadline: Deadline,
    work: impl FnOnce() -> Result<T, RequestError> + Send + 'static,
) -> Result<T, RequestError> {
    deadline.check()?;
    let task = tokio::task::spawn_blocking(move || guarded(work).and_then(|result| result));
    tokio::select! {
        joined = task => joined.unwrap_or_else(|error| Err(join_error(&error))),
        () = deadline.elapsed() => Err(deadline.exceeded()),
    }
}

/// `answer`, if it can be sent: tonic's encoder refuses a message larger
/// than `limits.max_message_bytes`, so one that is gets the error that says
/// so in the service's words ([`RequestError::AnswerTooLarge`]), `advice`
/// saying what the caller can change.
fn sendable(answer: Vec<u8>, limits: &Limits, advice: &str) -> Result<Vec<u8>, RequestError> {
    if answer.len() <= limits.max_message_bytes {
        return Ok(answer);
    }
    Err(RequestError::AnswerTooLarge {
        limit: limits.max_message_bytes,
        what: format!("it is {} bytes; {advice}", answer.len()),
    })
}

/// A blocking task that did not return: it panicked outside [`guarded`]
/// (a bug), or the runtime is shutting down and dropped it.
fn join_error(error: &JoinError) -> RequestError {
    if error.is_panic() {
        RequestError::Internal("the decision worker panicked".to_owned())
    } else {
        RequestError::Unavailable("the server is shutting down".to_owned())
    }
}

/// Runs engine work, turning a panic into [`RequestError::Internal`] so one
/// bad lead costs one answer, not the connection. Scorer panics are caught
/// by the engine itself; this is the net for bugs in the engine. The engine
/// is shared read-only, so nothing half-updated is observed after a panic.
fn guarded<T>(work: impl FnOnce() -> T) -> Result<T, RequestError> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        tracing::error!(panic = %what, "engine panicked");
        RequestError::Internal(format!("the engine failed on this lead: {what}"))
    })
}
