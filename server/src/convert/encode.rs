//! Decisions straight to wire bytes: `hql.v1.Decision` encoded from the
//! engine's [`DecisionRef`], with no `pb::Decision` in between (and, in
//! `explanation`, Explain's whole answer from the engine's explanation).
//!
//! Why: going through `pb::Decision` meant a tree of owned strings built
//! for one encoding, about 45 allocations and as many copies per decision
//! (every scorer's name, version and dimension, the policy's name, version
//! and digest, every top reason's code, message and field paths), then freed.
//! Here the bytes are written from where the strings already are.
//!
//! What makes this safe to keep by hand: the bytes are those prost writes
//! for the same decision converted by [`super::decision::decision`], to the
//! byte. Proto3 rules as prost applies them: a scalar or string at its
//! default (0, 0.0, false, "") is left out; a message field that is set is
//! written even when empty (`evidence`, `policy`, `as_of`); repeated
//! `uint32` is packed; fields go in field-number order. The tests compare
//! the bytes with prost's for decisions with every field set, with none,
//! and for a few hundred generated ones; `tests/tests/explain_parity.rs`
//! compares Qualify's decision with the one inside Explain's answer through
//! the real server (Explain's is written by this same encoder, inside the
//! explanation's, `explanation`). [`DecisionRef`] is destructured here
//! without `..`, so a field added to the decision fails the build until it
//! is encoded.

use hql_proto::pb;
use hql_qualifier::decision::Disqualification;
use hql_qualifier::decision_ref::{DimensionScoreRef, ReasonRef, ScorerSummaryRef};
use hql_qualifier::{DecisionRef, PolicyRef};
use prost::Message;
use prost::bytes::BufMut;
use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint, key_len};

use super::decision::{stage_number, status_number};
use crate::convert::time;

mod explanation;

pub(crate) use explanation::explain_response;

/// A `QualifyResponse` holding `decision`, as wire bytes.
pub(crate) fn qualify_response(decision: &DecisionRef<'_>) -> Vec<u8> {
    let len = decision_len(decision);
    let mut buf = Vec::with_capacity(message_len(1, len));
    put_message(&mut buf, 1, len, |buf| put_decision(buf, decision));
    buf
}

/// Appends one `QualifyBatchResult` holding `decision` as field `tag` of
/// the enclosing message (`results` of a batch answer, `result` of a stream
/// answer).
pub(crate) fn put_decided_result(buf: &mut Vec<u8>, tag: u32, decision: &DecisionRef<'_>) {
    let len = decision_len(decision);
    put_message(buf, tag, message_len(1, len), |buf| {
        put_message(buf, 1, len, |buf| put_decision(buf, decision));
    });
}

/// Appends one `QualifyBatchResult` as field `tag`, through prost (a lead's
/// own error; rare, so not worth encoding by hand).
pub(crate) fn put_result(buf: &mut Vec<u8>, tag: u32, result: &pb::QualifyBatchResult) {
    put_message(buf, tag, result.encoded_len(), |buf| result.encode_raw(buf));
}

/// A `QualifyStreamResponse`: the message's index and its decision.
pub(crate) fn stream_decided(index: u64, decision: &DecisionRef<'_>) -> Vec<u8> {
    let len = decision_len(decision);
    let mut buf = Vec::with_capacity(varint_len(1, index) + message_len(2, message_len(1, len)));
    put_varint(&mut buf, 1, index);
    put_decided_result(&mut buf, 2, decision);
    buf
}

/// Length of a `Decision`'s fields.
fn decision_len(d: &DecisionRef<'_>) -> usize {
    let DecisionRef {
        decision_id,
        lead_id,
        stage: reached,
        score,
        dimensions,
        scorers,
        top_reasons,
        degraded,
        disqualifications,
        next_stage,
        next_stage_gap,
        policy,
        as_of_ms,
    } = d;
    str_len(1, decision_id)
        + str_len(2, lead_id)
        + enum_len(3, stage_number(*reached))
        + double_len(4, *score)
        + dimensions.iter().map(|x| message_len(5, dimension_len(x))).sum::<usize>()
        + scorers.iter().map(|x| message_len(6, summary_len(x))).sum::<usize>()
        + top_reasons.iter().map(|x| message_len(7, reason_len(x, evidence_len(x)))).sum::<usize>()
        + bool_len(8, *degraded)
        + disqualifications.iter().map(|x| message_len(9, disqualification_len(x))).sum::<usize>()
        + enum_len(10, next_stage.map_or(0, stage_number))
        + str_len(11, next_stage_gap)
        + message_len(12, policy_len(policy))
        + message_len(13, timestamp_len(*as_of_ms))
}

