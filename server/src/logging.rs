//! Logs go to stderr, so stdout stays free for the one line a supervisor or
//! test harness waits for (`hqld listening on ...`).
//!
//! The level comes from `RUST_LOG` (default `info`); a malformed directive is
//! dropped rather than fatal, since logging must never stop the server from
//! starting. JSON output is for log collectors and is what `auto` (the
//! default) writes when stderr is not a terminal, as in a container; text is
//! for people, with
//! colours only when stderr is a terminal and `NO_COLOR` is unset, so a log
//! file or `kubectl logs` never carries escape codes.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Does nothing if one is already installed
/// (tests, or an embedding program that set up its own).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::builder().with_default_directive(LevelFilter::INFO.into()).from_env_lossy();
    let terminal = std::io::stderr().is_terminal();
    let colour = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colour);
    // `try_init` fails only when a subscriber is already set; that one wins.
    let json = match format {
        LogFormat::Auto => !terminal,
        LogFormat::Text => false,
        LogFormat::Json => true,
    };
    let _already_set = if json { builder.json().try_init() } else { builder.try_init() };
}
