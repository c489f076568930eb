//! QualifyStream: leads in as they come, results out in the same order.
//!
//! A task reads the request stream and answers each message as it arrives,
//! with its 0-based `index`. Messages that have already arrived when the
//! task reads are decided together, up to [`GROUP_MAX`], in one hop to a
//! decision thread (as a batch is): a stream kept busy by its caller then
//! pays for the hop once per group instead of once per lead, and one that
//! sends a lead at a time sees no difference. The messages arrive as bytes
//! and are decoded there, and the answers encoded there with their indexes.
//! A malformed lead gets its own error result
//! (paths under `lead` and `as_of`, as in Qualify) and the stream goes on,
//! as it does when one answer would pass `limits.max_message_bytes`;
//! only what breaks the stream itself ends it: a message that does not parse
//! (INTERNAL, after the answers to the messages before it), an oversized
//! message (tonic's status is passed on), or the caller's deadline, which
//! tonic does not enforce on streaming responses and which this task reports
//! as DEADLINE_EXCEEDED (a group is answered whole or not at all). The response channel is bounded, so a caller that
//! stops reading stops the task instead of growing a queue; a caller that
//! hangs up ends it.

use futures::FutureExt;
use hql_proto::encoded::Encoded;
use hql_proto::pb;
use prost::bytes::Bytes;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Status, Streaming};
use tracing::Instrument;

use super::batch::failed;
use super::{QualificationService, decide, guarded, sendable};
use crate::config::Limits;
use crate::convert::{encode, lead, wire};
use crate::current::CurrentEngine;
use crate::deadline::Deadline;
use crate::rpc_trace::LeadCount;
use crate::status::RequestError;

/// Responses buffered ahead of a slow reader.
const RESPONSE_BUFFER: usize = 32;

/// Most messages decided together in one hop to a decision thread.
const GROUP_MAX: usize = 16;

type Reply = Result<Encoded<pb::QualifyStreamResponse>, Status>;
type Message = Encoded<pb::QualifyStreamRequest>;

/// Starts the task answering `request`'s messages and returns its responses.
pub(super) fn qualify_stream(
    service: &QualificationService,
    request: Request<Streaming<Message>>,
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
    mut inbound: Streaming<Message>,
    tx: mpsc::Sender<Reply>,
    count: Option<LeadCount>,
) {
    let mut index: u64 = 0;
    loop {
        let first = tokio::select! {
            () = deadline.elapsed() => {
                // Best effort: the caller may be gone already.
                let _ = tx.send(Err(deadline.exceeded().into())).await;
                return;
            }
            () = tx.closed() => return,
            next = inbound.message() => next,
        };
        let (group, after) = match first {
            Ok(Some(message)) => gather(message, &mut inbound),
            Ok(None) => return,
            Err(status) => {
                let _ = tx.send(Err(status)).await;
                return;
            }
        };
        if let Some(count) = &count {
            count.add(group.len());
        }
        let answered = match decide_group(&engine, &limits, deadline, group, index).await {
            Ok(answered) => answered,
            Err(exceeded) => {
                let _ = tx.send(Err(exceeded.into())).await;
                return;
            }
        };
        for reply in answered.replies {
            tokio::select! {
                sent = tx.send(Ok(reply)) => {
                    if sent.is_err() {
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
        if let Some(undecodable) = answered.undecodable {
            let _ = tx.send(Err(undecodable.into())).await;
            return;
        }
        match after {
            After::More => {}
            After::End => return,
            After::Failed(status) => {
                let _ = tx.send(Err(status)).await;
                return;
            }
        }
    }
}

/// What the request stream did after the last message of a group.
enum After {
    /// Nothing yet, or another message beyond [`GROUP_MAX`]: read on.
    More,
    /// It ended: answer the group, then close the response stream.
    End,
    /// It failed: answer the group, then pass the status on.
    Failed(Status),
}

/// `first` and the messages that have already arrived behind it, up to
/// [`GROUP_MAX`], without waiting for more.
fn gather(first: Message, inbound: &mut Streaming<Message>) -> (Vec<Message>, After) {
    let mut group = Vec::with_capacity(GROUP_MAX);
    group.push(first);
    while group.len() < GROUP_MAX {
        // `message` is cancel-safe: a poll that finds nothing loses nothing.
        match inbound.message().now_or_never() {
            None => break,
            Some(Ok(Some(message))) => group.push(message),
            Some(Ok(None)) => return (group, After::End),
            Some(Err(status)) => return (group, After::Failed(status)),
        }
    }
    (group, After::More)
}

/// A group's answers, encoded with their indexes.
struct Answered {
    replies: Vec<Encoded<pb::QualifyStreamResponse>>,
    /// Set when a message did not parse: `replies` answer the messages
    /// before it, and the stream ends with this.
    undecodable: Option<RequestError>,
}

/// Each message's answer, in order, indexed from `first`: its decision or
/// its own error. `Err` only when the deadline passed, which ends the
/// stream.
async fn decide_group(
    engine: &CurrentEngine,
    limits: &Limits,
    deadline: Deadline,
    group: Vec<Message>,
    first: u64,
) -> Result<Answered, RequestError> {
    let n = group.len();
    // Per group, so a long-lived stream follows policy reloads.
    let engine = engine.get();
    let limits = *limits;
    let decided = decide(deadline, move || {
        let caps = wire::Caps::of(&limits);
        let mut replies = Vec::with_capacity(group.len());
        for (index, message) in (first..).zip(&group) {
            deadline.check()?;
            let wire::Single { lead, as_of } =
                match wire::single(message.as_bytes(), "QualifyStreamRequest", caps) {
                    Ok(message) => message,
                    Err(error) => return Ok(Answered { replies, undecodable: Some(error.into()) }),
                };
            let answer = lead::lead_and_as_of(lead, as_of, &limits).map_err(RequestError::from).and_then(
                |(record, as_of_ms)| {
                    guarded(|| engine.qualify_with(&record, as_of_ms, |d| encode::stream_decided(index, &d)))
                        .and_then(|answer| sendable(answer, &limits, "raise the limit"))
                },
            );
            replies.push(match answer {
                Ok(answer) => Encoded::from_bytes(Bytes::from(answer)),
                Err(error) => {
                    Encoded::encode(&pb::QualifyStreamResponse { index, result: Some(failed(error)) })
                }
            });
        }
        Ok(Answered { replies, undecodable: None })
    })
    .await;
    match decided {
        Err(exceeded @ RequestError::DeadlineExceeded { .. }) => Err(exceeded),
        Err(error) => {
            // The group's worker failed as a whole (the pool is shutting
            // down): each message gets that error as its own result.
            let result = failed(error);
            let replies = (first..)
                .take(n)
                .map(|index| {
                    Encoded::encode(&pb::QualifyStreamResponse { index, result: Some(result.clone()) })
                })
                .collect();
            Ok(Answered { replies, undecodable: None })
        }
        decided => decided,
    }
}
