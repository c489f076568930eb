//! `hqld` against the floor, mode by mode, with the same client.
//!
//! Absolute figures from a shared machine move between runs; the ratio of
//! `hqld` to the floor measured minutes apart with the same client, the
//! same leads and the same settings moves much less, and says how far the
//! service is from what its transport allows. So a comparison starts both
//! servers itself (`hqld` with metrics off unless asked for, the floor replaying `hqld`'s own
//! answers), runs each mode on the floor and then on `hqld`, and then, for
//! latency under a realistic load rather than at saturation, runs both again
//! paced at half of `hqld`'s measured peak.
//!
//! One pair of runs can still land on a quiet and a busy minute of a shared
//! machine. With `rounds` > 1 each mode runs that many pairs, alternating
//! which server goes first so a drift in the machine's load favours neither,
//! and reports the median round's ratio (with every round's, so the spread
//! is visible); its runs are the ones shown, and the half-peak rate comes
//! from it. Errors are counted over every round.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Runtime;

use crate::child::ServerProcess;
use crate::driver::{self, Target};
use crate::error::LoadError;
use crate::floor;
use crate::procfs::{self, Memory};
use crate::report::RunReport;
use crate::scrape::MetricsUrl;
use crate::spec::{LoadSpec, Mode};
use crate::workload::{Shape, Workload, WorkloadSizes};

/// How long a server may take to print its listening line (the floor
/// includes capturing every answer from `hqld`).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// Pause between runs, so one run's stragglers do not land in the next.
const SETTLE: Duration = Duration::from_millis(500);

/// The line prefix `hqld` prints once bound.
pub const HQLD_LISTENING_PREFIX: &str = "hqld listening on ";

/// The line prefix `hqld` prints with its metrics address, when metrics are on.
pub const HQLD_METRICS_PREFIX: &str = "hqld metrics on ";

/// How to start `hqld`.
#[derive(Debug, Clone)]
pub struct HqldCommand {
    /// The binary.
    pub binary: PathBuf,
    /// `--policy`.
    pub policy: PathBuf,
    /// `--plugin-dir`; `None` lets `hqld` use the directory it is in.
    pub plugin_dir: Option<PathBuf>,
    /// Serve its Prometheus endpoint (on a free loopback port), so that runs
    /// read its own handling-time histogram ([`crate::scrape`]). Off by
    /// default: the floor has no metrics, and a comparison measures what
    /// the service's work costs beside it.
    pub metrics: bool,
}

impl HqldCommand {
    /// Starts `hqld` on a free loopback port, its metrics off or on
    /// another free one, and waits until it listens.
    pub fn start(&self) -> Result<ServerProcess, LoadError> {
        let mut command = Command::new(&self.binary);
        let metrics_listen = if self.metrics { "127.0.0.1:0" } else { "off" };
        command
            .args(["--listen", "127.0.0.1:0", "--metrics-listen", metrics_listen, "--policy"])
            .arg(&self.policy);
        if let Some(dir) = &self.plugin_dir {
            command.arg("--plugin-dir").arg(dir);
        }
        command.env("NO_COLOR", "1");
        let also = self.metrics.then_some(HQLD_METRICS_PREFIX);
        ServerProcess::spawn_announcing(command, HQLD_LISTENING_PREFIX, also, STARTUP_TIMEOUT)
    }
}

/// The load target of a started `hqld`, its metrics endpoint included when
/// it serves one.
pub fn hqld_target(server: &ServerProcess) -> Target {
    Target { metrics: server.also().map(MetricsUrl::at), ..target("hqld", server) }
}

/// Starts the floor (`hql-load floor`, the `hql-load` binary at `exe`)
/// replaying the answers of the server at `capture_from` for `leads` leads
/// of `shape` from `seed`, and waits until it listens.
pub fn start_floor(
    exe: &Path,
    capture_from: &str,
    seed: u64,
    leads: usize,
    shape: Shape,
) -> Result<ServerProcess, LoadError> {
    let mut command = Command::new(exe);
    command.args(["floor", "--listen", "127.0.0.1:0", "--capture-from", capture_from]);
    command.args(["--seed", &seed.to_string(), "--leads", &leads.to_string(), "--shape", shape.as_str()]);
    ServerProcess::spawn(command, floor::LISTENING_PREFIX, STARTUP_TIMEOUT)
}

