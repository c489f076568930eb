//! Turns the `scaling` benchmark's results into a table (stdout, Markdown)
//! and a plot (`docs/scaling.svg`): time per decision against events per
//! lead and against scorers per policy.
//!
//! Reads criterion's estimates from `target/criterion/scaling_{events,
//! scorers}/<n>/new/estimates.json` (run `cargo bench -p hql-benches --bench
//! scaling` first). Usage: `cargo run --release -p hql-benches --bin
//! scaling-plot [-- OUT.svg]`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// One measured point: the parameter and the mean time per decision, µs.
type Point = (f64, f64);

fn criterion_dir() -> PathBuf {
    // target/<profile>/<bin> -> target/criterion
    hql_benches::artifact_dir()
        .parent()
        .map(|t| t.join("criterion"))
        .unwrap_or_else(|| "target/criterion".into())
}

fn read_group(dir: &Path, group: &str, params: &[u32]) -> Result<Vec<Point>, String> {
    params
        .iter()
        .map(|p| {
            let file = dir.join(group).join(p.to_string()).join("new/estimates.json");
            let text = std::fs::read_to_string(&file).map_err(|e| {
                format!("{}: {e} (run `cargo bench -p hql-benches --bench scaling`)", file.display())
            })?;
            let json: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let ns = json["mean"]["point_estimate"]
                .as_f64()
                .ok_or_else(|| format!("{}: no mean.point_estimate", file.display()))?;
            Ok((f64::from(*p), ns / 1000.0))
        })
        .collect()
}

/// One panel: log-log when `log_x`, else linear x; y always from 0.
fn panel(svg: &mut String, x0: f64, title: &str, x_label: &str, points: &[Point], log_x: bool) {
    let (w, h, left, bottom, top) = (360.0, 260.0, 60.0, 40.0, 30.0);
    let fx = |x: f64| if log_x { x.log10() } else { x };
    let (min_x, max_x) = (fx(points[0].0), fx(points[points.len() - 1].0));
    let max_y = points.iter().map(|p| p.1).fold(0.0, f64::max) * 1.1;
    let px = |x: f64| x0 + left + (fx(x) - min_x) / (max_x - min_x) * (w - left - 20.0);
    let py = |y: f64| top + (1.0 - y / max_y) * (h - top - bottom);
    let _ =
        writeln!(svg, r#"<text x="{}" y="18" font-size="14" font-weight="bold">{title}</text>"#, x0 + left);
    let _ = writeln!(
        svg,
        r#"<line x1="{a}" y1="{b}" x2="{c}" y2="{b}" stroke="black"/><line x1="{a}" y1="{t}" x2="{a}" y2="{b}" stroke="black"/>"#,
        a = x0 + left,
        b = h - bottom,
        c = x0 + w - 20.0,
        t = top
    );
    for i in 0..=4 {
        let y = max_y * f64::from(i) / 4.0;
        let _ = writeln!(
            svg,
            r##"<text x="{}" y="{}" font-size="11" text-anchor="end">{:.0}</text><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ddd"/>"##,
            x0 + left - 5.0,
            py(y) + 4.0,
            y,
            x0 + left,
            py(y),
            x0 + w - 20.0,
            py(y)
        );
    }
    let path: Vec<String> = points.iter().map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y))).collect();
    let _ = writeln!(
        svg,
        r##"<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{}"/>"##,
        path.join(" ")
    );
    for (x, y) in points {
        let _ = writeln!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#1f77b4"/><text x="{:.1}" y="{}" font-size="11" text-anchor="middle">{x}</text>"##,
            px(*x),
            py(*y),
            px(*x),
            h - bottom + 15.0
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" font-size="12" text-anchor="middle">{x_label}</text><text x="{}" y="{}" font-size="12" transform="rotate(-90 {} {})" text-anchor="middle">µs per decision</text>"#,
        x0 + left + (w - left) / 2.0,
        h - 5.0,
        x0 + 15.0,
        top + (h - top - bottom) / 2.0,
        x0 + 15.0,
        top + (h - top - bottom) / 2.0
    );
}

fn main() -> ExitCode {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/scaling.svg"));
    let dir = criterion_dir();
    let (events, scorers) = match (
        read_group(&dir, "scaling_events", &[10, 100, 1_000, 10_000]),
        read_group(&dir, "scaling_scorers", &[5, 10, 20]),
    ) {
        (Ok(e), Ok(s)) => (e, s),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("scaling-plot: {e}");
            return ExitCode::from(2);
        }
    };
    println!("| events per lead | µs per decision | µs per event |\n| --: | --: | --: |");
    for (n, us) in &events {
        println!("| {n} | {us:.1} | {:.3} |", us / n);
    }
    println!("\n| scorers | µs per decision | µs per scorer |\n| --: | --: | --: |");
    for (n, us) in &scorers {
        println!("| {n} | {us:.1} | {:.1} |", us / n);
    }
    let mut svg = String::from(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="740" height="270" font-family="sans-serif">
<rect width="740" height="270" fill="white"/>
"#,
    );
    panel(&mut svg, 0.0, "Events per lead (log scale)", "events per lead", &events, true);
    panel(&mut svg, 370.0, "Scorers per policy", "scorers", &scorers, false);
    svg.push_str("</svg>\n");
    if let Err(e) = std::fs::write(&out, svg) {
        eprintln!("scaling-plot: {}: {e}", out.display());
        return ExitCode::from(1);
    }
    eprintln!("wrote {}", out.display());
    ExitCode::SUCCESS
}
