//! `hqld`'s configuration: one typed [`Settings`], built from three layers.
//!
//! Every setting can be given as a key in a TOML file (`--config FILE` or
//! `HQL_CONFIG`), as an `HQL_*` environment variable, or as a flag; for each
//! key the flag wins over the variable, the variable over the file, and the
//! file over the default. That is the order in which a deployment narrows
//! things down: a file (a ConfigMap) for what a cluster shares, variables
//! for what a Deployment changes, flags for a one-off run.
//!
//! Map of the module, one job per file:
//! - `keys`: every setting's file key, variable and flag, spelled once;
//! - `defaults`: every default, in one place;
//! - `value`: how each kind of value is written and checked, shared by
//!   the three layers so an error is the same whichever layer it is in;
//! - `cli`: the flags ([`Cli`]), none with a default, so "not given" is
//!   distinguishable from "given the default";
//! - `env`: the `HQL_*` variables ([`Env`]), unknown ones refused;
//! - `file`: the TOML file, unknown keys refused with their line;
//! - `resolve`: the layering, and each value's [`Origin`].
//!
//! Whatever is wrong is refused before anything starts, naming the setting
//! as the operator wrote it (`--max-batch-size: ...`,
//! `HQL_LIMITS_MAX_BATCH_SIZE: ...`, `hqld.toml:4:18: limits.max_batch_size:
//! ...`), and `hqld` exits with code 2. Everything after this module works
//! with [`Settings`] only.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

mod cli;
mod defaults;
mod env;
mod file;
pub mod keys;
mod resolve;
mod value;

pub use cli::Cli;
pub use defaults::*;
pub use env::Env;
pub use file::Location;
pub use resolve::{Origin, Source, load};
pub use value::{Humane, LogFormat, MAX_MESSAGE_BYTES, MIN_MESSAGE_BYTES, MetricsListen, Toggle};

/// Bounds on what requests may ask of the server. The per-request ones are
/// field violations a client can read (`lead.events`, `leads`), not a
/// silent cut; the concurrency one is RESOURCE_EXHAUSTED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most events one lead may carry (`lead.events`).
    pub max_events_per_lead: usize,
    /// Most leads in one QualifyBatch call (`leads`).
    pub max_batch_size: usize,
    /// Largest gRPC message decoded or encoded, in bytes.
    pub max_message_bytes: usize,
    /// Most qualification calls in flight at once; more are shed.
    pub max_concurrent_requests: usize,
    /// Threads running decisions (tokio's blocking pool); more calls queue.
    pub decision_threads: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_events_per_lead: DEFAULT_MAX_EVENTS_PER_LEAD,
            max_batch_size: DEFAULT_MAX_BATCH_SIZE,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            decision_threads: default_decision_threads(),
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
        }
    }
}

/// How connections are kept and bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transport {
    /// HTTP/2 PING interval on a connection; `None`: no PINGs.
    pub keepalive_interval: Option<Duration>,
    /// How long a PING may go unanswered before the connection is closed.
    pub keepalive_timeout: Duration,
    /// TCP keepalive idle time; `None`: the kernel's default (off).
    pub tcp_keepalive: Option<Duration>,
    /// HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS`.
    pub max_concurrent_streams: u32,
    /// Age at which a connection is gracefully closed; `None`: never.
    pub max_connection_age: Option<Duration>,
    /// How long calls may still run on a connection past its age; `None`: as long as they take.
    pub max_connection_age_grace: Option<Duration>,
}

impl Default for Transport {
    fn default() -> Transport {
        Transport {
            keepalive_interval: DEFAULT_KEEPALIVE_INTERVAL,
            keepalive_timeout: DEFAULT_KEEPALIVE_TIMEOUT,
            tcp_keepalive: DEFAULT_TCP_KEEPALIVE,
            max_concurrent_streams: DEFAULT_MAX_CONCURRENT_STREAMS,
            max_connection_age: DEFAULT_MAX_CONNECTION_AGE,
            max_connection_age_grace: DEFAULT_MAX_CONNECTION_AGE_GRACE,
        }
    }
}

/// Everything `hqld` needs to run, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Address to bind.
    pub listen: SocketAddr,
    /// Address to serve `/metrics` on; `None` when metrics are off.
    pub metrics_listen: Option<SocketAddr>,
    /// The policy file.
    pub policy: PathBuf,
    /// The plugin directory.
    pub plugin_dir: PathBuf,
    /// Request limits.
    pub limits: Limits,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter (`RUST_LOG` syntax), checked.
    pub log_level: String,
    /// How long in-flight calls may run after a shutdown signal.
    pub shutdown_grace: Duration,
    /// How often the policy file is checked for a change; `None`: never
    /// (SIGHUP still reloads).
    pub policy_poll: Option<Duration>,
    /// Connection keepalive and bounds.
    pub transport: Transport,
}

/// The configuration built from all layers: the settings, the file they
/// were read from, and where each value came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The settings.
    pub settings: Settings,
    /// The config file, if one was named.
    pub file: Option<PathBuf>,
    /// Each setting's value and layer, in [`keys::ALL`]'s order.
    pub sources: Vec<Source>,
}

/// A configuration that cannot be used. Its message starts with the
/// setting as the operator wrote it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value that cannot be used.
    #[error("{at}: {message}")]
    Invalid {
        /// The setting: `--max-batch-size`, `HQL_LIMITS_MAX_BATCH_SIZE`,
        /// `hqld.toml:4:18: limits.max_batch_size`.
        at: String,
        /// What is wrong and what would do.
        message: String,
    },
    /// The config file is not valid TOML or has a key that is not a setting.
    #[error("{at}: {message}")]
    File {
        /// Where.
        at: Location,
        /// What.
        message: String,
    },
    /// The config file cannot be read.
    #[error("cannot read config file {}: {source}", path.display())]
    ReadFile {
        /// The file, as given.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

impl ConfigError {
    /// A value refused, `at` naming it.
    pub fn invalid(at: String, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid { at, message: message.into() }
    }
}

#[cfg(test)]
mod tests;
