//! One monotonic clock for the isolation machinery, as plain nanoseconds.
//!
//! The circuit breakers and the watchdog keep times in atomics shared between
//! threads, so they need an instant as a number: nanoseconds since a process
//! epoch fixed on first use. Plain numbers also let their tests drive time by
//! hand instead of sleeping.

use std::sync::OnceLock;
use std::time::Instant;

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// The process epoch (the first time the clock was read).
fn epoch() -> Instant {
    *EPOCH.get_or_init(Instant::now)
}

/// `at` as nanoseconds since the epoch; never 0, which callers use as "none".
pub(crate) fn nanos(at: Instant) -> u64 {
    let ns = at.saturating_duration_since(epoch()).as_nanos();
    u64::try_from(ns).unwrap_or(u64::MAX).max(1)
}

/// Now, as nanoseconds since the epoch.
pub(crate) fn now() -> u64 {
    nanos(Instant::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_are_positive_and_monotonic() {
        let a = now();
        let b = now();
        assert!(a >= 1);
        assert!(b >= a);
    }
}
