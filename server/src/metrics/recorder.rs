//! The process's Prometheus recorder: built with the histogram buckets each
//! metric needs, installed as the `metrics` facade's global recorder, and
//! told what every metric means (the `# HELP` lines).
//!
//! Histograms get explicit buckets, so they are exported as Prometheus
//! histograms (aggregatable across pods) rather than the exporter's default
//! summaries (per-pod quantiles that cannot be averaged).
//!
//! The facade has one global recorder per process and no way to replace it,
//! so [`install`] installs once and hands the same handle to later callers
//! (a test calling [`crate::run::run`] twice, say).

use std::sync::{Mutex, PoisonError};

use ::metrics::Unit;
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};

use super::MetricsError;
use super::info;
use super::methods::{
    HANDLED_TOTAL, HANDLING_BUCKETS, HANDLING_SECONDS, MSG_RECEIVED_TOTAL, MSG_SENT_TOTAL, STARTED_TOTAL,
};

/// The handle of the recorder this process installed, once it has.
static INSTALLED: Mutex<Option<PrometheusHandle>> = Mutex::new(None);

/// Installs the Prometheus recorder (once per process) and returns the
/// handle that renders it.
pub(crate) fn install() -> Result<PrometheusHandle, MetricsError> {
    let mut installed = INSTALLED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = installed.as_ref() {
        return Ok(handle.clone());
    }
    let recorder = builder().map_err(MetricsError::Build)?.build_recorder();
    let handle = recorder.handle();
    ::metrics::set_global_recorder(recorder).map_err(|_| MetricsError::RecorderTaken)?;
    describe();
    *installed = Some(handle.clone());
    Ok(handle)
}

/// The recorder's configuration: buckets per histogram.
fn builder() -> Result<PrometheusBuilder, BuildError> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HANDLING_SECONDS.to_owned()), HANDLING_BUCKETS)?
        .set_buckets_for_metric(
            Matcher::Full(hql_qualifier::metrics::SCORER_DURATION_SECONDS.to_owned()),
            hql_qualifier::metrics::SCORER_DURATION_BUCKETS,
        )
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
    fn the_configuration_is_valid() {
        assert!(builder().is_ok());
    }
}
