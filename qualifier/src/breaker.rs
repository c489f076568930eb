//! A per-scorer circuit breaker: consecutive failures open it, a cool-down
//! later one trial call decides whether it closes.
//!
//! Why: a scorer that fails or overruns on every call (a dependency gone, a
//! bug on a common input) costs every decision its full time budget and adds
//! nothing. Skipping it for a while keeps latency and gives the team a
//! clear signal (the breaker gauge, the SKIPPED status) instead of a
//! failure rate buried in noise. Decisions made while it is open are
//! degraded and say why in their trail.
//!
//! State is two atomics, so the fast path (closed breaker, successful call)
//! is two relaxed loads and no writes: a hot counter shared by every thread
//! would cost more than the bundled scorers do. States:
//!
//! - closed (`open_until == 0`): calls run; each failure bumps
//!   `consecutive`, each success resets it; reaching the threshold opens.
//! - open (`now < open_until`): calls are skipped.
//! - half-open (`now >= open_until`): the first caller to move
//!   `open_until` forward (compare-and-swap) makes the trial call; everyone
//!   else keeps skipping. The trial's success closes the breaker, its failure
//!   keeps it open for another cool-down.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// What the breaker says about the next call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Closed: call.
    Call,
    /// Half-open and this caller won the trial: call.
    Trial,
    /// Open: do not call; the breaker opened after `failures` consecutive
    /// failures and the next trial is in `retry_in`.
    Skip {
        /// Consecutive failures when it (last) opened.
        failures: u32,
        /// Time to the next trial call.
        retry_in: Duration,
    },
}

/// A change of state worth logging and exporting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transition {
    /// It opened after this many consecutive failures.
    Opened(u32),
    /// A trial call succeeded; it closed.
    Closed,
}

/// One scorer's breaker.
#[derive(Debug)]
pub(crate) struct Breaker {
    /// Consecutive failures that open it; 0 never opens.
    threshold: u32,
    cool_down_ns: u64,
    consecutive: AtomicU32,
    /// 0 when closed, else when the next trial may run (clock nanos).
    open_until: AtomicU64,
}

impl Breaker {
    pub(crate) fn new(threshold: u32, cool_down: Duration) -> Breaker {
        Breaker {
            threshold,
            cool_down_ns: u64::try_from(cool_down.as_nanos()).unwrap_or(u64::MAX),
            consecutive: AtomicU32::new(0),
            open_until: AtomicU64::new(0),
        }
    }

    /// Whether a call at `now` (clock nanos) may run.
    pub(crate) fn admit(&self, now: u64) -> Admission {
        let until = self.open_until.load(Ordering::Acquire);
        if until == 0 {
            return Admission::Call;
        }
        if now >= until {
            let next = now.saturating_add(self.cool_down_ns);
            if self.open_until.compare_exchange(until, next, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                return Admission::Trial;
            }
        }
        // Re-read: a trial may have closed it, or moved the next one.
        let until = self.open_until.load(Ordering::Acquire);
        if until == 0 {
            return Admission::Call;
        }
        Admission::Skip {
            failures: self.consecutive.load(Ordering::Relaxed),
            retry_in: Duration::from_nanos(until.saturating_sub(now)),
        }
    }

    /// Records how an admitted call at `now` ended.
    pub(crate) fn record(&self, ok: bool, now: u64) -> Option<Transition> {
        if ok {
            // Reads first: on the fast path nothing is written.
            if self.consecutive.load(Ordering::Relaxed) != 0 {
                self.consecutive.store(0, Ordering::Relaxed);
            }
            if self.open_until.load(Ordering::Acquire) != 0 && self.open_until.swap(0, Ordering::AcqRel) != 0
            {
                return Some(Transition::Closed);
            }
            return None;
        }
        let failures = self.consecutive.fetch_add(1, Ordering::Relaxed).saturating_add(1);
        if self.threshold == 0 || failures < self.threshold {
            return None;
        }
        let previous = self.open_until.swap(now.saturating_add(self.cool_down_ns), Ordering::AcqRel);
        (previous == 0).then_some(Transition::Opened(failures))
    }

    /// Whether it is open (or half-open) now.
    pub(crate) fn is_open(&self) -> bool {
        self.open_until.load(Ordering::Acquire) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn breaker(threshold: u32) -> Breaker {
        Breaker::new(threshold, Duration::from_millis(100))
    }

    #[test]
    fn a_closed_breaker_admits_and_successes_keep_it_closed() {
        let b = breaker(3);
        for t in 1..100 {
            assert_eq!(b.admit(t), Admission::Call);
            assert_eq!(b.record(true, t), None);
        }
        assert!(!b.is_open());
    }

    #[test]
    fn the_threshold_of_consecutive_failures_opens_it() {
        let b = breaker(3);
        assert_eq!(b.record(false, MS), None);
        assert_eq!(b.record(false, MS), None);
        assert_eq!(b.record(false, MS), Some(Transition::Opened(3)));
        assert!(b.is_open());
        match b.admit(MS + 10 * MS) {
            Admission::Skip { failures, retry_in } => {
                assert_eq!(failures, 3);
                assert_eq!(retry_in, Duration::from_millis(90));
            }
            other => panic!("expected a skip, got {other:?}"),
        }
    }

    #[test]
    fn a_success_between_failures_resets_the_count() {
        let b = breaker(3);
        b.record(false, MS);
        b.record(false, MS);
        b.record(true, MS);
        b.record(false, MS);
        b.record(false, MS);
        assert!(!b.is_open(), "only two consecutive failures since the success");
        assert_eq!(b.record(false, MS), Some(Transition::Opened(3)));
    }

    #[test]
    fn after_the_cool_down_exactly_one_caller_gets_the_trial() {
        let b = breaker(1);
        b.record(false, MS);
        let later = MS + 100 * MS;
        assert_eq!(b.admit(later), Admission::Trial);
        assert!(matches!(b.admit(later), Admission::Skip { .. }), "the trial is already running");
        assert_eq!(b.record(true, later), Some(Transition::Closed));
        assert_eq!(b.admit(later), Admission::Call);
    }

    #[test]
    fn a_failed_trial_keeps_it_open_for_another_cool_down() {
        let b = breaker(2);
        b.record(false, MS);
        b.record(false, MS);
        let later = MS + 100 * MS;
        assert_eq!(b.admit(later), Admission::Trial);
        assert_eq!(b.record(false, later), None, "already open: no new transition");
        match b.admit(later + 50 * MS) {
            Admission::Skip { retry_in, .. } => assert_eq!(retry_in, Duration::from_millis(50)),
            other => panic!("expected a skip, got {other:?}"),
        }
    }

    #[test]
    fn a_zero_threshold_never_opens() {
        let b = breaker(0);
        for _ in 0..1000 {
            assert_eq!(b.record(false, MS), None);
        }
        assert_eq!(b.admit(MS), Admission::Call);
    }

    #[test]
    fn concurrent_half_open_callers_get_one_trial() {
        let b = std::sync::Arc::new(breaker(1));
        b.record(false, MS);
        let later = MS + 100 * MS;
        let trials: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let b = b.clone();
                    s.spawn(move || usize::from(b.admit(later) == Admission::Trial))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
        });
        assert_eq!(trials, 1);
    }
}
