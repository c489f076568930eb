//! The command line and the typed settings built from it.
//!
//! Flags are parsed by clap into [`Cli`], which stays close to what was typed;
//! [`Settings::try_from`] checks what clap cannot (ranges, a directory that
//! must exist) and names the offending flag, so an operator reading
//! `hqld: --max-batch-size: ...` knows what to change. Everything after this
//! point works with [`Settings`] and [`Limits`] only.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// Default `--max-message-bytes`: 16 MiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
/// Default `--max-events-per-lead`.
pub const DEFAULT_MAX_EVENTS_PER_LEAD: usize = 10_000;
/// Default `--max-batch-size`.
pub const DEFAULT_MAX_BATCH_SIZE: usize = 1_000;
/// Default `--shutdown-grace`, in seconds: Kubernetes' default
/// `terminationGracePeriodSeconds`.
pub const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 30;
/// Default `--policy-poll-ms`: how often the policy file is checked for a
/// change (a ConfigMap update takes up to a minute to reach the pod anyway).
pub const DEFAULT_POLICY_POLL_MS: u64 = 2_000;
/// Default `--metrics-listen`: loopback, on the port commonly used for
/// Prometheus exporters; a container sets `0.0.0.0:9464`.
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9464";

/// Smallest `--max-message-bytes` accepted: below this not even a small lead fits.
const MIN_MESSAGE_BYTES: usize = 1024;
/// Largest `--max-message-bytes` accepted: gRPC frames carry a 32-bit length,
/// and a gigabyte message is a mistake, not a workload.
const MAX_MESSAGE_BYTES: usize = 1024 * 1024 * 1024;

/// `hqld`'s command line.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "hqld",
    version,
    about = "Qualifies leads through scorer plugins under a versioned policy, over gRPC",
    long_about = None
)]
pub struct Cli {
    /// Address to listen on; port 0 picks a free port (the bound address is
    /// printed on stdout).
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,

    /// Address serving Prometheus metrics at `GET /metrics` (HTTP/1.1, its
    /// own port); port 0 picks a free port (printed on stdout after the
    /// listening line). `off`, or an empty value, serves no metrics and
    /// records none.
    #[arg(
        long,
        value_name = "IP:PORT|off",
        env = "HQL_METRICS_LISTEN",
        default_value = DEFAULT_METRICS_LISTEN
    )]
    pub metrics_listen: MetricsListen,

    /// The policy file (TOML).
    #[arg(long, value_name = "FILE", default_value = "policies/default.toml")]
    pub policy: PathBuf,

    /// Directory holding the scorer plugin libraries the policy names
    /// [default: the directory holding hqld, where `cargo build` puts the
    /// bundled plugins].
    #[arg(long, value_name = "DIR", env = "HQL_PLUGIN_DIR")]
    pub plugin_dir: Option<PathBuf>,

    /// Most events one lead may carry.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_EVENTS_PER_LEAD)]
    pub max_events_per_lead: usize,

    /// Most leads one QualifyBatch call may carry.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_BATCH_SIZE)]
    pub max_batch_size: usize,

    /// Largest gRPC message accepted or sent, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_MESSAGE_BYTES)]
    pub max_message_bytes: usize,

    /// Log format on stderr: `auto` is text on a terminal and JSON otherwise
    /// (a container, a file, a pipe). The level comes from RUST_LOG, default info.
    #[arg(long, value_enum, default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,

    /// Seconds to let in-flight calls finish after SIGINT/SIGTERM before
    /// closing them.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_SHUTDOWN_GRACE_SECS)]
    pub shutdown_grace: u64,

    /// How often to check the policy file for a change and reload it, in
    /// milliseconds; 0 turns the check off (SIGHUP still reloads).
    #[arg(long, value_name = "MS", env = "HQL_POLICY_POLL_MS", default_value_t = DEFAULT_POLICY_POLL_MS)]
    pub policy_poll_ms: u64,
}

/// `--metrics-listen`: an address, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsListen {
    /// No metrics: no listener, no recorder.
    Off,
    /// Serve `/metrics` on this address.
    On(SocketAddr),
}

impl MetricsListen {
    /// The address to serve on, if any.
    pub fn addr(self) -> Option<SocketAddr> {
        match self {
            MetricsListen::Off => None,
            MetricsListen::On(addr) => Some(addr),
        }
    }
}

impl FromStr for MetricsListen {
    type Err = String;

    /// `off` (any case) or an empty value is [`MetricsListen::Off`]; anything
    /// else must be an `IP:PORT` socket address.
    fn from_str(value: &str) -> Result<MetricsListen, String> {
        let value = value.trim();
        if value.is_empty() || value.eq_ignore_ascii_case("off") {
            return Ok(MetricsListen::Off);
        }
        value.parse().map(MetricsListen::On).map_err(|_| {
            format!(
                "`{value}` is not an IP:PORT address; use e.g. 0.0.0.0:9464, or `off` to serve no metrics"
            )
        })
    }
}

