//! Technographics: does the company's stack make it a good customer? Required
//! tools (the product only works with them), bonus tools (integrations that
//! make it more valuable) and competing tools (a company already using a
//! competitor is harder to win). Article 001 names technographics among the
//! ICP criteria; the competing-tool penalty follows the negative scoring of
//! the peers listed in the domain notes.
//!
//! The penalty never takes the sub-score below 0, so a competitor's tool
//! cannot cancel out a good industry or seniority: it lowers technographic fit
//! only.

use hql_plugin_api::Lead;
use hql_plugin_api::text::Line;

use super::{Findings, SubScore};
use crate::config::{IcpConfig, RequiredMatch};

const FIELDS: &[&str] = &["company.technologies"];

/// Appends the entries of `tools` for which `keep` holds, in config order,
/// separated by ", ".
fn join(mut line: Line, tools: &[String], keep: impl Fn(&str) -> bool) -> Line {
    let mut first = true;
    for tool in tools.iter().filter(|t| keep(t)) {
        if !first {
            line = line.s(", ");
        }
        first = false;
        line = line.s(tool);
    }
    line
}

/// Scores the company's tools.
pub(crate) fn score(cfg: &IcpConfig, lead: &Lead<'_>, findings: &mut Findings, sub: &mut SubScore) {
    let t = &cfg.technographic;
    // The lead's tools are a handful: scanning them per configured tool is
    // cheaper than collecting them. Configured tools are never empty, so an
    // empty entry on the lead never matches.
    let technologies = lead.company().technologies();
    let uses = |tool: &str| technologies.clone().any(|t| t == tool);
    let present = |list: &[String]| list.iter().filter(|tool| uses(tool)).count();
    let required_active = !t.required.is_empty();
    let bonus_active = !t.bonus.is_empty();

    if technologies.clone().all(str::is_empty) {
        let possible = if required_active { t.required_points } else { 0.0 }
            + if bonus_active { t.bonus_points_max } else { 0.0 };
        if possible > 0.0 {
            sub.add(
                possible,
                "icp_fit.tech.unknown",
                possible * cfg.unknown_share,
                "Technologies unknown: no tools listed for the company",
                FIELDS,
            );
        }
        return;
    }
    findings.known_attributes += 1;

    if required_active {
        let present = present(&t.required);
        let max = t.required_points;
        let share = match t.required_match {
            RequiredMatch::All => present as f64 / t.required.len() as f64,
            RequiredMatch::Any if present == 0 => 0.0,
            RequiredMatch::Any => 1.0,
        };
        let (code, message) = if present == 0 {
            (
                "icp_fit.tech.required_missing",
                join(Line::new().s("None of the required tools in use ("), &t.required, |_| true).c(')'),
            )
        } else if share >= 1.0 {
            ("icp_fit.tech.required", join(Line::new().s("Uses required tools: "), &t.required, uses))
        } else {
            let line = Line::new()
                .s("Uses ")
                .int(present as i64)
                .s(" of ")
                .int(t.required.len() as i64)
                .s(" required tools (");
            let line = join(line, &t.required, uses).s("); missing ");
            ("icp_fit.tech.required_partial", join(line, &t.required, |tool| !uses(tool)))
        };
        sub.add(max, code, max * share, message, FIELDS);
    }

    if bonus_active {
        let present = present(&t.bonus);
        let max = t.bonus_points_max;
        let earned = (present as f64 * t.bonus_points_each).min(max);
        if present == 0 {
            sub.add(max, "icp_fit.tech.no_bonus", 0.0, "None of the bonus tools in use", FIELDS);
        } else {
            let line = Line::new().s("Uses ").int(present as i64).s(" bonus tool(s): ");
            sub.add(max, "icp_fit.tech.bonus", earned, join(line, &t.bonus, uses), FIELDS);
        }
    }

    let competing = present(&t.competing);
    if competing > 0 {
        let full = competing as f64 * t.competing_penalty_each;
        let penalty = full.min(sub.earned().max(0.0));
        let message = join(Line::new().s("Uses competing tool(s): "), &t.competing, uses)
            .when(penalty < full, |l| l.s(" (penalty limited so technographic fit stays at 0 or above)"));
        sub.add(0.0, "icp_fit.tech.competing", -penalty, message, FIELDS);
    }
}
