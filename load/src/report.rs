//! What one run measured, for people (text) and for tools (JSON).
//!
//! Throughput is counted over the measured window only. CPU per request is
//! the server's CPU time (all threads, user and system) over that window
//! divided by the requests answered in it: what an answer costs, whatever
//! the machine's spare cores. The client's own CPU is reported too, because
//! on a small machine the client competes with the server for the same
//! cores, and a client near its limit caps what is measured.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::procfs::{MachineCpu, Memory};
use crate::scrape::{Bucketed, ServerHandling};
use crate::spec::LoadSpec;
use crate::stats::Recorder;

/// CPU time over the measured window, as sampled.
#[derive(Debug, Clone, Copy)]
pub struct CpuSample {
    /// Wall time between the two samples.
    pub elapsed: Duration,
    /// The server's CPU time, when its pid is known.
    pub server: Option<Duration>,
    /// The server's context switches (every thread), when its pid is known.
    pub server_switches: Option<u64>,
    /// This client's CPU time.
    pub client: Duration,
    /// The whole machine's.
    pub machine: MachineCpu,
}

/// Latency percentiles, µs.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Latency {
    /// Median.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Slowest.
    pub max: u64,
    /// Mean.
    pub mean: f64,
}

/// CPU one process used over the measured window.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CpuUse {
    /// CPU time, ms.
    pub cpu_ms: f64,
    /// Cores kept busy on average (CPU time / wall time).
    pub cores: f64,
    /// CPU time per answered request, µs.
    pub us_per_request: f64,
    /// CPU time per decided lead, µs.
    pub us_per_lead: f64,
}

impl CpuUse {
    fn new(cpu: Duration, elapsed: Duration, requests: u64, leads: u64) -> CpuUse {
        let us = cpu.as_secs_f64() * 1e6;
        CpuUse {
            cpu_ms: us / 1000.0,
            cores: cpu.as_secs_f64() / elapsed.as_secs_f64().max(1e-9),
            us_per_request: us / requests.max(1) as f64,
            us_per_lead: us / leads.max(1) as f64,
        }
    }
}

/// How busy the whole machine was over the measured window, in cores.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MachineUse {
    /// Every process together.
    pub busy_cores: f64,
    /// Processes other than the server and this client (0 when the
    /// server's pid is unknown and it may be among them).
    pub other_cores: f64,
    /// Time the hypervisor gave other guests while this machine wanted
    /// to run.
    pub steal_cores: f64,
}

/// Everything one run measured.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunReport {
    /// The server's label (`hqld`, `floor`).
    pub server: String,
    /// How it was loaded.
    pub spec: LoadSpec,
    /// Requests answered OK inside the window (batches, stream messages).
    pub requests: u64,
    /// Leads decided in them.
    pub leads: u64,
    /// Requests per second.
    pub requests_per_sec: f64,
    /// Leads per second.
    pub leads_per_sec: f64,
    /// Latency of the counted requests, from when each was due.
    pub latency_us: Latency,
    /// Mean encoded reply size, bytes.
    pub mean_reply_bytes: f64,
    /// The server's CPU, when its pid is known.
    pub server_cpu: Option<CpuUse>,
    /// The server's context switches per answered request, when its pid is
    /// known: how often its threads gave up a core (waited, or were taken
    /// off it) per call. Each is a trip through the scheduler, and, when a
    /// thread wakes another on an idle core, a wake-up of that core; below
    /// saturation this, not the work, is what a call's CPU grows with.
    pub server_switches_per_request: Option<f64>,
    /// This client's CPU.
    pub client_cpu: CpuUse,
    /// The machine's.
    pub machine: MachineUse,
    /// The server's memory before the warm-up.
    pub server_memory_before: Option<Memory>,
    /// The server's memory after the run.
    pub server_memory_after: Option<Memory>,
    /// Non-OK outcomes of the whole run, by gRPC code.
    pub errors: BTreeMap<String, u64>,
    /// Their total.
    pub error_total: u64,
    /// The server's own handling time of the calls it finished inside the
    /// window, from its metrics endpoint when that was read (never for
    /// streams; see [`crate::scrape`]).
    pub server_handling: Option<ServerHandling>,
}

impl RunReport {
    /// The report of a run of `spec` on `server` that recorded `total`.
    pub fn new(
        server: &str,
        spec: &LoadSpec,
        total: &Recorder,
        cpu: CpuSample,
        server_memory_before: Option<Memory>,
        server_memory_after: Option<Memory>,
    ) -> RunReport {
        let secs = spec.duration.as_secs_f64().max(1e-9);
        let h = &total.latency_us;
        let latency_us = Latency {
            p50: h.value_at_quantile(0.50),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
            mean: h.mean(),
        };
        RunReport {
            server: server.to_string(),
            spec: spec.clone(),
            requests: total.requests,
            leads: total.leads,
            requests_per_sec: total.requests as f64 / secs,
            leads_per_sec: total.leads as f64 / secs,
            latency_us,
            mean_reply_bytes: total.reply_bytes as f64 / total.requests.max(1) as f64,
            server_cpu: cpu.server.map(|c| CpuUse::new(c, cpu.elapsed, total.requests, total.leads)),
            server_switches_per_request: cpu.server_switches.map(|n| n as f64 / total.requests.max(1) as f64),
            client_cpu: CpuUse::new(cpu.client, cpu.elapsed, total.requests, total.leads),
            machine: machine_use(&cpu),
            server_memory_before,
            server_memory_after,
            errors: total.errors.clone(),
            error_total: total.error_count(),
            server_handling: None,
        }
    }

