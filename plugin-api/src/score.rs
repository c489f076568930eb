//! What a scorer returns: a [`Score`] with its reasons, facts and
//! disqualifiers.
//!
//! The same type is what the host collects on its side of the ABI (see
//! [`crate::host`]), so a scorer linked statically and one loaded from a
//! shared library produce identical values, and authors can assert on exactly
//! what the server will see.

use std::borrow::Cow;

/// A scorer's output for one lead.
///
/// Two scores are equal when their value, reasons, facts and disqualifiers
/// are: how a score was built (its reason limit) does not count.
#[derive(Clone, Debug, Default)]
pub struct Score {
    value: f64,
    reasons: Vec<Reason>,
    facts: Vec<Fact>,
    disqualifiers: Vec<Disqualifier>,
    /// Reasons kept at most (0: all); see [`Score::for_call`].
    reason_limit: usize,
    /// Under a reason limit, what a reason must clear to be kept at all.
    reason_bar: Option<crate::ReasonBar>,
    /// Under a reason limit, the sum of the points of every reason added,
    /// kept or not, in the order added ([`Score::total_points`]).
    points_added: f64,
    /// Under a reason limit, where the evidence cited on a reason that was
    /// not kept goes (and is cleared): the chained `.field()` / `.events()`
    /// of a call site work the same whether or not its reason was kept.
    not_kept: Option<Box<Reason>>,
    /// The facts the call uses ([`Score::for_call`]); the others are not
    /// kept.
    facts_wanted: crate::scorer::FactsWanted,
    /// Where the next fact set is looked for first among the declared ones.
    fact_cursor: usize,
}

impl PartialEq for Score {
    fn eq(&self, other: &Score) -> bool {
        self.value == other.value
            && self.reasons == other.reasons
            && self.facts == other.facts
            && self.disqualifiers == other.disqualifiers
    }
}

impl Score {
    /// A score of `value` (0–100) with nothing else yet.
    pub fn new(value: f64) -> Score {
        // Room for what a bundled scorer typically emits (9-11 reasons), so
        // the vectors do not grow reason by reason; nine reasons stay under
        // 1 KiB, above which glibc's malloc first consolidates its fast bins
        // (measured: twelve was 7 % slower per decision than nine).
        // The lists come from this thread's pool when an earlier score was
        // recycled (see `Score::recycle`).
        let (reasons, facts) = crate::pool::score_lists(9, 10);
        Score {
            value,
            reasons,
            facts,
            disqualifiers: Vec::new(),
            reason_limit: 0,
            reason_bar: None,
            // What `Iterator::sum` starts from, so an unlimited and a limited
            // score of the same reasons total the same, bit for bit.
            points_added: -0.0,
            not_kept: None,
            facts_wanted: crate::scorer::FactsWanted::ALL,
            fact_cursor: 0,
        }
    }

    /// A score of 0 for the call `ctx` describes, keeping only the reasons
    /// that call will use ([`Context::reason_limit`]): on Qualify, the few
    /// with the largest |points|; on Explain, all of them. Likewise it keeps
    /// only the facts the call uses ([`Context::wants_fact`]): on Qualify,
    /// those its policy's gates read.
    ///
    /// Use it with [`Score::reason_with`], whose message is written only
    /// when its reason is kept: on Qualify most messages are never needed,
    /// and formatting them was about a tenth of a bundled scorer's time.
    /// The reasons kept are exactly those [`Score::limited`] would pick from
    /// the unlimited score, in the same order, and [`Score::total_points`]
    /// (and so [`Score::settle`]) still counts every reason added.
    ///
    /// ```
    /// use hql_plugin_api::text::Line;
    /// use hql_plugin_api::{Context, Logger, Score};
    ///
    /// let logger = Logger::discard();
    /// let qualify = Context::new(0, 0, &logger).with_reason_limit(1);
    /// let mut score = Score::for_call(&qualify);
    /// score.reason_with("demo.small", 5.0, || Line::new().s("five points"));
    /// score.reason_with("demo.large", 40.0, || Line::new().s("forty points")).field("bant.need");
    /// score.reason_with("demo.tiny", 1.0, || -> Line { unreachable!("never kept, never written") });
    /// score.settle("demo.clamped");
    /// assert_eq!(score.value(), 46.0);
    /// assert_eq!(score.reasons().len(), 1);
    /// assert_eq!(score.reasons()[0].message, "forty points");
    /// ```
    ///
    /// [`Context::reason_limit`]: crate::Context::reason_limit
    /// [`Context::wants_fact`]: crate::Context::wants_fact
    pub fn for_call(ctx: &crate::Context<'_>) -> Score {
        let mut score = Score::new(0.0);
        score.reason_limit = ctx.reason_limit();
        score.reason_bar = ctx.reason_bar();
        score.facts_wanted = crate::scorer::FactsWanted::of(ctx);
        score
    }

