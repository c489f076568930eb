//! Behaviour rules: the plugin cannot see the future, gives the same answer
//! every time, gives it from any thread, honours a reason limit and a fact
//! mask, and how long it takes.
//!
//! - Events after `as_of` are withheld by the host (only their count reaches
//!   the plugin), so the decision a plugin makes (score, facts,
//!   disqualifiers) must be exactly the one it makes on the same lead without
//!   them. Reasons may differ: a plugin may say it ignored later events.
//! - Decisions are replayed and compared byte for byte, so every pass over
//!   the leads must match the first exactly.
//! - `score` runs concurrently on one shared instance; each concurrent
//!   result must match a sequential one for the same lead (matching any
//!   sequential pass keeps non-determinism, reported above, from being
//!   counted twice).
//! - Under a reason limit the host keeps exactly the top reasons of the
//!   plugin's full output, and nothing else changes (see [`reason_limit`]);
//!   under a limit and a reason bar, exactly those of them that clear the
//!   bar (see [`reason_bar`]).
//! - Under a fact mask the host keeps exactly the wanted facts of the
//!   plugin's full output, and nothing else changes (see [`wanted_facts`]).
//! - Time per call is reported (median and p99 over the sequential calls
//!   after the first, warm-up pass), not judged: it depends on the machine
//!   and the build profile. Only a p99 above [`SLOW_P99`] warns, since the
//!   server runs every scorer on every lead.

use std::time::Duration;

use hql_plugin_api::abi::{HQL_ALL_FACTS, fact_wanted};
use hql_plugin_api::{ReasonBar, Score};

use crate::compare;
use crate::leads::EdgeLead;
use crate::report::{RuleResult, Timing};
use crate::rules::Rule;
use crate::run::{Observed, Outcome};

/// A p99 call time above this warns.
pub(crate) const SLOW_P99: Duration = Duration::from_millis(1);

/// One result per rule of this stage, and the timing measured.
pub(crate) fn evaluate(leads: &[EdgeLead], observed: &Observed) -> (Vec<RuleResult>, Option<Timing>) {
    let timing = timing_of(leads, observed);
    let results = vec![
        future_hidden(leads, observed),
        determinism(leads, observed),
        thread_safety(leads, observed),
        reason_limit(leads, observed),
        reason_bar(leads, observed),
        wanted_facts(leads, observed),
        timing_rule(timing.as_ref()),
    ];
    (results, timing)
}

fn name(leads: &[EdgeLead], i: usize) -> &'static str {
    leads.get(i).map_or("?", |l| l.name)
}

pub(crate) fn future_hidden(leads: &[EdgeLead], observed: &Observed) -> RuleResult {
    if observed.without_future.is_empty() {
        return RuleResult::skip(Rule::FutureHidden, "not checked: no edge-case lead has events after as_of");
    }
    let first = observed.first();
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    for (i, without) in &observed.without_future {
        let Some(with) = first.get(*i) else { continue };
        let lead = name(leads, *i);
        let hidden = leads.get(*i).map_or(0, EdgeLead::hidden_events);
        checked.push(format!("`{lead}` ({hidden} hidden)"));
        let difference = match (&with.outcome, without) {
            (Ok(a), Ok(b)) => compare::same_decision(a, b),
            (Err(_), Err(_)) => None, // reported by score.no_errors
            _ => compare::difference(&with.outcome, without),
        };
        if let Some(d) = difference {
            problems.push(format!("`{lead}` with its {hidden} later event(s), then without them: {d}"));
        }
    }
    if problems.is_empty() {
        return RuleResult::pass(
            Rule::FutureHidden,
            format!("same decision with and without the events after as_of on {}", checked.join(", ")),
        );
    }
    RuleResult::fail(
        Rule::FutureHidden,
        "the decision depends on events after as_of",
        problems,
        "Events after as_of are hidden from you; only their count arrives (`ctx.future_events_hidden()`). \
         Do not let that count change the score, facts or disqualifiers, and take \"now\" from `ctx.as_of`, \
         never from the clock.",
    )
}

