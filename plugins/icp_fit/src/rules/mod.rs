//! The three sub-scores and what they share.
//!
//! Each sub-score is a list of [`Part`]s in its own units (out of the points
//! configured for its rules, normally 100). A rule whose target list is empty
//! is *inactive*: it adds nothing to the possible total, so leaving a list
//! empty means "no preference", not "nobody fits". The sub-score is earned /
//! possible × 100, and `lib.rs` converts every part into final-score points
//! with the sub-score's weight, so the reasons add up to the score.

pub(crate) mod demographic;
pub(crate) mod firmographic;
pub(crate) mod technographic;

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::config::RangeRule;
use hql_plugin_api::text::Line;

/// Parts a sub-score holds without allocating: as many as its rules (four
/// firmographic, two demographic, three technographic), so a lead's three
/// sub-scores cost no heap (they were three allocations a lead, each freed
/// microseconds later, through the library's own allocator).
const PARTS_INLINE: usize = 4;

/// One rule's outcome, in sub-score points.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Part {
    /// Reason code, `icp_fit.<rule>.<outcome>`: always a literal, so it
    /// becomes the reason's code without an allocation.
    pub(crate) code: &'static str,
    /// Signed points in sub-score units.
    pub(crate) raw: f64,
    /// One human sentence (borrowed when it is a fixed text).
    pub(crate) message: Cow<'static, str>,
    /// Lead fields used.
    pub(crate) fields: &'static [&'static str],
}

/// A sub-score under construction.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct SubScore {
    /// Rule outcomes, in evaluation order.
    pub(crate) parts: SmallVec<[Part; PARTS_INLINE]>,
    /// Sum of the active rules' maximum points.
    pub(crate) possible: f64,
}

impl SubScore {
    /// Records an active rule worth at most `max` that earned `raw`.
    pub(crate) fn add(
        &mut self,
        max: f64,
        code: &'static str,
        raw: f64,
        message: impl Into<Cow<'static, str>>,
        fields: &'static [&'static str],
    ) {
        self.possible += max;
        self.parts.push(Part { code, raw, message: message.into(), fields });
    }

    /// Points earned so far, in sub-score units.
    pub(crate) fn earned(&self) -> f64 {
        self.parts.iter().map(|p| p.raw).sum()
    }

    /// The sub-score, 0–100; `None` when no rule is active.
    pub(crate) fn value(&self) -> Option<f64> {
        (self.possible > 0.0).then(|| (self.earned() / self.possible * 100.0).clamp(0.0, 100.0))
    }
}

/// What the rules learn besides points: facts and disqualifiers.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Findings {
    /// Known industry is a target (or no targets are configured).
    pub(crate) industry_match: Option<bool>,
    /// Known region is served.
    pub(crate) region_served: Option<bool>,
    /// Company or e-mail domain is a competitor's; `None` when neither is known.
    pub(crate) competitor: Option<bool>,
    /// ICP attributes known (industry, employees, revenue, region, seniority,
    /// department, technologies).
    pub(crate) known_attributes: usize,
    /// Disqualifier codes and messages, in the order found.
    pub(crate) disqualifiers: Vec<(&'static str, Cow<'static, str>)>,
}

/// Where a value sits relative to a target range, and the credit it earns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Fit {
    /// Inside the range: full credit.
    Within,
    /// Below `min` by a factor (`min / value`), with its share of credit.
    Below { factor: f64, share: f64 },
    /// Above `max` by a factor (`value / max`), with its share of credit.
    Above { factor: f64, share: f64 },
}

impl Fit {
    /// Share of the rule's points, 0–1.
    pub(crate) fn share(self) -> f64 {
        match self {
            Fit::Within => 1.0,
            Fit::Below { share, .. } | Fit::Above { share, .. } => share,
        }
    }

    /// Appends the message suffix: ": within the … target range" or
    /// ": 2× below the … target range (70% credit)".
    pub(crate) fn describe(self, line: Line, range: &str) -> Line {
        let (factor, share, side) = match self {
            Fit::Within => return line.s(": within the ").s(range).s(" target range"),
            Fit::Below { factor, share } => (factor, share, "× below the "),
            Fit::Above { factor, share } => (factor, share, "× above the "),
        };
        line.s(": ").num(factor).s(side).s(range).s(" target range (").pct(share).s(" credit)")
    }
}

/// Credit for `value` (> 0) against `rule`: full inside, falling linearly on
/// a log scale to 0 at `falloff_factor` times outside.
pub(crate) fn range_fit(value: f64, rule: &RangeRule) -> Fit {
    let decay = |factor: f64| (1.0 - factor.ln() / rule.falloff_factor.ln()).clamp(0.0, 1.0);
    if value < rule.min {
        let factor = rule.min / value;
        Fit::Below { factor, share: decay(factor) }
    } else if value > rule.max {
        let factor = value / rule.max;
        Fit::Above { factor, share: decay(factor) }
    } else {
        Fit::Within
    }
}

/// Whether `list` contains `item` (lists are short; order is the config's).
pub(crate) fn listed(list: &[String], item: &str) -> bool {
    list.iter().any(|x| x == item)
}
