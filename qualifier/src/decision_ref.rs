//! A decision as borrowed parts: [`DecisionRef`].
//!
//! Why: an owned [`Decision`] copies every name it shows out of the policy
//! (scorer ids, versions, dimensions, the policy's name, version and digest)
//! and every top reason out of the scorers' buffers, about 45 allocations a
//! decision, only for the server to encode them once and free them. A
//! `DecisionRef` points at them where they are, for as long as the engine
//! lends it ([`crate::Engine::qualify_with`]); the server encodes its answer
//! straight from it. Its only allocations are the decision id, the gap line
//! and the three short lists of parts.
//!
//! There is still one place a decision is made: the pipeline builds a
//! `DecisionRef`, and [`Engine::qualify`](crate::Engine::qualify) and the
//! decision inside an explanation are [`DecisionRef::into_decision`] of it.
//! [`Decision::as_decision_ref`] goes the other way, so whatever reads a
//! `DecisionRef` (the server's encoder) can be tested on any owned decision.

use std::borrow::Cow;

use hql_plugin_api::host::CopiedFields;

use crate::decision::{
    Decision, DimensionScore, Disqualification, PolicyRef, ReasonItem, ScorerStatus, ScorerSummary,
};
use crate::stage::Stage;

/// A [`Decision`] whose text is borrowed. Field for field the same meaning.
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionRef<'a> {
    /// Deterministic digest of (lead, policy digest, as_of), hex.
    pub decision_id: Cow<'a, str>,
    /// The lead's id.
    pub lead_id: &'a str,
    /// Stage reached.
    pub stage: Stage,
    /// Weighted total 0–100.
    pub score: f64,
    /// Subtotals per dimension, in policy order.
    pub dimensions: Vec<DimensionScoreRef<'a>>,
    /// One per scorer, in policy order.
    pub scorers: Vec<ScorerSummaryRef<'a>>,
    /// Reasons that moved the total most, largest first.
    pub top_reasons: Vec<ReasonRef<'a>>,
    /// Some scorer failed.
    pub degraded: bool,
    /// Disqualifiers that applied.
    pub disqualifications: &'a [Disqualification],
    /// Next stage up, if any.
    pub next_stage: Option<Stage>,
    /// One line on what is missing for `next_stage`.
    pub next_stage_gap: Cow<'a, str>,
    /// The deciding policy.
    pub policy: &'a PolicyRef,
    /// ms since the epoch.
    pub as_of_ms: i64,
}

/// A [`DimensionScore`], borrowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DimensionScoreRef<'a> {
    /// Dimension name.
    pub name: &'a str,
    /// Weighted average of its scorers, 0–100.
    pub score: f64,
    /// Sum of its scorers' normalised weights.
    pub weight: f64,
}

/// A [`ScorerSummary`], borrowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScorerSummaryRef<'a> {
    /// Scorer id in the policy.
    pub name: &'a str,
    /// Plugin version.
    pub version: &'a str,
    /// Dimension it counts towards.
    pub dimension: &'a str,
    /// Raw score 0–100 (0 unless OK).
    pub score: f64,
    /// Normalised weight.
    pub weight: f64,
    /// `score × weight`.
    pub contribution: f64,
    /// OK / FAILED / SKIPPED / TIMED_OUT.
    pub status: ScorerStatus,
    /// Why it failed or was skipped; empty when OK.
    pub error: &'a str,
}

/// A [`ReasonItem`], borrowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReasonRef<'a> {
    /// Scorer id.
    pub scorer: &'a str,
    /// Stable code.
    pub code: &'a str,
    /// Human sentence.
    pub message: &'a str,
    /// Signed points on the scorer's scale.
    pub points: f64,
    /// Field paths used.
    pub fields: Fields<'a>,
    /// Event indexes used.
    pub events: &'a [u32],
}

/// A reason's field paths, as the scorer's buffers or an owned decision
/// hold them.
#[derive(Clone, Copy, Debug)]
pub enum Fields<'a> {
    /// A linked scorer's paths (`hql_plugin_api::Reason::fields`).
    Scored(&'a [Cow<'static, str>]),
    /// A plugin's paths, in the host's copy of its output.
    Copied(CopiedFields<'a>),
    /// An owned decision's paths ([`ReasonItem::fields`]).
    Owned(&'a [String]),
}

impl<'a> Fields<'a> {
    /// How many paths.
    pub fn len(&self) -> usize {
        match self {
            Fields::Scored(f) => f.len(),
            Fields::Copied(f) => f.len(),
            Fields::Owned(f) => f.len(),
        }
    }

    /// No paths.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The paths, in order.
    pub fn iter(&self) -> FieldsIter<'a> {
        match *self {
            Fields::Scored(f) => FieldsIter::Scored(f.iter()),
            Fields::Copied(f) => FieldsIter::Copied(f, 0),
            Fields::Owned(f) => FieldsIter::Owned(f.iter()),
        }
    }
}

