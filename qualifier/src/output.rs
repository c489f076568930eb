//! What one scorer returned for one lead, as the pipeline reads it: a linked
//! scorer's [`Score`] (moved, never copied) or the host's [`ScoreCopy`] of a
//! plugin library's output, behind one set of readers, so that nothing past
//! the scorer slots knows or cares how a scorer was loaded.

use hql_plugin_api::host::ScoreCopy;
use hql_plugin_api::{Disqualifier, Fact, FactValue, Score};

use crate::decision_ref::{Fields, ReasonRef};

/// One scorer's output (see the module docs).
#[derive(Debug)]
pub(crate) enum ScorerOutput {
    /// Nothing: the scorer failed, timed out or was skipped (score 0).
    Empty,
    /// A linked scorer's own score, boxed: an outcome is moved several
    /// times between the scorer's call and the decision, and a `Score` in
    /// place made every outcome (a plugin's too, whose copy is one word) as
    /// large as a `Score`, each move a copy of some 200 bytes.
    Linked(Box<Score>),
    /// The host's copy of a plugin's.
    Copied(ScoreCopy),
}

impl ScorerOutput {
    pub(crate) fn value(&self) -> f64 {
        match self {
            ScorerOutput::Empty => 0.0,
            ScorerOutput::Linked(s) => s.value(),
            ScorerOutput::Copied(c) => c.value(),
        }
    }

    pub(crate) fn set_value(&mut self, value: f64) {
        match self {
            ScorerOutput::Empty => {}
            ScorerOutput::Linked(s) => {
                s.set_value(value);
            }
            ScorerOutput::Copied(c) => c.set_value(value),
        }
    }

    /// Calls `each` with the position and points of every reason, in
    /// order (what ranking needs, without the strings).
    #[inline]
    pub(crate) fn each_points(&self, mut each: impl FnMut(usize, f64)) {
        match self {
            ScorerOutput::Empty => {}
            ScorerOutput::Linked(s) => s.reasons().iter().enumerate().for_each(|(i, r)| each(i, r.points)),
            ScorerOutput::Copied(c) => c.reason_points().enumerate().for_each(|(i, points)| each(i, points)),
        }
    }

    /// Whether any reason's points are NaN or infinite.
    pub(crate) fn any_non_finite_points(&self) -> bool {
        match self {
            ScorerOutput::Empty => false,
            ScorerOutput::Linked(s) => s.reasons().iter().any(|r| !r.points.is_finite()),
            ScorerOutput::Copied(c) => c.reason_points().any(|points| !points.is_finite()),
        }
    }

    /// The `i`-th reason, as scorer `scorer`'s in an answer.
    #[inline]
    pub(crate) fn reason_ref<'a>(&'a self, scorer: &'a str, i: usize) -> Option<ReasonRef<'a>> {
        match self {
            ScorerOutput::Empty => None,
            ScorerOutput::Linked(s) => s.reasons().get(i).map(|r| ReasonRef {
                scorer,
                code: &r.code,
                message: &r.message,
                points: r.points,
                fields: Fields::Scored(&r.fields),
                events: &r.events,
            }),
            ScorerOutput::Copied(c) => c.reason(i).map(|r| ReasonRef {
                scorer,
                code: r.code,
                message: r.message,
                points: r.points,
                fields: Fields::Copied(r.fields),
                events: r.events,
            }),
        }
    }

    /// Every reason, in order, as scorer `scorer`'s in an answer.
    pub(crate) fn reason_refs<'a>(&'a self, scorer: &'a str) -> Vec<ReasonRef<'a>> {
        let count = match self {
            ScorerOutput::Empty => 0,
            ScorerOutput::Linked(s) => s.reasons().len(),
            ScorerOutput::Copied(c) => c.reason_count(),
        };
        let mut refs = Vec::with_capacity(count);
        refs.extend((0..count).filter_map(|i| self.reason_ref(scorer, i)));
        refs
    }

    pub(crate) fn facts(&self) -> &[Fact] {
        match self {
            ScorerOutput::Empty => &[],
            ScorerOutput::Linked(s) => s.facts(),
            ScorerOutput::Copied(c) => c.facts(),
        }
    }

    pub(crate) fn fact_value(&self, name: &str) -> Option<&FactValue> {
        self.facts().iter().find(|f| f.name == name).map(|f| &f.value)
    }

    pub(crate) fn disqualifiers(&self) -> &[Disqualifier] {
        match self {
            ScorerOutput::Empty => &[],
            ScorerOutput::Linked(s) => s.disqualifiers(),
            ScorerOutput::Copied(c) => c.disqualifiers(),
        }
    }

    /// Keeps the reasons `keep` accepts, given their code and points, in
    /// order, without copying them.
    pub(crate) fn retain_reasons(&mut self, mut keep: impl FnMut(&str, f64) -> bool) {
        match self {
            ScorerOutput::Empty => {}
            ScorerOutput::Linked(s) => {
                s.retain_reasons(|r| keep(&r.code, r.points));
            }
            ScorerOutput::Copied(c) => c.retain_reasons(keep),
        }
    }

    pub(crate) fn retain_facts(&mut self, keep: impl FnMut(&Fact) -> bool) {
        match self {
            ScorerOutput::Empty => {}
            ScorerOutput::Linked(s) => {
                s.retain_facts(keep);
            }
            ScorerOutput::Copied(c) => c.retain_facts(keep),
        }
    }

    pub(crate) fn retain_disqualifiers(&mut self, keep: impl FnMut(&Disqualifier) -> bool) {
        match self {
            ScorerOutput::Empty => {}
            ScorerOutput::Linked(s) => {
                s.retain_disqualifiers(keep);
            }
            ScorerOutput::Copied(c) => c.retain_disqualifiers(keep),
        }
    }

    /// Hands the buffers back to this thread for the next decision.
    pub(crate) fn recycle(self) {
        match self {
            ScorerOutput::Empty => {}
            ScorerOutput::Linked(s) => (*s).recycle(),
            ScorerOutput::Copied(c) => c.recycle(),
        }
    }
}
