//! Driving a loaded plugin: create, score every edge-case lead several ways,
//! destroy, and record everything it said and how long it took.
//!
//! The plugin is called exactly as the server calls it: through
//! [`AbiInstance`] (the host's own wrapper over the C hooks and callback
//! table), with each lead laid out by [`LeadView`] (which hides events after
//! `as_of`), one instance shared by every thread. Nothing is judged here;
//! the rules read the [`Observed`] record afterwards, which keeps each rule a
//! plain function of data that unit tests can build by hand.
//!
//! The calls, in order:
//! 1. `create` with the config, `destroy`, `create` again: a plugin must
//!    survive being configured twice in one process (the server re-creates
//!    instances when it reloads a policy).
//! 2. `rounds` sequential passes over every lead, each call timed: the
//!    first is the observation the output rules check (and the warm-up,
//!    left out of the timing), the others prove determinism and are timed.
//! 3. Each lead with hidden events once more without them.
//! 4. Every lead once more under a reason limit ([`LIMIT`]), as Qualify
//!    calls a plugin (ABI 1.1).
//! 5. Every lead once more under that limit and a reason bar ([`bar_for`]),
//!    as Qualify calls a plugin after others have given their top reasons
//!    (ABI 1.2).
//! 6. Every lead once more, without a reason limit, with only every other
//!    declared fact wanted ([`every_other_fact`]), as Qualify calls a
//!    plugin whose facts its policy's gates read only some of (ABI 1.3).
//! 7. `threads` threads, released together, each scoring every lead
//!    (starting at a different one) `thread_rounds` times on the shared
//!    instance.
//! 8. `destroy`.
//!
//! A Rust plugin built with the SDK cannot unwind into the checker: the SDK
//! turns a panic into a failed call, which is recorded like any other error.
//! A plugin that aborts, crashes or loops for ever takes the checker with it,
//! as it would take the server; no in-process host can prevent that.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use hql_plugin_api::abi::hql_scorer_descriptor_t;
use hql_plugin_api::host::{AbiInstance, CallError, Wanted};
use hql_plugin_api::view::LeadView;
use hql_plugin_api::{ConfigError, Level, LogSink, ReasonBar, Score};

use crate::leads::EdgeLead;

/// What one `score` call returned.
pub(crate) type Outcome = Result<Score, CallError>;

/// One timed `score` call.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) outcome: Outcome,
    pub(crate) elapsed: Duration,
}

/// How hard to exercise the plugin.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Settings {
    /// Sequential passes over the leads (at least 1).
    pub(crate) rounds: usize,
    /// Threads scoring concurrently.
    pub(crate) threads: usize,
    /// Passes over the leads per thread.
    pub(crate) thread_rounds: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { rounds: 5, threads: 4, thread_rounds: 2 }
    }
}

/// Everything the plugin did.
#[derive(Debug)]
pub(crate) struct Observed {
    /// The first `create` (then destroyed).
    pub(crate) first_create: Result<(), Vec<ConfigError>>,
    /// The second `create`, when the first succeeded.
    pub(crate) second_create: Option<Result<(), Vec<ConfigError>>>,
    /// `rounds[r][i]`: pass `r` over lead `i` (empty when create failed).
    pub(crate) rounds: Vec<Vec<Call>>,
    /// `(lead index, outcome)` for each lead with hidden events, scored
    /// without them.
    pub(crate) without_future: Vec<(usize, Outcome)>,
    /// Per thread: `(lead index, outcome)` in call order.
    pub(crate) concurrent: Vec<Vec<(usize, Outcome)>>,
    /// `limited[i]`: lead `i` scored once more under a reason limit of
    /// [`LIMIT`], as Qualify calls it.
    pub(crate) limited: Vec<Outcome>,
    /// `barred[i]`: lead `i` scored once more under [`LIMIT`] and the
    /// reason bar [`bar_for`] sets from its first result, as Qualify calls
    /// a scorer that runs after others (ABI 1.2).
    pub(crate) barred: Vec<(ReasonBar, Outcome)>,
    /// The names of the facts the plugin declared, in declaration order
    /// (bit `i` of a `wanted_facts` mask is `declared_facts[i]`).
    pub(crate) declared_facts: Vec<String>,
    /// The `wanted_facts` of the masked pass: [`every_other_fact`] of the
    /// declared facts.
    pub(crate) fact_mask: u64,
    /// `masked[i]`: lead `i` scored once more, without a reason limit,
    /// under [`Observed::fact_mask`] (ABI 1.3).
    pub(crate) masked: Vec<Outcome>,
}