    /// The score, 0–100 (the host clamps and refuses NaN).
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Replaces the score.
    pub fn set_value(&mut self, value: f64) -> &mut Score {
        self.value = value;
        self
    }

    /// Adds a reason; chain `.field(..)` / `.event(..)` on the result to cite
    /// evidence. Under a reason limit ([`Score::for_call`]) it is kept only
    /// if it is among the limit's largest so far.
    pub fn reason(
        &mut self,
        code: impl Into<Cow<'static, str>>,
        points: f64,
        message: impl Into<Cow<'static, str>>,
    ) -> &mut Reason {
        if !self.admit(points) {
            crate::pool::give_text(message.into());
            crate::pool::give_text(code.into());
            return self.not_kept();
        }
        self.push_new_reason(code.into(), points, message.into())
    }

    /// Adds a reason whose message is written by `message` only if the
    /// reason is kept: always without a reason limit, and under one (a
    /// score from [`Score::for_call`] on Qualify) only when its |points|
    /// rank among the limit's largest so far. Chain `.field(..)` /
    /// `.event(..)` on the result as with [`Score::reason`].
    pub fn reason_with<M: Into<Cow<'static, str>>>(
        &mut self,
        code: impl Into<Cow<'static, str>>,
        points: f64,
        message: impl FnOnce() -> M,
    ) -> &mut Reason {
        if !self.admit(points) {
            crate::pool::give_text(code.into());
            return self.not_kept();
        }
        self.push_new_reason(code.into(), points, message().into())
    }

    /// As [`Score::reason_with`], with the code written by a closure too,
    /// only if the reason is kept: for codes built per call (from a
    /// configured rule, say), which would otherwise be written, and handed
    /// back, for every reason a Qualify call leaves out. A literal code
    /// needs no closure: use [`Score::reason_with`].
    pub fn reason_with_code<C: Into<Cow<'static, str>>, M: Into<Cow<'static, str>>>(
        &mut self,
        code: impl FnOnce() -> C,
        points: f64,
        message: impl FnOnce() -> M,
    ) -> &mut Reason {
        if !self.admit(points) {
            return self.not_kept();
        }
        self.push_new_reason(code().into(), points, message().into())
    }

    /// Whether a reason with `points` is kept; under a reason limit, makes
    /// room for it (the weakest kept reason goes back to the pool) and
    /// counts its points either way.
    ///
    /// The checks that usually decide are inlined into each caller; the
    /// ranking against the kept reasons is not.
    #[inline]
    fn admit(&mut self, points: f64) -> bool {
        if self.reason_limit == 0 {
            return true;
        }
        self.points_added += points;
        // Below the bar, a reason cannot reach the decision's top reasons,
        // and every reason above it ranks among this score's own the same
        // with or without the ones below (they are all smaller).
        if self.reason_bar.is_some_and(|bar| !bar.clears(points)) {
            return false;
        }
        self.make_room(points)
    }

    /// Whether a reason with `points` ranks among this score's kept ones
    /// under its limit; if it does and there is no room, the weakest kept
    /// reason goes back to the pool.
    fn make_room(&mut self, points: f64) -> bool {
        let reasons = &self.reasons;
        match crate::limit::offer(self.reason_limit, reasons.len(), |i| reasons[i].points.abs(), points) {
            crate::limit::Offer::Keep => true,
            crate::limit::Offer::Replace(i) => {
                crate::pool::give_reason(self.reasons.remove(i));
                true
            }
            crate::limit::Offer::Skip => false,
        }
    }

    fn push_new_reason(
        &mut self,
        code: Cow<'static, str>,
        points: f64,
        message: Cow<'static, str>,
    ) -> &mut Reason {
        let (fields, events) = crate::pool::evidence();
        self.reasons.push(Reason { code, message, points, fields, events });
        let last = self.reasons.len() - 1;
        &mut self.reasons[last]
    }

    /// The sink for the evidence of a reason that was not kept, emptied.
    ///
    /// The sink comes from this thread's pool and goes back to it with the
    /// score ([`Score::recycle`]), lists and all: a score that leaves a
    /// reason out then allocates nothing for it.
    fn not_kept(&mut self) -> &mut Reason {
        let reason = self.not_kept.get_or_insert_with(crate::pool::sink);
        reason.fields.clear();
        reason.events.clear();
        reason
    }

    /// Adds a fully built reason (under a reason limit, as [`Score::reason`]
    /// does: kept only if it ranks, counted in the total either way).
    pub fn push_reason(&mut self, reason: Reason) -> &mut Score {
        if self.admit(reason.points) {
            self.reasons.push(reason);
        } else {
            crate::pool::give_reason(reason);
        }
        self
    }

    /// Sets a fact the policy can test as `<scorer id>.<name>`. Setting the
    /// same name twice keeps the last value. A score built for a call
    /// ([`Score::for_call`]) keeps only the facts that call uses, so read
    /// your own values from your own variables, not back from the score.
    #[inline]
    pub fn fact(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<FactValue>) -> &mut Score {
        let name = name.into();
        // Inlined: most facts a call does not use are dropped here, where
        // the scorer set them, for the price of a comparison.
        if !self.facts_wanted.all() {
            let (wanted, declared) = self.facts_wanted.wants(&name, self.fact_cursor);
            self.fact_cursor = declared.map_or(self.fact_cursor, |i| i + 1);
            if !wanted {
                crate::pool::give_text(name);
                return self;
            }
        }
        self.keep_fact(name, value.into())
    }

    fn keep_fact(&mut self, name: Cow<'static, str>, value: FactValue) -> &mut Score {
        set_fact(&mut self.facts, name, value);
        self
    }

    /// Whether this score kept only the facts `mask` wants as they were set
    /// (built by [`Score::for_call`] for a call with that mask).
    pub(crate) fn kept_facts_under(&self, mask: u64) -> bool {
        !self.facts_wanted.all() && self.facts_wanted.mask() == mask
    }

    /// Reports a hard disqualifier (the code must be declared by the scorer).
    pub fn disqualify(
        &mut self,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> &mut Score {
        self.disqualifiers.push(Disqualifier { code: code.into(), message: message.into() });
        self
    }

    /// Keeps only the reasons `keep` accepts, in order, without copying
    /// them: the host drops what a plugin got wrong (non-finite points) and
    /// keeps the rest as they came.
    pub fn retain_reasons(&mut self, keep: impl FnMut(&Reason) -> bool) -> &mut Score {
        self.reasons.retain(keep);
        self
    }

    /// Keeps only the facts `keep` accepts, in order (see
    /// [`Score::retain_reasons`]).
    pub fn retain_facts(&mut self, keep: impl FnMut(&Fact) -> bool) -> &mut Score {
        self.facts.retain(keep);
        self
    }

    /// Keeps only the disqualifiers `keep` accepts, in order (see
    /// [`Score::retain_reasons`]).
    pub fn retain_disqualifiers(&mut self, keep: impl FnMut(&Disqualifier) -> bool) -> &mut Score {
        self.disqualifiers.retain(keep);
        self
    }

    /// This score as a call limited to `limit` reasons (ABI 1.1
    /// `reason_limit`; 0: no limit) delivers it to the host: the same value,
    /// facts and disqualifiers, and only the reasons the limit keeps, in
    /// their order. What `hql-plugin check` expects a limited call to
    /// return.
    pub fn limited(&self, limit: usize) -> Score {
        Score {
            value: self.value,
            reasons: self.top_reason_positions(limit).into_iter().map(|i| self.reasons[i].clone()).collect(),
            facts: self.facts.clone(),
            disqualifiers: self.disqualifiers.clone(),
            ..Score::default()
        }
    }

    /// Positions of the reasons a call limited to `limit` uses (0: all),
    /// ascending: the largest |points| among finite, non-zero ones, the
    /// earlier between equals (ABI 1.1 `reason_limit`, see `limit`).
    pub(crate) fn top_reason_positions(&self, limit: usize) -> Vec<usize> {
        crate::limit::kept(limit, self.reasons.iter().map(|r| r.points))
    }

    /// Hands the score's buffers (messages, evidence lists, its own lists)
    /// to this thread's pool, where the next scores built on the thread
    /// find them instead of allocating. Dropping a score is always correct;
    /// recycling it is cheaper when more are coming. The SDK recycles a
    /// plugin's score once the host has copied it, and the host recycles
    /// a linked scorer's score once a decision is built (its copies of a
    /// plugin's are `host::ScoreCopy`s, recycled the same way).
    pub fn recycle(self) {
        crate::pool::give_score(self.reasons, self.facts, self.not_kept);
    }

    /// Reasons in the order they were added.
    pub fn reasons(&self) -> &[Reason] {
        &self.reasons
    }

    /// Removes and returns the reasons, in the order they were added: the
    /// host moves them into an answer instead of copying them.
    pub fn take_reasons(&mut self) -> Vec<Reason> {
        std::mem::take(&mut self.reasons)
    }

    /// Facts in the order they were first set.
    pub fn facts(&self) -> &[Fact] {
        &self.facts
    }

    /// A fact by name.
    pub fn fact_value(&self, name: &str) -> Option<&FactValue> {
        self.facts.iter().find(|f| f.name == name).map(|f| &f.value)
    }

    /// Disqualifiers in the order they were reported.
    pub fn disqualifiers(&self) -> &[Disqualifier] {
        &self.disqualifiers
    }

    /// A reason by code (first match), handy in tests.
    pub fn reason_by_code(&self, code: &str) -> Option<&Reason> {
        self.reasons.iter().find(|r| r.code == code)
    }

    /// Sum of all reasons' points; under a reason limit, of every reason
    /// added, kept or not.
    pub fn total_points(&self) -> f64 {
        if self.reason_limit > 0 { self.points_added } else { self.reasons.iter().map(|r| r.points).sum() }
    }

    /// Sets the score to the sum of the reasons, rounded to two decimals and
    /// clamped to 0–100. When clamping changes it, a reason with `code`
    /// (e.g. `bant.clamped`) carries the difference, so the reasons a reader
    /// sees always add up to the score.
    pub fn settle(&mut self, code: &'static str) -> &mut Score {
        let total = crate::text::round2(self.total_points());
        let value = total.clamp(0.0, 100.0);
        if value != total {
            let what = if total > 100.0 { "capped at 100" } else { "floored at 0" };
            let message = format!("Score {what} (reasons add up to {})", crate::text::num(total));
            self.reason(code, crate::text::round2(value - total), message);
        }
        self.value = value;
        self
    }
}

