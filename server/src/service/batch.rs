//! QualifyBatch: up to `max_batch_size` leads, one result each, in order.
//!
//! Only what concerns the whole call fails it: too many leads, a bad
//! `as_of` (it applies to every lead), the deadline, an answer that would
//! pass `limits.max_message_bytes` (found at the lead whose result passes
//! it; the leads after it are not decided). A bad lead gets its own
//! INVALID_ARGUMENT result with paths under `leads[i]`, and its neighbours
//! are still decided.
//!
//! The leads are decided one after another in one blocking task, racing the
//! caller's deadline. The request is scanned first (how many leads, where
//! each starts, `as_of`), and each lead is decoded only when its turn comes,
//! so a call holds one decoded lead at a time whatever its size
//! (`convert::wire`). If the deadline wins, or the caller goes away and this
//! call's future is dropped, the task sees it before its next lead and stops,
//! so an abandoned batch does not keep a thread busy.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hql_proto::encoded::Encoded;
use hql_proto::pb;
use hql_qualifier::Engine;
use prost::bytes::Bytes;
use prost_types::Timestamp;
use tonic::Request;

use super::{QualificationService, decide, guarded};
use crate::config::Limits;
use crate::convert::{encode, lead, time, wire};
use crate::deadline::Deadline;
use crate::rpc_trace::LeadCount;
use crate::status::{self, RequestError};
use crate::validate::{Path, Violations};

/// On a decision thread: decodes and validates the call, decides every
/// lead, encodes the results.
pub(super) async fn qualify_batch(
    service: &QualificationService,
    request: Request<Encoded<pb::QualifyBatchRequest>>,
) -> Result<Encoded<pb::QualifyBatchResponse>, RequestError> {
    let deadline = Deadline::of(&request);
    let count = LeadCount::of(&request);
    let request = request.into_inner();
    let limits = service.limits;
    let stop = StopOnDrop::default();
    let stopped = Arc::clone(&stop.0);
    let engine = service.engine.get();
    let answered =
        decide(deadline, move || answer(&engine, &limits, &request, deadline, &stopped, count.as_ref()))
            .await;
    drop(stop);
    answered
}

/// Decodes and checks the call, decides every lead (until `deadline`, or
/// until `stopped` is raised), returns the encoded results.
pub(crate) fn answer(
    engine: &Engine,
    limits: &Limits,
    request: &Encoded<pb::QualifyBatchRequest>,
    deadline: Deadline,
    stopped: &AtomicBool,
    count: Option<&LeadCount>,
) -> Result<Encoded<pb::QualifyBatchResponse>, RequestError> {
    let caps = wire::Caps::of(limits);
    let wire::Batch { leads, lead_count, as_of } =
        wire::batch(request.as_bytes(), limits.max_batch_size, caps)?;
    if let Some(count) = count {
        count.set(lead_count);
    }
    let as_of_ms = call_as_of(limits, lead_count, as_of)?;
    let answer = decide_all(engine, limits, caps, leads, as_of_ms, deadline, stopped)?;
    Ok(Encoded::from_bytes(Bytes::from(answer)))
}

/// What concerns the whole call: the number of leads and the `as_of` they
/// are all decided at.
fn call_as_of(limits: &Limits, leads: usize, as_of: Option<Timestamp>) -> Result<i64, RequestError> {
    let mut v = Violations::default();
    if leads > limits.max_batch_size {
        v.push(
            Path::Root("leads"),
            format!("must have at most {} leads, got {leads}", limits.max_batch_size),
        );
    }
    let as_of_ms = time::as_of_ms(&mut v, Path::Root("as_of"), as_of);
    Ok(v.into_result(as_of_ms)?)
}

/// Reads and decides each lead in order, checking before each that the
/// caller still waits and the deadline has not passed, and writes each
/// result as it is decided: the answer's bytes (`results`, field 1), with
/// no `pb::QualifyBatchResponse` built first. One lead is held decoded at a
/// time; a lead that does not parse fails the call, as it would have had
/// the request been decoded whole (`wire::batch`).
fn decide_all(
    engine: &Engine,
    limits: &Limits,
    caps: wire::Caps,
    leads: Vec<wire::LeadBytes<'_>>,
    as_of_ms: i64,
    deadline: Deadline,
    stopped: &AtomicBool,
) -> Result<Vec<u8>, RequestError> {
    let count = leads.len();
    let mut answer = Vec::new();
    for (index, lead) in leads.into_iter().enumerate() {
        if stopped.load(Ordering::Relaxed) {
            return Err(RequestError::Cancelled);
        }
        deadline.check()?;
        let lead = lead.read(caps)?;
        let start = answer.len();
        let decided = lead::batch_lead(index, lead, limits).map_err(RequestError::from).and_then(|record| {
            guarded(|| {
                engine.qualify_with(&record, as_of_ms, |d| encode::put_decided_result(&mut answer, 1, &d))
            })
        });
        if let Err(error) = decided {
            // Nothing half-written stays if the engine panicked mid-answer.
            answer.truncate(start);
            encode::put_result(&mut answer, 1, &failed(error));
        }
        if answer.len() > limits.max_message_bytes {
            // It could not be sent: the leads after this one are not decided.
            return Err(RequestError::AnswerTooLarge {
                limit: limits.max_message_bytes,
                what: format!(
                    "it passed that with the result of leads[{index}], lead {} of {count}; send fewer leads per call",
                    index + 1
                ),
            });
        }
        if index == 0 {
            // The rest are about the size of the first.
            answer.reserve((answer.len() * (count - 1)).min(limits.max_message_bytes));
        }
    }
    Ok(answer)
}

/// A lead's own error as its result, a `google.rpc.Status`.
pub(super) fn failed(error: RequestError) -> pb::QualifyBatchResult {
    pb::QualifyBatchResult {
        outcome: Some(pb::qualify_batch_result::Outcome::Error(status::rpc_status(error))),
    }
}

/// Raised when the call's future is dropped (answered, timed out, or
/// abandoned by the caller); the worker checks it between leads.
#[derive(Default)]
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
