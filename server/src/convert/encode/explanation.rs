//! Explanations straight to wire bytes: `hql.v1.ExplainResponse` encoded
//! from the engine's borrowed explanation ([`ExplanationRef`]), with no
//! `pb::Explanation` in between.
//!
//! Why: going through `pb::Explanation` built a second tree of the trail
//! (a vector per scorer's reasons and facts, per stage's gates) only to
//! encode it, and prost's encoder computes a nested message's length once
//! for each message around it, so every reason of a long trail was measured
//! three or four times; then the tree was dropped. In `request/explain` that
//! was about an eighth of the call.
//!
//! The bytes are those prost writes for `convert::decision::reference::explanation`
//! of the same explanation, to the byte, under the rules the decision's
//! encoder follows (see the parent module), plus two of repeated and oneof
//! fields: a repeated `string` (`warnings`) writes every entry, empty ones
//! included, and a set oneof member (a fact's value) is written even at its
//! default. The decision inside is written by the decision's own encoder, so
//! Explain's decision stays byte-identical to Qualify's. Each type is
//! destructured without `..`: a field added to the trail fails the build here
//! until it is encoded. The tests compare the bytes with prost's for
//! explanations with every field set, with none, and for generated ones.

use hql_plugin_api::FactValue;
use hql_qualifier::ExplanationRef;
use hql_qualifier::explanation_ref::{
    FactRef, GateResultRef, ScorerTrailRef, StageEvaluationRef, StageGapRef,
};
use prost::bytes::BufMut;
use prost::encoding::{WireType, encode_key, key_len};

use super::{
    bool_len, decision_len, enum_len, evidence_len, message_len, put_bool, put_decision, put_enum,
    put_message, put_pieces, put_reason, put_str, put_summary, reason_len, str_len, summary_len, text_len,
};
use crate::convert::decision::stage_number;

/// An `ExplainResponse` holding `explanation`, as wire bytes.
pub(crate) fn explain_response(explanation: &ExplanationRef<'_>) -> Vec<u8> {
    let lengths = Lengths::of(explanation);
    let mut buf = Vec::with_capacity(message_len(1, lengths.explanation));
    put_message(&mut buf, 1, lengths.explanation, |buf| put_explanation(buf, explanation, &lengths));
    buf
}

/// The lengths a trail needs more than once, measured once: a reason's
/// evidence (every cited event's varint) is counted for the reason's length,
/// the trail's and the explanation's, and a long trail cites thousands.
struct Lengths {
    /// The `Explanation` message's fields.
    explanation: usize,
    /// The decision's fields.
    decision: usize,
    /// Each scorer trail's fields, in order.
    trails: Vec<usize>,
    /// Each reason's evidence, trail by trail, in order.
    evidence: Vec<usize>,
}

impl Lengths {
    fn of(e: &ExplanationRef<'_>) -> Lengths {
        let ExplanationRef { decision, scorers, stages, gap, warnings, text } = e;
        let mut evidence = Vec::with_capacity(scorers.iter().map(|t| t.reasons.len()).sum());
        let trails: Vec<usize> = scorers.iter().map(|t| trail_len(t, &mut evidence)).collect();
        let decision = decision_len(decision);
        let explanation = message_len(1, decision)
            + trails.iter().map(|len| message_len(2, *len)).sum::<usize>()
            + stages.iter().map(|s| message_len(3, stage_len(s))).sum::<usize>()
            + message_len(4, gap_len(gap))
            + warnings.iter().map(|w| message_len(5, w.len())).sum::<usize>()
            + str_len(6, text);
        Lengths { explanation, decision, trails, evidence }
    }
}

fn put_explanation(buf: &mut Vec<u8>, e: &ExplanationRef<'_>, lengths: &Lengths) {
    put_message(buf, 1, lengths.decision, |buf| put_decision(buf, &e.decision));
    let mut evidence = lengths.evidence.iter().copied();
    for (t, len) in e.scorers.iter().zip(&lengths.trails) {
        put_message(buf, 2, *len, |buf| put_trail(buf, t, &mut evidence));
    }
    for s in &e.stages {
        put_message(buf, 3, stage_len(s), |buf| put_stage(buf, s));
    }
    put_message(buf, 4, gap_len(&e.gap), |buf| put_gap(buf, &e.gap));
    for w in &e.warnings {
        put_message(buf, 5, w.len(), |buf| buf.put_slice(w.as_bytes()));
    }
    put_str(buf, 6, &e.text);
}

