//! The watchdog: notices a scorer call that never returns.
//!
//! A time budget is checked when a call returns; a call that never returns
//! (a deadlock, an infinite loop, a blocking read with no timeout inside a
//! plugin) holds its thread forever and nothing in-process can take it back:
//! native code cannot be interrupted safely. What can be done is to notice
//! and say so, so the orchestrator replaces the process: `hqld` turns its
//! health NOT_SERVING while any call is stuck (see `hql_server::health`).
//!
//! How, without a thread hand-off per call: every thread that runs scorers
//! owns one `CallCell` (thread-local, registered once per thread), where a
//! call writes which scorer it is in and when it started, and clears it when
//! it returns, two relaxed-or-release stores on the fast path. The watchdog
//! thread ([`spawn`]) reads every cell a few times a second and compares
//! each running call with its scorer's `stuck_after` (from the policy's
//! `[isolation]`, see [`crate::policy::Isolation`]).
//!
//! A stuck call is reported once it passes its threshold, named with its
//! scorer, in the log (ERROR), in the gauge `hql_scorer_calls_stuck`, and to
//! the callback given to [`spawn`]; when it finally returns, the report
//! clears (and is logged) too.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::thread;
use std::time::Duration;

use crate::clock;
use crate::metrics::SCORER_CALLS_STUCK;

/// One thread's current scorer call.
#[derive(Debug, Default)]
struct CallCell {
    /// Clock nanos when the current call started; 0 when idle.
    started: AtomicU64,
    /// Key into [`WATCHED`] of the scorer being called.
    scorer: AtomicU32,
}

/// A scorer the watchdog knows, by key.
#[derive(Debug)]
struct Watched {
    name: String,
    stuck_after_ns: u64,
}

/// Every thread's cell; dead threads' cells are pruned on each scan.
static CELLS: Mutex<Vec<Weak<CallCell>>> = Mutex::new(Vec::new());
/// Scorers by key; a key is never reused (one entry per name and threshold,
/// so reloading a policy adds nothing unless the limits changed).
static WATCHED: RwLock<Vec<Watched>> = RwLock::new(Vec::new());

thread_local! {
    static CELL: Arc<CallCell> = {
        let cell = Arc::new(CallCell::default());
        CELLS.lock().unwrap_or_else(PoisonError::into_inner).push(Arc::downgrade(&cell));
        cell
    };
    /// Set while this thread is inside a watched call (calls do not nest,
    /// but a scorer that somehow re-entered must not clear its caller's cell).
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}

/// The key the watchdog knows `scorer` by, with its stuck threshold.
pub(crate) fn watch(scorer: &str, stuck_after: Duration) -> u32 {
    let stuck_after_ns = u64::try_from(stuck_after.as_nanos()).unwrap_or(u64::MAX);
    let mut watched = WATCHED.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(i) = watched.iter().position(|w| w.name == scorer && w.stuck_after_ns == stuck_after_ns) {
        return i as u32;
    }
    watched.push(Watched { name: scorer.to_owned(), stuck_after_ns });
    metrics::gauge!(SCORER_CALLS_STUCK, "scorer" => scorer.to_owned()).set(0.0);
    (watched.len() - 1) as u32
}

/// Marks this thread as inside a call of scorer `key` since `started`
/// (clock nanos) until the guard drops, which also happens on unwinding.
pub(crate) fn enter(key: u32, started: u64) -> InCall {
    if INSIDE.with(|inside| inside.replace(true)) {
        return InCall { owner: false };
    }
    // During thread teardown the cell may be gone: then nothing is watched.
    let _ = CELL.try_with(|cell| {
        cell.scorer.store(key, Ordering::Relaxed);
        cell.started.store(started, Ordering::Release);
    });
    InCall { owner: true }
}

/// Clears this thread's cell when dropped.
#[must_use = "the call is watched until this guard drops"]
pub(crate) struct InCall {
    owner: bool,
}

impl Drop for InCall {
    fn drop(&mut self) {
        if self.owner {
            let _ = CELL.try_with(|cell| cell.started.store(0, Ordering::Release));
            let _ = INSIDE.try_with(|inside| inside.set(false));
        }
    }
}

/// A call past its scorer's `stuck_after`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StuckCall {
    /// Scorer id in the policy.
    pub scorer: String,
    /// How long it has been running.
    pub running_for: Duration,
    /// The threshold it passed.
    pub stuck_after: Duration,
}