    /// The run as a few lines of text.
    pub fn to_text(&self) -> String {
        let s = &self.spec;
        let mut out = String::new();
        let rate = s.rate.map_or("closed loop".to_string(), |r| format!("paced at {r:.0}/s"));
        let _ = writeln!(
            out,
            "{} {}: {} connections, {} in flight, {rate}, {:.1} s warm-up + {:.1} s measured",
            self.server,
            s.mode.name(),
            s.connections,
            s.concurrency,
            s.warmup.as_secs_f64(),
            s.duration.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "  throughput  {:.0} requests/s, {:.0} leads/s ({} requests, {} leads; replies {:.0} B mean)",
            self.requests_per_sec, self.leads_per_sec, self.requests, self.leads, self.mean_reply_bytes
        );
        let l = &self.latency_us;
        let _ = writeln!(
            out,
            "  latency     p50 {}  p99 {}  p99.9 {}  max {}",
            us(l.p50),
            us(l.p99),
            us(l.p999),
            us(l.max)
        );
        if let Some(h) = &self.server_handling {
            let _ = writeln!(
                out,
                "  in server   p50 {}  p99 {}  p99.9 {}  ({} calls handled, from its grpc_server_handling_seconds)",
                bucketed(&h.p50),
                bucketed(&h.p99),
                bucketed(&h.p999),
                h.calls
            );
        }
        if let Some(cpu) = &self.server_cpu {
            let switches = self
                .server_switches_per_request
                .map_or(String::new(), |n| format!("; {n:.2} context switches/request"));
            let _ = writeln!(
                out,
                "  server CPU  {:.1} µs/request, {:.1} µs/lead, {:.2} cores{switches}",
                cpu.us_per_request, cpu.us_per_lead, cpu.cores
            );
        }
        let c = &self.client_cpu;
        let _ = writeln!(out, "  client CPU  {:.1} µs/request, {:.2} cores", c.us_per_request, c.cores);
        let m = &self.machine;
        let _ = writeln!(
            out,
            "  machine     {:.2} cores busy, {:.2} of them others', {:.2} stolen by the hypervisor",
            m.busy_cores, m.other_cores, m.steal_cores
        );
        if let (Some(before), Some(after)) = (self.server_memory_before, self.server_memory_after) {
            let _ = writeln!(
                out,
                "  server RSS  {} before, {} after, peak {}; {} threads after",
                mib(before.rss_kib),
                mib(after.rss_kib),
                mib(after.hwm_kib),
                after.threads
            );
        }
        let errors = if self.errors.is_empty() {
            "0".to_string()
        } else {
            self.errors.iter().map(|(code, n)| format!("{code} {n}")).collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(out, "  errors      {errors}");
        out
    }
}

fn machine_use(cpu: &CpuSample) -> MachineUse {
    let secs = cpu.elapsed.as_secs_f64().max(1e-9);
    let busy = cpu.machine.busy.as_secs_f64();
    let ours = cpu.server.unwrap_or_default().as_secs_f64() + cpu.client.as_secs_f64();
    MachineUse {
        busy_cores: busy / secs,
        other_cores: if cpu.server.is_some() { (busy - ours).max(0.0) / secs } else { 0.0 },
        steal_cores: cpu.machine.steal.as_secs_f64() / secs,
    }
}

/// A latency for people: µs below 10 ms, ms above.
pub fn us(value: u64) -> String {
    if value < 10_000 { format!("{value} µs") } else { format!("{:.1} ms", value as f64 / 1000.0) }
}

/// A quantile read from a histogram: the estimate, and the bucket it is in.
pub fn bucketed(q: &Bucketed) -> String {
    let bound = |value: f64| us(value.round() as u64);
    match q.upper_us {
        Some(upper) => format!("{} (in {}-{})", bound(q.estimate_us), bound(q.lower_us), bound(upper)),
        None => format!("> {}", bound(q.lower_us)),
    }
}

/// KiB as MiB.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Mode;

    #[test]
    fn rates_and_cpu_are_per_window_and_per_request() {
        let spec = LoadSpec {
            mode: Mode::Batch,
            connections: 2,
            concurrency: 4,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(2),
            rate: None,
            timeout: Duration::from_secs(5),
        };
        let mut total = Recorder::new();
        for _ in 0..100 {
            total.ok(Duration::from_micros(500), 10, 1000);
        }
        let cpu = CpuSample {
            elapsed: Duration::from_secs(2),
            server: Some(Duration::from_millis(300)),
            server_switches: Some(150),
            client: Duration::from_millis(100),
            machine: MachineCpu { busy: Duration::from_millis(500), steal: Duration::from_millis(20) },
        };
        let report = RunReport::new("hqld", &spec, &total, cpu, None, None);
        assert_eq!(report.requests_per_sec, 50.0);
        assert_eq!(report.leads_per_sec, 500.0);
        let server = report.server_cpu.expect("server cpu");
        assert_eq!(server.us_per_request, 3000.0);
        assert_eq!(server.us_per_lead, 300.0);
        assert!((server.cores - 0.15).abs() < 1e-9);
        assert_eq!(report.server_switches_per_request, Some(1.5));
        assert!(report.to_text().contains("1.50 context switches/request"), "{}", report.to_text());
        assert_eq!(report.mean_reply_bytes, 1000.0);
        assert!((report.machine.other_cores - 0.05).abs() < 1e-9, "{:?}", report.machine);
        assert!((report.machine.steal_cores - 0.01).abs() < 1e-9, "{:?}", report.machine);
        assert!(report.to_text().contains("errors      0"), "{}", report.to_text());
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["spec"]["mode"], "batch");
        assert_eq!(json["spec"]["warmup"], 1.0);
    }
}