/// What to compare.
#[derive(Debug, Clone)]
pub struct ComparePlan {
    /// `hqld` to start.
    pub hqld: HqldCommand,
    /// Modes, in order.
    pub modes: Vec<Mode>,
    /// Client settings shared by every run (its mode and rate are set per run).
    pub spec: LoadSpec,
    /// Also run both paced at half of `hqld`'s peak.
    pub half_peak: bool,
    /// Lead generator seed.
    pub seed: u64,
    /// Leads in the population.
    pub leads: usize,
    /// Which leads.
    pub shape: Shape,
    /// Leads per QualifyBatch call.
    pub batch_size: usize,
    /// Closed-loop pairs per mode (at least 1; odd numbers have a true median).
    pub rounds: usize,
}

/// One closed-loop pair of runs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Round {
    /// The floor.
    pub floor: RunReport,
    /// `hqld`.
    pub hqld: RunReport,
    /// `hqld`'s requests per second over the floor's.
    pub ratio: f64,
    /// Whether `hqld` ran first in this round.
    pub hqld_first: bool,
}

/// One mode on both servers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModeComparison {
    /// The mode.
    pub mode: Mode,
    /// The floor, closed loop (the median round's).
    pub floor: RunReport,
    /// `hqld`, closed loop (the median round's).
    pub hqld: RunReport,
    /// `hqld`'s requests per second over the floor's, the median round's.
    pub ratio: f64,
    /// Every round, in the order run. `floor`, `hqld` and `ratio` above repeat
    /// the median one so that JSON written before rounds existed still reads
    /// the same way.
    pub rounds: Vec<Round>,
    /// Both paced at half of `hqld`'s peak, when asked for.
    pub half_peak: Option<HalfPeak>,
}

/// Both servers paced at the same rate, half of `hqld`'s peak.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HalfPeak {
    /// The rate, requests per second.
    pub rate: f64,
    /// The floor at that rate.
    pub floor: RunReport,
    /// `hqld` at that rate.
    pub hqld: RunReport,
}

/// A server's memory over the whole comparison.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct MemorySpan {
    /// After start-up, before any load (the floor: after capturing).
    pub start: Memory,
    /// After the last run.
    pub end: Memory,
}

/// Everything a comparison measured.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Comparison {
    /// The generator's seed.
    pub seed: u64,
    /// What was sent.
    pub workload: WorkloadSizes,
    /// Leads per batch call.
    pub batch_size: usize,
    /// Per mode.
    pub modes: Vec<ModeComparison>,
    /// The floor's memory.
    pub floor_memory: MemorySpan,
    /// `hqld`'s memory.
    pub hqld_memory: MemorySpan,
    /// The machine's load averages (1, 5, 15 min) before the first run.
    pub load_average_start: String,
    /// The machine's load averages after the last run.
    pub load_average_end: String,
}

impl Comparison {
    /// Errors over every run.
    pub fn error_total(&self) -> u64 {
        self.modes.iter().map(ModeComparison::error_total).sum()
    }
}

impl ModeComparison {
    /// Errors over every run of this mode: all rounds and the half-peak pair.
    pub fn error_total(&self) -> u64 {
        let rounds = self.rounds.iter().map(|r| r.floor.error_total + r.hqld.error_total);
        let half = self.half_peak.iter().map(|h| h.floor.error_total + h.hqld.error_total);
        rounds.chain(half).sum()
    }

    /// The lowest and highest round ratio.
    pub fn ratio_range(&self) -> (f64, f64) {
        self.rounds
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| (lo.min(r.ratio), hi.max(r.ratio)))
    }
}

/// Whether `hqld` goes first in round `round` (0-based): every other round,
/// so a machine getting busier or quieter during a comparison favours
/// neither server.
pub fn hqld_first(round: usize) -> bool {
    round % 2 == 1
}

