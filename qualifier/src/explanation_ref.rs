//! An explanation as borrowed parts: [`ExplanationRef`].
//!
//! Why: an owned [`Explanation`] copies, for every call, every string of its
//! trail out of the places that already hold it: the scorer's id into each
//! reason, each fact's name joined to its scorer's id, six strings of the
//! policy into each of some fifteen gates, the decision's names and the
//! scorers' reasons, a few hundred allocations, only for the server to
//! encode them once and free them. An `ExplanationRef` points at them where
//! they are, for as long as the engine lends it
//! ([`crate::Engine::explain_with`]), as [`DecisionRef`] does for a
//! decision; what it owns is what exists only for this lead (each gate's
//! actual value, the warnings, the gap line, the plain text).
//!
//! There is one place an explanation is made: the pipeline builds an
//! `ExplanationRef`, and [`Engine::explain`](crate::Engine::explain) is
//! [`ExplanationRef::into_explanation`] of it. [`Explanation::as_explanation_ref`]
//! goes the other way, so whatever reads an `ExplanationRef` (the plain-text
//! rendering, the server's encoder) can be tested on any owned explanation.

use std::borrow::Cow;

use hql_plugin_api::FactValue;

use crate::decision::{
    Explanation, FactItem, GateResult, ReasonItem, ScorerTrail, StageEvaluation, StageGap,
};
use crate::decision_ref::{DecisionRef, ReasonRef, ScorerSummaryRef};
use crate::stage::Stage;

/// An [`Explanation`] whose text is borrowed. Field for field the same meaning.
#[derive(Clone, Debug, PartialEq)]
pub struct ExplanationRef<'a> {
    /// The decision (identical to a plain qualify of the same input).
    pub decision: DecisionRef<'a>,
    /// Per scorer, in policy order.
    pub scorers: Vec<ScorerTrailRef<'a>>,
    /// Per gated stage, highest first.
    pub stages: Vec<StageEvaluationRef<'a>>,
    /// Gap to the next stage.
    pub gap: StageGapRef<'a>,
    /// Warnings.
    pub warnings: Vec<Cow<'a, str>>,
    /// Plain-text rendering.
    pub text: Cow<'a, str>,
}

/// A [`ScorerTrail`], borrowed.
#[derive(Clone, Debug, PartialEq)]
pub struct ScorerTrailRef<'a> {
    /// Its summary line (same as in the decision).
    pub summary: ScorerSummaryRef<'a>,
    /// Every reason, in the scorer's order.
    pub reasons: Vec<ReasonRef<'a>>,
    /// Every fact.
    pub facts: Vec<FactRef<'a>>,
}

/// A [`FactItem`], borrowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FactRef<'a> {
    /// `<scorer>.<fact>`.
    pub name: FactName<'a>,
    /// Value.
    pub value: &'a FactValue,
}

/// A fact's full name (`bant.authority`), as its two parts where a scorer
/// reported it or whole where an owned explanation holds it.
#[derive(Clone, Copy, Debug)]
pub enum FactName<'a> {
    /// The scorer's id and the fact's own name.
    Scored {
        /// Scorer id in the policy (`bant`).
        scorer: &'a str,
        /// The fact's name without the prefix (`authority`).
        fact: &'a str,
    },
    /// The whole name ([`FactItem::name`]).
    Full(&'a str),
}

impl FactName<'_> {
    /// The name's pieces, in order, to be written one after the other.
    pub fn parts(&self) -> [&str; 3] {
        match *self {
            FactName::Scored { scorer, fact } => [scorer, ".", fact],
            FactName::Full(name) => [name, "", ""],
        }
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.parts().iter().map(|p| p.len()).sum()
    }

    /// The name is empty (an owned fact without one).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole name as one string (without the formatter `to_string`
    /// would go through: an owned explanation makes one per fact).
    pub fn joined(&self) -> String {
        let mut name = String::with_capacity(self.len());
        self.parts().iter().for_each(|p| name.push_str(p));
        name
    }
}

impl std::fmt::Display for FactName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.parts().iter().try_for_each(|p| f.write_str(p))
    }
}

impl PartialEq for FactName<'_> {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.parts(), other.parts());
        self.len() == other.len() && a.iter().flat_map(|p| p.bytes()).eq(b.iter().flat_map(|p| p.bytes()))
    }
}

/// A [`GateResult`], borrowed from the policy but for its actual value.
#[derive(Clone, Debug, PartialEq)]
pub struct GateResultRef<'a> {
    /// Gate name.
    pub name: &'a str,
    /// Subject (`total`, `dimension.fit`, `bant.score`, `bant.authority`).
    pub subject: &'a str,
    /// Operator (`>=`, `in`, ...).
    pub operator: &'a str,
    /// Required value, rendered.
    pub required: &'a str,
    /// Actual value, rendered (`unknown` when missing).
    pub actual: Cow<'a, str>,
    /// Passed?
    pub passed: bool,
    /// Meaning, from the policy.
    pub description: &'a str,
    /// What would satisfy it, from the policy.
    pub hint: &'a str,
}

