//! QualifyStream: leads in as they come, results out in the same order.
//!
//! A task reads the request stream and answers each message as it arrives,
//! with its 0-based `index`. A malformed lead gets its own error result
//! (paths under `lead` and `as_of`, as in Qualify) and the stream goes on;
//! only what breaks the stream itself ends it: an undecodable or oversized
//! message (tonic's status is passed on), or the caller's deadline, which
//! tonic does not enforce on streaming responses and which this task reports
//! as DEADLINE_EXCEEDED. The response channel is bounded, so a caller that
//! stops reading stops the task instead of growing a queue; a caller that
//! hangs up ends it.

use crate::current::CurrentEngine;
use hql_proto::pb;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Status, Streaming};
use tracing::Instrument;

use super::batch::outcome;
use super::{QualificationService, decide};
use crate::config::Limits;
use crate::convert::{decision, lead};
use crate::deadline::Deadline;
use crate::rpc_trace::LeadCount;
use crate::status::RequestError;

/// Responses buffered ahead of a slow reader.
const RESPONSE_BUFFER: usize = 32;

type Reply = Result<pb::QualifyStreamResponse, Status>;

/// Starts the task answering `request`'s messages and returns its responses.
pub(super) fn qualify_stream(
    service: &QualificationService,
    request: Request<Streaming<pb::QualifyStreamRequest>>,
) -> ReceiverStream<Reply> {
    let deadline = Deadline::of(&request);
    let count = LeadCount::of(&request);
    let inbound = request.into_inner();
    let (tx, rx) = mpsc::channel(RESPONSE_BUFFER);
    let engine = service.engine.clone();
    let limits = service.limits;
    // In the call's span, so what the task logs names the call.
    tokio::spawn(answer(engine, limits, deadline, inbound, tx, count).in_current_span());
    ReceiverStream::new(rx)
}

/// Reads, decides and answers until the caller's stream ends, the caller
/// hangs up, the deadline passes, or the request stream fails.
async fn answer(
    engine: CurrentEngine,
    limits: Limits,
    deadline: Deadline,
    mut inbound: Streaming<pb::QualifyStreamRequest>,
    tx: mpsc::Sender<Reply>,
    count: Option<LeadCount>,
) {
    let mut index: u64 = 0;
    loop {
        let next = tokio::select! {
            () = deadline.elapsed() => {
                // Best effort: the caller may be gone already.
                let _ = tx.send(Err(deadline.exceeded().into())).await;
                return;
            }
            () = tx.closed() => return,
            next = inbound.message() => next,
        };
        let message = match next {
            Ok(Some(message)) => {
                if let Some(count) = &count {
                    count.add_one();
                }
                message
            }
            Ok(None) => return,
            Err(status) => {
                let _ = tx.send(Err(status)).await;
                return;
            }
        };
        let reply = match decide_one(&engine, &limits, deadline, message).await {
            Ok(result) => Ok(pb::QualifyStreamResponse { index, result: Some(result) }),
            Err(exceeded) => Err(Status::from(exceeded)),
        };
        let last = reply.is_err();
        tokio::select! {
            sent = tx.send(reply) => {
                if sent.is_err() || last {
                    return;
                }
            }
            () = deadline.elapsed() => {
                // The reader is slow: the status still has to follow the
                // responses already queued, or the stream would end as OK.
                let _ = tx.send(Err(deadline.exceeded().into())).await;
                return;
            }
        }
        index += 1;
    }
}

/// One message's result: its decision or its own error. `Err` only when
/// the deadline passed, which ends the stream.
async fn decide_one(
    engine: &CurrentEngine,
    limits: &Limits,
    deadline: Deadline,
    message: pb::QualifyStreamRequest,
) -> Result<pb::QualifyBatchResult, RequestError> {
    let pb::QualifyStreamRequest { lead, as_of } = message;
    let (record, as_of_ms) = match lead::lead_and_as_of(lead, as_of, limits) {
        Ok(valid) => valid,
        Err(violations) => return Ok(outcome(Err(violations.into()))),
    };
    // Per message, so a long-lived stream follows policy reloads.
    let engine = engine.get();
    match decide(deadline, move || Ok(decision::decision(engine.qualify(&record, as_of_ms)))).await {
        Err(exceeded @ RequestError::DeadlineExceeded { .. }) => Err(exceeded),
        decided => Ok(outcome(decided)),
    }
}
