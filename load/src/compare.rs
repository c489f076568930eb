//! `hqld` against the floor, mode by mode, with the same client.
//!
//! Absolute figures from a shared machine move between runs; the ratio of
//! `hqld` to the floor measured minutes apart with the same client, the
//! same leads and the same settings moves much less, and says how far the
//! service is from what its transport allows. So a comparison starts both
//! servers itself (`hqld` with metrics off, the floor replaying `hqld`'s own
//! answers), runs each mode on the floor and then on `hqld`, and then, for
//! latency under a realistic load rather than at saturation, runs both again
//! paced at half of `hqld`'s measured peak.

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
use crate::spec::{LoadSpec, Mode};
use crate::workload::{Shape, Workload, WorkloadSizes};

/// How long a server may take to print its listening line (the floor
/// includes capturing every answer from `hqld`).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// Pause between runs, so one run's stragglers do not land in the next.
const SETTLE: Duration = Duration::from_millis(500);

/// The line prefix `hqld` prints once bound.
pub const HQLD_LISTENING_PREFIX: &str = "hqld listening on ";

/// How to start `hqld`.
#[derive(Debug, Clone)]
pub struct HqldCommand {
    /// The binary.
    pub binary: PathBuf,
    /// `--policy`.
    pub policy: PathBuf,
    /// `--plugin-dir`; `None` lets `hqld` use the directory it is in.
    pub plugin_dir: Option<PathBuf>,
}

impl HqldCommand {
    /// Starts `hqld` on a free loopback port with metrics off and waits
    /// until it listens.
    pub fn start(&self) -> Result<ServerProcess, LoadError> {
        let mut command = Command::new(&self.binary);
        command.args(["--listen", "127.0.0.1:0", "--metrics-listen", "off", "--policy"]).arg(&self.policy);
        if let Some(dir) = &self.plugin_dir {
            command.arg("--plugin-dir").arg(dir);
        }
        command.env("NO_COLOR", "1");
        ServerProcess::spawn(command, HQLD_LISTENING_PREFIX, STARTUP_TIMEOUT)
    }
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
}

/// One mode on both servers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModeComparison {
    /// The mode.
    pub mode: Mode,
    /// The floor, closed loop.
    pub floor: RunReport,
    /// `hqld`, closed loop.
    pub hqld: RunReport,
    /// `hqld`'s requests per second over the floor's.
    pub ratio: f64,
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
        self.modes
            .iter()
            .flat_map(|m| {
                let half = m.half_peak.iter().flat_map(|h| [h.floor.error_total, h.hqld.error_total]);
                [m.floor.error_total, m.hqld.error_total].into_iter().chain(half)
            })
            .sum()
    }
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
    let targets = [target("floor", &floor), target("hqld", &hqld)];

    let mut run = |spec: &LoadSpec, target: &Target| -> Result<RunReport, LoadError> {
        let report = runtime.block_on(driver::run(target, spec, workload.clone()))?;
        progress(&report);
        std::thread::sleep(SETTLE);
        Ok(report)
    };
    let mut modes = Vec::new();
    for &mode in &plan.modes {
        let spec = LoadSpec { mode, rate: None, ..plan.spec.clone() };
        let floor_peak = run(&spec, &targets[0])?;
        let hqld_peak = run(&spec, &targets[1])?;
        let half_peak = if plan.half_peak && hqld_peak.requests_per_sec > 0.0 {
            let rate = (hqld_peak.requests_per_sec / 2.0).round().max(1.0);
            let paced = LoadSpec { rate: Some(rate), ..spec.clone() };
            Some(HalfPeak { rate, floor: run(&paced, &targets[0])?, hqld: run(&paced, &targets[1])? })
        } else {
            None
        };
        let ratio = hqld_peak.requests_per_sec / floor_peak.requests_per_sec.max(1e-9);
        modes.push(ModeComparison { mode, floor: floor_peak, hqld: hqld_peak, ratio, half_peak });
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
    Target { label: label.to_string(), url: server.url(), pid: Some(server.pid()) }
}
