//! The command line: `run`, `floor`, `compare`.
//!
//! The client settings are one flattened group shared by `run` and
//! `compare`, so a figure measured by one can be reproduced by the other
//! with the same flags. Durations take a unit (`500ms`, `10s`, `2m`; a bare
//! number is seconds).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::compare::HqldCommand;
use crate::spec::{LoadSpec, Mode};
use crate::workload::Shape;

/// `hql-load`'s command line.
#[derive(Debug, Parser)]
#[command(
    name = "hql-load",
    version,
    about = "Load harness for hqld: drives it over gRPC and compares it with a do-nothing floor server"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load one server (at --target, or an hqld started from --hqld) in one mode.
    Run(RunArgs),
    /// Serve the floor: the service API answering with hqld's captured answers, doing no work.
    Floor(FloorArgs),
    /// Start hqld and the floor, run every mode on both back to back, and print a comparison.
    Compare(CompareArgs),
}

/// Client settings.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// HTTP/2 connections to open.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
    /// Calls in flight across all connections (stream: messages in flight,
    /// split over one stream per connection).
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Load before measuring.
    #[arg(long, value_parser = parse_duration, default_value = "2s")]
    pub warmup: Duration,
    /// Measured time per run.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub duration: Duration,
    /// Per-call deadline.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub timeout: Duration,
    /// Leads per QualifyBatch call.
    #[arg(long, default_value_t = 100)]
    pub batch_size: usize,
    /// Seed of the lead generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Distinct leads to cycle through.
    #[arg(long, default_value_t = 1024)]
    pub leads: usize,
    /// Which leads: as a CRM sends them (about 1.5 KB each) or the scored
    /// fields only (about 0.75 KB).
    #[arg(long, value_enum, default_value_t = Shape::Attributed)]
    pub shape: Shape,
    /// Client runtime threads [default: one per core].
    #[arg(long)]
    pub client_threads: Option<usize>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl LoadArgs {
    /// The spec for `mode` at `rate`.
    pub fn spec(&self, mode: Mode, rate: Option<f64>) -> LoadSpec {
        LoadSpec {
            mode,
            connections: self.connections.max(1),
            concurrency: self.concurrency.max(1),
            warmup: self.warmup,
            duration: self.duration,
            rate,
            timeout: self.timeout,
        }
    }
}

/// How to start `hqld`.
#[derive(Debug, Clone, Args)]
pub struct HqldArgs {
    /// The hqld binary to start (e.g. target/release/hqld).
    #[arg(long, value_name = "PATH")]
    pub hqld: Option<PathBuf>,
    /// Policy file for the started hqld.
    #[arg(long, value_name = "FILE", default_value = "policies/default.toml")]
    pub policy: PathBuf,
    /// Plugin directory for the started hqld [default: hqld's own directory].
    #[arg(long, value_name = "DIR")]
    pub plugin_dir: Option<PathBuf>,
    /// Start hqld with its Prometheus endpoint on (a free loopback port) and
    /// report its own handling time (grpc_server_handling_seconds) beside
    /// the client's latency; hqld then pays for its metrics.
    #[arg(long, requires = "hqld")]
    pub hqld_metrics: bool,
}

impl HqldArgs {
    /// The command, when `--hqld` was given.
    pub fn command(&self) -> Option<HqldCommand> {
        self.hqld.clone().map(|binary| HqldCommand {
            binary,
            policy: self.policy.clone(),
            plugin_dir: self.plugin_dir.clone(),
            metrics: self.hqld_metrics,
        })
    }
}

/// `hql-load run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The RPC to drive.
    #[arg(long, value_enum, default_value_t = Mode::Unary)]
    pub mode: Mode,
    /// A running server, `http://IP:PORT` (instead of --hqld).
    #[arg(long, value_name = "URL", conflicts_with = "hqld", required_unless_present = "hqld")]
    pub target: Option<String>,
    /// The target server's pid, for its CPU and memory (same machine only).
    #[arg(long, value_name = "PID", requires = "target")]
    pub server_pid: Option<u32>,
    /// The target server's Prometheus endpoint (`http://IP:PORT/metrics`),
    /// for its own handling time (grpc_server_handling_seconds) beside the
    /// client's latency.
    #[arg(long, value_name = "URL", requires = "target")]
    pub server_metrics: Option<String>,
    /// Calls per second (stream: messages per second) instead of as fast
    /// as answers come.
    #[arg(long, value_name = "R")]
    pub rate: Option<f64>,
    /// Client settings.
    #[command(flatten)]
    pub load: LoadArgs,
    /// hqld to start.
    #[command(flatten)]
    pub hqld: HqldArgs,
}

/// `hql-load floor`.
#[derive(Debug, Clone, Args)]
pub struct FloorArgs {
    /// Address to listen on; port 0 picks a free one (printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
    /// The hqld whose answers to replay, `http://IP:PORT`.
    #[arg(long, value_name = "URL")]
    pub capture_from: String,
    /// Seed of the lead generator (as the client's).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Leads to capture answers for (as the client's).
    #[arg(long, default_value_t = 1024)]
    pub leads: usize,
    /// Which leads (as the client's).
    #[arg(long, value_enum, default_value_t = Shape::Attributed)]
    pub shape: Shape,
}

/// `hql-load compare`.
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Modes to run, in order.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "unary,batch,stream,explain")]
    pub modes: Vec<Mode>,
    /// Skip the runs paced at half of hqld's peak.
    #[arg(long)]
    pub no_half_peak: bool,
    /// Closed-loop pairs per mode, alternating which server goes first; the
    /// median round's ratio is reported, with the spread of all of them.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=25))]
    pub rounds: u16,
    /// Client settings.
    #[command(flatten)]
    pub load: LoadArgs,
    /// hqld to start (--hqld is required).
    #[command(flatten)]
    pub hqld: HqldArgs,
}

/// `500ms`, `10s`, `1.5s`, `2m`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 =
        number.parse().map_err(|_| format!("{text:?} is not a duration such as 10s or 500ms"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        other => return Err(format!("unknown unit {other:?} (use ms, s or m)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations_take_units() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("10h").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn compare_takes_a_list_of_modes() {
        let cli = Cli::try_parse_from([
            "hql-load",
            "compare",
            "--hqld",
            "hqld",
            "--modes",
            "unary,stream",
            "--duration",
            "1s",
        ])
        .expect("parses");
        let Command::Compare(args) = cli.command else { panic!("compare") };
        assert_eq!(args.modes, vec![Mode::Unary, Mode::Stream]);
        assert_eq!(args.rounds, 1);
        assert_eq!(args.load.spec(Mode::Unary, None).duration, Duration::from_secs(1));
    }

    #[test]
    fn compare_rounds_are_bounded() {
        let parse =
            |rounds: &str| Cli::try_parse_from(["hql-load", "compare", "--hqld", "h", "--rounds", rounds]);
        assert!(parse("0").is_err());
        assert!(parse("26").is_err());
        let Ok(Cli { command: Command::Compare(args), .. }) = parse("3") else { panic!("parses") };
        assert_eq!(args.rounds, 3);
    }

    #[test]
    fn run_needs_a_target_or_an_hqld() {
        assert!(Cli::try_parse_from(["hql-load", "run"]).is_err());
        assert!(Cli::try_parse_from(["hql-load", "run", "--target", "http://127.0.0.1:1"]).is_ok());
        assert!(Cli::try_parse_from(["hql-load", "run", "--hqld", "x", "--target", "http://a:1"]).is_err());
    }
}
