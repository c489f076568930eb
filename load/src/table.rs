//! A comparison as Markdown tables, ready to paste into `docs/performance.md`.
//!
//! Three tables: every closed-loop run (both servers, every mode) with its
//! throughput, latency, CPU and errors; per mode the ratio of `hqld` to the
//! floor and p99 at half of `hqld`'s peak; and each server's memory.

use std::fmt::Write as _;

use crate::compare::{Comparison, MemorySpan};
use crate::report::{RunReport, mib, us};

/// `comparison` as text: a header line and the tables.
pub fn render(comparison: &Comparison) -> String {
    let mut out = String::new();
    let w = &comparison.workload;
    let _ = writeln!(
        out,
        "Workload: {} leads (seed {}), {:.1} events and {:.0} B encoded per lead on average; \
         QualifyBatch of {} leads: {:.0} B",
        w.leads, comparison.seed, w.mean_events, w.mean_lead_bytes, comparison.batch_size, w.mean_batch_bytes
    );
    if let Some(first) = comparison.modes.first() {
        let s = &first.hqld.spec;
        let _ = writeln!(
            out,
            "Client: {} connections, {} calls in flight (stream: {} streams x {} messages), \
             {:.1} s warm-up + {:.1} s measured per run",
            s.connections,
            s.concurrency,
            s.connections,
            s.stream_window(),
            s.warmup.as_secs_f64(),
            s.duration.as_secs_f64()
        );
    }
    let _ = writeln!(
        out,
        "Machine load average (1/5/15 min): {} before, {} after",
        comparison.load_average_start, comparison.load_average_end
    );
    out.push('\n');
    out.push_str(
        "| mode | server | req/s | leads/s | p50 | p99 | p99.9 | max | server CPU µs/req | µs/lead | \
         server cores | client cores | reply B | errors |\n",
    );
    out.push_str(
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for m in &comparison.modes {
        for run in [&m.floor, &m.hqld] {
            run_row(&mut out, run);
        }
    }

    out.push('\n');
    out.push_str(
        "| mode | floor req/s | hqld req/s | hqld/floor | half-peak rate | floor p99 @ half | hqld p99 @ half | \
         hqld p99.9 @ half | errors |\n",
    );
    out.push_str("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for m in &comparison.modes {
        let (rate, floor_p99, hqld_p99, hqld_p999, half_errors) = match &m.half_peak {
            Some(h) => (
                format!("{:.0}/s", h.rate),
                us(h.floor.latency_us.p99),
                us(h.hqld.latency_us.p99),
                us(h.hqld.latency_us.p999),
                h.floor.error_total + h.hqld.error_total,
            ),
            None => ("-".into(), "-".into(), "-".into(), "-".into(), 0),
        };
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.0} | {:.2} | {rate} | {floor_p99} | {hqld_p99} | {hqld_p999} | {} |",
            m.mode.name(),
            m.floor.requests_per_sec,
            m.hqld.requests_per_sec,
            m.ratio,
            m.floor.error_total + m.hqld.error_total + half_errors
        );
    }

    out.push('\n');
    out.push_str("| server | RSS before load | RSS after all runs | peak RSS (VmHWM) | threads before | threads after |\n");
    out.push_str("| --- | ---: | ---: | ---: | ---: | ---: |\n");
    memory_row(&mut out, "floor", &comparison.floor_memory);
    memory_row(&mut out, "hqld", &comparison.hqld_memory);
    out
}

fn run_row(out: &mut String, run: &RunReport) {
    let l = &run.latency_us;
    let (cpu_req, cpu_lead, cores) = match &run.server_cpu {
        Some(c) => {
            (format!("{:.1}", c.us_per_request), format!("{:.1}", c.us_per_lead), format!("{:.2}", c.cores))
        }
        None => ("-".into(), "-".into(), "-".into()),
    };
    let errors = if run.errors.is_empty() {
        "0".to_string()
    } else {
        run.errors.iter().map(|(code, n)| format!("{code} {n}")).collect::<Vec<_>>().join(", ")
    };
    let _ = writeln!(
        out,
        "| {} | {} | {:.0} | {:.0} | {} | {} | {} | {} | {cpu_req} | {cpu_lead} | {cores} | {:.2} | {:.0} | {errors} |",
        run.spec.mode.name(),
        run.server,
        run.requests_per_sec,
        run.leads_per_sec,
        us(l.p50),
        us(l.p99),
        us(l.p999),
        us(l.max),
        run.client_cpu.cores,
        run.mean_reply_bytes,
    );
}

fn memory_row(out: &mut String, server: &str, memory: &MemorySpan) {
    let _ = writeln!(
        out,
        "| {server} | {} | {} | {} | {} | {} |",
        mib(memory.start.rss_kib),
        mib(memory.end.rss_kib),
        mib(memory.end.hwm_kib),
        memory.start.threads,
        memory.end.threads
    );
}
