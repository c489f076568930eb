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
//! [`Histograms`] holds the families configured with buckets; the recorder
//! (`recorder.rs`) hands their series out for the names it was given and
//! everything else to the exporter, and renders both into one answer.

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

/// One histogram name: its buckets, its `# HELP` text and its series.
struct Family {
    bounds: &'static [f64],
    help: Option<String>,
    series: Vec<(Labels, Arc<Bucketed>)>,
}

/// The histograms configured with buckets, by name.
pub(crate) struct Histograms {
    families: Mutex<BTreeMap<&'static str, Family>>,
}

impl Histograms {
    /// Histograms named in `buckets` (name, ascending upper bounds), each
    /// with no series yet.
    pub(crate) fn new(buckets: &[(&'static str, &'static [f64])]) -> Histograms {
        let families = buckets
            .iter()
            .map(|&(name, bounds)| (name, Family { bounds, help: None, series: Vec::new() }))
            .collect();
        Histograms { families: Mutex::new(families) }
    }

    /// Records `help` for `name`'s `# HELP` line; `false` when `name` is
    /// not one of these histograms.
    pub(crate) fn describe(&self, name: &str, help: &str) -> bool {
        let mut families = self.families.lock().unwrap_or_else(PoisonError::into_inner);
        match families.get_mut(name) {
            Some(family) => {
                family.help = Some(help.to_owned());
                true
            }
            None => false,
        }
    }

    /// The series of `key` (the same one every time it is asked for);
    /// `None` when its name is not one of these histograms.
    pub(crate) fn register(&self, key: &Key) -> Option<Arc<Bucketed>> {
        let mut families = self.families.lock().unwrap_or_else(PoisonError::into_inner);
        let family = families.get_mut(key.name())?;
        let labels: Labels = key.labels().map(|l| (l.key().to_owned(), l.value().to_owned())).collect();
        if let Some((_, series)) = family.series.iter().find(|(l, _)| *l == labels) {
            return Some(Arc::clone(series));
        }
        let series = Arc::new(Bucketed::new(family.bounds));
        family.series.push((labels, Arc::clone(&series)));
        Some(series)
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

    #[test]
    fn values_are_counted_in_their_buckets_and_rendered_cumulatively() {
        let histograms = Histograms::new(&[("call_seconds", BOUNDS)]);
        assert!(histograms.describe("call_seconds", "Seconds a call took.\nOne line."));
        let series = histograms.register(&key(&[("method", "Qualify")])).expect("configured");
        for value in [0.0005, 0.001, 0.002, 0.05, 0.05, 7.0, f64::NAN] {
            series.record(value);
        }
        let mut out = String::new();
        histograms.render(&mut out);
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
        let first = histograms.register(&key(&[("method", "Qualify")])).expect("configured");
        let again = histograms.register(&key(&[("method", "Qualify")])).expect("configured");
        let other = histograms.register(&key(&[("method", "Explain")])).expect("configured");
        assert!(Arc::ptr_eq(&first, &again));
        assert!(!Arc::ptr_eq(&first, &other));
        assert!(histograms.register(&Key::from_name("other_seconds")).is_none(), "not configured");
        assert!(!histograms.describe("other_seconds", "not ours"));
    }

    #[test]
    fn samples_from_many_threads_are_all_counted() {
        let histograms = Arc::new(Histograms::new(&[("call_seconds", BOUNDS)]));
        let series = histograms.register(&key(&[])).expect("configured");
        let threads: Vec<_> = (0..SHARDS + 3)
            .map(|_| {
                let series = Arc::clone(&series);
                std::thread::spawn(move || (0..1000).for_each(|_| series.record(0.005)))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().expect("recorded"));
        let mut out = String::new();
        histograms.render(&mut out);
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
        let series = histograms.register(&key(&[("scorer", "a\"b\\c\nd")])).expect("configured");
        series.record(0.5);
        let mut out = String::new();
        histograms.render(&mut out);
        assert!(out.contains("call_seconds_count{scorer=\"a\\\"b\\\\c\\nd\"} 1\n"), "{out}");
    }

    #[test]
    fn a_registered_series_reads_zero_before_its_first_sample() {
        // Registered when a policy loads, so rates and alerts work from the
        // first scrape; a name nothing registered is left out.
        let histograms = Histograms::new(&[("call_seconds", BOUNDS), ("unused_seconds", BOUNDS)]);
        let _registered = histograms.register(&key(&[("scorer", "intent")])).expect("configured");
        let mut out = String::new();
        histograms.render(&mut out);
        assert!(out.contains("call_seconds_bucket{scorer=\"intent\",le=\"0.001\"} 0\n"), "{out}");
        assert!(out.contains("call_seconds_bucket{scorer=\"intent\",le=\"+Inf\"} 0\n"), "{out}");
        assert!(out.contains("call_seconds_sum{scorer=\"intent\"} 0\n"), "{out}");
        assert!(out.contains("call_seconds_count{scorer=\"intent\"} 0\n"), "{out}");
        assert!(!out.contains("unused_seconds"), "{out}");
    }
}
