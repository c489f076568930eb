//! Histograms kept as bucket counters, rendered beside the exporter's
//! metrics.
//!
//! `metrics-exporter-prometheus` keeps every histogram sample, with the
//! instant it was taken (16 bytes), until its next upkeep or scrape sorts
//! them into buckets. Each decision records one sample per scorer and each
//! call one more, so under batch load (56,000 leads/s here) that was 27 MB
//! held between two upkeeps five seconds apart (`hqld`'s peak RSS 58 MiB with
//! metrics on, 31 without) and about 1.7 µs of CPU per lead: a clock read,
//! an atomic push and now and then a block allocation per sample, then the
//! sorting. Every histogram `hqld` records has fixed buckets, so a sample
//! can be counted in its bucket at once: a binary search over the bounds
//! and two atomic adds, memory fixed per series whatever the rate.
//!
//! Counters are split over a few shards, each on cache lines of its own,
//! and a thread always adds to the same shard: the decision threads record
//! into the same scorer's histogram at the same time, and one shared
//! counter would bounce between their cores on every sample. A scrape sums
//! the shards.
//!
//! [`Histograms`] holds every histogram of the process, with the buckets
//! configured for its name or Prometheus' defaults; the recorder
//! (`recorder.rs`) hands it every histogram and the exporter the counters
//! and gauges, and renders both into one answer.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use metrics::{HistogramFn, Key};

/// Shards per series: more than the threads that record at once on the
/// machines `hqld` is sized for; a thread past them shares a shard.
const SHARDS: usize = 8;

/// The shard of the calling thread, assigned round-robin on first use.
fn shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    // While the thread is torn down its slot is gone: any shard will do.
    SHARD.try_with(|s| *s).unwrap_or(0)
}

/// One shard's counters: a count per bucket (the last one `+Inf`) and the
/// sum of the values, as `f64` bits.
#[repr(align(64))]
struct Shard {
    counts: Box<[AtomicU64]>,
    sum: AtomicU64,
}

/// One series: the counts of the values recorded into it, by bucket.
pub(crate) struct Bucketed {
    bounds: &'static [f64],
    shards: Box<[Shard]>,
}

impl Bucketed {
    fn new(bounds: &'static [f64]) -> Bucketed {
        let shard = || Shard {
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0f64.to_bits()),
        };
        Bucketed { bounds, shards: (0..SHARDS).map(|_| shard()).collect() }
    }

    /// Counts per bucket (not cumulative; the last one `+Inf`) and the sum,
    /// over every shard.
    fn snapshot(&self) -> (Vec<u64>, f64) {
        let mut counts = vec![0u64; self.bounds.len() + 1];
        let mut sum = 0.0;
        for shard in &self.shards {
            for (total, count) in counts.iter_mut().zip(shard.counts.iter()) {
                *total += count.load(Ordering::Relaxed);
            }
            sum += f64::from_bits(shard.sum.load(Ordering::Relaxed));
        }
        (counts, sum)
    }
}

impl HistogramFn for Bucketed {
    fn record(&self, value: f64) {
        // A value equal to a bound is counted in that bound's bucket (`le`);
        // NaN in `+Inf`'s only.
        let bucket =
            if value.is_nan() { self.bounds.len() } else { self.bounds.partition_point(|&b| b < value) };
        let shard = &self.shards[shard()];
        shard.counts[bucket].fetch_add(1, Ordering::Relaxed);
        // The shard is this thread's, so the exchange all but never retries.
        let _ = shard.sum.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
            Some((f64::from_bits(bits) + value).to_bits())
        });
    }
}

/// The label pairs of a series, in the order they were given.
type Labels = Vec<(String, String)>;

/// Buckets of a histogram named in none of [`Histograms::new`]'s list:
/// Prometheus' defaults (5 ms to 10 s).
pub(crate) const DEFAULT_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// One histogram name: its buckets, its `# HELP` text and its series.
struct Family {
    bounds: &'static [f64],
    help: Option<String>,
    series: Vec<(Labels, Arc<Bucketed>)>,
}

/// Every histogram of the process, by name.
pub(crate) struct Histograms {
    /// Names with buckets of their own; any other gets [`DEFAULT_BUCKETS`].
    buckets: Vec<(&'static str, &'static [f64])>,
    families: Mutex<BTreeMap<String, Family>>,
}