/// Sets `name` to `value` in `facts`: replaced where it is, else added
/// (a [`Score`]'s and the host's copy's rule).
#[inline(always)]
pub(crate) fn set_fact(facts: &mut Vec<Fact>, name: Cow<'static, str>, value: FactValue) {
    // Names are usually the same static strings each time: compare the
    // pointers before the bytes.
    let same = |f: &Fact| (f.name.as_ptr() == name.as_ptr() && f.name.len() == name.len()) || f.name == name;
    if let Some(f) = facts.iter_mut().find(|f| same(f)) {
        f.value = value;
    } else {
        facts.push(Fact { name, value });
    }
}

/// One reason behind a score.
#[derive(Clone, Debug, PartialEq)]
pub struct Reason {
    /// Stable dotted code, e.g. `bant.budget.confirmed`.
    pub code: Cow<'static, str>,
    /// One short human sentence.
    pub message: Cow<'static, str>,
    /// Signed points this reason added.
    pub points: f64,
    /// Lead field paths used, e.g. `bant.authority`.
    pub fields: Vec<Cow<'static, str>>,
    /// Indexes of the request's events used.
    pub events: Vec<u32>,
}

impl Reason {
    /// Cites a lead field as evidence.
    pub fn field(&mut self, path: impl Into<Cow<'static, str>>) -> &mut Reason {
        self.fields.push(path.into());
        self
    }

