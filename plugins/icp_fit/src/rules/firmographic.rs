//! Firmographics: is the *company* one we sell to? Industry, size, revenue
//! and region (articles 000 and 003: an HQL "matches the firmographics that
//! define the target audience"; 003 lists company size among qualification
//! criteria).
//!
//! An excluded industry or an unserved region also reports a hard
//! disqualifier: no amount of intent makes a company we cannot sell to a
//! qualified lead.

use hql_plugin_api::Lead;

use super::{Findings, SubScore, listed, range_fit};
use crate::config::IcpConfig;
use hql_plugin_api::text::{count, pct, usd_compact};

/// Scores the company.
pub(crate) fn score(cfg: &IcpConfig, lead: &Lead<'_>, findings: &mut Findings) -> SubScore {
    let mut sub = SubScore::default();
    industry(cfg, lead, findings, &mut sub);
    employees(cfg, lead, findings, &mut sub);
    revenue(cfg, lead, findings, &mut sub);
    region(cfg, lead, findings, &mut sub);
    sub
}

fn industry(cfg: &IcpConfig, lead: &Lead<'_>, findings: &mut Findings, sub: &mut SubScore) {
    const FIELDS: &[&str] = &["company.industry"];
    let f = &cfg.firmographic;
    let max = f.industry_points;
    let active = !f.target_industries.is_empty();
    let industry = lead.company().industry();
    if industry.is_empty() {
        if active {
            sub.add(
                max,
                "icp_fit.industry.unknown",
                max * cfg.unknown_share,
                "Industry unknown: not provided".to_string(),
                FIELDS,
            );
        }
        return;
    }
    findings.known_attributes += 1;
    if listed(&f.excluded_industries, industry) {
        findings.industry_match = Some(false);
        let message = format!("Industry '{industry}' is excluded from the ICP");
        findings.disqualifiers.push(("icp.excluded_industry", message.clone()));
        if active {
            sub.add(max, "icp_fit.industry.excluded", 0.0, message, FIELDS);
        }
        return;
    }
    if !active {
        // No target list: every industry that is not excluded fits.
        findings.industry_match = Some(true);
        return;
    }
    if listed(&f.target_industries, industry) {
        findings.industry_match = Some(true);
        sub.add(
            max,
            "icp_fit.industry.target",
            max,
            format!("Industry '{industry}' is a target industry"),
            FIELDS,
        );
    } else {
        findings.industry_match = Some(false);
        sub.add(
            max,
            "icp_fit.industry.other",
            max * f.other_industry_share,
            format!(
                "Industry '{industry}' is not a target industry ({} credit)",
                pct(f.other_industry_share)
            ),
            FIELDS,
        );
    }
}

fn employees(cfg: &IcpConfig, lead: &Lead<'_>, findings: &mut Findings, sub: &mut SubScore) {
    const FIELDS: &[&str] = &["company.employee_count"];
    let rule = &cfg.firmographic.employees;
    let max = rule.points;
    let unknown = |sub: &mut SubScore, message: String| {
        sub.add(max, "icp_fit.employees.unknown", max * cfg.unknown_share, message, FIELDS);
    };
    match lead.company().employee_count() {
        None => unknown(sub, "Employee count unknown: not provided".to_string()),
        Some(n) if n <= 0 => unknown(sub, format!("Employee count {n} is not valid; treated as unknown")),
        Some(n) => {
            findings.known_attributes += 1;
            let fit = range_fit(n as f64, rule);
            let range = format!("{}–{}", count(rule.min.round() as i64), count(rule.max.round() as i64));
            let code = match fit {
                super::Fit::Within => "icp_fit.employees.in_range",
                super::Fit::Below { .. } => "icp_fit.employees.below_range",
                super::Fit::Above { .. } => "icp_fit.employees.above_range",
            };
            sub.add(
                max,
                code,
                max * fit.share(),
                format!("{} employees{}", count(n), fit.describe(&range)),
                FIELDS,
            );
        }
    }
}

fn revenue(cfg: &IcpConfig, lead: &Lead<'_>, findings: &mut Findings, sub: &mut SubScore) {
    const FIELDS: &[&str] = &["company.annual_revenue"];
    let rule = &cfg.firmographic.revenue;
    let max = rule.points;
    let unknown = |sub: &mut SubScore, message: String| {
        sub.add(max, "icp_fit.revenue.unknown", max * cfg.unknown_share, message, FIELDS);
    };
    match lead.company().annual_revenue() {
        None => unknown(sub, "Annual revenue unknown: not provided".to_string()),
        Some(r) if r <= 0.0 => {
            unknown(sub, format!("Annual revenue {} is not valid; treated as unknown", usd_compact(r)))
        }
        Some(r) => {
            findings.known_attributes += 1;
            let fit = range_fit(r, rule);
            let range = format!("{}–{}", usd_compact(rule.min), usd_compact(rule.max));
            let code = match fit {
                super::Fit::Within => "icp_fit.revenue.in_range",
                super::Fit::Below { .. } => "icp_fit.revenue.below_range",
                super::Fit::Above { .. } => "icp_fit.revenue.above_range",
            };
            sub.add(
                max,
                code,
                max * fit.share(),
                format!("Annual revenue {}{}", usd_compact(r), fit.describe(&range)),
                FIELDS,
            );
        }
    }
}

fn region(cfg: &IcpConfig, lead: &Lead<'_>, findings: &mut Findings, sub: &mut SubScore) {
    let f = &cfg.firmographic;
    let max = f.region_points;
    let active = !f.served_regions.is_empty();
    let company_region = lead.company().region();
    let country = lead.contact().country();
    let (region, origin, fields): (&str, String, &'static [&'static str]) = if !company_region.is_empty() {
        (company_region, String::new(), &["company.region"])
    } else if let Some(mapped) = f.country_regions.get(country) {
        (mapped.as_str(), format!(" (from country {country})"), &["contact.country"])
    } else {
        if active {
            let message = if country.is_empty() {
                "Region unknown: neither company region nor contact country provided".to_string()
            } else {
                format!("Region unknown: no company region, and country {country} is not in country_regions")
            };
            sub.add(
                max,
                "icp_fit.region.unknown",
                max * cfg.unknown_share,
                message,
                &["company.region", "contact.country"],
            );
        }
        return;
    };
    findings.known_attributes += 1;
    if !active {
        findings.region_served = Some(true);
        return;
    }
    if listed(&f.served_regions, region) {
        findings.region_served = Some(true);
        sub.add(max, "icp_fit.region.served", max, format!("Region {region}{origin} is served"), fields);
    } else {
        findings.region_served = Some(false);
        let message =
            format!("Region {region}{origin} is not served (served: {})", f.served_regions.join(", "));
        findings.disqualifiers.push(("icp.region_not_served", message.clone()));
        sub.add(max, "icp_fit.region.not_served", 0.0, message, fields);
    }
}
