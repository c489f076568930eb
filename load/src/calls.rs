//! One client task of a unary-call mode (Qualify, Explain, QualifyBatch):
//! call, wait for the answer, check it, record, repeat.
//!
//! A call is checked as deeply as a caller relies on it: an OK status is not
//! enough, the answer must hold a decision (an explanation), and in a batch
//! every lead's result must be a decision; a lead's own error is counted by
//! its code like a failed call, since a run with errors measures something
//! other than the service working.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use tonic::client::Grpc;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

use crate::pacer::Pacer;
use crate::spec::{LoadSpec, Mode, Window};
use crate::stats::Recorder;
use crate::wire::{self, BatchReply, LeadResult, RawCodec, SingleReply};
use crate::workload::Workload;

/// What one task shares with the others of its run.
#[derive(Debug, Clone)]
pub struct Shared {
    /// The run's requests.
    pub workload: Arc<Workload>,
    /// Send times.
    pub pacer: Arc<Pacer>,
    /// Which lead (or batch) goes next, across tasks.
    pub cursor: Arc<AtomicUsize>,
    /// The run's phases.
    pub window: Window,
}

/// Calls `spec.mode` on `grpc` until the window closes; returns what it saw.
pub async fn call_loop(mut grpc: Grpc<Channel>, spec: LoadSpec, shared: Shared) -> Recorder {
    let mut recorder = Recorder::new();
    loop {
        let due = shared.pacer.next().await;
        if due >= shared.window.to {
            return recorder;
        }
        let i = shared.cursor.fetch_add(1, Ordering::Relaxed);
        let outcome = match spec.mode {
            Mode::Unary | Mode::Stream => single(&mut grpc, &spec, wire::QUALIFY, &shared.workload, i).await,
            Mode::Explain => single(&mut grpc, &spec, wire::EXPLAIN, &shared.workload, i).await,
            Mode::Batch => batch(&mut grpc, &spec, &shared.workload, i, &mut recorder).await,
        };
        let done = Instant::now();
        match outcome {
            Ok(Answer { leads, bytes }) if leads > 0 => {
                if shared.window.counts(due, done) {
                    recorder.ok(done - due, leads, bytes);
                }
            }
            Ok(_) => recorder.problem("NO_DECISION"),
            Err(status) => recorder.status(status.code()),
        }
    }
}

/// An OK answer: how many decisions it held, and its size.
struct Answer {
    leads: u64,
    bytes: usize,
}

async fn ready(grpc: &mut Grpc<Channel>) -> Result<(), Status> {
    grpc.ready().await.map_err(|e| Status::new(Code::Unavailable, format!("channel not ready: {e}")))
}

/// Qualify or Explain of lead `i`.
async fn single(
    grpc: &mut Grpc<Channel>,
    spec: &LoadSpec,
    rpc: &'static str,
    workload: &Workload,
    i: usize,
) -> Result<Answer, Status> {
    let body: Bytes = workload.single[i % workload.single.len()].clone();
    let mut request = Request::new(body);
    request.set_timeout(spec.timeout);
    ready(grpc).await?;
    let reply = grpc.unary(request, wire::path(rpc), RawCodec::<SingleReply>::default()).await?.into_inner();
    Ok(Answer { leads: u64::from(reply.message.answer.is_some()), bytes: reply.bytes })
}

/// QualifyBatch of batch `i`; each lead's own error goes to `recorder`.
async fn batch(
    grpc: &mut Grpc<Channel>,
    spec: &LoadSpec,
    workload: &Workload,
    i: usize,
    recorder: &mut Recorder,
) -> Result<Answer, Status> {
    let body = workload.batches[i % workload.batches.len()].clone();
    let mut request = Request::new(body);
    request.set_timeout(spec.timeout);
    ready(grpc).await?;
    let reply =
        grpc.unary(request, wire::path(wire::QUALIFY_BATCH), RawCodec::<BatchReply>::default()).await?;
    let reply = reply.into_inner();
    let mut leads = 0;
    for result in &reply.message.results {
        if check_result(result, recorder) {
            leads += 1;
        }
    }
    if reply.message.results.len() != workload.batch_size {
        recorder.problem("WRONG_RESULT_COUNT");
    }
    Ok(Answer { leads, bytes: reply.bytes })
}

/// Whether one lead's result is a decision; anything else is counted.
pub fn check_result(result: &LeadResult, recorder: &mut Recorder) -> bool {
    match (&result.decision, &result.error) {
        (Some(_), None) => true,
        (_, Some(error)) => {
            recorder.status(Code::from_i32(error.code));
            false
        }
        (None, None) => {
            recorder.problem("NO_DECISION");
            false
        }
    }
}