impl fmt::Display for MetricsListen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricsListen::Off => f.write_str("off"),
            MetricsListen::On(addr) => addr.fmt(f),
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Text when stderr is a terminal, JSON otherwise.
    Auto,
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Bounds on what one request may ask of the server. Each is also a field
/// violation a client can read (`lead.events`, `leads`), not a silent cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most events one lead may carry (`lead.events`).
    pub max_events_per_lead: usize,
    /// Most leads in one QualifyBatch call (`leads`).
    pub max_batch_size: usize,
    /// Largest gRPC message decoded or encoded, in bytes.
    pub max_message_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_events_per_lead: DEFAULT_MAX_EVENTS_PER_LEAD,
            max_batch_size: DEFAULT_MAX_BATCH_SIZE,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
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
    /// How long in-flight calls may run after a shutdown signal.
    pub shutdown_grace: Duration,
    /// How often the policy file is checked for a change; `None`: never
    /// (SIGHUP still reloads).
    pub policy_poll: Option<Duration>,
}

/// A flag whose value cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--{flag}: {message}")]
pub struct ConfigError {
    /// The flag, without its dashes.
    pub flag: &'static str,
    /// What is wrong and what would do.
    pub message: String,
}

impl ConfigError {
    fn new(flag: &'static str, message: impl Into<String>) -> ConfigError {
        ConfigError { flag, message: message.into() }
    }
}

impl TryFrom<Cli> for Settings {
    type Error = ConfigError;

    fn try_from(cli: Cli) -> Result<Settings, ConfigError> {
        let Cli {
            listen,
            metrics_listen,
            policy,
            plugin_dir,
            max_events_per_lead,
            max_batch_size,
            max_message_bytes,
            log_format,
            shutdown_grace,
            policy_poll_ms,
        } = cli;
        if max_events_per_lead == 0 {
            return Err(ConfigError::new("max-events-per-lead", "must be at least 1"));
        }
        if max_batch_size == 0 {
            return Err(ConfigError::new("max-batch-size", "must be at least 1"));
        }
        if !(MIN_MESSAGE_BYTES..=MAX_MESSAGE_BYTES).contains(&max_message_bytes) {
            return Err(ConfigError::new(
                "max-message-bytes",
                format!(
                    "{max_message_bytes} is out of range: use {MIN_MESSAGE_BYTES} to \
                     {MAX_MESSAGE_BYTES} bytes"
                ),
            ));
        }
        let plugin_dir = match plugin_dir {
            Some(dir) => dir,
            None => executable_dir().ok_or_else(|| {
                ConfigError::new(
                    "plugin-dir",
                    "cannot tell where hqld is installed; set it or HQL_PLUGIN_DIR",
                )
            })?,
        };
        if !plugin_dir.is_dir() {
            return Err(ConfigError::new(
                "plugin-dir",
                format!("{} is not a directory (set it or HQL_PLUGIN_DIR)", plugin_dir.display()),
            ));
        }
        Ok(Settings {
            listen,
            metrics_listen: metrics_listen.addr(),
            policy,
            plugin_dir,
            limits: Limits { max_events_per_lead, max_batch_size, max_message_bytes },
            log_format,
            shutdown_grace: Duration::from_secs(shutdown_grace),
            policy_poll: (policy_poll_ms > 0).then(|| Duration::from_millis(policy_poll_ms)),
        })
    }
}