impl Histograms {
    /// Histograms with the buckets (ascending upper bounds) given for their
    /// names, and Prometheus' defaults for any other name, so that no
    /// histogram is ever kept sample by sample.
    pub(crate) fn new(buckets: &[(&'static str, &'static [f64])]) -> Histograms {
        Histograms { buckets: buckets.to_vec(), families: Mutex::new(BTreeMap::new()) }
    }

    /// `name`'s family in `families`, created with its buckets if new.
    fn family<'f>(&self, families: &'f mut BTreeMap<String, Family>, name: &str) -> &'f mut Family {
        families.entry(name.to_owned()).or_insert_with(|| {
            let bounds = self.buckets.iter().find(|(n, _)| *n == name).map_or(DEFAULT_BUCKETS, |(_, b)| *b);
            Family { bounds, help: None, series: Vec::new() }
        })
    }

    /// Records `help` for `name`'s `# HELP` line.
    pub(crate) fn describe(&self, name: &str, help: &str) {
        let mut families = self.families.lock().unwrap_or_else(PoisonError::into_inner);
        self.family(&mut families, name).help = Some(help.to_owned());
    }

    /// The series of `key`, the same one every time it is asked for.
    pub(crate) fn register(&self, key: &Key) -> Arc<Bucketed> {
        let mut families = self.families.lock().unwrap_or_else(PoisonError::into_inner);
        let family = self.family(&mut families, key.name());
        let labels: Labels = key.labels().map(|l| (l.key().to_owned(), l.value().to_owned())).collect();
        if let Some((_, series)) = family.series.iter().find(|(l, _)| *l == labels) {
            return Arc::clone(series);
        }
        let series = Arc::new(Bucketed::new(family.bounds));
        family.series.push((labels, Arc::clone(&series)));
        series
    }

    /// Every registered series, samples or not (the qualifier registers its
    /// scorers' series when a policy loads so that they read 0 from the
    /// first scrape), in the Prometheus text format (as the exporter writes
    /// histograms: cumulative `_bucket` lines, then `_sum` and `_count`),
    /// appended to `out`. A name with no series is left out.
    pub(crate) fn render(&self, out: &mut String) {
        let families = self.families.lock().unwrap_or_else(PoisonError::into_inner);
        for (name, family) in families.iter() {
            if family.series.is_empty() {
                continue;
            }
            let snapshots = family.series.iter().map(|(labels, series)| (labels, series.snapshot()));
            if let Some(help) = &family.help {
                let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
            }
            let _ = writeln!(out, "# TYPE {name} histogram");
            for (labels, (counts, sum)) in snapshots {
                let labels =
                    labels.iter().map(|(k, v)| format!("{k}=\"{}\",", escape_label(v))).collect::<String>();
                let mut cumulative = 0;
                for (bound, count) in family.bounds.iter().zip(&counts) {
                    cumulative += count;
                    let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{bound}\"}} {cumulative}");
                }
                cumulative += counts.last().copied().unwrap_or(0);
                let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {cumulative}");
                let labels = labels.trim_end_matches(',');
                let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
                let _ = writeln!(out, "{name}_sum{braces} {sum}");
                let _ = writeln!(out, "{name}_count{braces} {cumulative}");
            }
            out.push('\n');
        }
    }
}