fn disqualification_len(x: &Disqualification) -> usize {
    str_len(1, &x.code) + str_len(2, &x.scorer) + str_len(3, &x.message)
}

fn policy_len(x: &PolicyRef) -> usize {
    str_len(1, &x.name) + str_len(2, &x.version) + str_len(3, &x.digest)
}

fn put_decision(buf: &mut Vec<u8>, d: &DecisionRef<'_>) {
    put_str(buf, 1, &d.decision_id);
    put_str(buf, 2, d.lead_id);
    put_enum(buf, 3, stage_number(d.stage));
    put_double(buf, 4, d.score);
    for x in &d.dimensions {
        put_message(buf, 5, dimension_len(x), |buf| {
            put_str(buf, 1, x.name);
            put_double(buf, 2, x.score);
            put_double(buf, 3, x.weight);
        });
    }
    for x in &d.scorers {
        put_message(buf, 6, summary_len(x), |buf| put_summary(buf, x));
    }
    for x in &d.top_reasons {
        // The evidence's length is needed for the reason's and inside it.
        let evidence = evidence_len(x);
        put_message(buf, 7, reason_len(x, evidence), |buf| put_reason(buf, x, evidence));
    }
    put_bool(buf, 8, d.degraded);
    for x in d.disqualifications {
        put_message(buf, 9, disqualification_len(x), |buf| {
            put_str(buf, 1, &x.code);
            put_str(buf, 2, &x.scorer);
            put_str(buf, 3, &x.message);
        });
    }
    put_enum(buf, 10, d.next_stage.map_or(0, stage_number));
    put_str(buf, 11, &d.next_stage_gap);
    let policy = d.policy;
    put_message(buf, 12, policy_len(policy), |buf| {
        put_str(buf, 1, &policy.name);
        put_str(buf, 2, &policy.version);
        put_str(buf, 3, &policy.digest);
    });
    put_message(buf, 13, timestamp_len(d.as_of_ms), |buf| put_timestamp(buf, d.as_of_ms));
}

fn dimension_len(x: &DimensionScoreRef<'_>) -> usize {
    str_len(1, x.name) + double_len(2, x.score) + double_len(3, x.weight)
}

fn summary_len(x: &ScorerSummaryRef<'_>) -> usize {
    str_len(1, x.name)
        + str_len(2, x.version)
        + str_len(3, x.dimension)
        + double_len(4, x.score)
        + double_len(5, x.weight)
        + double_len(6, x.contribution)
        + enum_len(7, status_number(x.status))
        + str_len(8, x.error)
}

fn put_summary(buf: &mut Vec<u8>, x: &ScorerSummaryRef<'_>) {
    put_str(buf, 1, x.name);
    put_str(buf, 2, x.version);
    put_str(buf, 3, x.dimension);
    put_double(buf, 4, x.score);
    put_double(buf, 5, x.weight);
    put_double(buf, 6, x.contribution);
    put_enum(buf, 7, status_number(x.status));
    put_str(buf, 8, x.error);
}

/// `Evidence`: the field paths (repeated, each written even if empty) and
/// the packed event indexes.
fn evidence_len(x: &ReasonRef<'_>) -> usize {
    x.fields.iter().map(|f| message_len(1, f.len())).sum::<usize>() + packed_len(2, x.events)
}

/// A reason's length, given its evidence's (`evidence_len`).
fn reason_len(x: &ReasonRef<'_>, evidence: usize) -> usize {
    str_len(1, x.scorer)
        + str_len(2, x.code)
        + str_len(3, x.message)
        + double_len(4, x.points)
        + message_len(5, evidence)
}

fn put_reason(buf: &mut Vec<u8>, x: &ReasonRef<'_>, evidence: usize) {
    put_str(buf, 1, x.scorer);
    put_str(buf, 2, x.code);
    put_str(buf, 3, x.message);
    put_double(buf, 4, x.points);
    put_message(buf, 5, evidence, |buf| {
        for field in x.fields.iter() {
            put_message(buf, 1, field.len(), |buf| buf.put_slice(field.as_bytes()));
        }
        put_packed(buf, 2, x.events);
    });
}

