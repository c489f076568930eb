//! The daemon's life, in order: load, bind, announce, serve (reloading the
//! policy on SIGHUP or when its file changes, see [`crate::reload`]), drain.
//!
//! Nothing is served from a policy or plugin that fails to load: [`run`]
//! returns [`RunError::Load`] before binding, and `hqld` exits with code 2.
//! A reload that fails is refused instead; the running engine keeps serving.
//! Once the listener is bound, one line goes to stdout,
//! `hqld listening on <ip:port>` with the real bound address, so a harness
//! started with `--listen 127.0.0.1:0` learns the port. With metrics on, a
//! second line follows, `hqld metrics on <ip:port>`, the bound address of
//! `GET /metrics`. Both listeners are bound before either line is printed,
//! so a harness that saw the first line talks to a server that started.
//! After the shutdown future completes, in-flight calls get the grace period
//! to finish; calls still running then (typically long-lived streams) are
//! dropped. `/metrics` is served until the drain is over.
//!
//! Metrics: the recorder is installed before the engine loads, because the
//! engine registers its series while loading (see [`crate::metrics`]).

use std::future::Future;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hql_qualifier::{Engine, LoadError, LoadOptions, ScorerSource};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::config::Settings;
use crate::current::CurrentEngine;
use crate::metrics::{Metrics, MetricsEndpoint, MetricsError};
use crate::reload::{self, Hangups, Reloader};
use crate::server::{ServeError, serve_with};

/// Why `hqld` stopped other than by a shutdown signal.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The policy or a scorer plugin could not be loaded (the message names
    /// the file, line and key, or the plugin and ABI versions).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// The metrics address could not be bound.
    #[error("cannot serve metrics on {addr}: {source} (--metrics-listen off serves none)")]
    BindMetrics {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// The metrics recorder could not be installed.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// SIGHUP could not be registered.
    #[error("cannot listen for SIGHUP (policy reload): {0}")]
    Signals(io::Error),
    /// The watchdog thread could not be started.
    #[error("cannot start the scorer watchdog thread: {0}")]
    Watchdog(io::Error),
    /// The "listening" line could not be written to stdout.
    #[error("cannot write the listening address to stdout: {0}")]
    Announce(io::Error),
    /// The server failed while serving.
    #[error(transparent)]
    Serve(#[from] ServeError),
}

impl RunError {
    /// The process exit code: 2 when the configuration (policy, plugins) is
    /// wrong and retrying cannot help, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Load(_) => 2,
            RunError::Bind { .. }
            | RunError::BindMetrics { .. }
            | RunError::Metrics(_)
            | RunError::Watchdog(_)
            | RunError::Signals(_)
            | RunError::Announce(_)
            | RunError::Serve(_) => 1,
        }
    }
}