/// A [`StageEvaluation`], borrowed.
#[derive(Clone, Debug, PartialEq)]
pub struct StageEvaluationRef<'a> {
    /// Stage.
    pub stage: Stage,
    /// All gates passed.
    pub passed: bool,
    /// Each gate.
    pub gates: Vec<GateResultRef<'a>>,
    /// Meaning, from the policy.
    pub description: &'a str,
}

/// A [`StageGap`], borrowed.
#[derive(Clone, Debug, PartialEq)]
pub struct StageGapRef<'a> {
    /// Next stage, if any.
    pub stage: Option<Stage>,
    /// Failing gates.
    pub failing_gates: Vec<GateResultRef<'a>>,
    /// One-line summary (equals `Decision::next_stage_gap`).
    pub summary: Cow<'a, str>,
}

impl ExplanationRef<'_> {
    /// The owned explanation: every borrowed string copied, every string
    /// made for this lead (the id, the gap line, the gates' actual values,
    /// the warnings, the text) moved.
    pub fn into_explanation(self) -> Explanation {
        Explanation {
            decision: self.decision.into_decision(),
            scorers: self.scorers.iter().map(ScorerTrailRef::to_trail).collect(),
            stages: self.stages.into_iter().map(StageEvaluationRef::into_stage).collect(),
            gap: self.gap.into_gap(),
            warnings: self.warnings.into_iter().map(Cow::into_owned).collect(),
            text: self.text.into_owned(),
        }
    }
}

impl ScorerTrailRef<'_> {
    /// The owned trail.
    pub fn to_trail(&self) -> ScorerTrail {
        ScorerTrail {
            summary: self.summary.to_summary(),
            reasons: self.reasons.iter().map(ReasonRef::to_item).collect(),
            facts: self
                .facts
                .iter()
                .map(|f| FactItem { name: f.name.joined(), value: f.value.clone() })
                .collect(),
        }
    }
}

impl GateResultRef<'_> {
    /// The owned gate result.
    pub fn into_result(self) -> GateResult {
        GateResult {
            name: self.name.to_owned(),
            subject: self.subject.to_owned(),
            operator: self.operator.to_owned(),
            required: self.required.to_owned(),
            actual: self.actual.into_owned(),
            passed: self.passed,
            description: self.description.to_owned(),
            hint: self.hint.to_owned(),
        }
    }
}

impl StageEvaluationRef<'_> {
    /// The owned stage evaluation.
    pub fn into_stage(self) -> StageEvaluation {
        StageEvaluation {
            stage: self.stage,
            passed: self.passed,
            gates: self.gates.into_iter().map(GateResultRef::into_result).collect(),
            description: self.description.to_owned(),
        }
    }
}

impl StageGapRef<'_> {
    /// The owned gap.
    pub fn into_gap(self) -> StageGap {
        StageGap {
            stage: self.stage,
            failing_gates: self.failing_gates.into_iter().map(GateResultRef::into_result).collect(),
            summary: self.summary.into_owned(),
        }
    }
}

impl GateResult {
    /// This gate result as borrowed parts.
    pub fn as_result_ref(&self) -> GateResultRef<'_> {
        let GateResult { name, subject, operator, required, actual, passed, description, hint } = self;
        GateResultRef {
            name,
            subject,
            operator,
            required,
            actual: Cow::Borrowed(actual),
            passed: *passed,
            description,
            hint,
        }
    }
}

impl Explanation {
    /// This explanation as borrowed parts (see [`ExplanationRef`]).
    pub fn as_explanation_ref(&self) -> ExplanationRef<'_> {
        let Explanation { decision, scorers, stages, gap, warnings, text } = self;
        ExplanationRef {
            decision: decision.as_decision_ref(),
            scorers: scorers
                .iter()
                .map(|t| {
                    let ScorerTrail { summary, reasons, facts } = t;
                    ScorerTrailRef {
                        summary: summary.as_summary_ref(),
                        reasons: reasons.iter().map(ReasonItem::as_reason_ref).collect(),
                        facts: facts
                            .iter()
                            .map(|f| FactRef { name: FactName::Full(&f.name), value: &f.value })
                            .collect(),
                    }
                })
                .collect(),
            stages: stages
                .iter()
                .map(|s| StageEvaluationRef {
                    stage: s.stage,
                    passed: s.passed,
                    gates: s.gates.iter().map(GateResult::as_result_ref).collect(),
                    description: &s.description,
                })
                .collect(),
            gap: StageGapRef {
                stage: gap.stage,
                failing_gates: gap.failing_gates.iter().map(GateResult::as_result_ref).collect(),
                summary: Cow::Borrowed(&gap.summary),
            },
            warnings: warnings.iter().map(|w| Cow::Borrowed(w.as_str())).collect(),
            text: Cow::Borrowed(text),
        }
    }
}

#[cfg(test)]
mod tests;