/// The reason limit of the limited pass: small, so most leads have reasons
/// to drop.
pub(crate) const LIMIT: u32 = 2;

/// The weight the barred pass gives the plugin (not 1, so a plugin that
/// ignores it is caught).
pub(crate) const BAR_WEIGHT: f64 = 0.5;

/// The bar of the barred pass for a lead whose unlimited result was
/// `first`: exactly the product of the weakest of the (at most two) reasons
/// the limit keeps, so that one must go (the bar is strict) and a stronger
/// one must stay; with no reason (or no result), 0, which only zero points
/// fail.
pub(crate) fn bar_for(first: Option<&Outcome>) -> ReasonBar {
    let weakest = match first {
        Some(Ok(score)) => {
            let top = score.limited(LIMIT as usize);
            top.reasons().iter().map(|r| r.points.abs()).fold(f64::INFINITY, f64::min)
        }
        _ => f64::INFINITY,
    };
    let beat = if weakest.is_finite() { weakest * BAR_WEIGHT } else { 0.0 };
    ReasonBar { weight: BAR_WEIGHT, beat }
}

/// The `wanted_facts` of the masked pass for a plugin that declares
/// `declared` facts: the bits of every other one (indexes 0, 2, 4, ...,
/// among the first 64, the only ones with a bit). Set and clear bits
/// alternate, so a plugin that reads the mask inverted, off by one or in
/// another order than its declaration skips a wanted fact and is caught.
/// Never [`HQL_ALL_FACTS`](hql_plugin_api::abi::HQL_ALL_FACTS), which the
/// host reads as no mask at all.
pub(crate) fn every_other_fact(declared: usize) -> u64 {
    (0..declared.min(64)).step_by(2).fold(0, |mask, i| mask | (1u64 << i))
}

impl Observed {
    /// The first pass, one call per lead (empty when create failed).
    pub(crate) fn first(&self) -> &[Call] {
        self.rounds.first().map(Vec::as_slice).unwrap_or(&[])
    }
}

/// Where the plugin's log lines go: every level is enabled, so the plugin's
/// logging code runs too (a crash while formatting a log line is a crash in
/// the server), and the lines themselves are discarded.
struct DiscardingSink;

impl LogSink for DiscardingSink {
    fn enabled(&self, _level: Level) -> bool {
        true
    }

    fn log(&self, _level: Level, _message: &str) {}
}

