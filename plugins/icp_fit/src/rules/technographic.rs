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

use super::{Findings, SubScore};
use crate::config::{IcpConfig, RequiredMatch};

const FIELDS: &[&str] = &["company.technologies"];

/// Scores the company's tools.
pub(crate) fn score(cfg: &IcpConfig, lead: &Lead<'_>, findings: &mut Findings) -> SubScore {
    let t = &cfg.technographic;
    let mut sub = SubScore::default();
    let in_use: Vec<&str> = lead.company().technologies().filter(|s| !s.is_empty()).collect();
    let uses = |list: &[String]| -> Vec<String> {
        list.iter().filter(|tool| in_use.contains(&tool.as_str())).cloned().collect()
    };
    let required_active = !t.required.is_empty();
    let bonus_active = !t.bonus.is_empty();

    if in_use.is_empty() {
        let possible = if required_active { t.required_points } else { 0.0 }
            + if bonus_active { t.bonus_points_max } else { 0.0 };
        if possible > 0.0 {
            sub.add(
                possible,
                "icp_fit.tech.unknown",
                possible * cfg.unknown_share,
                "Technologies unknown: no tools listed for the company".to_string(),
                FIELDS,
            );
        }
        return sub;
    }
    findings.known_attributes += 1;

    if required_active {
        let present = uses(&t.required);
        let max = t.required_points;
        let missing: Vec<&str> =
            t.required.iter().filter(|tool| !present.contains(tool)).map(String::as_str).collect();
        let share = match t.required_match {
            RequiredMatch::All => present.len() as f64 / t.required.len() as f64,
            RequiredMatch::Any if present.is_empty() => 0.0,
            RequiredMatch::Any => 1.0,
        };
        let (code, message) = if present.is_empty() {
            (
                "icp_fit.tech.required_missing",
                format!("None of the required tools in use ({})", t.required.join(", ")),
            )
        } else if share >= 1.0 {
            ("icp_fit.tech.required", format!("Uses required tools: {}", present.join(", ")))
        } else {
            (
                "icp_fit.tech.required_partial",
                format!(
                    "Uses {} of {} required tools ({}); missing {}",
                    present.len(),
                    t.required.len(),
                    present.join(", "),
                    missing.join(", ")
                ),
            )
        };
        sub.add(max, code, max * share, message, FIELDS);
    }

    if bonus_active {
        let present = uses(&t.bonus);
        let max = t.bonus_points_max;
        let earned = (present.len() as f64 * t.bonus_points_each).min(max);
        if present.is_empty() {
            sub.add(max, "icp_fit.tech.no_bonus", 0.0, "None of the bonus tools in use".to_string(), FIELDS);
        } else {
            sub.add(
                max,
                "icp_fit.tech.bonus",
                earned,
                format!("Uses {} bonus tool(s): {}", present.len(), present.join(", ")),
                FIELDS,
            );
        }
    }

    let competing = uses(&t.competing);
    if !competing.is_empty() {
        let full = competing.len() as f64 * t.competing_penalty_each;
        let penalty = full.min(sub.earned().max(0.0));
        let limited =
            if penalty < full { " (penalty limited so technographic fit stays at 0 or above)" } else { "" };
        sub.add(
            0.0,
            "icp_fit.tech.competing",
            -penalty,
            format!("Uses competing tool(s): {}{limited}", competing.join(", ")),
            FIELDS,
        );
    }
    sub
}