/// The index of the median of `ratios` (the upper one of an even count);
/// `None` when there are none. NaN sorts last.
pub fn median_index(ratios: &[f64]) -> Option<usize> {
    let mut order: Vec<usize> = (0..ratios.len()).collect();
    order.sort_by(|&a, &b| ratios[a].total_cmp(&ratios[b]));
    order.get(ratios.len() / 2).copied()
}

/// Runs `plan` on `runtime`; `progress` hears each finished run.
pub fn compare(
    plan: &ComparePlan,
    runtime: &Runtime,
    mut progress: impl FnMut(&RunReport),
) -> Result<Comparison, LoadError> {
    let load_average_start = procfs::load_average()?;
    let hqld = plan.hqld.start()?;
    let floor = start_floor(&std::env::current_exe()?, &hqld.url(), plan.seed, plan.leads, plan.shape)?;
    let hqld_start = procfs::memory(hqld.pid())?;
    let floor_start = procfs::memory(floor.pid())?;
    let workload = Arc::new(Workload::generate(plan.seed, plan.leads, plan.batch_size, plan.shape));
    let targets = [target("floor", &floor), hqld_target(&hqld)];

    let mut run = |spec: &LoadSpec, target: &Target| -> Result<RunReport, LoadError> {
        let report = runtime.block_on(driver::run(target, spec, workload.clone()))?;
        progress(&report);
        std::thread::sleep(SETTLE);
        Ok(report)
    };
    let mut modes = Vec::new();
    for &mode in &plan.modes {
        let spec = LoadSpec { mode, rate: None, ..plan.spec.clone() };
        let mut rounds = Vec::new();
        for round in 0..plan.rounds.max(1) {
            let first = hqld_first(round);
            let (floor_peak, hqld_peak) = if first {
                let hqld_peak = run(&spec, &targets[1])?;
                (run(&spec, &targets[0])?, hqld_peak)
            } else {
                let floor_peak = run(&spec, &targets[0])?;
                (floor_peak, run(&spec, &targets[1])?)
            };
            let ratio = hqld_peak.requests_per_sec / floor_peak.requests_per_sec.max(1e-9);
            rounds.push(Round { floor: floor_peak, hqld: hqld_peak, ratio, hqld_first: first });
        }
        let ratios: Vec<f64> = rounds.iter().map(|r| r.ratio).collect();
        let median = &rounds[median_index(&ratios).unwrap_or(0)];
        let (floor_peak, hqld_peak, ratio) = (median.floor.clone(), median.hqld.clone(), median.ratio);
        let half_peak = if plan.half_peak && hqld_peak.requests_per_sec > 0.0 {
            let rate = (hqld_peak.requests_per_sec / 2.0).round().max(1.0);
            let paced = LoadSpec { rate: Some(rate), ..spec.clone() };
            Some(HalfPeak { rate, floor: run(&paced, &targets[0])?, hqld: run(&paced, &targets[1])? })
        } else {
            None
        };
        modes.push(ModeComparison { mode, floor: floor_peak, hqld: hqld_peak, ratio, rounds, half_peak });
    }
    Ok(Comparison {
        seed: plan.seed,
        workload: workload.sizes(),
        batch_size: plan.batch_size,
        modes,
        floor_memory: MemorySpan { start: floor_start, end: procfs::memory(floor.pid())? },
        hqld_memory: MemorySpan { start: hqld_start, end: procfs::memory(hqld.pid())? },
        load_average_start,
        load_average_end: procfs::load_average()?,
    })
}

fn target(label: &str, server: &ServerProcess) -> Target {
    Target { label: label.to_string(), url: server.url(), pid: Some(server.pid()), metrics: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_alternate_which_server_goes_first() {
        let order: Vec<bool> = (0..4).map(hqld_first).collect();
        assert_eq!(order, [false, true, false, true]);
    }

    #[test]
    fn the_median_round_is_picked_by_ratio_not_by_position() {
        assert_eq!(median_index(&[]), None);
        assert_eq!(median_index(&[0.7]), Some(0));
        assert_eq!(median_index(&[0.9, 0.5, 0.7]), Some(2));
        assert_eq!(median_index(&[0.5, 0.9, 0.6, 0.8]), Some(3));
        assert_eq!(median_index(&[f64::NAN, 0.4, 0.6]), Some(2));
    }
}
