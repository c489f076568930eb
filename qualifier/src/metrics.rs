//! The domain's metrics, recorded through the [`metrics`] facade.
//!
//! The qualifier says *what* happened (a decision at a stage, a scorer's
//! latency, a scorer failure and why); whoever embeds it decides whether and
//! how that is exported: `hqld` installs a Prometheus recorder, benchmarks and
//! tests install none. Without a recorder every handle here is a no-op.
//!
//! Handles are registered once, when a policy is loaded (`DecisionMetrics`
//! per pipeline, `ScorerMetrics` per scorer slot), never per lead: the hot
//! path then costs one `Instant` per scorer call and a few atomic updates,
//! without building metric keys or looking them up. The flip side is that a
//! recorder must be installed *before* the engine loads, or the handles stay
//! no-ops (see `hql_server::metrics`).
//!
//! Every label set here is known when the policy loads, so every series is
//! registered up front and reads 0 until something happens: a rate or an
//! alert on failures works from the first scrape, not from the first failure.
//!
//! Explain decides a lead exactly as Qualify does, so both count: for every
//! scorer, the count of `hql_scorer_duration_seconds` plus
//! `hql_scorer_skipped_total` (calls its open breaker skipped) equals the sum
//! of `hql_decisions_total` (the share of each RPC is in `grpc_server_*`).

use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, Unit};

use crate::stage::Stage;

/// Counter, by `stage`: decisions made (Qualify, each lead of QualifyBatch and
/// QualifyStream, and Explain).
pub const DECISIONS_TOTAL: &str = "hql_decisions_total";
/// Counter: decisions made with at least one scorer that did not score.
pub const DECISIONS_DEGRADED_TOTAL: &str = "hql_decisions_degraded_total";
/// Histogram, by `scorer`: seconds one scorer call took, failed calls included.
pub const SCORER_DURATION_SECONDS: &str = "hql_scorer_duration_seconds";
/// Counter, by `scorer` and `reason` ([`FailureReason`]): scorer calls whose
/// output was discarded.
pub const SCORER_FAILURES_TOTAL: &str = "hql_scorer_failures_total";

/// Counter, by `scorer`: calls skipped because the scorer's circuit breaker
/// was open.
pub const SCORER_SKIPPED_TOTAL: &str = "hql_scorer_skipped_total";
/// Gauge, by `scorer`: 1 while its circuit breaker is open (or half-open).
pub const SCORER_BREAKER_OPEN: &str = "hql_scorer_breaker_open";
/// Counter, by `scorer`: times its circuit breaker opened.
pub const SCORER_BREAKER_OPENED_TOTAL: &str = "hql_scorer_breaker_opened_total";
/// Gauge, by `scorer`: its calls running past `stuck_after` right now
/// (see [`crate::watchdog`]); any non-zero value means health NOT_SERVING.
pub const SCORER_CALLS_STUCK: &str = "hql_scorer_calls_stuck";

/// Histogram buckets for [`SCORER_DURATION_SECONDS`], in seconds: the bundled
/// scorers take 0.5 to 20 µs, so the ladder starts at 1 µs and stops at 1 s,
/// beyond which any scorer is broken whatever the exact figure.
pub const SCORER_DURATION_BUCKETS: &[f64] = &[
    0.000_001,
    0.000_002_5,
    0.000_005,
    0.000_01,
    0.000_025,
    0.000_05,
    0.000_1,
    0.000_25,
    0.000_5,
    0.001,
    0.002_5,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    1.0,
];

/// Why a scorer's output was discarded (the `reason` label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureReason {
    /// The scorer returned an error (or its library lacks a hook).
    Error,
    /// The scorer panicked: caught by `catch_unwind` for static scorers, and
    /// for libraries reported by the SDK as a failure starting with
    /// `scorer panicked` (a C plugin has no panics to report).
    Panic,
    /// The scorer returned something unusable: a non-finite score, or success
    /// without a score. Output that can be repaired (a score outside 0–100,
    /// an undeclared fact) is clamped or dropped with a warning instead, and
    /// is not a failure.
    InvalidOutput,
    /// The call returned after the scorer's time budget; its output was
    /// discarded (status TIMED_OUT).
    TimedOut,
}

impl FailureReason {
    /// Every reason, in label order.
    pub const ALL: [FailureReason; 4] =
        [FailureReason::Error, FailureReason::Panic, FailureReason::InvalidOutput, FailureReason::TimedOut];

    /// The label value: `error`, `panic`, `invalid_output`, `timeout`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FailureReason::Error => "error",
            FailureReason::Panic => "panic",
            FailureReason::InvalidOutput => "invalid_output",
            FailureReason::TimedOut => "timeout",
        }
    }
}

/// Every stage, in [`Stage`] order (the index [`DecisionMetrics`] uses).
const STAGES: [Stage; 6] =
    [Stage::Disqualified, Stage::Unqualified, Stage::Mql, Stage::Sql, Stage::Pql, Stage::Hql];

