//! Reports and comparisons built by hand, for the tests of the modules that
//! read them (`table`, `targets`).

use std::time::Duration;

use crate::compare::{Comparison, MemorySpan, ModeComparison, Round};
use crate::procfs::{MachineCpu, Memory};
use crate::report::{CpuSample, RunReport};
use crate::spec::{LoadSpec, Mode};
use crate::stats::Recorder;
use crate::workload::WorkloadSizes;

/// A closed-loop run of `mode` on `server`: one call of 900 µs, 0.5 cores of
/// server CPU; with one UNAVAILABLE answer when `errors`.
pub(crate) fn run(server: &str, mode: Mode, errors: bool) -> RunReport {
    let spec = LoadSpec {
        mode,
        connections: 8,
        concurrency: 64,
        warmup: Duration::from_secs(2),
        duration: Duration::from_secs(10),
        rate: None,
        timeout: Duration::from_secs(30),
    };
    let mut total = Recorder::new();
    total.ok(Duration::from_micros(900), 1, 1200);
    if errors {
        total.problem("UNAVAILABLE");
    }
    let cpu = CpuSample {
        elapsed: Duration::from_secs(10),
        server: Some(Duration::from_secs(5)),
        server_switches: Some(2),
        client: Duration::from_secs(2),
        machine: MachineCpu { busy: Duration::from_secs(8), steal: Duration::ZERO },
    };
    RunReport::new(server, &spec, &total, cpu, None, None)
}

/// A round of `mode` with `ratio`.
pub(crate) fn round(mode: Mode, ratio: f64, hqld_errors: bool, hqld_first: bool) -> Round {
    Round { floor: run("floor", mode, false), hqld: run("hqld", mode, hqld_errors), ratio, hqld_first }
}

/// `mode` compared in one round with `ratio`, no errors, no half-peak runs.
pub(crate) fn mode(mode: Mode, ratio: f64) -> ModeComparison {
    let only = round(mode, ratio, false, false);
    ModeComparison {
        mode,
        floor: only.floor.clone(),
        hqld: only.hqld.clone(),
        ratio,
        rounds: vec![only],
        half_peak: None,
    }
}

/// A comparison of `modes`; both servers at 10 MiB, 20 MiB at their peak.
pub(crate) fn comparison(modes: Vec<ModeComparison>) -> Comparison {
    let memory = Memory { rss_kib: 10_240, hwm_kib: 20_480, threads: 4 };
    Comparison {
        seed: 42,
        workload: WorkloadSizes {
            leads: 10,
            mean_lead_bytes: 700.0,
            mean_events: 25.0,
            mean_batch_bytes: 7e4,
            shape: crate::workload::Shape::Compact,
        },
        batch_size: 100,
        modes,
        floor_memory: MemorySpan { start: memory, end: memory },
        hqld_memory: MemorySpan { start: memory, end: memory },
        load_average_start: "0.1 0.2 0.3".into(),
        load_average_end: "0.1 0.2 0.3".into(),
    }
}