    /// Cites an event (its `index()`) as evidence.
    pub fn event(&mut self, index: u32) -> &mut Reason {
        self.events.push(index);
        self
    }

    /// Cites several events.
    pub fn events(&mut self, indexes: impl IntoIterator<Item = u32>) -> &mut Reason {
        self.events.extend(indexes);
        self
    }
}

/// A value policy gates can compare.
#[derive(Clone, Debug, PartialEq)]
pub enum FactValue {
    /// Compared with `>=`, `<`, ...
    Number(f64),
    /// Compared with `==`.
    Bool(bool),
    /// Compared with `==`, `in`.
    Text(Cow<'static, str>),
}

impl FactValue {
    /// The kind, as declared in a [`crate::FactSpec`].
    pub fn kind(&self) -> FactKind {
        match self {
            FactValue::Number(_) => FactKind::Number,
            FactValue::Bool(_) => FactKind::Bool,
            FactValue::Text(_) => FactKind::Text,
        }
    }
}

impl std::fmt::Display for FactValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FactValue::Number(n) => write!(f, "{n}"),
            FactValue::Bool(b) => write!(f, "{b}"),
            FactValue::Text(t) => write!(f, "\"{t}\""),
        }
    }
}

impl From<f64> for FactValue {
    fn from(v: f64) -> Self {
        FactValue::Number(v)
    }
}
impl From<i64> for FactValue {
    fn from(v: i64) -> Self {
        FactValue::Number(v as f64)
    }
}
impl From<u32> for FactValue {
    fn from(v: u32) -> Self {
        FactValue::Number(f64::from(v))
    }
}
impl From<usize> for FactValue {
    fn from(v: usize) -> Self {
        FactValue::Number(v as f64)
    }
}
impl From<bool> for FactValue {
    fn from(v: bool) -> Self {
        FactValue::Bool(v)
    }
}
impl From<&'static str> for FactValue {
    fn from(v: &'static str) -> Self {
        FactValue::Text(Cow::Borrowed(v))
    }
}
impl From<String> for FactValue {
    fn from(v: String) -> Self {
        FactValue::Text(Cow::Owned(v))
    }
}

