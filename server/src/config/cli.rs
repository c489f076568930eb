//! The command line: the top layer of the configuration.
//!
//! No flag has a default here. A flag that was not given is `None`, which is
//! how the resolver ([`super::resolve`]) tells "not given" from "given the
//! default value" and lets the environment and the file decide instead.
//! The defaults live in one place, [`super::defaults`]; the help text repeats
//! each default and variable for the reader, and a unit test checks it
//! against that place and [`super::keys`].
//!
//! Values are parsed by the same functions as the other layers
//! ([`super::value`]), so clap's own error (`invalid value '0' for
//! '--max-batch-size <N>': must be at least 1`) already names the flag and
//! exits with code 2.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use super::value::{self, Humane, LogFormat, MetricsListen, Toggle};

/// `hqld`'s command line.
#[derive(Debug, Clone, Default, PartialEq, Parser)]
#[command(
    name = "hqld",
    version,
    about = "Qualifies leads through scorer plugins under a versioned policy, over gRPC",
    long_about = None,
    after_help = "Every setting can also come from a TOML file (--config) or an HQL_* variable. \
                  Precedence: flag, then variable, then file, then default. \
                  docs/operations.md lists every key."
)]
pub struct Cli {
    /// Configuration file (TOML); flags and HQL_* variables override it
    /// [env: HQL_CONFIG]
    #[arg(long, value_name = "FILE", value_parser = value::path)]
    pub config: Option<PathBuf>,

    /// Build the configuration, load the policy and every plugin as serving
    /// would, print a summary and exit: 0 if it would serve, 2 if not. Binds
    /// nothing.
    #[arg(long)]
    pub check_config: bool,

    /// Address to listen on; port 0 picks a free port (the bound address is
    /// printed on stdout) [env: HQL_LISTEN] [default: 127.0.0.1:50051]
    #[arg(long, value_name = "IP:PORT", value_parser = value::socket_addr)]
    pub listen: Option<SocketAddr>,

    /// Address serving Prometheus metrics at `GET /metrics` (HTTP/1.1, its
    /// own port; port 0 picks a free one, printed on stdout after the
    /// listening line); `off` or an empty value serves and records none
    /// [env: HQL_METRICS_LISTEN] [default: 127.0.0.1:9464]
    #[arg(long, value_name = "IP:PORT|off", value_parser = value::metrics_listen)]
    pub metrics_listen: Option<MetricsListen>,

    /// The policy file (TOML) [env: HQL_POLICY] [default: policies/default.toml]
    #[arg(long, value_name = "FILE", value_parser = value::path)]
    pub policy: Option<PathBuf>,

    /// Directory holding the scorer plugin libraries the policy names
    /// [env: HQL_PLUGIN_DIR] [default: the directory holding hqld, where
    /// `cargo build` puts the bundled plugins]
    #[arg(long, value_name = "DIR", value_parser = value::path)]
    pub plugin_dir: Option<PathBuf>,

    /// Log format on stderr: `auto` is text on a terminal and JSON otherwise
    /// (a container, a file, a pipe) [env: HQL_LOG_FORMAT] [default: auto]
    #[arg(long, value_name = "auto|text|json", value_parser = value::log_format)]
    pub log_format: Option<LogFormat>,

    /// Log filter: a level (`debug`) or directives (`warn,hql_server=debug`)
    /// [env: HQL_LOG_LEVEL, else RUST_LOG] [default: info]
    #[arg(long, value_name = "FILTER", value_parser = value::log_level)]
    pub log_level: Option<String>,

    /// How long in-flight calls may finish after SIGINT/SIGTERM before they
    /// are closed (`25s`; a bare number is seconds)
    /// [env: HQL_SHUTDOWN_GRACE] [default: 30s]
    #[arg(long, value_name = "DURATION", value_parser = value::shutdown_grace)]
    pub shutdown_grace: Option<Humane>,

    /// How often to check the policy file for a change and reload it
    /// (`500ms`, `2s`), or `off` (SIGHUP still reloads)
    /// [env: HQL_POLICY_POLL_INTERVAL] [default: 2s]
    #[arg(long, value_name = "DURATION|off", value_parser = value::policy_poll_interval)]
    pub policy_poll_interval: Option<Toggle>,

    /// Largest gRPC message accepted or sent, in bytes
    /// [env: HQL_LIMITS_MAX_MESSAGE_BYTES] [default: 16777216]
    #[arg(long, value_name = "BYTES", value_parser = value::message_bytes)]
    pub max_message_bytes: Option<usize>,

    /// Most events one lead may carry
    /// [env: HQL_LIMITS_MAX_EVENTS_PER_LEAD] [default: 10000]
    #[arg(long, value_name = "N", value_parser = value::positive_count)]
    pub max_events_per_lead: Option<usize>,

    /// Most leads one QualifyBatch call may carry
    /// [env: HQL_LIMITS_MAX_BATCH_SIZE] [default: 1000]
    #[arg(long, value_name = "N", value_parser = value::positive_count)]
    pub max_batch_size: Option<usize>,

    /// Most qualification calls (Qualify, QualifyBatch, QualifyStream,
    /// Explain) in flight; more are refused at once with RESOURCE_EXHAUSTED
    /// [env: HQL_LIMITS_MAX_CONCURRENT_REQUESTS] [default: 512]
    #[arg(long, value_name = "N", value_parser = value::positive_count)]
    pub max_concurrent_requests: Option<usize>,

    /// Threads that run decisions (plugin code); calls beyond them queue
    /// [env: HQL_LIMITS_DECISION_THREADS] [default: 1 per core, at least 2]
    #[arg(long, value_name = "N", value_parser = value::positive_count)]
    pub decision_threads: Option<usize>,

    /// HTTP/2 PING interval on idle connections, or `off`
    /// [env: HQL_KEEPALIVE_INTERVAL] [default: 1m]
    #[arg(long, value_name = "DURATION|off", value_parser = value::keepalive_interval)]
    pub keepalive_interval: Option<Toggle>,

    /// How long a PING may go unanswered before the connection is closed
    /// [env: HQL_KEEPALIVE_TIMEOUT] [default: 20s]
    #[arg(long, value_name = "DURATION", value_parser = value::keepalive_timeout)]
    pub keepalive_timeout: Option<Humane>,

    /// TCP keepalive: idle time before the kernel probes a connection, or `off`
    /// [env: HQL_KEEPALIVE_TCP] [default: 1m]
    #[arg(long, value_name = "DURATION|off", value_parser = value::tcp_keepalive)]
    pub tcp_keepalive: Option<Toggle>,

    /// Most concurrent HTTP/2 streams (calls) per connection
    /// [env: HQL_CONNECTION_MAX_CONCURRENT_STREAMS] [default: 200]
    #[arg(long, value_name = "N", value_parser = value::stream_count)]
    pub max_concurrent_streams: Option<u32>,

    /// Close connections older than this (gracefully: GOAWAY, in-flight
    /// calls finish), so clients reconnect and rebalance, or `off`
    /// [env: HQL_CONNECTION_MAX_AGE] [default: off]
    #[arg(long, value_name = "DURATION|off", value_parser = value::max_connection_age)]
    pub max_connection_age: Option<Toggle>,

    /// After max-connection-age, how long calls still running on the
    /// connection may take before it is closed, or `off` (wait for them)
    /// [env: HQL_CONNECTION_MAX_AGE_GRACE] [default: off]
    #[arg(long, value_name = "DURATION|off", value_parser = value::max_connection_age_grace)]
    pub max_connection_age_grace: Option<Toggle>,
}
