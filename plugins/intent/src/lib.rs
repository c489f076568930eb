//! # `intent`: how close the lead is to buying, from what it did
//!
//! Intent is read from events (domain notes, articles 000, 002 and 003):
//! bottom-of-funnel actions (pricing page, demo request, free trial, contact
//! sales) weigh far more than top-of-funnel content (blog, newsletter,
//! e-books), third-party intent (keyword research, competitor and review
//! sites) counts with less confidence than first-party behaviour, and old
//! signals fade.
//!
//! How the score is built:
//! 1. every event earns its type's points × `0.5^(age / half_life_days)` ×
//!    the third-party multiplier when it is third-party (`tally`);
//! 2. each type is capped (`type_caps`, else `default_type_cap` × its points)
//!    and each funnel stage is capped (`stage_caps`), so volume of cheap
//!    signals never outweighs one buying action; article 004 warns that
//!    downloads alone do not make a lead qualified (`explain`);
//! 3. unsubscribes, hard bounces and spam complaints subtract points and are
//!    reported as disqualifier codes for the policy to act on; events the lead
//!    answered negatively subtract a little;
//! 4. the sum is clamped to 0–100; an `intent.clamped` reason carries the
//!    difference so the reasons always add up to the score, and the unclamped
//!    sum is the `decayed_points` fact.
//!
//! No events means intent is unknown, not negative: the score is 0 with an
//! `intent.no_events` reason. Reasons are grouped per event type with every
//! event index as evidence.
//!
//! Files: `config` (tunable tables and validation), `tally` (one pass
//! over the events), `explain` (reasons, caps, disqualifiers), `fmt`
//! (message formatting and rounding).
#![forbid(unsafe_code)]

mod config;
mod explain;
mod tally;
#[cfg(test)]
mod tests;

use hql_plugin_api::{CodeSpec, Config, ConfigError, Context, FactSpec, Lead, Score, ScoreError, Scorer};

use crate::config::{IntentConfig, Rules};

/// The intent scorer: one instance per policy entry, read-only after `configure`.
#[derive(Debug)]
pub struct IntentScorer {
    rules: Rules,
}

impl Scorer for IntentScorer {
    const NAME: &'static str = "intent";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DIMENSION: &'static str = "engagement";
    const DESCRIPTION: &'static str = "Buying intent from events: funnel-stage points with time decay, third-party discount, caps and negative signals";
    const FACTS: &'static [FactSpec] = &[
        FactSpec::number(
            "bottom_funnel_events",
            "Bottom-funnel events (demo, contact sales, pricing, trial, ...) within bottom_funnel_window_days \
             (default max_age_days)",
        ),
        FactSpec::number(
            "mid_funnel_events",
            "Mid-funnel events (case studies, webinars, product pages, ...) within max_age_days",
        ),
        FactSpec::number(
            "top_funnel_events",
            "Top-funnel events (blog, newsletter, downloads, ...) within max_age_days",
        ),
        FactSpec::number("third_party_signals", "Events treated as third-party intent within max_age_days"),
        FactSpec::number("content_downloads", "E-book and whitepaper downloads within max_age_days"),
        FactSpec::number("recent_events_30d", "Counted events in the last 30 days"),
        FactSpec::number(
            "days_since_bottom_funnel",
            "Whole days since the latest bottom-funnel event; set only when there is one",
        ),
        FactSpec::number(
            "negative_events",
            "Unsubscribes, hard bounces, spam complaints (any age) and negative responses",
        ),
        FactSpec::number(
            "decayed_points",
            "Total points after decay, caps and penalties, before clamping to 0-100",
        ),
    ];
    const DISQUALIFIERS: &'static [CodeSpec] = &[
        CodeSpec::new("intent.unsubscribed", "The lead unsubscribed"),
        CodeSpec::new("intent.hard_bounce", "The lead's e-mail address hard-bounced"),
        CodeSpec::new("intent.spam_complaint", "The lead filed a spam complaint"),
    ];

    fn configure(config: &Config<'_>) -> Result<Self, ConfigError> {
        let config: IntentConfig = config.parse()?;
        Ok(IntentScorer { rules: config.compile()? })
    }

    fn score(&self, lead: &Lead<'_>, ctx: &Context<'_>) -> Result<Score, ScoreError> {
        let tally = tally::tally(&self.rules, lead, ctx);
        let mut score = Score::for_call(ctx);
        let total = explain::explain(&self.rules, &tally, &mut score);
        score.settle(CLAMPED);
        score
            .fact("bottom_funnel_events", tally.bottom_funnel)
            .fact("mid_funnel_events", tally.mid_funnel)
            .fact("top_funnel_events", tally.top_funnel)
            .fact("third_party_signals", tally.third_party)
            .fact("content_downloads", tally.content_downloads)
            .fact("recent_events_30d", tally.recent.len());
        if let Some(latest) = &tally.latest_bottom {
            score.fact("days_since_bottom_funnel", explain::whole_days(latest.age));
        }
        score.fact("negative_events", tally.negative_events()).fact("decayed_points", total);
        Ok(score)
    }
}

/// Code of the reason that carries the clamping difference.
const CLAMPED: &str = "intent.clamped";

hql_plugin_api::export_scorer!(IntentScorer);