/// Exercises the plugin behind `descriptor` with `config_json` on `leads`.
///
/// # Safety
/// `descriptor` must have passed the server loader's checks (it is then a
/// complete ABI 1.x descriptor of a library that stays loaded).
pub(crate) unsafe fn run(
    descriptor: &'static hql_scorer_descriptor_t,
    config_json: &str,
    leads: &[EdgeLead],
    settings: Settings,
) -> Observed {
    let sink: Arc<dyn LogSink> = Arc::new(DiscardingSink);
    let create = || {
        // SAFETY: guaranteed by the caller.
        unsafe { AbiInstance::create(descriptor, config_json, sink.clone()) }
    };
    let mut observed = Observed {
        first_create: Ok(()),
        second_create: None,
        rounds: Vec::new(),
        without_future: Vec::new(),
        concurrent: Vec::new(),
        limited: Vec::new(),
        barred: Vec::new(),
        // SAFETY: guaranteed by the caller.
        declared_facts: unsafe { declared_facts(descriptor) },
        fact_mask: 0,
        masked: Vec::new(),
    };
    observed.fact_mask = every_other_fact(observed.declared_facts.len());

    // 1. create, destroy (the drop), create again.
    match create() {
        Ok(instance) => drop(instance),
        Err(errors) => {
            observed.first_create = Err(errors);
            return observed;
        }
    }
    let instance = match create() {
        Ok(instance) => {
            observed.second_create = Some(Ok(()));
            instance
        }
        Err(errors) => {
            observed.second_create = Some(Err(errors));
            return observed;
        }
    };

    // 2. sequential passes.
    for _ in 0..settings.rounds.max(1) {
        observed.rounds.push(leads.iter().map(|lead| timed(&instance, lead)).collect());
    }

    // 3. without the hidden events.
    for (i, lead) in leads.iter().enumerate() {
        if lead.hidden_events() > 0 {
            let record = lead.without_future();
            let view = LeadView::new(&record, lead.as_of_ms);
            observed.without_future.push((i, instance.score(&view)));
        }
    }

    // 4. under a reason limit, as Qualify calls it.
    for lead in leads {
        let mut view = LeadView::new(&lead.record, lead.as_of_ms);
        view.set_reason_limit(LIMIT);
        observed.limited.push(instance.score(&view));
    }

    // 5. under a reason limit and a bar, as Qualify calls later scorers.
    for (i, lead) in leads.iter().enumerate() {
        let bar = bar_for(observed.first().get(i).map(|call| &call.outcome));
        let mut view = LeadView::new(&lead.record, lead.as_of_ms);
        view.set_reason_limit(LIMIT);
        let wanted = Wanted { weight: bar.weight, beat: bar.beat, ..Wanted::ALL };
        observed.barred.push((bar, instance.score_wanted(&view, &wanted)));
    }

    // 6. with only every other declared fact wanted, as Qualify calls a
    // plugin whose facts its gates read only some of.
    let wanted = Wanted { facts: observed.fact_mask, ..Wanted::ALL };
    for lead in leads {
        let view = LeadView::new(&lead.record, lead.as_of_ms);
        observed.masked.push(instance.score_wanted(&view, &wanted));
    }

    // 7. concurrently, on the one instance.
    observed.concurrent = concurrently(&instance, leads, settings);

    // 8. destroy.
    drop(instance);
    observed
}

/// The names of the facts `descriptor` declares, in order, as the host
/// indexes them for `wanted_facts` (the loader has refused any that is not
/// UTF-8).
///
/// # Safety
/// As for [`run`].
unsafe fn declared_facts(descriptor: &'static hql_scorer_descriptor_t) -> Vec<String> {
    if descriptor.facts.is_null() || descriptor.facts_len == 0 {
        return Vec::new();
    }
    // SAFETY: a checked descriptor's `facts_len` specs, static in the library.
    let specs = unsafe { std::slice::from_raw_parts(descriptor.facts, descriptor.facts_len) };
    // SAFETY: plugin-owned static strings (as above).
    specs.iter().map(|f| String::from_utf8_lossy(unsafe { f.name.as_bytes() }).into_owned()).collect()
}

fn timed(instance: &AbiInstance, lead: &EdgeLead) -> Call {
    let view = LeadView::new(&lead.record, lead.as_of_ms);
    let start = Instant::now();
    let outcome = instance.score(&view);
    Call { outcome, elapsed: start.elapsed() }
}

