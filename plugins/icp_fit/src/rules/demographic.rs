//! Demographics: is the *contact* someone who buys or champions the product?
//! Seniority and department (articles 000 and 003: an HQL matches "the
//! demographics … that define the target audience"; 003 qualifies on "job
//! role").

use hql_plugin_api::{Lead, Seniority};

use super::{Findings, SubScore, listed};
use crate::config::{IcpConfig, SeniorityShares};
use hql_plugin_api::text::Line;

/// Scores the contact into `sub`.
pub(crate) fn score(cfg: &IcpConfig, lead: &Lead<'_>, findings: &mut Findings, sub: &mut SubScore) {
    seniority(cfg, lead, findings, sub);
    department(cfg, lead, findings, sub);
}

/// Reason code for a known seniority, `icp_fit.seniority.<level>`.
fn seniority_code(level: Seniority) -> &'static str {
    match level {
        Seniority::Unknown => "icp_fit.seniority.unknown",
        Seniority::Intern => "icp_fit.seniority.intern",
        Seniority::Entry => "icp_fit.seniority.entry",
        Seniority::Senior => "icp_fit.seniority.senior",
        Seniority::Manager => "icp_fit.seniority.manager",
        Seniority::Director => "icp_fit.seniority.director",
        Seniority::Vp => "icp_fit.seniority.vp",
        Seniority::CLevel => "icp_fit.seniority.c_level",
        Seniority::Owner => "icp_fit.seniority.owner",
    }
}

/// Share of the seniority points for `level`; `None` when unknown.
pub(crate) fn seniority_share(shares: &SeniorityShares, level: Seniority) -> Option<f64> {
    Some(match level {
        Seniority::Unknown => return None,
        Seniority::Intern => shares.intern,
        Seniority::Entry => shares.entry,
        Seniority::Senior => shares.senior,
        Seniority::Manager => shares.manager,
        Seniority::Director => shares.director,
        Seniority::Vp => shares.vp,
        Seniority::CLevel => shares.c_level,
        Seniority::Owner => shares.owner,
    })
}

fn seniority(cfg: &IcpConfig, lead: &Lead<'_>, findings: &mut Findings, sub: &mut SubScore) {
    const FIELDS: &[&str] = &["contact.seniority"];
    let d = &cfg.demographic;
    let max = d.seniority_points;
    let level = lead.contact().seniority();
    match seniority_share(&d.seniority, level) {
        None => sub.add(
            max,
            "icp_fit.seniority.unknown",
            max * cfg.unknown_share,
            "Seniority unknown: not provided",
            FIELDS,
        ),
        Some(share) => {
            findings.known_attributes += 1;
            sub.add(
                max,
                seniority_code(level),
                max * share,
                Line::new().s("Seniority ").s(level.as_str()).s(" (").pct(share).s(" of seniority points)"),
                FIELDS,
            );
        }
    }
}

fn department(cfg: &IcpConfig, lead: &Lead<'_>, findings: &mut Findings, sub: &mut SubScore) {
    const FIELDS: &[&str] = &["contact.department"];
    let d = &cfg.demographic;
    let max = d.department_points;
    let active = !d.target_departments.is_empty();
    let department = lead.contact().department();
    if department.is_empty() {
        if active {
            sub.add(
                max,
                "icp_fit.department.unknown",
                max * cfg.unknown_share,
                "Department unknown: not provided",
                FIELDS,
            );
        }
        return;
    }
    findings.known_attributes += 1;
    if !active {
        return;
    }
    if listed(&d.target_departments, department) {
        sub.add(
            max,
            "icp_fit.department.target",
            max,
            Line::new().s("Department '").s(department).s("' is a target department"),
            FIELDS,
        );
    } else {
        sub.add(
            max,
            "icp_fit.department.other",
            max * d.other_department_share,
            Line::new()
                .s("Department '")
                .s(department)
                .s("' is not a target department (")
                .pct(d.other_department_share)
                .s(" credit)"),
            FIELDS,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seniority_codes_name_the_level() {
        for &level in Seniority::ALL.iter().chain([&Seniority::Unknown]) {
            assert_eq!(seniority_code(level), format!("icp_fit.seniority.{}", level.as_str()));
        }
    }
}
