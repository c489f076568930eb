//! The answer for one lead: a [`Decision`], and the [`Explanation`] trail
//! behind it.
//!
//! These are plain domain values with no transport in them; the server maps
//! them to `hql.v1` messages field by field. A `Decision` is always built by
//! the same code whether or not the caller asked for an explanation, which is
//! what makes Qualify and Explain agree byte for byte.

use hql_plugin_api::FactValue;

use crate::stage::Stage;

/// The policy that produced a decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRef {
    /// Policy name.
    pub name: String,
    /// Policy version as written in the file.
    pub version: String,
    /// sha256 (hex) over the policy text and each library's sha256.
    pub digest: String,
}

/// A dimension subtotal.
#[derive(Clone, Debug, PartialEq)]
pub struct DimensionScore {
    /// Dimension name.
    pub name: String,
    /// Weighted average of its scorers, 0–100.
    pub score: f64,
    /// Sum of its scorers' normalised weights.
    pub weight: f64,
}

/// Outcome of one scorer in one decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScorerStatus {
    /// Scored.
    Ok,
    /// Returned an error or panicked; output discarded.
    Failed,
    /// Not run: its circuit breaker was open.
    Skipped,
    /// Returned after its time budget; output discarded.
    TimedOut,
}

/// One scorer's part in a decision.
#[derive(Clone, Debug, PartialEq)]
pub struct ScorerSummary {
    /// Scorer id in the policy.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// Dimension it counts towards.
    pub dimension: String,
    /// Raw score 0–100 (0 unless OK).
    pub score: f64,
    /// Normalised weight.
    pub weight: f64,
    /// `score × weight`.
    pub contribution: f64,
    /// OK / FAILED / SKIPPED / TIMED_OUT.
    pub status: ScorerStatus,
    /// Why it failed or was skipped; empty when OK.
    pub error: String,
}

/// One reason, attributed to its scorer.
#[derive(Clone, Debug, PartialEq)]
pub struct ReasonItem {
    /// Scorer id.
    pub scorer: String,
    /// Stable code.
    pub code: String,
    /// Human sentence.
    pub message: String,
    /// Signed points on the scorer's scale.
    pub points: f64,
    /// Field paths used.
    pub fields: Vec<String>,
    /// Event indexes used.
    pub events: Vec<u32>,
}

/// A disqualifier that applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disqualification {
    /// Code.
    pub code: String,
    /// Scorer id that reported it.
    pub scorer: String,
    /// Why.
    pub message: String,
}

/// The answer for one lead.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Deterministic digest of (lead, policy digest, as_of), hex.
    pub decision_id: String,
    /// The lead's id.
    pub lead_id: String,
    /// Stage reached.
    pub stage: Stage,
    /// Weighted total 0–100.
    pub score: f64,
    /// Subtotals per dimension, in policy order.
    pub dimensions: Vec<DimensionScore>,
    /// One per scorer, in policy order.
    pub scorers: Vec<ScorerSummary>,
    /// Reasons that moved the total most, largest first.
    pub top_reasons: Vec<ReasonItem>,
    /// Some scorer failed.
    pub degraded: bool,
    /// Disqualifiers that applied.
    pub disqualifications: Vec<Disqualification>,
    /// Next stage up, if any.
    pub next_stage: Option<Stage>,
    /// One line on what is missing for `next_stage`.
    pub next_stage_gap: String,
    /// The deciding policy.
    pub policy: PolicyRef,
    /// ms since the epoch.
    pub as_of_ms: i64,
}

/// A fact, with its full gate name (`bant.authority`).
#[derive(Clone, Debug, PartialEq)]
pub struct FactItem {
    /// `<scorer>.<fact>`.
    pub name: String,
    /// Value.
    pub value: FactValue,
}

/// Everything one scorer said.
#[derive(Clone, Debug, PartialEq)]
pub struct ScorerTrail {
    /// Its summary line (same as in the decision).
    pub summary: ScorerSummary,
    /// Every reason, in the scorer's order.
    pub reasons: Vec<ReasonItem>,
    /// Every fact.
    pub facts: Vec<FactItem>,
}

/// One gate, evaluated.
#[derive(Clone, Debug, PartialEq)]
pub struct GateResult {
    /// Gate name.
    pub name: String,
    /// Subject (`total`, `dimension.fit`, `bant.score`, `bant.authority`).
    pub subject: String,
    /// Operator (`>=`, `in`, ...).
    pub operator: String,
    /// Required value, rendered.
    pub required: String,
    /// Actual value, rendered (`unknown` when missing).
    pub actual: String,
    /// Passed?
    pub passed: bool,
    /// Meaning, from the policy.
    pub description: String,
    /// What would satisfy it, from the policy.
    pub hint: String,
}

/// One stage's gates, evaluated.
#[derive(Clone, Debug, PartialEq)]
pub struct StageEvaluation {
    /// Stage.
    pub stage: Stage,
    /// All gates passed.
    pub passed: bool,
    /// Each gate.
    pub gates: Vec<GateResult>,
    /// Meaning, from the policy.
    pub description: String,
}

/// What is missing for the next stage.
#[derive(Clone, Debug, PartialEq)]
pub struct StageGap {
    /// Next stage, if any.
    pub stage: Option<Stage>,
    /// Failing gates.
    pub failing_gates: Vec<GateResult>,
    /// One-line summary (equals `Decision::next_stage_gap`).
    pub summary: String,
}

/// A decision and its whole trail.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// The decision (identical to a plain qualify of the same input).
    pub decision: Decision,
    /// Per scorer, in policy order.
    pub scorers: Vec<ScorerTrail>,
    /// Per gated stage, highest first.
    pub stages: Vec<StageEvaluation>,
    /// Gap to the next stage.
    pub gap: StageGap,
    /// Warnings.
    pub warnings: Vec<String>,
    /// Plain-text rendering.
    pub text: String,
}
