//! Prometheus metrics: what hqld counts, and `GET /metrics` on a port of its own.
//!
//! Everything is recorded through the `metrics` facade, the
//! ecosystem's `log`-like crate for metrics: code says what happened, and the
//! one recorder installed in the process decides what to keep. `hqld`
//! installs the Prometheus recorder of `metrics-exporter-prometheus` when
//! `--metrics-listen` is not `off`; otherwise there is no recorder, and every
//! count is a no-op. No metric is served from the gRPC port.
//!
//! The order matters, and [`crate::run`] keeps it: [`Metrics::install`]
//! before the engine loads (the qualifier registers its per-scorer and
//! per-stage series while loading, and series registered before a recorder
//! exists stay no-ops), then [`Metrics::publish_info`] with the loaded
//! engine, then [`Metrics::bind`] and [`MetricsEndpoint::serve`].
//!
//! One job per file:
//! - `recorder`: build and install the recorder, histogram buckets, `# HELP`,
//!   with `histogram` (histograms counted into their buckets as recorded).
//! - `grpc`: the tower layer counting every call as go-grpc-prometheus does,
//!   with `methods` (the labels and series of each RPC, read from the
//!   descriptor sets), `code` (the `grpc_code` label) and `frames` (messages
//!   in a body).
//! - `info`: `hql_build_info`, `hql_policy_info`, `hql_scorer_info`.
//! - `reload`: `hql_policy_reloads_total`, `hql_policy_reload_failed`.
//! - `endpoint`: the HTTP listener serving `/metrics`.
//!
//! The domain's own metrics (decisions by stage, scorer latency and failures)
//! are defined and recorded in `hql_qualifier::metrics`. Every metric is
//! listed, with its type, labels and meaning, in docs/operations.md.

use std::io;
use std::net::SocketAddr;

use hql_qualifier::Engine;

mod code;
mod endpoint;
mod frames;
mod grpc;
mod histogram;
mod info;
mod methods;
mod recorder;
pub(crate) mod reload;

pub use crate::batch_gate::BATCH_CALLS_WAITING;
pub use crate::shed::{IN_FLIGHT as REQUESTS_IN_FLIGHT, SHED_TOTAL as REQUESTS_SHED_TOTAL};
pub use endpoint::{METRICS_PATH, MetricsEndpoint};
pub(crate) use grpc::GrpcMetricsLayer;
pub use info::{BUILD_INFO, POLICY_INFO, SCORER_INFO};
pub use methods::{
    HANDLED_TOTAL, HANDLING_BUCKETS, HANDLING_SECONDS, MSG_RECEIVED_TOTAL, MSG_SENT_TOTAL, STARTED_TOTAL,
};
pub(crate) use methods::{MethodMetrics, MethodTable};
pub use reload::{RELOAD_FAILED, RELOADS_TOTAL};

/// The Prometheus recorder could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// Something else in the process installed a `metrics` recorder first.
    #[error("another metrics recorder is already installed in this process")]
    RecorderTaken,
}

/// The installed Prometheus recorder. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Metrics {
    handle: recorder::Handle,
}

impl Metrics {
    /// Installs the Prometheus recorder as the process's `metrics` recorder
    /// (once: later calls share it). Call before loading the engine.
    pub fn install() -> Result<Metrics, MetricsError> {
        recorder::install().map(|handle| Metrics { handle })
    }

    /// After a reload: `old`'s info series to 0, `new`'s to 1.
    pub(crate) fn replace_info(old: &Engine, new: &Engine) {
        info::replace(old, new);
    }

    /// Sets the info gauges: this build, `engine`'s policy and scorers.
    pub fn publish_info(&self, engine: &Engine) {
        info::publish(engine);
    }

    /// Binds the `/metrics` listener on `addr` (port 0 picks a free port).
    pub async fn bind(&self, addr: SocketAddr) -> io::Result<MetricsEndpoint> {
        MetricsEndpoint::bind(addr, self.handle.clone()).await
    }

    /// Everything recorded so far, in the Prometheus text format: what
    /// `GET /metrics` answers.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}
