//! When the next call goes: at once (closed loop), or on a fixed schedule.
//!
//! A closed loop measures the most a server answers, but hides its latency
//! under a given load: a slow answer delays the next call, so fewer slow
//! answers are seen ("coordinated omission"). With a rate, call `k` of the
//! run is due at `start + k / rate` whoever sends it, and its latency runs
//! from when it was due, so time spent waiting for a free task or a window
//! slot counts against the server as it would for a real caller. It is open
//! loop only as far as `--concurrency` allows: with every task waiting on an
//! answer, due calls queue (and show in the latency) rather than being sent.
//! Timers are tokio's, millisecond-grained: at high rates calls leave in
//! small bursts each millisecond.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// Hands out send times to every task of a run.
#[derive(Debug)]
pub struct Pacer {
    start: Instant,
    rate: Option<f64>,
    next: AtomicU64,
}

impl Pacer {
    /// A pacer for a run starting at `start`; `rate` in calls per second.
    pub fn new(start: std::time::Instant, rate: Option<f64>) -> Pacer {
        Pacer { start: Instant::from_std(start), rate: rate.filter(|r| *r > 0.0), next: AtomicU64::new(0) }
    }

    /// Waits until the next call is due and returns when it was due: now in
    /// a closed loop, its slot on the schedule with a rate.
    pub async fn next(&self) -> std::time::Instant {
        let Some(rate) = self.rate else {
            return std::time::Instant::now();
        };
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        let due = self.start + Duration::from_secs_f64(k as f64 / rate);
        tokio::time::sleep_until(due).await;
        due.into_std()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_rate_spaces_calls_on_a_schedule() {
        let start = std::time::Instant::now();
        let pacer = Pacer::new(start, Some(1000.0));
        let mut due = Vec::new();
        for _ in 0..5 {
            due.push(pacer.next().await);
        }
        let offsets: Vec<u128> = due.iter().map(|d| d.duration_since(start).as_micros()).collect();
        assert_eq!(offsets, vec![0, 1000, 2000, 3000, 4000]);
        assert!(std::time::Instant::now() >= start + Duration::from_millis(4));
    }

    #[tokio::test]
    async fn without_a_rate_calls_go_at_once() {
        let pacer = Pacer::new(std::time::Instant::now(), None);
        let before = std::time::Instant::now();
        let due = pacer.next().await;
        assert!(due >= before && due.duration_since(before) < Duration::from_millis(50));
    }
}
