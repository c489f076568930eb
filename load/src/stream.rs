//! One QualifyStream of a `stream` run: messages pipelined up to a window.
//!
//! A caller streaming leads does not wait for each answer before sending the
//! next; it keeps a bounded number in flight so neither side queues without
//! limit. Here a sender task sends while fewer than `window` messages are
//! unanswered, and this task reads the answers. The server answers in
//! request order, so the send times queue in the same order and each answer
//! takes the oldest: its latency is from when the message was due to when
//! its answer arrived, time waiting for a window slot included.
//!
//! When the window closes the sender stops and ends the request stream; the
//! server answers what it has and closes the stream with OK. Every message
//! must be answered, with its own index, by a decision.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::{Semaphore, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tonic::client::Grpc;
use tonic::transport::Channel;
use tonic::{Code, Request};

use crate::calls::{Shared, check_result};
use crate::stats::Recorder;
use crate::wire::{self, RawCodec, StreamReply};

/// Streams leads on `grpc` with `window` in flight until the run's window
/// closes; returns what it saw.
pub async fn stream_loop(mut grpc: Grpc<Channel>, window: usize, shared: Shared) -> Recorder {
    let mut recorder = Recorder::new();
    let (requests, outgoing) = mpsc::channel::<Bytes>(window);
    let (due_tx, mut due_rx) = mpsc::unbounded_channel::<Instant>();
    let slots = Arc::new(Semaphore::new(window));
    let sender = tokio::spawn(send(shared.clone(), slots.clone(), requests, due_tx));

    if grpc.ready().await.is_err() {
        sender.abort();
        recorder.status(Code::Unavailable);
        return recorder;
    }
    let call = grpc.streaming(
        Request::new(ReceiverStream::new(outgoing)),
        wire::path(wire::QUALIFY_STREAM),
        RawCodec::<StreamReply>::default(),
    );
    let mut inbound = match call.await {
        Ok(response) => response.into_inner(),
        Err(status) => {
            sender.abort();
            recorder.status(status.code());
            return recorder;
        }
    };

    let mut expected_index = 0u64;
    loop {
        match inbound.message().await {
            Ok(Some(reply)) => {
                let done = Instant::now();
                slots.add_permits(1);
                let Ok(due) = due_rx.try_recv() else {
                    recorder.problem("UNREQUESTED_ANSWER");
                    continue;
                };
                if reply.message.index != expected_index {
                    recorder.problem("OUT_OF_ORDER");
                }
                expected_index += 1;
                let decided = match &reply.message.result {
                    Some(result) => check_result(result, &mut recorder),
                    None => {
                        recorder.problem("NO_DECISION");
                        false
                    }
                };
                if decided && shared.window.counts(due, done) {
                    recorder.ok(done - due, 1, reply.bytes);
                }
            }
            Ok(None) => break,
            Err(status) => {
                recorder.status(status.code());
                break;
            }
        }
    }
    // Normally finished already (ending its request stream is what ends the
    // answers); after an error it may still wait for a slot.
    sender.abort();
    let _ = sender.await;
    while due_rx.try_recv().is_ok() {
        recorder.problem("NOT_ANSWERED");
    }
    recorder
}

/// Sends leads while the run lasts and a window slot is free; dropping
/// `requests` on return ends the request stream.
async fn send(
    shared: Shared,
    slots: Arc<Semaphore>,
    requests: mpsc::Sender<Bytes>,
    due_tx: mpsc::UnboundedSender<Instant>,
) {
    let single = &shared.workload.single;
    loop {
        match slots.acquire().await {
            // The reader gives the slot back when the answer comes.
            Ok(permit) => permit.forget(),
            Err(_) => return,
        }
        let due = shared.pacer.next().await;
        if due >= shared.window.to {
            return;
        }
        let i = shared.cursor.fetch_add(1, Ordering::Relaxed);
        // The due time is queued before the message, so it is there when
        // the answer is read.
        if due_tx.send(due).is_err() || requests.send(single[i % single.len()].clone()).await.is_err() {
            return;
        }
    }
}