fn timestamp_len(as_of_ms: i64) -> usize {
    let t = time::timestamp(as_of_ms);
    varint_len(1, t.seconds as u64) + varint_len(2, i64::from(t.nanos) as u64)
}

fn put_timestamp(buf: &mut Vec<u8>, as_of_ms: i64) {
    let t = time::timestamp(as_of_ms);
    put_varint(buf, 1, t.seconds as u64);
    put_varint(buf, 2, i64::from(t.nanos) as u64);
}

// Proto3 field encodings, as prost writes them. Lengths take the tag so
// that a key longer than one byte (tags above 15) would be counted right.

/// A length-delimited field of `len` bytes, with its key and length.
fn message_len(tag: u32, len: usize) -> usize {
    key_len(tag) + encoded_len_varint(len as u64) + len
}

fn put_message(buf: &mut Vec<u8>, tag: u32, len: usize, body: impl FnOnce(&mut Vec<u8>)) {
    encode_key(tag, WireType::LengthDelimited, buf);
    encode_varint(len as u64, buf);
    let start = buf.len();
    body(buf);
    debug_assert_eq!(buf.len() - start, len, "field {tag}: length counted differently from written");
}

fn str_len(tag: u32, s: &str) -> usize {
    text_len(tag, s.len())
}

/// A string field of `len` bytes; an empty one is left out, as prost does.
fn text_len(tag: u32, len: usize) -> usize {
    if len == 0 { 0 } else { message_len(tag, len) }
}

fn put_str(buf: &mut Vec<u8>, tag: u32, s: &str) {
    put_pieces(buf, tag, &[s]);
}

/// A string field written from `pieces` laid end to end, never joined into
/// a string of its own; left out when they are all empty.
fn put_pieces(buf: &mut Vec<u8>, tag: u32, pieces: &[&str]) {
    let len = pieces.iter().map(|p| p.len()).sum();
    if len > 0 {
        put_message(buf, tag, len, |buf| pieces.iter().for_each(|p| buf.put_slice(p.as_bytes())));
    }
}

fn double_len(tag: u32, v: f64) -> usize {
    if v != 0.0 { key_len(tag) + 8 } else { 0 }
}

fn put_double(buf: &mut Vec<u8>, tag: u32, v: f64) {
    if v != 0.0 {
        encode_key(tag, WireType::SixtyFourBit, buf);
        buf.put_f64_le(v);
    }
}

fn bool_len(tag: u32, v: bool) -> usize {
    if v { key_len(tag) + 1 } else { 0 }
}

fn put_bool(buf: &mut Vec<u8>, tag: u32, v: bool) {
    if v {
        encode_key(tag, WireType::Varint, buf);
        buf.put_u8(1);
    }
}

/// An enum (`int32` on the wire: a negative number takes ten bytes).
fn enum_len(tag: u32, v: i32) -> usize {
    varint_len(tag, i64::from(v) as u64)
}

fn put_enum(buf: &mut Vec<u8>, tag: u32, v: i32) {
    put_varint(buf, tag, i64::from(v) as u64);
}

/// A varint scalar, left out at 0.
fn varint_len(tag: u32, v: u64) -> usize {
    if v != 0 { key_len(tag) + encoded_len_varint(v) } else { 0 }
}

fn put_varint(buf: &mut Vec<u8>, tag: u32, v: u64) {
    if v != 0 {
        encode_key(tag, WireType::Varint, buf);
        encode_varint(v, buf);
    }
}

/// Repeated `uint32`, packed; nothing when empty.
fn packed_len(tag: u32, values: &[u32]) -> usize {
    if values.is_empty() {
        0
    } else {
        message_len(tag, values.iter().map(|v| encoded_len_varint(u64::from(*v))).sum())
    }
}

fn put_packed(buf: &mut Vec<u8>, tag: u32, values: &[u32]) {
    if !values.is_empty() {
        let len = values.iter().map(|v| encoded_len_varint(u64::from(*v))).sum();
        put_message(buf, tag, len, |buf| {
            for v in values {
                encode_varint(u64::from(*v), buf);
            }
        });
    }
}

#[cfg(test)]
mod tests;
