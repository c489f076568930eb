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
//!
//! Why a thread of its own: tokio's timers are millisecond-grained and fire
//! late by up to a millisecond, and since latency runs from the due time,
//! that lateness was charged to the server (a do-nothing server's p99 at a
//! modest rate was about 3 ms). The schedule is kept instead by one
//! `ticker` thread that sleeps with the kernel's high-resolution timers
//! (timer slack lowered to 10 µs) and releases each slot when its time
//! comes; the tasks wait for released slots, so a call leaves within tens
//! of microseconds of being due. The thread sleeps between slots rather
//! than spinning: it shares the cores with the server it measures.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

/// Hands out send times to every task of a run.
#[derive(Debug)]
pub struct Pacer {
    schedule: Option<Schedule>,
}

/// A rate's slots: released in order by the ticker, taken by the tasks.
#[derive(Debug)]
struct Schedule {
    start: Instant,
    rate: f64,
    /// When the schedule ends: a slot at or after it is never due.
    end: Instant,
    /// The next slot a task takes.
    next: AtomicU64,
    /// One permit per slot whose time has come and that no task has taken.
    released: Arc<Semaphore>,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl Pacer {
    /// A pacer for a run from `start` to `end`; `rate` in calls per second
    /// (`None`, or not above zero: a closed loop). After `end` every call
    /// of [`Pacer::next`] answers at once with a time at or after `end`.
    /// Fails only if the ticker thread cannot be started.
    pub fn new(start: Instant, end: Instant, rate: Option<f64>) -> std::io::Result<Pacer> {
        let Some(rate) = rate.filter(|r| *r > 0.0 && r.is_finite()) else {
            return Ok(Pacer { schedule: None });
        };
        let released = Arc::new(Semaphore::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (released, stop) = (released.clone(), stop.clone());
            std::thread::Builder::new()
                .name("hql-load-pacer".into())
                .spawn(move || tick(start, end, rate, &released, &stop))?
        };
        let schedule =
            Schedule { start, rate, end, next: AtomicU64::new(0), released, stop, ticker: Some(ticker) };
        Ok(Pacer { schedule: Some(schedule) })
    }

    /// Waits until the next call is due and returns when it was due: now in
    /// a closed loop, its slot on the schedule with a rate (never later than
    /// now: a slot is released only once its time has come). Once the
    /// schedule is over, a time at or after its end.
    pub async fn next(&self) -> Instant {
        let Some(s) = &self.schedule else {
            return Instant::now();
        };
        if let Ok(permit) = s.released.acquire().await {
            permit.forget();
        }
        let k = s.next.fetch_add(1, Ordering::Relaxed);
        let due = s.start + slot_offset(k, s.rate);
        if due >= s.end { s.end.max(Instant::now()) } else { due }
    }
}

impl Drop for Pacer {
    fn drop(&mut self) {
        if let Some(s) = &mut self.schedule {
            s.stop.store(true, Ordering::Relaxed);
            if let Some(ticker) = s.ticker.take() {
                let _ = ticker.join();
            }
        }
    }
}

fn slot_offset(k: u64, rate: f64) -> Duration {
    Duration::from_secs_f64(k as f64 / rate)
}

/// Longest single sleep, so a dropped pacer's thread ends soon.
const MAX_NAP: Duration = Duration::from_millis(20);

/// Permits left behind when the schedule ends: enough for every call any
/// task could still make, each of which then finds its slot past the end.
const AFTER_THE_END: usize = Semaphore::MAX_PERMITS / 2;

/// The ticker: releases slot `k` at `start + k / rate` until `end`, then
/// lets every waiting task through (their slots lie past the end, so
/// [`Pacer::next`] says the run is over). Slots already released stay
/// theirs: the semaphore is never closed under them.
fn tick(start: Instant, end: Instant, rate: f64, released: &Semaphore, stop: &AtomicBool) {
    lower_timer_slack();
    let mut k: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        let due = start + slot_offset(k, rate);
        if due >= end {
            break;
        }
        let now = Instant::now();
        if due > now {
            std::thread::sleep((due - now).min(MAX_NAP));
            continue;
        }
        // Every slot whose time has come goes at once (after a late wake-up
        // there can be several).
        let mut ready = 0usize;
        loop {
            let due = start + slot_offset(k, rate);
            if due > now || due >= end {
                break;
            }
            k += 1;
            ready += 1;
        }
        released.add_permits(ready);
    }
    released.add_permits(AFTER_THE_END);
}

/// Linux rounds a sleeping thread's wake-up by its timer slack (50 µs by
/// default); the schedule wants better. Elsewhere, or if refused, sleeps
/// are just a little later.
fn lower_timer_slack() {
    #[cfg(target_os = "linux")]
    {
        const SLACK_NS: libc::c_ulong = 10_000;
        // SAFETY: PR_SET_TIMERSLACK takes one integer argument and changes
        // only the calling thread's timer slack.
        unsafe {
            libc::prctl(libc::PR_SET_TIMERSLACK, SLACK_NS, 0, 0, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_rate_spaces_calls_on_a_schedule() {
        let start = Instant::now();
        let pacer = Pacer::new(start, start + Duration::from_secs(60), Some(1000.0)).unwrap();
        let mut due = Vec::new();
        for _ in 0..5 {
            due.push(pacer.next().await);
        }
        let offsets: Vec<u128> = due.iter().map(|d| d.duration_since(start).as_micros()).collect();
        assert_eq!(offsets, vec![0, 1000, 2000, 3000, 4000]);
        assert!(Instant::now() >= start + Duration::from_millis(4));
    }

    #[tokio::test]
    async fn a_slot_is_never_handed_out_before_its_time() {
        let start = Instant::now();
        let pacer = Pacer::new(start, start + Duration::from_secs(60), Some(20_000.0)).unwrap();
        for _ in 0..200 {
            let due = pacer.next().await;
            assert!(due <= Instant::now(), "slot handed out early");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_tasks_take_each_slot_once() {
        let start = Instant::now();
        let pacer = Arc::new(Pacer::new(start, start + Duration::from_secs(60), Some(50_000.0)).unwrap());
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    let mut got = Vec::new();
                    for _ in 0..50 {
                        got.push(pacer.next().await.duration_since(start).as_nanos());
                    }
                    got
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all.sort_unstable();
        let expected: Vec<u128> = (0..400u64).map(|k| slot_offset(k, 50_000.0).as_nanos()).collect();
        assert_eq!(all, expected);
    }

    #[tokio::test]
    async fn after_the_end_calls_return_at_once_with_a_time_past_it() {
        let start = Instant::now();
        let end = start + Duration::from_millis(5);
        let pacer = Pacer::new(start, end, Some(1000.0)).unwrap();
        let mut slots = 0;
        loop {
            let due = pacer.next().await;
            if due >= end {
                break;
            }
            slots += 1;
        }
        assert_eq!(slots, 5, "slots at 0..4 ms, none at or after the end");
        assert!(pacer.next().await >= end);
    }

    #[tokio::test]
    async fn without_a_rate_calls_go_at_once() {
        let start = Instant::now();
        let pacer = Pacer::new(start, start + Duration::from_secs(60), None).unwrap();
        let due = pacer.next().await;
        assert!(due >= start && due.duration_since(start) < Duration::from_millis(50));
    }
}
