//! SIGINT and SIGTERM as one future.
//!
//! The handlers are registered when [`signals`] is called, not when its
//! future is first polled: a supervisor may send SIGTERM the moment it reads
//! the "listening" line, and a signal that arrives before registration would
//! kill the process with the default action instead of draining it.

use std::future::Future;
use std::io;

/// Registers the SIGINT and SIGTERM handlers now and returns a future that
/// completes on the first of them. Must be called inside a tokio runtime.
#[cfg(unix)]
pub fn signals() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};

    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        tracing::info!(signal = name, "shutdown requested: no new connections, draining");
    })
}

/// Ctrl-C as the shutdown signal where Unix signals do not exist.
#[cfg(not(unix))]
pub fn signals() -> io::Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!(signal = "ctrl-c", "shutdown requested: no new connections, draining");
        } else {
            // Without a working handler, never shut down on a signal.
            std::future::pending::<()>().await;
        }
    })
}