fn concurrently(
    instance: &AbiInstance,
    leads: &[EdgeLead],
    settings: Settings,
) -> Vec<Vec<(usize, Outcome)>> {
    let threads = settings.threads;
    if threads == 0 || leads.is_empty() {
        return Vec::new();
    }
    let start = Barrier::new(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let start = &start;
                scope.spawn(move || {
                    let mut calls = Vec::with_capacity(leads.len() * settings.thread_rounds);
                    start.wait();
                    for round in 0..settings.thread_rounds {
                        for k in 0..leads.len() {
                            // Each thread and round starts at a different lead, so
                            // different leads really run at the same time.
                            let i = (k + t * leads.len() / threads + round) % leads.len();
                            let lead = &leads[i];
                            let view = LeadView::new(&lead.record, lead.as_of_ms);
                            calls.push((i, instance.score(&view)));
                        }
                    }
                    calls
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                // The checker's own code does not panic; the SDK keeps plugin
                // panics on the other side. Recorded rather than propagated anyway.
                h.join().unwrap_or_else(|_| {
                    vec![(0, Err(CallError::Failed("the checker's scoring thread panicked".to_string())))]
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leads;
    use hql_plugin_api::record::LeadRecord;

    fn descriptor() -> &'static hql_scorer_descriptor_t {
        // SAFETY: static descriptor generated by export_scorer!.
        unsafe { &*hql_test_panicking::hql_scorer_descriptor() }
    }

    fn small() -> Settings {
        Settings { rounds: 2, threads: 2, thread_rounds: 1 }
    }

    fn edge(name: &'static str, id: &str) -> EdgeLead {
        EdgeLead {
            name,
            probes: "test",
            record: LeadRecord { lead_id: id.into(), ..LeadRecord::default() },
            as_of_ms: leads::AS_OF_MS,
        }
    }

    #[test]
    fn a_well_behaved_plugin_is_observed_in_every_way() {
        let leads = leads::edge_cases();
        // SAFETY: a complete descriptor of a linked-in scorer.
        let o = unsafe { run(descriptor(), "{}", &leads, small()) };
        assert_eq!(o.first_create, Ok(()));
        assert_eq!(o.second_create, Some(Ok(())));
        assert_eq!(o.rounds.len(), 2);
        assert_eq!(o.first().len(), leads.len());
        assert!(o.first().iter().all(|c| c.outcome.is_ok()));
        assert_eq!(o.without_future.len(), 1, "only future-events has hidden events");
        assert_eq!(o.concurrent.len(), 2);
        assert_eq!(o.limited.len(), leads.len());
        assert_eq!(o.barred.len(), leads.len());
        assert_eq!(o.declared_facts, ["calls_ok"]);
        assert_eq!(o.fact_mask, 0b1);
        assert_eq!(o.masked.len(), leads.len());
        assert!(o.concurrent.iter().all(|calls| calls.len() == leads.len()));
    }

    #[test]
    fn the_fact_mask_wants_every_other_declared_fact() {
        assert_eq!(every_other_fact(0), 0);
        assert_eq!(every_other_fact(1), 0b1);
        assert_eq!(every_other_fact(2), 0b1);
        assert_eq!(every_other_fact(5), 0b10101);
        // Only 64 facts have a bit; the mask is never "every fact".
        assert_eq!(every_other_fact(64), 0x5555_5555_5555_5555);
        assert_eq!(every_other_fact(200), every_other_fact(64));
    }

    #[test]
    fn a_panic_in_score_comes_back_as_a_failed_call() {
        let leads = vec![edge("ok", "ok-1"), edge("boom", "panic-1")];
        // SAFETY: as above.
        let o = unsafe { run(descriptor(), "{}", &leads, small()) };
        assert!(o.first()[0].outcome.is_ok());
        match &o.first()[1].outcome {
            Err(CallError::Failed(message)) => assert!(message.contains("panicked"), "{message}"),
            other => panic!("expected a failed call, got {other:?}"),
        }
    }

    #[test]
    fn a_refused_config_stops_before_scoring() {
        // SAFETY: as above.
        let o = unsafe { run(descriptor(), r#"{"refuse": true}"#, &leads::edge_cases(), small()) };
        let errors = o.first_create.expect_err("refused");
        assert_eq!(errors[0].key, "refuse");
        assert!(o.rounds.is_empty() && o.concurrent.is_empty());
    }
}