/// A trail's length; each reason's evidence length goes to `evidence`.
fn trail_len(t: &ScorerTrailRef<'_>, evidence: &mut Vec<usize>) -> usize {
    let ScorerTrailRef { summary, reasons, facts } = t;
    message_len(1, summary_len(summary))
        + reasons
            .iter()
            .map(|r| {
                let len = evidence_len(r);
                evidence.push(len);
                message_len(2, reason_len(r, len))
            })
            .sum::<usize>()
        + facts.iter().map(|f| message_len(3, fact_len(f))).sum::<usize>()
}

/// Writes a trail; `evidence` yields its reasons' evidence lengths, in order.
fn put_trail(buf: &mut Vec<u8>, t: &ScorerTrailRef<'_>, evidence: &mut impl Iterator<Item = usize>) {
    put_message(buf, 1, summary_len(&t.summary), |buf| put_summary(buf, &t.summary));
    for r in &t.reasons {
        let len = evidence.next().unwrap_or_else(|| evidence_len(r));
        put_message(buf, 2, reason_len(r, len), |buf| put_reason(buf, r, len));
    }
    for f in &t.facts {
        put_message(buf, 3, fact_len(f), |buf| put_fact(buf, f));
    }
}

/// A fact: its name, and its value as the oneof member that is set
/// (written even at its default, as prost writes a set oneof).
fn fact_len(f: &FactRef<'_>) -> usize {
    let FactRef { name, value } = f;
    text_len(1, name.len())
        + match value {
            FactValue::Number(_) => key_len(2) + 8,
            FactValue::Bool(_) => key_len(3) + 1,
            FactValue::Text(t) => message_len(4, t.len()),
        }
}

/// A fact's name goes out in its pieces (`bant`, `.`, `authority`), never
/// joined into a string of its own.
fn put_fact(buf: &mut Vec<u8>, f: &FactRef<'_>) {
    put_pieces(buf, 1, &f.name.parts());
    match f.value {
        FactValue::Number(n) => {
            encode_key(2, WireType::SixtyFourBit, buf);
            buf.put_f64_le(*n);
        }
        FactValue::Bool(b) => {
            encode_key(3, WireType::Varint, buf);
            buf.put_u8(u8::from(*b));
        }
        FactValue::Text(t) => put_message(buf, 4, t.len(), |buf| buf.put_slice(t.as_bytes())),
    }
}

fn gate_len(g: &GateResultRef<'_>) -> usize {
    let GateResultRef { name, subject, operator, required, actual, passed, description, hint } = g;
    str_len(1, name)
        + str_len(2, subject)
        + str_len(3, operator)
        + str_len(4, required)
        + str_len(5, actual)
        + bool_len(6, *passed)
        + str_len(7, description)
        + str_len(8, hint)
}

fn put_gate(buf: &mut Vec<u8>, g: &GateResultRef<'_>) {
    put_str(buf, 1, g.name);
    put_str(buf, 2, g.subject);
    put_str(buf, 3, g.operator);
    put_str(buf, 4, g.required);
    put_str(buf, 5, &g.actual);
    put_bool(buf, 6, g.passed);
    put_str(buf, 7, g.description);
    put_str(buf, 8, g.hint);
}

fn stage_len(s: &StageEvaluationRef<'_>) -> usize {
    let StageEvaluationRef { stage, passed, gates, description } = s;
    enum_len(1, stage_number(*stage))
        + bool_len(2, *passed)
        + gates.iter().map(|g| message_len(3, gate_len(g))).sum::<usize>()
        + str_len(4, description)
}

fn put_stage(buf: &mut Vec<u8>, s: &StageEvaluationRef<'_>) {
    put_enum(buf, 1, stage_number(s.stage));
    put_bool(buf, 2, s.passed);
    for g in &s.gates {
        put_message(buf, 3, gate_len(g), |buf| put_gate(buf, g));
    }
    put_str(buf, 4, s.description);
}

/// The gap; no next stage is STAGE_UNSPECIFIED (0, left out).
fn gap_len(g: &StageGapRef<'_>) -> usize {
    let StageGapRef { stage, failing_gates, summary } = g;
    enum_len(1, stage.map_or(0, stage_number))
        + failing_gates.iter().map(|f| message_len(2, gate_len(f))).sum::<usize>()
        + str_len(3, summary)
}

fn put_gap(buf: &mut Vec<u8>, g: &StageGapRef<'_>) {
    put_enum(buf, 1, g.stage.map_or(0, stage_number));
    for f in &g.failing_gates {
        put_message(buf, 2, gate_len(f), |buf| put_gate(buf, f));
    }
    put_str(buf, 3, &g.summary);
}

#[cfg(test)]
mod tests;