pub(crate) fn determinism(leads: &[EdgeLead], observed: &Observed) -> RuleResult {
    let first = observed.first();
    let mut problems = Vec::new();
    for (pass, round) in observed.rounds.iter().enumerate().skip(1) {
        for (i, (a, b)) in first.iter().zip(round).enumerate() {
            if let Some(d) = compare::difference(&a.outcome, &b.outcome) {
                problems.push(format!("`{}`, pass {}: {d}", name(leads, i), pass + 1));
            }
        }
    }
    let passes = observed.rounds.len();
    if passes < 2 {
        return RuleResult::skip(Rule::Determinism, "not checked: only one pass over the leads");
    }
    if problems.is_empty() {
        return RuleResult::pass(
            Rule::Determinism,
            format!("{passes} passes over {} leads gave identical outputs", first.len()),
        );
    }
    RuleResult::fail(
        Rule::Determinism,
        "the same lead scored twice gave different outputs",
        problems,
        "Same lead, same config, same as_of must give the same output, bit for bit (decisions are replayed \
         and compared): take time from `ctx.as_of`, never the clock; no randomness; no iteration over a \
         HashMap into reasons or facts (use a BTreeMap or sort); no state carried from one call to the next.",
    )
}

pub(crate) fn thread_safety(leads: &[EdgeLead], observed: &Observed) -> RuleResult {
    if observed.concurrent.is_empty() {
        return RuleResult::skip(Rule::ThreadSafety, "not checked: no concurrent calls were made");
    }
    let mut problems = Vec::new();
    let mut calls = 0;
    for (t, thread) in observed.concurrent.iter().enumerate() {
        for (i, outcome) in thread {
            calls += 1;
            let sequential: Vec<_> = observed.rounds.iter().filter_map(|round| round.get(*i)).collect();
            if sequential.iter().any(|call| compare::same(&call.outcome, outcome)) {
                continue;
            }
            let d = sequential
                .first()
                .and_then(|call| compare::difference(&call.outcome, outcome))
                .unwrap_or_else(|| "no sequential result to compare with".to_string());
            problems.push(format!(
                "thread {}, `{}`: sequentially, then concurrently: {d}",
                t + 1,
                name(leads, *i)
            ));
        }
    }
    let threads = observed.concurrent.len();
    if problems.is_empty() {
        return RuleResult::pass(
            Rule::ThreadSafety,
            format!(
                "{threads} threads, {calls} concurrent calls on one instance, all equal to the sequential results"
            ),
        );
    }
    RuleResult::fail(
        Rule::ThreadSafety,
        format!("{} of {calls} concurrent calls differ from the sequential results", problems.len()),
        problems,
        "`score` runs concurrently from many threads on the same instance: keep the instance read-only after \
         create, or guard what changes with a Mutex or atomics. C: no static buffers or non-reentrant calls \
         (strtok, localtime, rand) in score.",
    )
}

/// Under a reason limit (ABI 1.1, how Qualify calls), the host must end up
/// with exactly the reasons the limit keeps from the plugin's full output:
/// a plugin may send only those, or everything (the host trims it), but not
/// others, or Qualify's top reasons would differ from Explain's. The rest of
/// the output must not change either. Compared with every sequential pass,
/// so non-determinism is not counted twice.
pub(crate) fn reason_limit(leads: &[EdgeLead], observed: &Observed) -> RuleResult {
    if observed.limited.is_empty() {
        return RuleResult::skip(Rule::ReasonLimit, "not checked: no call under a reason limit was made");
    }
    let limit = crate::run::LIMIT as usize;
    let mut problems = Vec::new();
    for (i, outcome) in observed.limited.iter().enumerate() {
        if let Some(d) = mismatch(observed, i, outcome, |s| s.limited(limit)) {
            problems.push(format!("`{}`: expected, then under reason_limit {limit}: {d}", name(leads, i)));
        }
    }
    let calls = observed.limited.len();
    if problems.is_empty() {
        return RuleResult::pass(
            Rule::ReasonLimit,
            format!("{calls} calls under reason_limit {limit}: the host kept exactly the top reasons"),
        );
    }
    RuleResult::fail(
        Rule::ReasonLimit,
        format!(
            "{} of {calls} calls under a reason limit kept other reasons or changed the output",
            problems.len()
        ),
        problems,
        "Under hql_score_context_t.reason_limit N (Qualify), add either every reason or exactly the N with the \
         largest |points| among finite, non-zero ones (the earlier between equals), unchanged; never the first N. \
         Nothing else may depend on the limit. The Rust SDK does this for you.",
    )
}

