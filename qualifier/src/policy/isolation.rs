//! `[isolation]`: the limits a policy puts on each scorer call.
//!
//! Catching panics and checking output (see [`crate::scorers`]) contain a
//! scorer that misbehaves *quickly*. These settings contain one that is slow
//! or keeps failing, without moving scorer calls to another thread (which
//! would cost more than the bundled scorers themselves):
//!
//! - `time_budget_ms`: a call that returns later than this is TIMED_OUT; its
//!   output is discarded and the decision is degraded, exactly as if it had
//!   failed. The call is not interrupted (nothing can safely interrupt native
//!   code in-process); it is measured when it returns.
//! - `breaker_failures` / `breaker_cool_down_ms`: that many consecutive
//!   failures or time-outs open the scorer's circuit breaker; while open the
//!   scorer is SKIPPED (not called) for the cool-down, then one trial call
//!   decides whether it closes again.
//! - `stuck_after_ms`: a call still running after this long is *stuck*; the
//!   watchdog ([`crate::watchdog`]) reports it, and `hqld` turns health
//!   NOT_SERVING so the orchestrator replaces the process.
//!
//! The policy-wide `[isolation]` table sets defaults; a scorer's own
//! `[scorer.isolation]` overrides them key by key. Because the policy text is
//! digested, these limits are part of the policy version like any gate.

use std::time::Duration;

use super::file::IsolationFile;

/// The containment limits of one scorer, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Isolation {
    /// A call longer than this is TIMED_OUT.
    pub time_budget: Duration,
    /// Consecutive failures or time-outs that open the breaker; 0 = never.
    pub breaker_failures: u32,
    /// How long an open breaker skips the scorer.
    pub breaker_cool_down: Duration,
    /// A call running longer than this is stuck.
    pub stuck_after: Duration,
}

impl Isolation {
    /// The built-in defaults. The bundled scorers take 1–20 µs on a typical
    /// lead and a few ms on a 10,000-event one in a debug build, so 100 ms is
    /// a ceiling that only a broken or blocking scorer reaches; a policy that
    /// promises tighter latency sets its own.
    pub const DEFAULT: Isolation = Isolation {
        time_budget: Duration::from_millis(100),
        breaker_failures: 5,
        breaker_cool_down: Duration::from_secs(30),
        stuck_after: Duration::from_secs(5),
    };
}

impl Default for Isolation {
    fn default() -> Isolation {
        Isolation::DEFAULT
    }
}

/// Longest time budget or stuck threshold accepted: a minute.
const MAX_MS: i64 = 60_000;
/// Longest breaker cool-down accepted: an hour.
const MAX_COOL_DOWN_MS: i64 = 3_600_000;

/// `base` with the keys `file` sets, checked. Errors are (key, message),
/// the key relative to the table (`time_budget_ms`).
pub(super) fn apply(base: Isolation, file: &IsolationFile) -> Result<Isolation, (&'static str, String)> {
    let mut out = base;
    if let Some(ms) = file.time_budget_ms {
        if !ms.is_finite() || ms <= 0.0 || ms > MAX_MS as f64 {
            return Err((
                "time_budget_ms",
                format!("must be more than 0 and at most {MAX_MS} (ms; fractions allowed), got {ms}"),
            ));
        }
        out.time_budget = Duration::from_secs_f64(ms / 1000.0);
    }
    if let Some(n) = file.breaker_failures {
        out.breaker_failures = u32::try_from(n).ok().filter(|n| *n <= 1_000_000).ok_or((
            "breaker_failures",
            format!("must be 0 (never open) to 1000000 consecutive failures, got {n}"),
        ))?;
    }
    if let Some(ms) = file.breaker_cool_down_ms {
        if !(1..=MAX_COOL_DOWN_MS).contains(&ms) {
            return Err(("breaker_cool_down_ms", format!("must be 1 to {MAX_COOL_DOWN_MS} (ms), got {ms}")));
        }
        out.breaker_cool_down = Duration::from_millis(ms as u64);
    }
    if let Some(ms) = file.stuck_after_ms {
        if !(1..=MAX_MS).contains(&ms) {
            return Err(("stuck_after_ms", format!("must be 1 to {MAX_MS} (ms), got {ms}")));
        }
        out.stuck_after = Duration::from_millis(ms as u64);
    }
    if out.stuck_after < out.time_budget {
        let key = if file.stuck_after_ms.is_some() { "stuck_after_ms" } else { "time_budget_ms" };
        return Err((
            key,
            format!(
                "stuck_after_ms ({} ms) must not be below time_budget_ms ({} ms): a call is \
                 over budget before it is stuck",
                out.stuck_after.as_millis(),
                out.time_budget.as_secs_f64() * 1000.0
            ),
        ));
    }
    Ok(out)
}
