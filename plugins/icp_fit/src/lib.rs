//! # `icp_fit`: ideal customer profile fit
//!
//! Fit is *who* the lead is, never what it did (domain notes, articles 000,
//! 001 and 003): an HQL "aligns closely with the ideal customer profile" in
//! firmographics, demographics and technographics. This scorer ignores events
//! entirely, so a busy lead from the wrong market cannot look like a good fit,
//! and intent is left to the `intent` scorer.
//!
//! The score is a weighted mean of three sub-scores (each 0–100, weights
//! default 50/30/20): firmographic (industry, employees, revenue, region),
//! demographic (seniority, department) and technographic (required, bonus and
//! competing tools). Ranges give partial credit outside them, decaying with
//! distance on a log scale, because a company slightly too small is still a
//! plausible customer. Every rule emits one reason whose points are already
//! weighted, so the reasons add up to the score.
//!
//! Missing data is unknown, not bad: an unknown attribute earns
//! `unknown_share` of its rule (0 by default) and says so. Leads that must not
//! be worked at all (competitors, free or throw-away e-mail, students and
//! private persons, excluded industries, unserved regions) are reported as
//! hard disqualifiers for the policy, with a 0-point reason carrying the
//! evidence.
//!
//! Files: `config` (the ICP, its validation, and what is derived from it once
//! at start-up), `rules` (the three sub-scores), `gates` (disqualifiers
//! without points).
//!
//! Scoring runs for every lead, so messages are written with `text::Line`
//! (one buffer each, no `format!`), codes are literals, and texts that depend
//! only on the config (range bounds, the served regions, title keywords split
//! into words) are prepared in `configure` rather than per lead.
#![forbid(unsafe_code)]

mod config;
mod gates;
mod rules;
#[cfg(test)]
mod tests;

use hql_plugin_api::{CodeSpec, Config, ConfigError, Context, FactSpec, Lead, Score, ScoreError, Scorer};

use crate::config::{IcpConfig, Prepared};
use crate::rules::{Findings, SubScore};
use hql_plugin_api::text::round2;

/// The ICP fit scorer: one instance per policy entry, read-only after `configure`.
#[derive(Debug)]
pub struct IcpFitScorer {
    config: IcpConfig,
    prepared: Prepared,
}

impl Scorer for IcpFitScorer {
    const NAME: &'static str = "icp_fit";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DIMENSION: &'static str = "fit";
    const DESCRIPTION: &'static str = "Ideal customer profile fit: firmographics, demographics and technographics, with hard ICP disqualifiers";
    const FACTS: &'static [FactSpec] = &[
        FactSpec::number("firmographic_score", "Company fit (industry, employees, revenue, region), 0-100"),
        FactSpec::number("demographic_score", "Contact fit (seniority, department), 0-100"),
        FactSpec::number("technographic_score", "Tool-stack fit (required, bonus, competing tools), 0-100"),
        FactSpec::bool(
            "industry_match",
            "The company's industry is a target industry; set only when the industry is known",
        ),
        FactSpec::bool(
            "region_served",
            "The company's region (or the contact's country's region) is served; set only when known",
        ),
        FactSpec::number(
            "seniority_rank",
            "Contact seniority: 0 unknown, 1 intern, 2 entry, 3 senior, 4 manager, 5 director, 6 vp, 7 c_level, 8 owner",
        ),
        FactSpec::number(
            "known_attributes",
            "ICP attributes known (industry, employees, revenue, region, seniority, department, technologies), 0-7",
        ),
        FactSpec::bool(
            "competitor",
            "The company or e-mail domain belongs to a competitor; set only when a domain is known",
        ),
    ];
    const DISQUALIFIERS: &'static [CodeSpec] = &[
        CodeSpec::new("icp.competitor", "The company or e-mail domain belongs to a competitor"),
        CodeSpec::new("icp.free_mail", "Personal free-mail address while selling B2B only"),
        CodeSpec::new("icp.disposable_email", "Disposable (throw-away) e-mail address"),
        CodeSpec::new("icp.student", "Student, intern, trainee or private person (seniority or job title)"),
        CodeSpec::new("icp.region_not_served", "The company's region is not served by sales"),
        CodeSpec::new("icp.excluded_industry", "The company's industry is excluded from the ICP"),
    ];

    fn configure(config: &Config<'_>) -> Result<Self, ConfigError> {
        let mut config: IcpConfig = config.parse()?;
        config.normalise()?;
        config.validate()?;
        let prepared = Prepared::new(&config);
        Ok(IcpFitScorer { config, prepared })
    }

    fn score(&self, lead: &Lead<'_>, ctx: &Context<'_>) -> Result<Score, ScoreError> {
        let (cfg, pre) = (&self.config, &self.prepared);
        let mut findings = Findings::default();
        // Filled where they lie: a sub-score holds its parts inline, and
        // returning and moving three of them counted more instructions than
        // the heap lists they replace.
        let mut weighted: [(SubScore, f64, &'static str); 3] = [
            (SubScore::default(), cfg.weights.firmographic, "firmographic_score"),
            (SubScore::default(), cfg.weights.demographic, "demographic_score"),
            (SubScore::default(), cfg.weights.technographic, "technographic_score"),
        ];
        let [(firmographic, ..), (demographic, ..), (technographic, ..)] = &mut weighted;
        rules::firmographic::score(cfg, pre, lead, &mut findings, firmographic);
        rules::demographic::score(cfg, lead, &mut findings, demographic);
        rules::technographic::score(cfg, lead, &mut findings, technographic);
        // Sub-scores without an active rule drop out and the others' weights
        // are renormalised, so an empty criterion never drags the score down.
        let active_weight: f64 =
            weighted.iter().filter(|(s, _, _)| s.possible > 0.0).map(|(_, w, _)| w).sum();

        // Read before the parts move into the reasons below.
        let values = weighted.each_ref().map(|(sub, _, _)| sub.value());

        let mut score = Score::for_call(ctx);
        for (sub, weight, _) in &mut weighted {
            let factor = if sub.possible > 0.0 && active_weight > 0.0 {
                *weight / active_weight * 100.0 / sub.possible
            } else {
                0.0
            };
            // The parts are not needed after this: their messages move into
            // the reasons instead of being copied.
            for part in sub.parts.drain(..) {
                let points = round2(part.raw * factor);
                let reason = score.reason(part.code, points, part.message);
                for field in part.fields {
                    reason.field(*field);
                }
            }
        }
        gates::check(&cfg.disqualifiers, &pre.titles, lead, &mut score, &mut findings);
        score.settle(CLAMPED);

        for ((_, _, fact), value) in weighted.iter().zip(values) {
            if let Some(value) = value {
                score.fact(*fact, round2(value));
            }
        }
        if let Some(m) = findings.industry_match {
            score.fact("industry_match", m);
        }
        if let Some(served) = findings.region_served {
            score.fact("region_served", served);
        }
        score.fact("seniority_rank", lead.contact().seniority().to_raw());
        score.fact("known_attributes", findings.known_attributes);
        if let Some(c) = findings.competitor {
            score.fact("competitor", c);
        }
        for (code, message) in findings.disqualifiers {
            score.disqualify(code, message);
        }
        Ok(score)
    }
}

/// Code of the reason that carries the clamping difference.
const CLAMPED: &str = "icp_fit.clamped";

hql_plugin_api::export_scorer!(IcpFitScorer);