/// Under a reason limit and a reason bar (ABI 1.2, how Qualify calls a
/// scorer after others have given their top reasons), the host must end up
/// with exactly the reasons the limit keeps from the plugin's full output
/// that clear the bar, and nothing else may change: a plugin may skip the
/// reasons below the bar, never one above it, and its score still counts
/// every point. The bar is set at the weaker of the two top reasons, so one
/// must go and the other stay.
pub(crate) fn reason_bar(leads: &[EdgeLead], observed: &Observed) -> RuleResult {
    if observed.barred.is_empty() {
        return RuleResult::skip(Rule::ReasonBar, "not checked: no call under a reason bar was made");
    }
    let limit = crate::run::LIMIT as usize;
    let mut problems = Vec::new();
    for (i, (bar, outcome)) in observed.barred.iter().enumerate() {
        if let Some(d) = mismatch(observed, i, outcome, |s| above_bar(s.limited(limit), bar)) {
            problems.push(format!(
                "`{}`: expected, then under reason_limit {limit}, reason_weight {} and reason_beat {}: {d}",
                name(leads, i),
                bar.weight,
                bar.beat
            ));
        }
    }
    let calls = observed.barred.len();
    if problems.is_empty() {
        return RuleResult::pass(
            Rule::ReasonBar,
            format!("{calls} calls under a reason bar: the host kept exactly the top reasons above it"),
        );
    }
    RuleResult::fail(
        Rule::ReasonBar,
        format!(
            "{} of {calls} calls under a reason bar kept other reasons or changed the output",
            problems.len()
        ),
        problems,
        "Under hql_score_context_t.reason_beat >= 0 (ABI 1.2, with a reason limit), a reason is used only when \
         fabs(points) * reason_weight > reason_beat: skip those that fail, or send them (the host drops them), but \
         never skip one that passes, and keep counting every reason's points in the score. The Rust SDK does \
         this for you.",
    )
}

/// Under a fact mask (ABI 1.3 `wanted_facts`, how Qualify calls a scorer
/// whose facts its policy's gates read only some of), the host must end up
/// with exactly the facts of the plugin's full output that it keeps under
/// the mask ([`kept_under`]), and nothing else may change: a plugin may skip
/// a fact whose bit is clear (the host drops it anyway), never one whose bit
/// is set, and its score, reasons and disqualifiers do not depend on the
/// mask. Without a reason limit, so only the facts can differ.
pub(crate) fn wanted_facts(leads: &[EdgeLead], observed: &Observed) -> RuleResult {
    if observed.declared_facts.is_empty() {
        return RuleResult::skip(Rule::WantedFacts, "not checked: the plugin declares no facts");
    }
    if observed.masked.is_empty() {
        return RuleResult::skip(Rule::WantedFacts, "not checked: no call under a fact mask was made");
    }
    let (declared, mask) = (&observed.declared_facts, observed.fact_mask);
    let mut problems = Vec::new();
    for (i, outcome) in observed.masked.iter().enumerate() {
        let expect = |s: &Score| {
            let mut kept = s.clone();
            kept.retain_facts(|f| kept_under(declared, mask, &f.name));
            kept
        };
        if let Some(d) = mismatch(observed, i, outcome, expect) {
            problems.push(format!("`{}`: expected, then under wanted_facts {mask:#b}: {d}", name(leads, i)));
        }
    }
    let calls = observed.masked.len();
    if problems.is_empty() {
        let wanted = (0..declared.len()).filter(|i| fact_wanted(mask, *i)).count();
        return RuleResult::pass(
            Rule::WantedFacts,
            format!(
                "{calls} calls under wanted_facts {mask:#b} ({wanted} of {} declared facts wanted): the host \
                 kept exactly the wanted facts",
                declared.len()
            ),
        );
    }
    RuleResult::fail(
        Rule::WantedFacts,
        format!(
            "{} of {calls} calls under a fact mask left out a wanted fact or changed the output",
            problems.len()
        ),
        problems,
        "Under hql_score_context_t.wanted_facts (ABI 1.3), bit i stands for the fact declared at facts[i]: you may \
         skip set_fact for a declared fact whose bit is clear (or send it: the host drops it), never for one whose \
         bit is set, and facts declared after the 64th have no bit and are always sent. Nothing else may depend \
         on the mask: the same score, reasons and disqualifiers. The Rust SDK does this for you.",
    )
}