/// Describes the domain metrics (HELP lines and units) to the installed
/// recorder. Call once after installing it; harmless without one.
pub fn describe() {
    metrics::describe_counter!(
        DECISIONS_TOTAL,
        Unit::Count,
        "Decisions made, by stage (Qualify, every lead of QualifyBatch and QualifyStream, and Explain)."
    );
    metrics::describe_counter!(
        DECISIONS_DEGRADED_TOTAL,
        Unit::Count,
        "Decisions made while at least one scorer failed or was skipped (degraded = true)."
    );
    metrics::describe_histogram!(
        SCORER_DURATION_SECONDS,
        Unit::Seconds,
        "Time one scorer call took, failed calls included."
    );
    metrics::describe_counter!(
        SCORER_FAILURES_TOTAL,
        Unit::Count,
        "Scorer calls whose output was discarded, by scorer and reason (error, panic, invalid_output, timeout)."
    );
    metrics::describe_counter!(
        SCORER_SKIPPED_TOTAL,
        Unit::Count,
        "Scorer calls skipped because the scorer's circuit breaker was open."
    );
    metrics::describe_gauge!(
        SCORER_BREAKER_OPEN,
        "1 while the scorer's circuit breaker is open (skipping calls until a trial call succeeds)."
    );
    metrics::describe_counter!(
        SCORER_BREAKER_OPENED_TOTAL,
        Unit::Count,
        "Times the scorer's circuit breaker opened after consecutive failures or time-outs."
    );
    metrics::describe_gauge!(
        SCORER_CALLS_STUCK,
        "Scorer calls running past the policy's stuck_after right now; non-zero means health NOT_SERVING."
    );
}

/// A pipeline's decision counters, registered when its policy loads.
pub(crate) struct DecisionMetrics {
    by_stage: [Counter; STAGES.len()],
    degraded: Counter,
}

impl DecisionMetrics {
    /// Registers one counter per stage and the degraded counter.
    pub(crate) fn register() -> DecisionMetrics {
        DecisionMetrics {
            by_stage: STAGES.map(|stage| metrics::counter!(DECISIONS_TOTAL, "stage" => stage.as_str())),
            degraded: metrics::counter!(DECISIONS_DEGRADED_TOTAL),
        }
    }

    /// Counts one decision.
    pub(crate) fn record(&self, stage: Stage, degraded: bool) {
        // `STAGES` lists the variants in declaration order.
        self.by_stage[stage as usize].increment(1);
        if degraded {
            self.degraded.increment(1);
        }
    }
}

/// One scorer slot's latency histogram and failure counters, registered when
/// the policy loads.
pub(crate) struct ScorerMetrics {
    duration: Histogram,
    failures: [Counter; FailureReason::ALL.len()],
    skipped: Counter,
    breaker_open: Gauge,
    breaker_opened: Counter,
}

impl ScorerMetrics {
    /// Registers the series of the scorer with policy id `scorer`.
    pub(crate) fn register(scorer: &str) -> ScorerMetrics {
        ScorerMetrics {
            duration: metrics::histogram!(SCORER_DURATION_SECONDS, "scorer" => scorer.to_owned()),
            failures: FailureReason::ALL.map(|reason| {
                metrics::counter!(
                    SCORER_FAILURES_TOTAL,
                    "scorer" => scorer.to_owned(),
                    "reason" => reason.as_str()
                )
            }),
            skipped: metrics::counter!(SCORER_SKIPPED_TOTAL, "scorer" => scorer.to_owned()),
            breaker_open: {
                // A freshly loaded scorer starts closed, also after a reload.
                let gauge = metrics::gauge!(SCORER_BREAKER_OPEN, "scorer" => scorer.to_owned());
                gauge.set(0.0);
                gauge
            },
            breaker_opened: metrics::counter!(SCORER_BREAKER_OPENED_TOTAL, "scorer" => scorer.to_owned()),
        }
    }

    /// Counts one call skipped by the open breaker.
    pub(crate) fn skipped(&self) {
        self.skipped.increment(1);
    }

    /// Records the breaker opening (`true`) or closing.
    pub(crate) fn breaker(&self, open: bool) {
        self.breaker_open.set(if open { 1.0 } else { 0.0 });
        if open {
            self.breaker_opened.increment(1);
        }
    }

    /// Records one call that took `elapsed` and, if its output was
    /// discarded, why.
    pub(crate) fn record(&self, elapsed: Duration, failure: Option<FailureReason>) {
        self.duration.record(elapsed);
        if let Some(reason) = failure {
            self.failures[reason as usize].increment(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_indexes_follow_the_declaration_order() {
        for (i, stage) in STAGES.iter().enumerate() {
            assert_eq!(*stage as usize, i, "{stage}");
        }
    }

    #[test]
    fn failure_reason_indexes_follow_the_declaration_order() {
        for (i, reason) in FailureReason::ALL.iter().enumerate() {
            assert_eq!(*reason as usize, i, "{reason:?}");
        }
        let labels: Vec<&str> = FailureReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(labels, ["error", "panic", "invalid_output", "timeout"]);
    }

    #[test]
    fn the_buckets_ascend() {
        assert!(SCORER_DURATION_BUCKETS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn without_a_recorder_recording_is_a_no_op() {
        let decisions = DecisionMetrics::register();
        decisions.record(Stage::Hql, true);
        let scorer = ScorerMetrics::register("bant");
        scorer.record(Duration::from_micros(3), Some(FailureReason::Panic));
    }
}
