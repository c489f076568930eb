//! The `product_usage` scorer: how strongly a trial or freemium account
//! signals a product-qualified lead (PQL).
//!
//! Article 003 of the domain notes describes the PQL as a lead that "has
//! interacted with a product directly, typically through a free trial or
//! freemium model, and has shown signs of interest in upgrading"; their intent
//! "is often stronger than other types of leads" because they have already
//! experienced the product. This scorer turns the request's `product_usage`
//! block into a 0–100 score on the `product` dimension from those signs:
//! activation, active days, usage trend, team adoption (seats, invites), key
//! features adopted, plan-limit hits, and trial timing. Whether the account
//! already pays is reported, not scored: that is expansion, not a new lead.
//!
//! Every point comes with a reason citing the `product_usage.*` field it read;
//! a field that was not sent earns a 0-point "unknown" reason, never a
//! penalty. The score is the sum of the reasons, clamped to 0–100 (a clamp is
//! a reason too). No clock is read: trial days left are counted from the
//! decision's `as_of`, so a decision replays identically.
//!
//! Map of the crate:
//! - `config`: the policy's settings, their defaults and range checks.
//! - `rules`: one function per signal, each adding its reasons and facts.
//! - [`ProductUsageScorer`]: the [`Scorer`] implementation tying them together.
#![forbid(unsafe_code)]

mod config;
mod rules;
#[cfg(test)]
mod tests;

use hql_plugin_api::{Config, ConfigError, Context, FactSpec, Lead, Score, ScoreError, Scorer};

use crate::config::UsageConfig;
use crate::rules::Signals;

/// Scores trial / freemium product usage (see the crate docs for why).
#[derive(Debug)]
pub struct ProductUsageScorer {
    config: UsageConfig,
}

impl Scorer for ProductUsageScorer {
    const NAME: &'static str = "product_usage";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DIMENSION: &'static str = "product";
    const DESCRIPTION: &'static str = "Product-qualified lead signals from trial / freemium usage: \
        activation, active days, trend, seats, invites, key features, plan-limit hits, trial timing";
    const FACTS: &'static [FactSpec] = &[
        FactSpec::bool("has_usage", "the request carried product usage data"),
        FactSpec::bool("activated", "the account reached activation"),
        FactSpec::number("active_days_last_30", "active days in the last 30 (0-30)"),
        FactSpec::number(
            "usage_trend",
            "active days in the last 30 minus the 30 before; set only when both are known",
        ),
        FactSpec::number("seats", "seats in use"),
        FactSpec::number("invited_teammates", "teammates invited"),
        FactSpec::number("key_features_adopted", "adopted features that are in the configured key_features"),
        FactSpec::number("plan_limit_hits", "times a plan limit was hit"),
        FactSpec::number(
            "trial_days_left",
            "whole days until the trial ends, rounded down (0 = within 24 h, negative = expired); \
             set only when the trial end is known",
        ),
        FactSpec::text("plan", "plan name, lower-case (e.g. \"free\", \"trial\", \"team\")"),
    ];

    fn configure(config: &Config<'_>) -> Result<Self, ConfigError> {
        Ok(ProductUsageScorer { config: UsageConfig::from_config(config)? })
    }

    fn score(&self, lead: &Lead<'_>, ctx: &Context<'_>) -> Result<Score, ScoreError> {
        let mut score = Score::for_call(ctx);
        let Some(usage) = lead.usage() else {
            score.fact("has_usage", false);
            score.reason(
                "product_usage.no_data",
                0.0,
                "no product usage data: product qualification unknown",
            );
            return Ok(score);
        };
        score.fact("has_usage", true);
        let cfg = &self.config;
        let signals = Signals::read(&usage);
        rules::activation(cfg, &signals, &mut score);
        rules::active_days(cfg, &signals, &mut score);
        rules::trend(cfg, &signals, ctx, &mut score);
        rules::seats(cfg, &signals, &mut score);
        rules::invites(cfg, &signals, &mut score);
        rules::features(cfg, &signals, &mut score);
        rules::plan_limits(cfg, &signals, &mut score);
        rules::trial(cfg, &signals, ctx, &mut score);
        rules::plan(cfg, &signals, &mut score);
        score.settle("product_usage.clamped");
        Ok(score)
    }
}

hql_plugin_api::export_scorer!(ProductUsageScorer);