/// A label value as the text format quotes it.
fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// A `# HELP` text as the text format takes it.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use metrics::Label;

    use super::*;

    const BOUNDS: &[f64] = &[0.001, 0.01, 0.1];

    fn key(labels: &[(&'static str, &str)]) -> Key {
        let labels: Vec<Label> = labels.iter().map(|&(k, v)| Label::new(k, v.to_owned())).collect();
        Key::from_parts("call_seconds", labels)
    }

    /// What `/metrics` would show of `histograms`.
    fn rendered(histograms: &Histograms) -> String {
        let mut out = String::new();
        histograms.render(&mut out);
        out
    }

    #[test]
    fn values_are_counted_in_their_buckets_and_rendered_cumulatively() {
        let histograms = Histograms::new(&[("call_seconds", BOUNDS)]);
        histograms.describe("call_seconds", "Seconds a call took.\nOne line.");
        let series = histograms.register(&key(&[("method", "Qualify")]));
        for value in [0.0005, 0.001, 0.002, 0.05, 0.05, 7.0, f64::NAN] {
            series.record(value);
        }
        let out = rendered(&histograms);
        let expected = "\
# HELP call_seconds Seconds a call took.\\nOne line.
# TYPE call_seconds histogram
call_seconds_bucket{method=\"Qualify\",le=\"0.001\"} 2
call_seconds_bucket{method=\"Qualify\",le=\"0.01\"} 3
call_seconds_bucket{method=\"Qualify\",le=\"0.1\"} 5
call_seconds_bucket{method=\"Qualify\",le=\"+Inf\"} 7
call_seconds_sum{method=\"Qualify\"} NaN
call_seconds_count{method=\"Qualify\"} 7

";
        assert_eq!(out, expected);
    }

    #[test]
    fn a_key_asked_for_again_gets_the_same_series() {
        let histograms = Histograms::new(&[("call_seconds", BOUNDS)]);
        let first = histograms.register(&key(&[("method", "Qualify")]));
        let again = histograms.register(&key(&[("method", "Qualify")]));
        let other = histograms.register(&key(&[("method", "Explain")]));
        assert!(Arc::ptr_eq(&first, &again));
        assert!(!Arc::ptr_eq(&first, &other));
    }

    #[test]
    fn a_name_without_buckets_of_its_own_gets_prometheus_defaults() {
        let histograms = Histograms::new(&[("call_seconds", BOUNDS)]);
        histograms.describe("other_seconds", "Not configured.");
        histograms.register(&Key::from_name("other_seconds")).record(0.007);
        let out = rendered(&histograms);
        assert!(out.contains("# TYPE other_seconds histogram\n"), "{out}");
        assert!(out.contains("other_seconds_bucket{le=\"0.005\"} 0\n"), "{out}");
        assert!(out.contains("other_seconds_bucket{le=\"0.01\"} 1\n"), "{out}");
        assert!(out.contains("other_seconds_bucket{le=\"10\"} 1\n"), "{out}");
        assert!(out.contains("other_seconds_count 1\n"), "{out}");
    }

    #[test]
    fn samples_from_many_threads_are_all_counted() {
        let histograms = Arc::new(Histograms::new(&[("call_seconds", BOUNDS)]));
        let series = histograms.register(&key(&[]));
        let threads: Vec<_> = (0..SHARDS + 3)
            .map(|_| {
                let series = Arc::clone(&series);
                std::thread::spawn(move || (0..1000).for_each(|_| series.record(0.005)))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().expect("recorded"));
        let out = rendered(&histograms);
        let total = 1000 * (SHARDS as u64 + 3);
        assert!(out.contains(&format!("call_seconds_bucket{{le=\"0.01\"}} {total}\n")), "{out}");
        assert!(out.contains(&format!("call_seconds_count {total}\n")), "{out}");
        let sum = 0.005 * total as f64;
        let rendered: f64 = out
            .lines()
            .find_map(|l| l.strip_prefix("call_seconds_sum "))
            .and_then(|v| v.parse().ok())
            .expect("a sum");
        assert!((rendered - sum).abs() < 1e-6, "{rendered} vs {sum}");
    }

    #[test]
    fn label_values_are_escaped() {
        let histograms = Histograms::new(&[("call_seconds", BOUNDS)]);
        let series = histograms.register(&key(&[("scorer", "a\"b\\c\nd")]));
        series.record(0.5);
        let out = rendered(&histograms);
        assert!(out.contains("call_seconds_count{scorer=\"a\\\"b\\\\c\\nd\"} 1\n"), "{out}");
    }

    #[test]
    fn a_registered_series_reads_zero_before_its_first_sample() {
        // Registered when a policy loads, so rates and alerts work from the
        // first scrape; a name nothing registered is left out.
        let histograms = Histograms::new(&[("call_seconds", BOUNDS), ("unused_seconds", BOUNDS)]);
        let _registered = histograms.register(&key(&[("scorer", "intent")]));
        let out = rendered(&histograms);
        assert!(out.contains("call_seconds_bucket{scorer=\"intent\",le=\"0.001\"} 0\n"), "{out}");
        assert!(out.contains("call_seconds_bucket{scorer=\"intent\",le=\"+Inf\"} 0\n"), "{out}");
        assert!(out.contains("call_seconds_sum{scorer=\"intent\"} 0\n"), "{out}");
        assert!(out.contains("call_seconds_count{scorer=\"intent\"} 0\n"), "{out}");
        assert!(!out.contains("unused_seconds"), "{out}");
    }
}
