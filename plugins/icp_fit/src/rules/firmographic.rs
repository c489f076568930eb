//! Firmographics: is the *company* one we sell to? Industry, size, revenue
//! and region (articles 000 and 003: an HQL "matches the firmographics that
//! define the target audience"; 003 lists company size among qualification
//! criteria).
//!
//! An excluded industry or an unserved region also reports a hard
//! disqualifier: no amount of intent makes a company we cannot sell to a
//! qualified lead.

use std::borrow::Cow;

use hql_plugin_api::Lead;

use super::{Findings, SubScore, listed, range_fit};
use crate::config::{IcpConfig, Prepared};
use hql_plugin_api::text::Line;

/// Scores the company into `sub`.
pub(crate) fn score(
    cfg: &IcpConfig,
    pre: &Prepared,
    lead: &Lead<'_>,
    findings: &mut Findings,
    sub: &mut SubScore,
) {
    industry(cfg, lead, findings, sub);
    employees(cfg, pre, lead, findings, sub);
    revenue(cfg, pre, lead, findings, sub);
    region(cfg, pre, lead, findings, sub);
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
                "Industry unknown: not provided",
                FIELDS,
            );
        }
        return;
    }
    findings.known_attributes += 1;
    if listed(&f.excluded_industries, industry) {
        findings.industry_match = Some(false);
        let message = Line::new().s("Industry '").s(industry).s("' is excluded from the ICP").into_string();
        if active {
            sub.add(max, "icp_fit.industry.excluded", 0.0, message.clone(), FIELDS);
        }
        findings.disqualifiers.push(("icp.excluded_industry", message.into()));
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
            Line::new().s("Industry '").s(industry).s("' is a target industry"),
            FIELDS,
        );
    } else {
        findings.industry_match = Some(false);
        sub.add(
            max,
            "icp_fit.industry.other",
            max * f.other_industry_share,
            Line::new()
                .s("Industry '")
                .s(industry)
                .s("' is not a target industry (")
                .pct(f.other_industry_share)
                .s(" credit)"),
            FIELDS,
        );
    }
}

fn employees(cfg: &IcpConfig, pre: &Prepared, lead: &Lead<'_>, findings: &mut Findings, sub: &mut SubScore) {
    const FIELDS: &[&str] = &["company.employee_count"];
    let rule = &cfg.firmographic.employees;
    let max = rule.points;
    let unknown = |sub: &mut SubScore, message: Cow<'static, str>| {
        sub.add(max, "icp_fit.employees.unknown", max * cfg.unknown_share, message, FIELDS);
    };
    match lead.company().employee_count() {
        None => unknown(sub, "Employee count unknown: not provided".into()),
        Some(n) if n <= 0 => unknown(
            sub,
            Line::new().s("Employee count ").int(n).s(" is not valid; treated as unknown").into(),
        ),
        Some(n) => {
            findings.known_attributes += 1;
            let fit = range_fit(n as f64, rule);
            let code = match fit {
                super::Fit::Within => "icp_fit.employees.in_range",
                super::Fit::Below { .. } => "icp_fit.employees.below_range",
                super::Fit::Above { .. } => "icp_fit.employees.above_range",
            };
            sub.add(
                max,
                code,
                max * fit.share(),
                fit.describe(Line::new().count(n).s(" employees"), &pre.employees_range),
                FIELDS,
            );
        }
    }
}

fn revenue(cfg: &IcpConfig, pre: &Prepared, lead: &Lead<'_>, findings: &mut Findings, sub: &mut SubScore) {
    const FIELDS: &[&str] = &["company.annual_revenue"];
    let rule = &cfg.firmographic.revenue;
    let max = rule.points;
    let unknown = |sub: &mut SubScore, message: Cow<'static, str>| {
        sub.add(max, "icp_fit.revenue.unknown", max * cfg.unknown_share, message, FIELDS);
    };
    match lead.company().annual_revenue() {
        None => unknown(sub, "Annual revenue unknown: not provided".into()),
        Some(r) if r <= 0.0 => unknown(
            sub,
            Line::new().s("Annual revenue ").usd_compact(r).s(" is not valid; treated as unknown").into(),
        ),
        Some(r) => {
            findings.known_attributes += 1;
            let fit = range_fit(r, rule);
            let code = match fit {
                super::Fit::Within => "icp_fit.revenue.in_range",
                super::Fit::Below { .. } => "icp_fit.revenue.below_range",
                super::Fit::Above { .. } => "icp_fit.revenue.above_range",
            };
            sub.add(
                max,
                code,
                max * fit.share(),
                fit.describe(Line::new().s("Annual revenue ").usd_compact(r), &pre.revenue_range),
                FIELDS,
            );
        }
    }
}

fn region(cfg: &IcpConfig, pre: &Prepared, lead: &Lead<'_>, findings: &mut Findings, sub: &mut SubScore) {
    let f = &cfg.firmographic;
    let max = f.region_points;
    let active = !f.served_regions.is_empty();
    let company_region = lead.company().region();
    let country = lead.contact().country();
    // `from_country`: the region was mapped from the contact's country.
    let (region, from_country, fields): (&str, bool, &'static [&'static str]) = if !company_region.is_empty()
    {
        (company_region, false, &["company.region"])
    } else if let Some(mapped) = f.country_regions.get(country) {
        (mapped.as_str(), true, &["contact.country"])
    } else {
        if active {
            let message: Cow<'static, str> = if country.is_empty() {
                "Region unknown: neither company region nor contact country provided".into()
            } else {
                Line::new()
                    .s("Region unknown: no company region, and country ")
                    .s(country)
                    .s(" is not in country_regions")
                    .into()
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
    let line =
        Line::new().s("Region ").s(region).when(from_country, |l| l.s(" (from country ").s(country).c(')'));
    if listed(&f.served_regions, region) {
        findings.region_served = Some(true);
        sub.add(max, "icp_fit.region.served", max, line.s(" is served"), fields);
    } else {
        findings.region_served = Some(false);
        let message = line.s(" is not served (served: ").s(&pre.served_regions).c(')').into_string();
        sub.add(max, "icp_fit.region.not_served", 0.0, message.clone(), fields);
        findings.disqualifiers.push(("icp.region_not_served", message.into()));
    }
}