/// Loads the engine, binds, prints `hqld listening on <addr>` (and
/// `hqld metrics on <addr>`) to stdout and serves until `shutdown`
/// completes, then drains for at most `settings.shutdown_grace`.
pub async fn run(settings: Settings, shutdown: impl Future<Output = ()>) -> Result<(), RunError> {
    let Settings {
        listen,
        metrics_listen,
        policy,
        plugin_dir,
        limits,
        log_format: _,
        log_level: _,
        shutdown_grace,
        transport,
        policy_poll,
    } = settings;
    let metrics = metrics_listen.map(|addr| Metrics::install().map(|metrics| (metrics, addr))).transpose()?;
    // Hashed before loading: a change racing the load is then seen by the
    // first poll instead of missed.
    let policy_seen = reload::fingerprint(&policy).ok();
    let options = LoadOptions { policy_path: policy, scorers: ScorerSource::PluginDir(plugin_dir) };
    let engine = Engine::load(&options)?;
    log_loaded(&engine);
    crate::health::start_watchdog().map_err(RunError::Watchdog)?;
    // Before serving: SIGHUP's default action ends the process.
    let hangups = Hangups::register().map_err(RunError::Signals)?;
    let current = CurrentEngine::new(engine.clone());
    let reloader = Arc::new(Reloader::new(current.clone(), options, policy_seen));

    let listener =
        TcpListener::bind(listen).await.map_err(|source| RunError::Bind { addr: listen, source })?;
    let addr = listener.local_addr().map_err(|source| RunError::Bind { addr: listen, source })?;
    let endpoint = match metrics {
        Some((metrics, metrics_addr)) => Some(bind_metrics(&metrics, metrics_addr, &engine).await?),
        None => None,
    };
    announce(addr, endpoint.as_ref().map(|(_, bound)| *bound)).map_err(RunError::Announce)?;
    tracing::info!(%addr, ?limits, ?transport, "serving hql.v1.LeadQualificationService");
    // Served until `run` returns, drain included; dropping the guard stops it.
    let _metrics_server = match endpoint {
        Some((endpoint, bound)) => {
            tracing::info!(addr = %bound, "serving Prometheus metrics at http://{bound}/metrics");
            Some(AbortOnDrop(tokio::spawn(endpoint.serve())))
        }
        None => {
            tracing::info!("metrics off (--metrics-listen off)");
            None
        }
    };

    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    // Reloads until `run` returns; in-flight calls keep the engine they took.
    let _reloading = AbortOnDrop(tokio::spawn(reloader.watch(hangups, policy_poll)));
    let serving = serve_with(listener, current, limits, transport, async {
        // A dropped sender (run itself going away) stops the server too.
        let _ = stop_rx.await;
    });
    tokio::pin!(serving);
    tokio::select! {
        ended = &mut serving => return Ok(ended?),
        () = shutdown => {}
    }
    let _ = stop_tx.send(());
    drain(serving, shutdown_grace).await
}

/// Publishes `engine`'s info metrics and binds `/metrics` on `addr`;
/// returns the endpoint, not yet serving, and the address it got.
async fn bind_metrics(
    metrics: &Metrics,
    addr: SocketAddr,
    engine: &Engine,
) -> Result<(MetricsEndpoint, SocketAddr), RunError> {
    metrics.publish_info(engine);
    let bind_error = |source| RunError::BindMetrics { addr, source };
    let endpoint = metrics.bind(addr).await.map_err(bind_error)?;
    let bound = endpoint.local_addr().map_err(bind_error)?;
    Ok((endpoint, bound))
}

/// Waits up to `grace` for the server to finish its in-flight calls.
async fn drain(
    serving: impl Future<Output = Result<(), ServeError>>,
    grace: Duration,
) -> Result<(), RunError> {
    match tokio::time::timeout(grace, serving).await {
        Ok(ended) => {
            tracing::info!("drained; bye");
            Ok(ended?)
        }
        Err(_) => {
            tracing::warn!(
                grace_secs = grace.as_secs(),
                "calls still running after the shutdown grace period were dropped"
            );
            Ok(())
        }
    }
}

/// The stdout lines a supervisor or test harness waits for: the gRPC
/// address, then the metrics address when metrics are on.
fn announce(addr: SocketAddr, metrics: Option<SocketAddr>) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "hqld listening on {addr}")?;
    if let Some(metrics) = metrics {
        writeln!(stdout, "hqld metrics on {metrics}")?;
    }
    stdout.flush()
}

/// Aborts a spawned task when dropped, so nothing outlives [`run`].
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What was loaded, so the log tells which builds decide.
fn log_loaded(engine: &Engine) {
    for scorer in engine.scorers() {
        tracing::info!(
            scorer = %scorer.name,
            plugin = %scorer.plugin,
            version = %scorer.version,
            library = %scorer.library,
            sha256 = %scorer.library_sha256,
            "scorer loaded"
        );
    }
    let policy = engine.policy();
    tracing::info!(
        policy = %policy.name,
        version = %policy.version,
        digest = %policy.digest,
        "policy loaded"
    );
}
