//! The plain-text trail: an explanation ([`ExplanationRef`]) a salesperson
//! can read without knowing the policy format, in the order they would ask:
//! what stage, why, what is missing.

use crate::decision::ScorerStatus;
use crate::explanation_ref::ExplanationRef;
use hql_plugin_api::text::push_num;

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

/// `+12.5` / `-3`: points with their sign.
fn push_signed(out: &mut String, points: f64) {
    if points >= 0.0 {
        out.push('+');
    }
    push_num(out, points);
}

/// Appends `parts`: the trail is written with plain appends (no `format!`
/// machinery, which was most of its cost).
fn push_all(out: &mut String, parts: &[&str]) {
    for p in parts {
        out.push_str(p);
    }
}

/// Appends `parts` and a newline.
fn line(out: &mut String, parts: &[&str]) {
    push_all(out, parts);
    out.push('\n');
}

/// Renders the whole trail.
pub fn text(e: &ExplanationRef<'_>) -> String {
    let d = &e.decision;
    let mut out = String::with_capacity(4096);
    out.push_str("Lead ");
    out.push_str(d.lead_id);
    out.push_str(": ");
    out.push_str(d.stage.as_str());
    out.push_str(" (score ");
    push_num(&mut out, d.score);
    out.push_str("/100) as of ");
    line(&mut out, &[&iso8601(d.as_of_ms)]);
    line(
        &mut out,
        &[
            "Policy ",
            &d.policy.name,
            " ",
            &d.policy.version,
            " (digest ",
            &d.policy.digest[..d.policy.digest.len().min(12)],
            ")",
        ],
    );
    if d.degraded {
        line(&mut out, &["DEGRADED: at least one scorer failed; the stage may be lower than it should be."]);
    }
    for q in d.disqualifications {
        line(&mut out, &["DISQUALIFIED by ", &q.code, " (", &q.scorer, "): ", &q.message]);
    }
    if !d.dimensions.is_empty() {
        out.push_str("Dimensions: ");
        for (i, x) in d.dimensions.iter().enumerate() {
            if i > 0 {
                out.push_str(" | ");
            }
            out.push_str(x.name);
            out.push(' ');
            push_num(&mut out, x.score);
        }
        out.push('\n');
    }
    out.push_str("\nWhy:\n");
    for r in &d.top_reasons {
        out.push_str("  ");
        push_signed(&mut out, r.points);
        line(&mut out, &[" ", r.message, " (", r.scorer, ")"]);
    }
    out.push_str("\nScorers:\n");
    for s in &e.scorers {
        let m = &s.summary;
        push_all(&mut out, &["  ", m.name, " ", m.version, " [", m.dimension, "]: "]);
        match m.status {
            ScorerStatus::Ok => {
                push_num(&mut out, m.score);
                out.push_str(" x weight ");
                push_num(&mut out, m.weight);
                out.push_str(" = ");
                push_num(&mut out, m.contribution);
                out.push_str(" points\n");
            }
            ScorerStatus::Failed | ScorerStatus::Skipped | ScorerStatus::TimedOut => {
                let status = match m.status {
                    ScorerStatus::Skipped => "SKIPPED",
                    ScorerStatus::TimedOut => "TIMED OUT",
                    _ => "FAILED",
                };
                line(&mut out, &[status, ": ", m.error]);
            }
        }
        for r in &s.reasons {
            // Points right-aligned in six columns, as `{:>6}` would.
            let mut points = String::with_capacity(12);
            push_signed(&mut points, r.points);
            out.push_str("    ");
            for _ in points.chars().count()..6 {
                out.push(' ');
            }
            out.push_str(&points);
            out.push_str("  ");
            out.push_str(r.message);
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
    out.push_str("\nStage gates (highest first):\n");
    for st in &e.stages {
        line(
            &mut out,
            &["  ", st.stage.as_str(), ": ", if st.passed { "all gates pass" } else { "not reached" }],
        );
        for g in &st.gates {
            let mark = if g.passed { "pass" } else { "FAIL" };
            let label = if g.description.is_empty() { g.name } else { g.description };
            line(
                &mut out,
                &[
                    "    [", mark, "] ", label, ": ", g.subject, " ", g.operator, " ", g.required, " (is ",
                    &g.actual, ")",
                ],
            );
        }
    }
    out.push_str("\nNext step:\n");
    line(&mut out, &["  ", &e.gap.summary]);
    for g in &e.gap.failing_gates {
        if !g.hint.is_empty() {
            line(&mut out, &["  - ", g.hint]);
        }
    }
    if !e.warnings.is_empty() {
        out.push_str("\nWarnings:\n");
        for w in &e.warnings {
            line(&mut out, &["  - ", w]);
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
