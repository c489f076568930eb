//! The plain-text trail: an [`Explanation`] a salesperson can read without
//! knowing the policy format, in the order they would ask: what stage, why,
//! what is missing.

use std::fmt::Write;

use crate::decision::{Explanation, ScorerStatus};
use crate::gate::fmt_number;

/// `2026-11-23T10:00:00Z` for ms since the epoch (UTC, proleptic Gregorian).
pub fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn signed(points: f64) -> String {
    if points >= 0.0 { format!("+{}", fmt_number(points)) } else { fmt_number(points) }
}

/// Renders the whole trail.
pub fn text(e: &Explanation) -> String {
    let d = &e.decision;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Lead {}: {} (score {}/100) as of {}",
        d.lead_id,
        d.stage,
        fmt_number(d.score),
        iso8601(d.as_of_ms)
    );
    let _ = writeln!(
        out,
        "Policy {} {} (digest {})",
        d.policy.name,
        d.policy.version,
        &d.policy.digest[..d.policy.digest.len().min(12)]
    );
    if d.degraded {
        let _ =
            writeln!(out, "DEGRADED: at least one scorer failed; the stage may be lower than it should be.");
    }
    for q in &d.disqualifications {
        let _ = writeln!(out, "DISQUALIFIED by {} ({}): {}", q.code, q.scorer, q.message);
    }
    if !d.dimensions.is_empty() {
        let dims: Vec<String> =
            d.dimensions.iter().map(|x| format!("{} {}", x.name, fmt_number(x.score))).collect();
        let _ = writeln!(out, "Dimensions: {}", dims.join(" | "));
    }
    let _ = writeln!(out, "\nWhy:");
    for r in &d.top_reasons {
        let _ = writeln!(out, "  {} {} ({})", signed(r.points), r.message, r.scorer);
    }
    let _ = writeln!(out, "\nScorers:");
    for s in &e.scorers {
        let m = &s.summary;
        match m.status {
            ScorerStatus::Ok => {
                let _ = writeln!(
                    out,
                    "  {} {} [{}]: {} x weight {} = {} points",
                    m.name,
                    m.version,
                    m.dimension,
                    fmt_number(m.score),
                    fmt_number(m.weight),
                    fmt_number(m.contribution)
                );
            }
            ScorerStatus::Failed | ScorerStatus::Skipped | ScorerStatus::TimedOut => {
                let status = match m.status {
                    ScorerStatus::Skipped => "SKIPPED",
                    ScorerStatus::TimedOut => "TIMED OUT",
                    _ => "FAILED",
                };
                let _ = writeln!(out, "  {} {} [{}]: {status}: {}", m.name, m.version, m.dimension, m.error);
            }
        }
        for r in &s.reasons {
            let _ = write!(out, "    {:>6}  {}", signed(r.points), r.message);
            // Written in place: a reason can cite thousands of events.
            if !r.fields.is_empty() || !r.events.is_empty() {
                out.push_str("  [");
                for (i, field) in r.fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str("; ");
                    }
                    out.push_str(field);
                }
                if !r.events.is_empty() {
                    if !r.fields.is_empty() {
                        out.push_str("; ");
                    }
                    out.push_str("events ");
                    for (i, event) in r.events.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(itoa::Buffer::new().format(*event));
                    }
                }
                out.push(']');
            }
            out.push('\n');
        }
    }
    let _ = writeln!(out, "\nStage gates (highest first):");
    for st in &e.stages {
        let _ = writeln!(out, "  {}: {}", st.stage, if st.passed { "all gates pass" } else { "not reached" });
        for g in &st.gates {
            let mark = if g.passed { "pass" } else { "FAIL" };
            let label = if g.description.is_empty() { &g.name } else { &g.description };
            let _ = writeln!(
                out,
                "    [{mark}] {label}: {} {} {} (is {})",
                g.subject, g.operator, g.required, g.actual
            );
        }
    }
    let _ = writeln!(out, "\nNext step:");
    let _ = writeln!(out, "  {}", e.gap.summary);
    for g in &e.gap.failing_gates {
        if !g.hint.is_empty() {
            let _ = writeln!(out, "  - {}", g.hint);
        }
    }
    if !e.warnings.is_empty() {
        let _ = writeln!(out, "\nWarnings:");
        for w in &e.warnings {
            let _ = writeln!(out, "  - {w}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_795_420_800_000), "2026-11-23T08:00:00Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