/// Whether the host keeps a fact named `name` under the fact mask `mask`
/// of a plugin that declares `declared` (as `set_fact` decides): every fact
/// when every bit is set (no mask); else only a declared one whose bit is
/// set or that is declared past the 64th. An undeclared name has no bit
/// and is dropped.
fn kept_under(declared: &[String], mask: u64, name: &str) -> bool {
    mask == HQL_ALL_FACTS || declared.iter().position(|d| d == name).is_some_and(|i| fact_wanted(mask, i))
}

/// `None` when `outcome` is what `expect` makes of one of the sequential
/// results for lead `i` (any pass, so non-determinism is not counted
/// twice); else how it differs from the first pass's.
fn mismatch(
    observed: &Observed,
    i: usize,
    outcome: &Outcome,
    expect: impl Fn(&Score) -> Score,
) -> Option<String> {
    let expected: Vec<Outcome> = observed
        .rounds
        .iter()
        .filter_map(|round| round.get(i))
        .map(|call| call.outcome.as_ref().map(&expect).map_err(Clone::clone))
        .collect();
    if expected.iter().any(|e| compare::same(e, outcome)) {
        return None;
    }
    let d = expected
        .first()
        .and_then(|e| compare::difference(e, outcome))
        .unwrap_or_else(|| "no unlimited result to compare with".to_string());
    Some(d)
}

/// `score` with only the reasons that clear `bar`.
fn above_bar(mut score: Score, bar: &ReasonBar) -> Score {
    for r in score.take_reasons() {
        if bar.clears(r.points) {
            score.push_reason(r);
        }
    }
    score
}

/// Times of every sequential call but the first pass, which warms up (lazy
/// initialisation, caches, page faults) unless it is the only one.
fn timing_of(leads: &[EdgeLead], observed: &Observed) -> Option<Timing> {
    let warm = if observed.rounds.len() > 1 { 1 } else { 0 };
    let samples: Vec<(&str, Duration)> = observed
        .rounds
        .iter()
        .skip(warm)
        .flat_map(|round| round.iter().enumerate().map(|(i, call)| (name(leads, i), call.elapsed)))
        .collect();
    Timing::of(&samples)
}

pub(crate) fn timing_rule(timing: Option<&Timing>) -> RuleResult {
    let Some(t) = timing else {
        return RuleResult::skip(Rule::Timing, "not measured: no call was made");
    };
    let summary = format!(
        "median {}, p99 {} over {} calls (slowest: `{}`, {})",
        human(t.median_us),
        human(t.p99_us),
        t.calls,
        t.slowest_lead,
        human(t.slowest_us)
    );
    let limit_us = SLOW_P99.as_secs_f64() * 1e6;
    if t.p99_us <= limit_us {
        return RuleResult::info(Rule::Timing, summary);
    }
    RuleResult::warn(
        Rule::Timing,
        summary,
        vec![format!("p99 {} is above {} per call", human(t.p99_us), human(limit_us))],
        "The server runs every scorer on every lead, so this adds to each decision. Measure a release build \
         first (debug builds are many times slower); then profile the slowest lead: one pass over the events, \
         no allocation per event, no regex compiled per call.",
    )
}

