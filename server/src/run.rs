//! The daemon's life, in order: load, bind, announce, serve, drain.
//!
//! Nothing is served from a policy or plugin that fails to load: [`run`]
//! returns [`RunError::Load`] before binding, and `hqld` exits with code 2.
//! Once the listener is bound, exactly one line goes to stdout,
//! `hqld listening on <ip:port>` with the real bound address, so a harness
//! started with `--listen 127.0.0.1:0` learns the port. After the shutdown
//! future completes, in-flight calls get the grace period to finish; calls
//! still running then (typically long-lived streams) are dropped.

use std::future::Future;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::Duration;

use hql_qualifier::{Engine, LoadError, LoadOptions, ScorerSource};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::config::Settings;
use crate::server::{ServeError, serve};

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
            RunError::Bind { .. } | RunError::Announce(_) | RunError::Serve(_) => 1,
        }
    }
}

/// Loads the engine, binds, prints `hqld listening on <addr>` to stdout and
/// serves until `shutdown` completes, then drains for at most
/// `settings.shutdown_grace`.
pub async fn run(settings: Settings, shutdown: impl Future<Output = ()>) -> Result<(), RunError> {
    let Settings { listen, policy, plugin_dir, limits, log_format: _, shutdown_grace } = settings;
    let engine =
        Engine::load(&LoadOptions { policy_path: policy, scorers: ScorerSource::PluginDir(plugin_dir) })?;
    log_loaded(&engine);

    let listener =
        TcpListener::bind(listen).await.map_err(|source| RunError::Bind { addr: listen, source })?;
    let addr = listener.local_addr().map_err(|source| RunError::Bind { addr: listen, source })?;
    announce(addr).map_err(RunError::Announce)?;
    tracing::info!(%addr, ?limits, "serving hql.v1.LeadQualificationService");

    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let serving = serve(listener, engine, limits, async {
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

/// The one stdout line a supervisor or test harness waits for.
fn announce(addr: SocketAddr) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "hqld listening on {addr}")?;
    stdout.flush()
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
