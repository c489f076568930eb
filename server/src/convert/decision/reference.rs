//! The reference conversion: a [`Decision`] and an [`Explanation`] as
//! `hql.v1` messages, built field by field.
//!
//! `hqld` no longer answers through these (its encoders write the wire bytes
//! straight from the engine's types, `convert::encode`); they stay as the
//! plain statement of what those bytes must be, and the encoders' tests
//! compare the bytes with prost's encoding of these messages. Both sides are
//! destructured without `..`, so a field added to the domain types or to
//! `decision.proto` fails the build here as it does in the encoders.

use hql_plugin_api::FactValue;
use hql_proto::pb;
use hql_qualifier::decision::{
    DimensionScore, Disqualification, FactItem, GateResult, ReasonItem, ScorerSummary, ScorerTrail,
    StageEvaluation, StageGap,
};
use hql_qualifier::{Decision, Explanation, Stage};

use super::{policy_ref, scorer_status, stage};
use crate::convert::time;

/// A decision as `hql.v1.Decision`.
pub(crate) fn decision(decision: Decision) -> pb::Decision {
    let Decision {
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
    } = decision;
    pb::Decision {
        decision_id,
        lead_id,
        stage: stage(reached) as i32,
        score,
        dimensions: dimensions.into_iter().map(dimension).collect(),
        scorers: scorers.into_iter().map(summary).collect(),
        top_reasons: top_reasons.into_iter().map(reason).collect(),
        degraded,
        disqualifications: disqualifications.into_iter().map(disqualification).collect(),
        next_stage: optional_stage(next_stage) as i32,
        next_stage_gap,
        policy: Some(policy_ref(policy)),
        as_of: Some(time::timestamp(as_of_ms)),
    }
}

/// An explanation as `hql.v1.Explanation`.
pub(crate) fn explanation(explanation: Explanation) -> pb::Explanation {
    let Explanation { decision: decided, scorers, stages, gap, warnings, text } = explanation;
    pb::Explanation {
        decision: Some(decision(decided)),
        scorers: scorers.into_iter().map(trail).collect(),
        stages: stages.into_iter().map(stage_evaluation).collect(),
        gap: Some(stage_gap(gap)),
        warnings,
        text,
    }
}

/// No stage (nothing above, or disqualified) is STAGE_UNSPECIFIED.
fn optional_stage(s: Option<Stage>) -> pb::Stage {
    s.map_or(pb::Stage::Unspecified, stage)
}

fn dimension(d: DimensionScore) -> pb::DimensionScore {
    let DimensionScore { name, score, weight } = d;
    pb::DimensionScore { name, score, weight }
}

fn summary(s: ScorerSummary) -> pb::ScorerSummary {
    let ScorerSummary { name, version, dimension, score, weight, contribution, status, error } = s;
    pb::ScorerSummary {
        name,
        version,
        dimension,
        score,
        weight,
        contribution,
        status: scorer_status(status) as i32,
        error,
    }
}

fn reason(r: ReasonItem) -> pb::Reason {
    let ReasonItem { scorer, code, message, points, fields, events } = r;
    pb::Reason {
        scorer,
        code,
        message,
        points,
        evidence: Some(pb::Evidence { fields, event_indexes: events }),
    }
}

fn disqualification(d: Disqualification) -> pb::Disqualification {
    let Disqualification { code, scorer, message } = d;
    pb::Disqualification { code, scorer, message }
}

fn trail(t: ScorerTrail) -> pb::ScorerTrail {
    let ScorerTrail { summary: line, reasons, facts } = t;
    pb::ScorerTrail {
        summary: Some(summary(line)),
        reasons: reasons.into_iter().map(reason).collect(),
        facts: facts.into_iter().map(fact).collect(),
    }
}

fn fact(f: FactItem) -> pb::Fact {
    use pb::fact::Value;

    let FactItem { name, value } = f;
    let value = match value {
        FactValue::Number(n) => Value::NumberValue(n),
        FactValue::Bool(b) => Value::BoolValue(b),
        FactValue::Text(t) => Value::TextValue(t.into_owned()),
    };
    pb::Fact { name, value: Some(value) }
}

fn gate(g: GateResult) -> pb::GateResult {
    let GateResult { name, subject, operator, required, actual, passed, description, hint } = g;
    pb::GateResult { name, subject, operator, required, actual, passed, description, hint }
}

fn stage_evaluation(e: StageEvaluation) -> pb::StageEvaluation {
    let StageEvaluation { stage: evaluated, passed, gates, description } = e;
    pb::StageEvaluation {
        stage: stage(evaluated) as i32,
        passed,
        gates: gates.into_iter().map(gate).collect(),
        description,
    }
}

fn stage_gap(g: StageGap) -> pb::StageGap {
    let StageGap { stage: next, failing_gates, summary } = g;
    pb::StageGap {
        stage: optional_stage(next) as i32,
        failing_gates: failing_gates.into_iter().map(gate).collect(),
        summary,
    }
}