/// The paths of a [`Fields`], in order.
pub enum FieldsIter<'a> {
    /// A linked scorer's.
    Scored(std::slice::Iter<'a, Cow<'static, str>>),
    /// A plugin's, in the host's copy: the paths and the next position.
    Copied(CopiedFields<'a>, usize),
    /// An owned decision's.
    Owned(std::slice::Iter<'a, String>),
}

impl<'a> Iterator for FieldsIter<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        match self {
            FieldsIter::Scored(i) => i.next().map(|f| f.as_ref()),
            FieldsIter::Copied(f, at) => {
                let path = f.get(*at)?;
                *at += 1;
                Some(path)
            }
            FieldsIter::Owned(i) => i.next().map(String::as_str),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = match self {
            FieldsIter::Scored(i) => i.len(),
            FieldsIter::Copied(f, at) => f.len().saturating_sub(*at),
            FieldsIter::Owned(i) => i.len(),
        };
        (left, Some(left))
    }
}

impl ExactSizeIterator for FieldsIter<'_> {}

impl PartialEq for Fields<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl DecisionRef<'_> {
    /// The owned decision: every borrowed string copied (the id and the gap
    /// line, computed for this decision, are moved).
    pub fn into_decision(self) -> Decision {
        Decision {
            lead_id: self.lead_id.to_owned(),
            stage: self.stage,
            score: self.score,
            dimensions: self
                .dimensions
                .iter()
                .map(|d| DimensionScore { name: d.name.to_owned(), score: d.score, weight: d.weight })
                .collect(),
            scorers: self.scorers.iter().map(ScorerSummaryRef::to_summary).collect(),
            top_reasons: self.top_reasons.iter().map(ReasonRef::to_item).collect(),
            degraded: self.degraded,
            disqualifications: self.disqualifications.to_vec(),
            next_stage: self.next_stage,
            policy: self.policy.clone(),
            as_of_ms: self.as_of_ms,
            decision_id: self.decision_id.into_owned(),
            next_stage_gap: self.next_stage_gap.into_owned(),
        }
    }
}

impl ScorerSummaryRef<'_> {
    /// The owned summary.
    pub fn to_summary(&self) -> ScorerSummary {
        ScorerSummary {
            name: self.name.to_owned(),
            version: self.version.to_owned(),
            dimension: self.dimension.to_owned(),
            score: self.score,
            weight: self.weight,
            contribution: self.contribution,
            status: self.status,
            error: self.error.to_owned(),
        }
    }
}

impl ReasonRef<'_> {
    /// The owned reason.
    pub fn to_item(&self) -> ReasonItem {
        ReasonItem {
            scorer: self.scorer.to_owned(),
            code: self.code.to_owned(),
            message: self.message.to_owned(),
            points: self.points,
            fields: self.fields.iter().map(str::to_owned).collect(),
            events: self.events.to_vec(),
        }
    }
}

impl Decision {
    /// This decision as borrowed parts (see [`DecisionRef`]).
    pub fn as_decision_ref(&self) -> DecisionRef<'_> {
        let Decision {
            decision_id,
            lead_id,
            stage,
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
        } = self;
        DecisionRef {
            decision_id: Cow::Borrowed(decision_id),
            lead_id,
            stage: *stage,
            score: *score,
            dimensions: dimensions
                .iter()
                .map(|d| DimensionScoreRef { name: &d.name, score: d.score, weight: d.weight })
                .collect(),
            scorers: scorers.iter().map(ScorerSummary::as_summary_ref).collect(),
            top_reasons: top_reasons.iter().map(ReasonItem::as_reason_ref).collect(),
            degraded: *degraded,
            disqualifications,
            next_stage: *next_stage,
            next_stage_gap: Cow::Borrowed(next_stage_gap),
            policy,
            as_of_ms: *as_of_ms,
        }
    }
}

impl ScorerSummary {
    /// This summary as borrowed parts.
    pub fn as_summary_ref(&self) -> ScorerSummaryRef<'_> {
        let ScorerSummary { name, version, dimension, score, weight, contribution, status, error } = self;
        ScorerSummaryRef {
            name,
            version,
            dimension,
            score: *score,
            weight: *weight,
            contribution: *contribution,
            status: *status,
            error,
        }
    }
}

impl ReasonItem {
    /// This reason as borrowed parts.
    pub fn as_reason_ref(&self) -> ReasonRef<'_> {
        let ReasonItem { scorer, code, message, points, fields, events } = self;
        ReasonRef { scorer, code, message, points: *points, fields: Fields::Owned(fields), events }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::decision;

    #[test]
    fn an_owned_decision_comes_back_whole_from_its_parts() {
        let owned = decision();
        assert_eq!(owned.as_decision_ref().into_decision(), owned);
        let empty = Decision { top_reasons: Vec::new(), disqualifications: Vec::new(), ..decision() };
        assert_eq!(empty.as_decision_ref().into_decision(), empty);
    }

    #[test]
    fn fields_compare_by_path_whoever_holds_them() {
        let scored: Vec<Cow<'static, str>> = vec![Cow::Borrowed("a.b"), Cow::Owned("c".to_owned())];
        let owned = vec!["a.b".to_owned(), "c".to_owned()];
        assert_eq!(Fields::Scored(&scored), Fields::Owned(&owned));
        assert_ne!(Fields::Scored(&scored[..1]), Fields::Owned(&owned));
        assert_eq!(Fields::Owned(&owned).iter().collect::<Vec<_>>(), ["a.b", "c"]);
        assert!(Fields::Owned(&[]).is_empty());
    }
}
