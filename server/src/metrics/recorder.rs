//! The process's recorder: the Prometheus exporter's for counters and
//! gauges, [`Histograms`] for every histogram, installed as the `metrics`
//! facade's global recorder and told what every metric means (the `# HELP`
//! lines).
//!
//! Every histogram has explicit buckets, so it is exported as a Prometheus
//! histogram (aggregatable across pods) rather than a summary (per-pod
//! quantiles that cannot be averaged), and is counted into its buckets as it
//! is recorded rather than kept sample by sample until a scrape (see
//! `histogram.rs` for what that cost). [`Handle::render`] writes both parts
//! into one answer.
//!
//! The facade has one global recorder per process and no way to replace it,
//! so [`install`] installs once and hands the same handle to later callers
//! (a test calling [`crate::run::run`] twice, say).

use std::sync::{Arc, Mutex, PoisonError};

use ::metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use super::MetricsError;
use super::histogram::Histograms;
use super::info;
use super::methods::{
    HANDLED_TOTAL, HANDLING_BUCKETS, HANDLING_SECONDS, MSG_RECEIVED_TOTAL, MSG_SENT_TOTAL, STARTED_TOTAL,
};

/// Every histogram `hqld` records, with its buckets' upper bounds.
pub(crate) const HISTOGRAM_BUCKETS: &[(&str, &[f64])] = &[
    (HANDLING_SECONDS, HANDLING_BUCKETS),
    (hql_qualifier::metrics::SCORER_DURATION_SECONDS, hql_qualifier::metrics::SCORER_DURATION_BUCKETS),
];

/// The handle of the recorder this process installed, once it has.
static INSTALLED: Mutex<Option<Handle>> = Mutex::new(None);

/// Renders what a [`HqlRecorder`] recorded. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Handle {
    prometheus: PrometheusHandle,
    histograms: Arc<Histograms>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle").finish_non_exhaustive()
    }
}

impl Handle {
    /// Everything recorded so far, in the Prometheus text format.
    pub(crate) fn render(&self) -> String {
        let mut text = self.prometheus.render();
        self.histograms.render(&mut text);
        text
    }
}

/// The recorder: every histogram is counted by [`Histograms`] (with the
/// buckets of `HISTOGRAM_BUCKETS`, or Prometheus' defaults for a name not in
/// it), counters and gauges go to the exporter.
pub(crate) struct HqlRecorder {
    prometheus: PrometheusRecorder,
    histograms: Arc<Histograms>,
}

impl HqlRecorder {
    /// A recorder of its own (installed by [`install`]; tests use one
    /// locally), and the handle rendering it.
    pub(crate) fn new() -> (HqlRecorder, Handle) {
        let prometheus = PrometheusBuilder::new().build_recorder();
        let histograms = Arc::new(Histograms::new(HISTOGRAM_BUCKETS));
        let handle = Handle { prometheus: prometheus.handle(), histograms: Arc::clone(&histograms) };
        (HqlRecorder { prometheus, histograms }, handle)
    }
}

impl Recorder for HqlRecorder {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.prometheus.describe_counter(key, unit, description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.prometheus.describe_gauge(key, unit, description);
    }

    fn describe_histogram(&self, key: KeyName, _unit: Option<Unit>, description: SharedString) {
        self.histograms.describe(key.as_str(), &description);
    }

    fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
        self.prometheus.register_counter(key, metadata)
    }

    fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
        self.prometheus.register_gauge(key, metadata)
    }

    fn register_histogram(&self, key: &Key, _metadata: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.histograms.register(key))
    }
}

/// Installs the recorder (once per process) and returns the handle that
/// renders it.
pub(crate) fn install() -> Result<Handle, MetricsError> {
    let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = installed.as_ref() {
        return Ok(handle.clone());
    }
    let (recorder, handle) = HqlRecorder::new();
    ::metrics::set_global_recorder(recorder).map_err(|_| MetricsError::RecorderTaken)?;
    describe();
    *installed = Some(handle.clone());
    Ok(handle)
}

/// Describes every metric to the installed recorder.
fn describe() {
    ::metrics::describe_counter!(STARTED_TOTAL, Unit::Count, "Total number of RPCs started on the server.");
    ::metrics::describe_counter!(
        HANDLED_TOTAL,
        Unit::Count,
        "Total number of RPCs completed on the server, regardless of success or failure."
    );
    ::metrics::describe_histogram!(
        HANDLING_SECONDS,
        Unit::Seconds,
        "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server."
    );
    ::metrics::describe_counter!(
        MSG_RECEIVED_TOTAL,
        Unit::Count,
        "Total number of RPC stream messages received on the server."
    );
    ::metrics::describe_counter!(
        MSG_SENT_TOTAL,
        Unit::Count,
        "Total number of gRPC stream messages sent by the server."
    );
    hql_qualifier::metrics::describe();
    info::describe();
    super::reload::describe();
    crate::shed::describe();
    crate::batch_gate::describe();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_histogram_has_ascending_buckets() {
        for (name, bounds) in HISTOGRAM_BUCKETS {
            assert!(!bounds.is_empty() && bounds.windows(2).all(|w| w[0] < w[1]), "{name}: {bounds:?}");
        }
    }

    #[test]
    fn histograms_and_the_exporters_metrics_render_together() {
        let (recorder, handle) = HqlRecorder::new();
        ::metrics::with_local_recorder(&recorder, || {
            ::metrics::describe_histogram!(HANDLING_SECONDS, Unit::Seconds, "Seconds per call.");
            ::metrics::histogram!(HANDLING_SECONDS, "grpc_method" => "Qualify").record(0.0003);
            ::metrics::counter!("probe_total").increment(2);
            // No buckets of its own: Prometheus' defaults, never a summary.
            ::metrics::histogram!("probe_seconds").record(1.0);
        });
        let text = handle.render();
        for line in [
            "probe_total 2",
            "# HELP grpc_server_handling_seconds Seconds per call.",
            "# TYPE grpc_server_handling_seconds histogram",
            "grpc_server_handling_seconds_bucket{grpc_method=\"Qualify\",le=\"0.00025\"} 0",
            "grpc_server_handling_seconds_bucket{grpc_method=\"Qualify\",le=\"0.0005\"} 1",
            "grpc_server_handling_seconds_count{grpc_method=\"Qualify\"} 1",
            "probe_seconds_bucket{le=\"1\"} 1",
            "probe_seconds_count 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
    }
}