/// The kind of a fact or attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FactKind {
    /// A number.
    Number,
    /// A flag.
    Bool,
    /// Text.
    Text,
}

impl FactKind {
    /// The ABI number (`HQL_VALUE_*`).
    pub const fn to_raw(self) -> u32 {
        match self {
            FactKind::Number => crate::abi::HQL_VALUE_NUMBER,
            FactKind::Bool => crate::abi::HQL_VALUE_BOOL,
            FactKind::Text => crate::abi::HQL_VALUE_TEXT,
        }
    }

    /// Reads an ABI number.
    pub const fn from_raw(raw: u32) -> Option<FactKind> {
        match raw {
            crate::abi::HQL_VALUE_NUMBER => Some(FactKind::Number),
            crate::abi::HQL_VALUE_BOOL => Some(FactKind::Bool),
            crate::abi::HQL_VALUE_TEXT => Some(FactKind::Text),
            _ => None,
        }
    }

    /// Lower-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            FactKind::Number => "number",
            FactKind::Bool => "bool",
            FactKind::Text => "text",
        }
    }
}

/// A named fact and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    /// Name, without the scorer prefix.
    pub name: Cow<'static, str>,
    /// Value.
    pub value: FactValue,
}

/// A hard disqualifier reported by a scorer.
#[derive(Clone, Debug, PartialEq)]
pub struct Disqualifier {
    /// Declared code, e.g. `icp.competitor`.
    pub code: Cow<'static, str>,
    /// Why, for a human.
    pub message: Cow<'static, str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, Logger};
    use proptest::prelude::*;