/// The calls stuck at `now` (clock nanos), longest first.
fn stuck_calls(now: u64) -> Vec<StuckCall> {
    let watched = WATCHED.read().unwrap_or_else(PoisonError::into_inner);
    let mut cells = CELLS.lock().unwrap_or_else(PoisonError::into_inner);
    cells.retain(|cell| cell.strong_count() > 0);
    let mut stuck = Vec::new();
    for cell in cells.iter().filter_map(Weak::upgrade) {
        let started = cell.started.load(Ordering::Acquire);
        if started == 0 {
            continue;
        }
        let Some(scorer) = watched.get(cell.scorer.load(Ordering::Relaxed) as usize) else {
            continue;
        };
        let running = now.saturating_sub(started);
        if running > scorer.stuck_after_ns {
            stuck.push(StuckCall {
                scorer: scorer.name.clone(),
                running_for: Duration::from_nanos(running),
                stuck_after: Duration::from_nanos(scorer.stuck_after_ns),
            });
        }
    }
    stuck.sort_by(|a, b| b.running_for.cmp(&a.running_for).then_with(|| a.scorer.cmp(&b.scorer)));
    stuck
}

/// Names and counts, for comparing one scan with the next.
fn census(calls: &[StuckCall]) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for call in calls {
        match out.iter_mut().find(|(name, _)| *name == call.scorer) {
            Some((_, n)) => *n += 1,
            None => out.push((call.scorer.clone(), 1)),
        }
    }
    out.sort();
    out
}

/// Starts the watchdog thread: every `poll` it scans every scorer call in
/// flight and, whenever the set of stuck calls changes (a call got stuck, a
/// stuck call returned), logs it, updates `hql_scorer_calls_stuck` and calls
/// `report` with the calls stuck now (empty: none any more). Runs for the
/// life of the process.
pub fn spawn<F>(poll: Duration, report: F) -> std::io::Result<()>
where
    F: Fn(&[StuckCall]) + Send + 'static,
{
    thread::Builder::new().name("hql-watchdog".to_owned()).spawn(move || {
        let mut last: Vec<(String, usize)> = Vec::new();
        loop {
            thread::sleep(poll);
            let stuck = stuck_calls(clock::now());
            let now = census(&stuck);
            if now == last {
                continue;
            }
            for (name, _) in last.iter().filter(|(n, _)| !now.iter().any(|(m, _)| m == n)) {
                metrics::gauge!(SCORER_CALLS_STUCK, "scorer" => name.clone()).set(0.0);
                tracing::warn!(target: "hql::watchdog", scorer = %name, "scorer call no longer stuck: it returned");
            }
            for (name, count) in &now {
                metrics::gauge!(SCORER_CALLS_STUCK, "scorer" => name.clone()).set(*count as f64);
            }
            for call in &stuck {
                tracing::error!(
                    target: "hql::watchdog",
                    scorer = %call.scorer,
                    running_ms = call.running_for.as_millis() as u64,
                    stuck_after_ms = call.stuck_after.as_millis() as u64,
                    "scorer call stuck: running for {} ms, past its stuck_after of {} ms; reporting NOT_SERVING \
                     until it returns",
                    call.running_for.as_millis(),
                    call.stuck_after.as_millis()
                );
            }
            report(&stuck);
            last = now;
        }
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_past_its_threshold_is_reported_and_clears_when_it_returns() {
        let key = watch("watchdog_test_slow", Duration::from_millis(5));
        let started = clock::now();
        let guard = enter(key, started);
        let later = started + 6_000_000;
        let stuck = stuck_calls(later);
        let mine: Vec<&StuckCall> = stuck.iter().filter(|c| c.scorer == "watchdog_test_slow").collect();
        assert_eq!(mine.len(), 1, "{stuck:?}");
        assert_eq!(mine[0].stuck_after, Duration::from_millis(5));
        assert!(mine[0].running_for >= Duration::from_millis(6));
        drop(guard);
        assert!(!stuck_calls(later).iter().any(|c| c.scorer == "watchdog_test_slow"));
    }

    #[test]
    fn a_call_within_its_threshold_is_not_stuck() {
        let key = watch("watchdog_test_fast", Duration::from_secs(1));
        let started = clock::now();
        let _guard = enter(key, started);
        assert!(!stuck_calls(started + 1_000_000).iter().any(|c| c.scorer == "watchdog_test_fast"));
    }

    #[test]
    fn keys_are_shared_by_name_and_threshold() {
        let a = watch("watchdog_test_key", Duration::from_millis(7));
        let b = watch("watchdog_test_key", Duration::from_millis(7));
        let c = watch("watchdog_test_key", Duration::from_millis(8));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn the_guard_clears_on_unwinding() {
        let key = watch("watchdog_test_panic", Duration::from_millis(1));
        let started = clock::now();
        let result = std::panic::catch_unwind(|| {
            let _guard = enter(key, started);
            panic!("inside a watched call");
        });
        assert!(result.is_err());
        assert!(!stuck_calls(started + 10_000_000).iter().any(|c| c.scorer == "watchdog_test_panic"));
    }

    #[test]
    fn census_counts_by_scorer() {
        let call = |s: &str| StuckCall {
            scorer: s.to_owned(),
            running_for: Duration::ZERO,
            stuck_after: Duration::ZERO,
        };
        assert_eq!(
            census(&[call("b"), call("a"), call("b")]),
            vec![("a".to_owned(), 1), ("b".to_owned(), 2)]
        );
    }
}
