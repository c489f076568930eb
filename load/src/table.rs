//! A comparison as Markdown tables, ready to paste into `docs/performance.md`.
//!
//! Four tables: every closed-loop run (both servers, every mode, every
//! round) with its throughput, latency, CPU and errors; per mode the ratio of
//! `hqld` to the floor (the median round's, with the range over rounds) and
//! p99 at half of `hqld`'s peak; each server's memory; and the performance
//! targets judged from those runs ([`targets`]).

use std::fmt::Write as _;

use crate::compare::{Comparison, MemorySpan};
use crate::report::{RunReport, bucketed, mib, us};
use crate::targets;

/// `comparison` as text: a header line and the tables.
pub fn render(comparison: &Comparison) -> String {
    let mut out = String::new();
    let w = &comparison.workload;
    let _ = writeln!(
        out,
        "Workload: {} {} leads (seed {}), {:.1} events and {:.0} B encoded per lead on average; \
         QualifyBatch of {} leads: {:.0} B",
        w.leads,
        w.shape.as_str(),
        comparison.seed,
        w.mean_events,
        w.mean_lead_bytes,
        comparison.batch_size,
        w.mean_batch_bytes
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
    header(
        &mut out,
        2,
        &[
            "mode",
            "server",
            "req/s",
            "leads/s",
            "p50",
            "p99",
            "p99.9",
            "max",
            "server CPU µs/req",
            "µs/lead",
            "server cores",
            "switches/req",
            "client cores",
            "others/steal cores",
            "reply B",
            "errors",
        ],
    );
    for m in &comparison.modes {
        let rounds = m.rounds.len();
        for (i, round) in m.rounds.iter().enumerate() {
            let label = |server: &str| {
                if rounds > 1 { format!("{server} (round {})", i + 1) } else { server.to_string() }
            };
            let pair = [(&round.floor, label("floor")), (&round.hqld, label("hqld"))];
            let order = if round.hqld_first { [1, 0] } else { [0, 1] };
            for k in order {
                run_row(&mut out, pair[k].0, &pair[k].1);
            }
        }
    }

    out.push('\n');
    // hqld's own account of the same calls, when it served metrics.
    let in_server = comparison
        .modes
        .iter()
        .any(|m| m.half_peak.as_ref().is_some_and(|h| h.hqld.server_handling.is_some()));
    let mut columns = vec![
        "mode",
        "floor req/s",
        "hqld req/s",
        "hqld/floor",
        "half-peak rate",
        "floor p99 @ half",
        "hqld p99 @ half",
        "hqld p99.9 @ half",
    ];
    if in_server {
        columns.push("hqld's own p99 @ half (its histogram)");
    }
    columns.extend(["server CPU µs/req @ half, floor / hqld", "switches/req @ half, floor / hqld", "errors"]);
    header(&mut out, 1, &columns);
    for m in &comparison.modes {
        let ratio = if m.rounds.len() > 1 {
            let (lo, hi) = m.ratio_range();
            format!("{:.2} (median of {}: {lo:.2}-{hi:.2})", m.ratio, m.rounds.len())
        } else {
            format!("{:.2}", m.ratio)
        };
        let mut cells = vec![
            m.mode.name().to_string(),
            format!("{:.0}", m.floor.requests_per_sec),
            format!("{:.0}", m.hqld.requests_per_sec),
            ratio,
        ];
        let half = m.half_peak.as_ref();
        let dash = || "-".to_string();
        cells.push(half.map_or_else(dash, |h| format!("{:.0}/s", h.rate)));
        cells.push(half.map_or_else(dash, |h| us(h.floor.latency_us.p99)));
        cells.push(half.map_or_else(dash, |h| us(h.hqld.latency_us.p99)));
        cells.push(half.map_or_else(dash, |h| us(h.hqld.latency_us.p999)));
        if in_server {
            let own = half.and_then(|h| h.hqld.server_handling.as_ref());
            cells.push(own.map_or_else(dash, |h| bucketed(&h.p99)));
        }
        cells.push(
            half.map_or_else(dash, |h| {
                format!("{} / {}", cpu_per_request(&h.floor), cpu_per_request(&h.hqld))
            }),
        );
        cells.push(half.map_or_else(dash, |h| format!("{} / {}", switches(&h.floor), switches(&h.hqld))));
        cells.push(m.error_total().to_string());
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }

    out.push('\n');
    header(
        &mut out,
        1,
        &[
            "server",
            "RSS before load",
            "RSS after all runs",
            "peak RSS (VmHWM)",
            "threads before",
            "threads after",
        ],
    );
    memory_row(&mut out, "floor", &comparison.floor_memory);
    memory_row(&mut out, "hqld", &comparison.hqld_memory);

    out.push('\n');
    header(&mut out, 3, &["target", "measured (floor in the same run)", "met"]);
    for v in targets::assess(comparison) {
        let _ = writeln!(out, "| {} | {} | {} |", v.target, v.measured, v.met_text());
    }
    out
}

/// A Markdown header row and its separator: the first `left` columns
/// left-aligned (names), the others right-aligned (figures).
fn header(out: &mut String, left: usize, columns: &[&str]) {
    let _ = writeln!(out, "| {} |", columns.join(" | "));
    let align: Vec<&str> = (0..columns.len()).map(|i| if i < left { "---" } else { "---:" }).collect();
    let _ = writeln!(out, "| {} |", align.join(" | "));
}

fn run_row(out: &mut String, run: &RunReport, server: &str) {
    let l = &run.latency_us;
    let (cpu_lead, cores) = match &run.server_cpu {
        Some(c) => (format!("{:.1}", c.us_per_lead), format!("{:.2}", c.cores)),
        None => ("-".into(), "-".into()),
    };
    let (cpu_req, switched) = (cpu_per_request(run), switches(run));
    let errors = if run.errors.is_empty() {
        "0".to_string()
    } else {
        run.errors.iter().map(|(code, n)| format!("{code} {n}")).collect::<Vec<_>>().join(", ")
    };
    let _ = writeln!(
        out,
        "| {} | {} | {:.0} | {:.0} | {} | {} | {} | {} | {cpu_req} | {cpu_lead} | {cores} | {switched} | {:.2} | {:.2}/{:.2} | {:.0} | {errors} |",
        run.spec.mode.name(),
        server,
        run.requests_per_sec,
        run.leads_per_sec,
        us(l.p50),
        us(l.p99),
        us(l.p999),
        us(l.max),
        run.client_cpu.cores,
        run.machine.other_cores,
        run.machine.steal_cores,
        run.mean_reply_bytes,
    );
}

/// The server's CPU per request, or `-` when its pid was unknown.
fn cpu_per_request(run: &RunReport) -> String {
    run.server_cpu.as_ref().map_or("-".into(), |c| format!("{:.1}", c.us_per_request))
}

/// The server's context switches per request, or `-` when its pid was unknown.
fn switches(run: &RunReport) -> String {
    run.server_switches_per_request.map_or("-".into(), |n| format!("{n:.2}"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{HalfPeak, ModeComparison};
    use crate::fixtures::{comparison, round, run};
    use crate::spec::Mode;

    #[test]
    fn rounds_show_their_spread_and_every_round_s_errors_count() {
        let rounds = vec![
            round(Mode::Unary, 0.61, false, false),
            round(Mode::Unary, 0.55, true, true),
            round(Mode::Unary, 0.66, false, false),
        ];
        let median = rounds[0].clone();
        let mode = ModeComparison {
            mode: Mode::Unary,
            floor: median.floor,
            hqld: median.hqld,
            ratio: median.ratio,
            rounds,
            half_peak: None,
        };
        assert_eq!(mode.error_total(), 1, "the error of a round that is not the median counts");
        let c = comparison(vec![mode]);
        assert_eq!(c.error_total(), 1);
        let text = render(&c);
        assert!(text.contains("| 0.61 (median of 3: 0.55-0.66) |"), "{text}");
        for n in 1..=3 {
            assert!(text.contains(&format!("| unary | hqld (round {n}) |")), "{text}");
        }
        let round2 = text.lines().position(|l| l.contains("hqld (round 2)"));
        let round2_floor = text.lines().position(|l| l.contains("floor (round 2)"));
        assert!(round2 < round2_floor, "round 2 ran hqld first and lists it first: {text}");
        let summary = text.lines().find(|l| l.starts_with("| unary | ") && l.matches(" | ").count() == 10);
        assert!(summary.is_some_and(|l| l.ends_with("| 1 |")), "{text}");
    }

    #[test]
    fn every_row_has_its_header_s_columns() {
        let comparison = comparison(vec![
            ModeComparison {
                mode: Mode::Unary,
                floor: run("floor", Mode::Unary, false),
                hqld: run("hqld", Mode::Unary, true),
                ratio: 0.5,
                rounds: vec![round(Mode::Unary, 0.5, true, false)],
                half_peak: Some(HalfPeak {
                    rate: 1.0,
                    floor: run("floor", Mode::Unary, false),
                    hqld: run("hqld", Mode::Unary, false),
                }),
            },
            ModeComparison {
                mode: Mode::Batch,
                floor: run("floor", Mode::Batch, false),
                hqld: run("hqld", Mode::Batch, false),
                ratio: 0.5,
                rounds: vec![round(Mode::Batch, 0.5, false, false)],
                half_peak: None,
            },
        ]);
        let text = render(&comparison);
        for table in text.split("\n\n").skip(1) {
            let widths: Vec<usize> = table.lines().map(|line| line.matches(" | ").count()).collect();
            assert!(widths.iter().all(|w| *w == widths[0]), "{table}");
        }
        assert!(text.contains("UNAVAILABLE 1"), "{text}");
        let summary = text.lines().find(|l| l.starts_with("| unary |") && l.matches(" | ").count() == 10);
        assert!(summary.is_some_and(|l| l.ends_with("| 1 |")), "the summary counts the error: {text}");
        // At half of peak, each server's CPU and context switches per call.
        assert!(summary.is_some_and(|l| l.contains("| 5000000.0 / 5000000.0 | 2.00 / 2.00 |")), "{text}");
    }

    #[test]
    fn the_targets_close_the_report() {
        let text = render(&comparison(vec![crate::fixtures::mode(Mode::Unary, 0.62)]));
        let last = text.split("\n\n").last().unwrap_or_default();
        assert!(last.starts_with("| target | measured (floor in the same run) | met |"), "{text}");
        assert!(last.contains("| Qualify >= 0.85 x floor req/s | 0.62 ("), "{text}");
        assert!(last.lines().any(|l| l.starts_with("| Qualify") && l.ends_with("| no |")), "{text}");
        assert!(last.lines().any(|l| l.starts_with("| batch leads/s") && l.ends_with("| - |")), "{text}");
    }

    #[test]
    fn header_and_separator_have_the_same_columns() {
        let mut out = String::new();
        header(&mut out, 1, &["a", "b", "c"]);
        assert_eq!(out, "| a | b | c |\n| --- | ---: | ---: |\n");
    }
}