/// Microseconds for people: `850 µs`, `1.25 ms`.
fn human(us: f64) -> String {
    if us >= 1000.0 { format!("{:.2} ms", us / 1000.0) } else { format!("{us:.1} µs") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leads::edge_cases;
    use crate::report::Status;
    use crate::run::Call;
    use hql_plugin_api::Score;

    fn call(value: f64, micros: u64) -> Call {
        Call { outcome: Ok(Score::new(value)), elapsed: Duration::from_micros(micros) }
    }

    fn observed(rounds: Vec<Vec<Call>>) -> Observed {
        Observed {
            first_create: Ok(()),
            second_create: Some(Ok(())),
            rounds,
            without_future: Vec::new(),
            concurrent: Vec::new(),
            limited: Vec::new(),
            barred: Vec::new(),
            declared_facts: Vec::new(),
            fact_mask: 0,
            masked: Vec::new(),
        }
    }

    fn leads() -> Vec<EdgeLead> {
        edge_cases().into_iter().take(2).collect()
    }

    #[test]
    fn identical_passes_are_deterministic() {
        let o = observed(vec![vec![call(1.0, 5), call(2.0, 5)], vec![call(1.0, 6), call(2.0, 6)]]);
        assert_eq!(determinism(&leads(), &o).status, Status::Pass);
    }

    #[test]
    fn a_changed_score_is_not_deterministic() {
        let o = observed(vec![vec![call(1.0, 5), call(2.0, 5)], vec![call(1.0, 6), call(3.0, 6)]]);
        let r = determinism(&leads(), &o);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.problems, vec!["`missing-fields`, pass 2: score 2, then 3"]);
    }

    /// A score with reasons of these points, coded by position.
    fn with_reasons(points: &[f64]) -> Score {
        let mut score = Score::new(10.0);
        for (i, p) in points.iter().enumerate() {
            score.reason(format!("t.r{i}"), *p, format!("reason {i}"));
        }
        score
    }

    #[test]
    fn under_a_reason_limit_the_top_reasons_must_be_kept() {
        let full = with_reasons(&[1.0, -9.0, 4.0, 0.0]);
        let mut o = observed(vec![vec![Call { outcome: Ok(full.clone()), elapsed: Duration::ZERO }]]);
        // Exactly the two largest |points|, in order: right.
        o.limited = vec![Ok(with_reasons(&[1.0, -9.0, 4.0, 0.0]).limited(crate::run::LIMIT as usize))];
        assert_eq!(o.limited[0].as_ref().map(|s| s.reasons().len()), Ok(2));
        assert_eq!(reason_limit(&leads(), &o).status, Status::Pass);
        // The first two instead: wrong, and said how.
        o.limited = vec![Ok(with_reasons(&[1.0, -9.0]))];
        let r = reason_limit(&leads(), &o);
        assert_eq!(r.status, Status::Fail);
        assert!(
            r.problems[0].contains("`: expected, then under reason_limit 2: reason 1"),
            "{:?}",
            r.problems
        );
    }

    #[test]
    fn under_a_reason_bar_the_top_reasons_above_it_must_be_kept() {
        let full = with_reasons(&[1.0, -9.0, 4.0, 0.0]);
        let mut o = observed(vec![vec![Call { outcome: Ok(full.clone()), elapsed: Duration::ZERO }]]);
        // The bar cuts at the weaker of the top two (4 x 0.5 = 2, strict).
        let bar = crate::run::bar_for(Some(&Ok(full.clone())));
        assert_eq!(bar, ReasonBar { weight: 0.5, beat: 2.0 });
        // What the host keeps of a right plugin: -9 alone (4.5 > 2).
        let kept = above_bar(full.limited(2), &bar);
        assert_eq!(kept.reasons().iter().map(|r| r.points).collect::<Vec<_>>(), [-9.0]);
        o.barred = vec![(bar, Ok(kept))];
        assert_eq!(reason_bar(&leads(), &o).status, Status::Pass);
        // Dropping the one above the bar is wrong.
        o.barred = vec![(bar, Ok(with_reasons(&[])))];
        let r = reason_bar(&leads(), &o);
        assert_eq!(r.status, Status::Fail);
        assert!(r.problems[0].contains("reason_weight 0.5 and reason_beat 2"), "{:?}", r.problems);
        // Without reasons, the bar only cuts zero points.
        assert_eq!(crate::run::bar_for(Some(&Ok(Score::new(3.0)))).beat, 0.0);
        assert_eq!(crate::run::bar_for(None).beat, 0.0);
    }

    /// A score of 10 with one reason and these facts, numbered by position.
    fn with_facts(names: &[&'static str]) -> Score {
        let mut score = Score::new(10.0);
        score.reason("t.r", 4.0, "a reason");
        for (i, name) in names.iter().enumerate() {
            score.fact(*name, i as f64);
        }
        score
    }

    /// Observed with one sequential result, `full`, for a plugin declaring
    /// `a`, `b`, `c`, and the masked pass's mask (a and c wanted).
    fn masked_observed(full: Score) -> Observed {
        let mut o = observed(vec![vec![Call { outcome: Ok(full), elapsed: Duration::ZERO }]]);
        o.declared_facts = ["a", "b", "c"].map(String::from).to_vec();
        o.fact_mask = crate::run::every_other_fact(3);
        o
    }

    #[test]
    fn under_a_fact_mask_the_wanted_facts_must_be_kept() {
        let mut o = masked_observed(with_facts(&["a", "b", "c"]));
        assert_eq!(o.fact_mask, 0b101);
        // Only the wanted facts, at their values: what the SDK sends.
        let mut kept = with_facts(&["a", "b", "c"]);
        kept.retain_facts(|f| f.name != "b");
        o.masked = vec![Ok(kept)];
        let r = wanted_facts(&leads(), &o);
        assert_eq!(r.status, Status::Pass, "{r:?}");
        assert!(
            r.summary.contains("under wanted_facts 0b101 (2 of 3 declared facts wanted)"),
            "{}",
            r.summary
        );
    }

    #[test]
    fn under_a_fact_mask_a_missing_wanted_fact_fails() {
        let mut o = masked_observed(with_facts(&["a", "b", "c"]));
        // `c` (bit 2) skipped: the gate reading it would see nothing.
        let mut skipped = with_facts(&["a", "b", "c"]);
        skipped.retain_facts(|f| f.name == "a");
        o.masked = vec![Ok(skipped)];
        let r = wanted_facts(&leads(), &o);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.problems, vec!["`empty`: expected, then under wanted_facts 0b101: 2 fact(s), then 1"]);
        assert!(
            r.fix.as_deref().is_some_and(|f| f.contains("never for one whose bit is set")),
            "{:?}",
            r.fix
        );
    }

    #[test]
    fn under_a_fact_mask_an_unwanted_fact_sent_anyway_is_dropped_by_the_host() {
        // A plugin that ignores the mask sends `b` and an undeclared `x`
        // too; the host records neither (see `set_fact`), so what it ends
        // up with is right.
        let full = with_facts(&["a", "b", "c", "x"]);
        let mut o = masked_observed(full.clone());
        let recorded = |mask: u64| {
            let mut s = full.clone();
            s.retain_facts(|f| kept_under(&["a", "b", "c"].map(String::from), mask, &f.name));
            s
        };
        assert_eq!(recorded(0b101).facts().iter().map(|f| f.name.as_ref()).collect::<Vec<_>>(), ["a", "c"]);
        o.masked = vec![Ok(recorded(0b101))];
        assert_eq!(wanted_facts(&leads(), &o).status, Status::Pass);
        // Had the host kept them, that would not be what it records.
        o.masked = vec![Ok(full.clone())];
        assert_eq!(wanted_facts(&leads(), &o).status, Status::Fail);
        // With every bit set there is no mask: every fact is kept.
        assert_eq!(recorded(HQL_ALL_FACTS).facts().len(), 4);
        // Facts declared past the 64th have no bit and are always kept.
        let many: Vec<String> = (0..70).map(|i| format!("f{i}")).collect();
        assert!(kept_under(&many, 0, "f64") && !kept_under(&many, 0, "f63") && !kept_under(&many, 0, "zz"));
    }

    #[test]
    fn under_a_fact_mask_nothing_but_the_facts_may_change() {
        let mut o = masked_observed(with_facts(&["a", "b", "c"]));
        // The right facts, but a score that depends on the mask.
        let mut changed = with_facts(&["a", "b", "c"]);
        changed.retain_facts(|f| f.name != "b").set_value(55.0);
        o.masked = vec![Ok(changed)];
        let r = wanted_facts(&leads(), &o);
        assert_eq!(r.status, Status::Fail);
        assert!(r.problems[0].contains("under wanted_facts 0b101: score 10, then 55"), "{:?}", r.problems);
        // Nothing to check: no facts declared, or no masked call.
        o.declared_facts.clear();
        assert_eq!(wanted_facts(&leads(), &o).status, Status::Skip);
        let mut o = masked_observed(with_facts(&["a"]));
        o.masked.clear();
        assert_eq!(wanted_facts(&leads(), &o).status, Status::Skip);
    }

    #[test]
    fn concurrent_results_must_match_a_sequential_one() {
        let mut o = observed(vec![vec![call(1.0, 5), call(2.0, 5)]]);
        o.concurrent = vec![vec![(0, Ok(Score::new(1.0))), (1, Ok(Score::new(2.0)))]];
        assert_eq!(thread_safety(&leads(), &o).status, Status::Pass);
        o.concurrent.push(vec![(1, Ok(Score::new(7.0)))]);
        let r = thread_safety(&leads(), &o);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(
            r.problems,
            vec!["thread 2, `missing-fields`: sequentially, then concurrently: score 2, then 7"]
        );
    }

    #[test]
    fn the_future_may_change_reasons_but_not_the_decision() {
        let all = edge_cases();
        let i = all.iter().position(|l| l.name == "future-events").expect("future-events");
        let mut rounds = vec![call(0.0, 1); all.len()];
        let mut with = Score::new(10.0);
        with.reason("t.note", 0.0, "6 later events ignored");
        rounds[i] = Call { outcome: Ok(with), elapsed: Duration::ZERO };
        let mut o = observed(vec![rounds]);
        o.without_future = vec![(i, Ok(Score::new(10.0)))];
        assert_eq!(future_hidden(&all, &o).status, Status::Pass);
        let peeked: Outcome = Ok(Score::new(30.0));
        o.without_future = vec![(i, peeked)];
        let r = future_hidden(&all, &o);
        assert_eq!(r.status, Status::Fail);
        assert!(r.problems[0].contains("score 10, then 30"), "{:?}", r.problems);
        o.without_future.clear();
        assert_eq!(future_hidden(&all, &o).status, Status::Skip);
    }

    #[test]
    fn timing_is_reported_and_only_warns_when_slow() {
        // The first pass (warm-up) is not timed when there are others.
        let fast = observed(vec![vec![call(1.0, 9000), call(1.0, 9000)], vec![call(1.0, 10), call(1.0, 30)]]);
        let (results, timing) = evaluate(&leads(), &fast);
        assert_eq!(results[6].status, Status::Info);
        assert!(
            results[6].summary.starts_with("median 30.0 µs, p99 30.0 µs over 2 calls"),
            "{}",
            results[6].summary
        );
        assert_eq!(timing.map(|t| t.slowest_lead), Some("missing-fields".to_string()));

        let slow = observed(vec![vec![call(1.0, 10), call(1.0, 2500)]]);
        let r = timing_rule(timing_of(&leads(), &slow).as_ref());
        assert_eq!(r.status, Status::Warn);
        assert!(r.summary.contains("2.50 ms"), "{}", r.summary);
    }
}