/// The directory of the running executable: `target/release` after
/// `cargo build --release`, next to the bundled plugin libraries.
fn executable_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.parent().map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("hqld").chain(args.iter().copied()))
    }

    /// A directory that exists on every machine running the tests.
    fn existing_dir() -> String {
        std::env::temp_dir().display().to_string()
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let dir = existing_dir();
        let cli = parse(&["--plugin-dir", &dir]).expect("parses");
        let settings = Settings::try_from(cli).expect("valid");
        assert_eq!(settings.listen, "127.0.0.1:50051".parse::<SocketAddr>().expect("addr"));
        assert_eq!(settings.policy, PathBuf::from("policies/default.toml"));
        assert_eq!(settings.limits, Limits::default());
        assert_eq!(settings.limits.max_events_per_lead, 10_000);
        assert_eq!(settings.limits.max_batch_size, 1_000);
        assert_eq!(settings.limits.max_message_bytes, 16 * 1024 * 1024);
        assert_eq!(settings.log_format, LogFormat::Auto);
        assert_eq!(settings.shutdown_grace, Duration::from_secs(30));
        // Unless HQL_METRICS_LISTEN is set in the environment running the tests.
        if std::env::var_os("HQL_METRICS_LISTEN").is_none() {
            assert_eq!(settings.metrics_listen, Some("127.0.0.1:9464".parse().expect("addr")));
        }
    }

    #[test]
    fn every_flag_is_read() {
        let dir = existing_dir();
        let cli = parse(&[
            "--listen",
            "0.0.0.0:0",
            "--metrics-listen",
            "0.0.0.0:9100",
            "--policy",
            "p.toml",
            "--plugin-dir",
            &dir,
            "--max-events-per-lead",
            "5",
            "--max-batch-size",
            "7",
            "--max-message-bytes",
            "4096",
            "--log-format",
            "json",
            "--shutdown-grace",
            "3",
        ])
        .expect("parses");
        let settings = Settings::try_from(cli).expect("valid");
        assert_eq!(settings.listen.port(), 0);
        assert_eq!(settings.metrics_listen, Some("0.0.0.0:9100".parse().expect("addr")));
        assert_eq!(settings.policy, PathBuf::from("p.toml"));
        assert_eq!(
            settings.limits,
            Limits { max_events_per_lead: 5, max_batch_size: 7, max_message_bytes: 4096 }
        );
        assert_eq!(settings.log_format, LogFormat::Json);
        assert_eq!(settings.shutdown_grace, Duration::from_secs(3));
    }

    #[test]
    fn a_bad_listen_address_is_refused_by_the_parser() {
        let dir = existing_dir();
        let err = parse(&["--plugin-dir", &dir, "--listen", "nowhere"]).expect_err("refused");
        assert!(err.to_string().contains("--listen"), "{err}");
    }

    #[test]
    fn metrics_can_be_turned_off() {
        let dir = existing_dir();
        for off in [["--metrics-listen", "off"], ["--metrics-listen", "OFF"], ["--metrics-listen", ""]] {
            let cli = parse(&["--plugin-dir", &dir, off[0], off[1]]).expect("parses");
            let settings = Settings::try_from(cli).expect("valid");
            assert_eq!(settings.metrics_listen, None, "{off:?}");
        }
        let cli = parse(&["--plugin-dir", &dir, "--metrics-listen="]).expect("parses");
        assert_eq!(Settings::try_from(cli).expect("valid").metrics_listen, None);
    }

    #[test]
    fn a_bad_metrics_address_is_refused_by_the_parser() {
        let dir = existing_dir();
        for bad in ["nowhere", "9464", "localhost:9464", "on"] {
            let err = parse(&["--plugin-dir", &dir, "--metrics-listen", bad]).expect_err("refused");
            assert!(err.to_string().contains("--metrics-listen"), "{err}");
            assert!(err.to_string().contains("`off`"), "{err}");
        }
    }

    #[test]
    fn metrics_listen_reads_back_as_typed() {
        for text in ["off", "127.0.0.1:9464", "[::1]:0"] {
            let parsed: MetricsListen = text.parse().expect("parses");
            assert_eq!(parsed.to_string(), text);
        }
    }

    #[test]
    fn out_of_range_values_name_their_flag() {
        let dir = existing_dir();
        let cases: [(&[&str], &str); 4] = [
            (&["--max-events-per-lead", "0"], "max-events-per-lead"),
            (&["--max-batch-size", "0"], "max-batch-size"),
            (&["--max-message-bytes", "10"], "max-message-bytes"),
            (&["--max-message-bytes", "99999999999"], "max-message-bytes"),
        ];
        for (extra, flag) in cases {
            let mut args = vec!["--plugin-dir", dir.as_str()];
            args.extend_from_slice(extra);
            let err = Settings::try_from(parse(&args).expect("parses")).expect_err("refused");
            assert_eq!(err.flag, flag);
            assert!(err.to_string().starts_with(&format!("--{flag}: ")), "{err}");
        }
    }

    #[test]
    fn the_plugin_dir_defaults_to_where_the_executable_is() {
        // Unless HQL_PLUGIN_DIR is set in the environment running the tests.
        if std::env::var_os("HQL_PLUGIN_DIR").is_some() {
            return;
        }
        let settings = Settings::try_from(parse(&[]).expect("parses")).expect("valid");
        let exe = std::env::current_exe().expect("current exe");
        assert_eq!(Some(settings.plugin_dir.as_path()), exe.parent());
    }

    #[test]
    fn a_missing_plugin_dir_names_the_flag() {
        let missing = std::env::temp_dir().join("hqld-config-test-no-such-dir");
        let missing = missing.display().to_string();
        let err =
            Settings::try_from(parse(&["--plugin-dir", &missing]).expect("parses")).expect_err("refused");
        assert_eq!(err.flag, "plugin-dir");
    }
}
