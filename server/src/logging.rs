//! Logs go to stderr, so stdout stays free for the one line a supervisor or
//! test harness waits for (`hqld listening on ...`).
//!
//! The filter is the `log_level` setting (`--log-level`, `HQL_LOG_LEVEL`,
//! else `RUST_LOG`, default `info`), checked when the configuration is
//! built, so a typo stops `hqld` at start rather than logging at a level
//! nobody asked for. JSON output is for log collectors and is what `auto`
//! (the default) writes when stderr is not a terminal, as in a container;
//! text is for people, with colours only when stderr is a terminal and
//! `NO_COLOR` is unset, so a log file or `kubectl logs` never carries
//! escape codes.
//!
//! With OTLP export on ([`crate::otlp`]), spans also go to the exporter,
//! through a second layer with its own filter: the RPC spans and the
//! server's and engine's own at `info`, anything at `warn`. The two filters
//! are independent, so `log_level = "warn"` does not stop traces, and
//! `debug` logs do not flood the collector. The OpenTelemetry SDK's own
//! warnings (an export that failed) go to the logs only.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry_sdk::trace::SdkTracer;
use tracing::Level;
use tracing_subscriber::filter::{EnvFilter, LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use crate::config::LogFormat;

/// Installs the global subscriber: logs filtered by `level` in `format`,
/// and spans to `tracer` when given. Does nothing if a subscriber is already
/// installed (tests, or an embedding program that set up its own).
pub fn init(format: LogFormat, level: &str, tracer: Option<SdkTracer>) {
    // `level` was checked with the same parser when the config was built.
    let filter = EnvFilter::builder().parse_lossy(level);
    let terminal = std::io::stderr().is_terminal();
    let colour = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let json = match format {
        LogFormat::Auto => !terminal,
        LogFormat::Text => false,
        LogFormat::Json => true,
    };
    let logs = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(colour);
    let logs: Box<dyn Layer<Registry> + Send + Sync> =
        if json { logs.json().with_filter(filter).boxed() } else { logs.with_filter(filter).boxed() };
    let traces = tracer.map(|tracer| {
        // The SDK's own logs (an export that failed) stay out of the spans
        // it exports.
        let spans = Targets::new()
            .with_default(Level::WARN)
            .with_target("hql_server", Level::INFO)
            .with_target("hql_qualifier", Level::INFO)
            .with_target("opentelemetry", LevelFilter::OFF);
        tracing_opentelemetry::layer().with_tracer(tracer).with_filter(spans)
    });
    let exporting = traces.is_some();
    // `try_init` fails only when a subscriber is already set; that one wins.
    if tracing_subscriber::registry().with(logs).with(traces).try_init().is_ok() {
        SPANS_EXPORTED.store(exporting, Ordering::Relaxed);
    }
}

/// Whether the installed subscriber sends spans to an exporter.
static SPANS_EXPORTED: AtomicBool = AtomicBool::new(false);

/// Whether [`init`] installed a subscriber that exports spans (OTLP on).
///
/// What is recorded on a span after it was opened only reaches an
/// exporter: the log formatter shows a span's fields on the lines written
/// inside it, and the ones recorded at the end come after the last of them.
/// It is also the expensive part of a span for the JSON formatter, which
/// parses and rewrites the span's fields on every `record`; so code that
/// records late outcomes asks this first.
pub(crate) fn spans_exported() -> bool {
    SPANS_EXPORTED.load(Ordering::Relaxed)
}
