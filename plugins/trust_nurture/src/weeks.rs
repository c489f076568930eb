//! Weekly rhythm: which 7-day buckets, counted back from `as_of`, saw
//! engagement, and the longest run of consecutive ones.
//!
//! Article 004's HQL "interacts with your content periodically". Counting
//! distinct active weeks instead of events is what tells a relationship from a
//! burst: forty downloads in one afternoon fill one bucket, the same forty
//! spread over ten weeks fill ten. Buckets are anchored on `as_of`, never on
//! the calendar or the clock, so a decision replays identically.

use hql_plugin_api::pool::EventIndexes;
use hql_plugin_api::record::MS_PER_DAY;

const MS_PER_WEEK: i64 = 7 * MS_PER_DAY;

/// A week with no engagement event (event indexes are below `u32::MAX`:
/// the ABI counts events in a `u32`).
const QUIET: u32 = u32::MAX;

/// Which week of the lookback `t_ms` falls in: 0 is the 7 days ending at
/// `as_of` (inclusive), 1 the 7 before, ... `None` when it is outside the
/// lookback or after `as_of`.
pub(crate) fn bucket(as_of_ms: i64, t_ms: i64, lookback_weeks: usize) -> Option<usize> {
    if t_ms > as_of_ms {
        return None;
    }
    let week = usize::try_from(as_of_ms.saturating_sub(t_ms) / MS_PER_WEEK).ok()?;
    (week < lookback_weeks).then_some(week)
}

/// Per lookback week, the first engagement event seen in it (its index, as
/// evidence), or [`QUIET`]. The list comes from the SDK's per-thread pool,
/// so scoring a lead allocates nothing for it.
pub(crate) struct Weeks {
    first_event: EventIndexes,
}

impl Weeks {
    pub(crate) fn new(lookback_weeks: usize) -> Weeks {
        let mut first_event = EventIndexes::new();
        first_event.resize(lookback_weeks, QUIET);
        Weeks { first_event }
    }

    /// Records an engagement event at `t_ms`; ignored outside the lookback.
    pub(crate) fn record(&mut self, as_of_ms: i64, t_ms: i64, index: u32) {
        if let Some(week) = bucket(as_of_ms, t_ms, self.first_event.len()) {
            let slot = &mut self.first_event[week];
            if *slot == QUIET {
                *slot = index;
            }
        }
    }

    /// Number of weeks with at least one engagement event.
    pub(crate) fn active(&self) -> usize {
        self.first_event.iter().filter(|e| **e != QUIET).count()
    }

    /// One event per active week, most recent week first.
    pub(crate) fn evidence(&self) -> impl Iterator<Item = u32> + '_ {
        self.first_event.iter().copied().filter(|e| *e != QUIET)
    }

    /// The longest run of consecutive active weeks, and one event per week
    /// of that run (most recent first). Of equally long runs, the most recent
    /// one is reported.
    pub(crate) fn longest_streak(&self) -> (usize, impl Iterator<Item = u32> + '_) {
        let (mut best_len, mut best_start) = (0, 0);
        let mut run_start = 0;
        for (week, slot) in self.first_event.iter().enumerate() {
            if *slot == QUIET {
                run_start = week + 1;
            } else if week + 1 - run_start > best_len {
                best_len = week + 1 - run_start;
                best_start = run_start;
            }
        }
        // Every week of the run is active: exactly `best_len` events.
        (best_len, self.first_event[best_start..best_start + best_len].iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AS_OF: i64 = 1_700_000_000_000;

    fn streak(w: &Weeks) -> (usize, Vec<u32>) {
        let (len, events) = w.longest_streak();
        (len, events.collect())
    }

    #[test]
    fn buckets_are_7_days_back_from_as_of() {
        assert_eq!(bucket(AS_OF, AS_OF, 12), Some(0));
        assert_eq!(bucket(AS_OF, AS_OF - MS_PER_WEEK + 1, 12), Some(0));
        assert_eq!(bucket(AS_OF, AS_OF - MS_PER_WEEK, 12), Some(1));
        assert_eq!(bucket(AS_OF, AS_OF - 12 * MS_PER_WEEK + 1, 12), Some(11));
        assert_eq!(bucket(AS_OF, AS_OF - 12 * MS_PER_WEEK, 12), None);
        assert_eq!(bucket(AS_OF, AS_OF + 1, 12), None, "the future is not seen");
        assert_eq!(bucket(AS_OF, i64::MIN, 12), None);
    }

    fn weeks(active: &[usize]) -> Weeks {
        let mut w = Weeks::new(12);
        for (i, week) in active.iter().enumerate() {
            w.record(AS_OF, AS_OF - *week as i64 * MS_PER_WEEK, i as u32);
        }
        w
    }

    #[test]
    fn active_weeks_count_buckets_not_events() {
        let mut w = Weeks::new(12);
        for i in 0..40 {
            w.record(AS_OF, AS_OF - 3 * MS_PER_DAY - i64::from(i) * 1000, i);
        }
        assert_eq!(w.active(), 1);
        assert_eq!(w.evidence().collect::<Vec<_>>(), [0], "the first event seen cites the week");
        assert_eq!(streak(&w), (1, vec![0]));
    }

    #[test]
    fn longest_streak_finds_the_longest_run() {
        // Weeks 0,1 then 3,4,5,6 then 9.
        let w = weeks(&[0, 1, 3, 4, 5, 6, 9]);
        assert_eq!(w.active(), 7);
        assert_eq!(streak(&w), (4, vec![2, 3, 4, 5]));
        // Equal runs: the most recent wins.
        let w = weeks(&[0, 1, 5, 6]);
        assert_eq!(streak(&w), (2, vec![0, 1]));
        // A run reaching the end of the lookback.
        let w = weeks(&[8, 9, 10, 11]);
        assert_eq!(streak(&w), (4, vec![0, 1, 2, 3]));
        assert_eq!(streak(&Weeks::new(12)), (0, vec![]));
    }
}