    /// Points of up to 23 reasons: zeros and ties among them, which the limit
    /// and the bar treat specially.
    fn reason_points() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(prop_oneof![Just(0.0), Just(5.0), Just(-5.0), -60.0..60.0f64], 0..24)
    }

    /// The same reasons added to a score for `ctx`, messages counted.
    fn build(ctx: &Context<'_>, points: &[f64], written: &mut usize) -> Score {
        let mut s = Score::for_call(ctx);
        for (i, p) in points.iter().enumerate() {
            s.reason_with(format!("x.r{i}"), *p, || {
                *written += 1;
                format!("reason {i}")
            })
            .field("bant.need")
            .events([i as u32]);
        }
        s.settle("x.clamped");
        s
    }

    proptest! {
        #[test]
        fn a_limited_score_keeps_what_the_limit_would_pick(
            points in reason_points(),
            limit in 1usize..8,
        ) {
            let logger = Logger::discard();
            let explain = Context::new(0, 0, &logger);
            let qualify = Context::new(0, 0, &logger).with_reason_limit(limit);
            let (mut all_written, mut limited_written) = (0, 0);
            let all = build(&explain, &points, &mut all_written);
            let limited = build(&qualify, &points, &mut limited_written);
            prop_assert_eq!(&limited, &all.limited(limit));
            prop_assert_eq!(limited.value().to_bits(), all.value().to_bits());
            prop_assert_eq!(limited.total_points().to_bits(), all.total_points().to_bits());
            prop_assert!(limited.reasons().len() <= limit);
            prop_assert_eq!(all_written, points.len());
            // Zero points are never kept, so never written, under a limit.
            let nonzero = points.iter().filter(|p| **p != 0.0).count();
            prop_assert!(limited_written <= nonzero);
        }
    }

    proptest! {
        #[test]
        fn a_barred_score_keeps_what_the_limit_would_pick_above_the_bar(
            points in reason_points(),
            limit in 1usize..8,
            weight in prop_oneof![Just(0.5), 0.0..3.0f64],
            beat in prop_oneof![Just(2.5), 0.0..40.0f64],
        ) {
            let logger = Logger::discard();
            let bar = crate::ReasonBar { weight, beat };
            let limited = Context::new(0, 0, &logger).with_reason_limit(limit);
            let barred = Context::new(0, 0, &logger).with_reason_limit(limit).with_reason_bar(Some(bar));
            let (mut limited_written, mut barred_written) = (0, 0);
            let limited = build(&limited, &points, &mut limited_written);
            let barred = build(&barred, &points, &mut barred_written);
            // What the host copies of each (it drops what does not clear
            // the bar) is the same reasons, in the same order.
            let above: Vec<&Reason> = limited.reasons().iter().filter(|r| bar.clears(r.points)).collect();
            let barred_reasons: Vec<&Reason> = barred.reasons().iter().collect();
            prop_assert_eq!(above, barred_reasons);
            prop_assert!(barred.reasons().iter().all(|r| bar.clears(r.points)));
            prop_assert_eq!(barred.value().to_bits(), limited.value().to_bits());
            prop_assert_eq!(barred.total_points().to_bits(), limited.total_points().to_bits());
            prop_assert!(barred_written <= limited_written);
        }
    }

    proptest! {
        #[test]
        fn a_code_written_by_a_closure_is_written_only_with_its_message(
            points in reason_points(),
            limit in 0usize..8,
            beat in prop_oneof![Just(-1.0), 0.0..40.0f64],
        ) {
            let logger = Logger::discard();
            let bar = (beat >= 0.0).then_some(crate::ReasonBar { weight: 0.5, beat });
            let ctx = Context::new(0, 0, &logger).with_reason_limit(limit).with_reason_bar(bar);
            let mut eager_written = 0;
            let eager = build(&ctx, &points, &mut eager_written);
            let (mut codes, mut messages) = (0, 0);
            let mut lazy = Score::for_call(&ctx);
            for (i, p) in points.iter().enumerate() {
                lazy.reason_with_code(
                    || {
                        codes += 1;
                        format!("x.r{i}")
                    },
                    *p,
                    || {
                        messages += 1;
                        format!("reason {i}")
                    },
                )
                .field("bant.need")
                .events([i as u32]);
            }
            lazy.settle("x.clamped");
            prop_assert_eq!(&lazy, &eager);
            prop_assert_eq!(lazy.total_points().to_bits(), eager.total_points().to_bits());
            prop_assert_eq!(codes, messages);
            prop_assert_eq!(messages, eager_written);
            if limit == 0 {
                prop_assert_eq!(codes, points.len());
            }
        }
    }

    #[test]
    fn a_score_for_a_call_keeps_only_the_facts_it_uses() {
        use crate::FactSpec;
        const DECLARED: &[FactSpec] =
            &[FactSpec::number("first", "1"), FactSpec::bool("second", "2"), FactSpec::text("third", "3")];
        let logger = Logger::discard();
        let set = |s: &mut Score| {
            // Out of declared order, one name not a literal of the
            // declaration, one set twice, one undeclared.
            s.fact("third", "c").fact(String::from("first"), 1.0).fact("second", true);
            s.fact("first", 2.0).fact("undeclared", 4.0);
        };
        let names = |s: &Score| s.facts().iter().map(|f| f.name.to_string()).collect::<Vec<_>>();
        let qualify = Context::new(0, 0, &logger).with_wanted_facts(0b001, DECLARED);
        assert!(qualify.wants_fact("first") && !qualify.wants_fact("second") && !qualify.wants_fact("third"));
        assert!(qualify.wants_fact("undeclared"), "no bit: kept, as the ABI says to send it");
        let mut masked = Score::for_call(&qualify);
        set(&mut masked);
        assert_eq!(names(&masked), ["first", "undeclared"]);
        assert_eq!(masked.fact_value("first"), Some(&FactValue::Number(2.0)), "the last value");
        // Explain (every bit), and a score not built for the call, keep all.
        let explain = Context::new(0, 0, &logger).with_wanted_facts(u64::MAX, DECLARED);
        assert!(explain.wants_fact("second"));
        for mut all in [Score::for_call(&explain), Score::new(0.0)] {
            set(&mut all);
            assert_eq!(names(&all), ["third", "first", "second", "undeclared"]);
        }
        // No mask at all: nothing is dropped.
        let plain = Context::new(0, 0, &logger);
        assert!(plain.wants_fact("anything"));
    }

    #[test]
    fn a_bar_applies_only_under_a_limit() {
        let logger = Logger::discard();
        let bar = Some(crate::ReasonBar { weight: 1.0, beat: 50.0 });
        let explain = Context::new(0, 0, &logger).with_reason_bar(bar);
        assert_eq!(explain.reason_bar(), None);
        let mut s = Score::for_call(&explain);
        s.reason("x.small", 1.0, "small");
        assert_eq!(s.reasons().len(), 1);
        let qualify = Context::new(0, 0, &logger).with_reason_limit(3).with_reason_bar(bar);
        let mut s = Score::for_call(&qualify);
        s.reason("x.small", 1.0, "small");
        s.reason("x.large", -60.0, "large");
        assert_eq!(s.reasons().len(), 1);
        assert_eq!(s.reasons()[0].code, "x.large");
        assert_eq!(s.total_points(), -59.0);
    }

    #[test]
    fn evidence_of_a_reason_not_kept_goes_nowhere() {
        let logger = Logger::discard();
        let qualify = Context::new(0, 0, &logger).with_reason_limit(1);
        let mut s = Score::for_call(&qualify);
        s.reason("x.big", 10.0, "big").field("a").events([1]);
        s.reason("x.small", 1.0, "small").field("b").events([2, 3]);
        s.reason("x.zero", 0.0, "zero").event(4);
        assert_eq!(s.reasons().len(), 1);
        assert_eq!(s.reasons()[0].fields, vec!["a"]);
        assert_eq!(s.reasons()[0].events, vec![1]);
        // A larger one replaces it, and gets its own evidence only.
        s.reason("x.bigger", -20.0, "bigger").field("c");
        assert_eq!(s.reasons().len(), 1);
        assert_eq!(s.reasons()[0].code, "x.bigger");
        assert_eq!(s.reasons()[0].fields, vec!["c"]);
        assert!(s.reasons()[0].events.is_empty());
        assert_eq!(s.total_points(), -9.0);
        // A fully built reason is held to the same limit and total.
        s.push_reason(Reason {
            code: "x.pushed".into(),
            message: "pushed".into(),
            points: 3.0,
            fields: Vec::new(),
            events: Vec::new(),
        });
        assert_eq!(s.reasons().len(), 1);
        assert_eq!(s.reasons()[0].code, "x.bigger");
        assert_eq!(s.total_points(), -6.0);
    }

    #[test]
    fn facts_keep_last_value_and_first_position() {
        let mut s = Score::new(10.0);
        s.fact("a", 1.0).fact("b", true).fact("a", 2.0);
        assert_eq!(s.facts().len(), 2);
        assert_eq!(s.fact_value("a"), Some(&FactValue::Number(2.0)));
        assert_eq!(s.facts()[0].name, "a");
    }

    #[test]
    fn reasons_carry_evidence() {
        let mut s = Score::new(0.0);
        s.reason("x.y", 5.0, "because").field("bant.need").events([1, 3]);
        let r = s.reason_by_code("x.y").expect("reason");
        assert_eq!(r.fields, vec!["bant.need"]);
        assert_eq!(r.events, vec![1, 3]);
        assert_eq!(s.total_points(), 5.0);
    }

    #[test]
    fn settling_sets_the_sum_and_explains_a_clamp() {
        let mut s = Score::new(0.0);
        s.reason("x.a", 30.004, "a");
        s.reason("x.b", 12.5, "b");
        s.settle("x.clamped");
        assert_eq!(s.value(), 42.5);
        assert!(s.reason_by_code("x.clamped").is_none());

        let mut high = Score::new(0.0);
        high.reason("x.a", 70.0, "a");
        high.reason("x.b", 65.5, "b");
        high.settle("x.clamped");
        assert_eq!(high.value(), 100.0);
        let clamp = high.reason_by_code("x.clamped").expect("clamp reason");
        assert_eq!(clamp.points, -35.5);
        assert_eq!(clamp.message, "Score capped at 100 (reasons add up to 135.5)");
        assert_eq!(high.total_points(), 100.0);

        let mut low = Score::new(50.0);
        low.reason("x.neg", -25.0, "unsubscribed");
        low.settle("x.clamped");
        assert_eq!(low.value(), 0.0);
        assert_eq!(low.reason_by_code("x.clamped").expect("clamp").points, 25.0);
    }
}
