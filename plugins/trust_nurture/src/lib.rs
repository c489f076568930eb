//! The `trust_nurture` scorer: has this lead been nurtured into a
//! relationship, or did it just download something?
//!
//! Article 004 of the domain notes argues that a highly qualified lead (HQL)
//! is not a form fill packaged and handed off ("download → lead packaging →
//! hand-off") but a lead that has been nurtured, interacts with content
//! periodically, shows interest in the brand and analogous solutions, and
//! responds to campaigns positively — across several channels, ideally
//! reciprocally (it writes back, asks, meets). It also warns that downloading
//! e-books and whitepapers "does not mean prospects are qualified". This
//! scorer measures exactly that, on the `engagement` dimension:
//!
//! | component | default max | measures |
//! |---|---|---|
//! | regularity | 25 | distinct active weeks in the lookback |
//! | streak | 10 | longest run of consecutive active weeks |
//! | channels | 15 | distinct known channels of engagement |
//! | responses | 15 | positive campaign responses (negatives subtract) |
//! | reciprocal | 20 | replies, inbound questions, meetings |
//! | analogous interest | 5 | third-party research of similar solutions |
//! | relationship | 10 | days since the first visible event |
//!
//! Unsubscribes, spam complaints, hard bounces and negative responses take
//! points away. If every engagement event is content consumption, the score
//! is capped (default 20) whatever the volume. The score is the sum of the
//! reasons, clamped to 0–100 (the cap and the clamp are reasons too). Weeks
//! are counted back from the decision's `as_of`; no clock is read.
//!
//! Map of the crate:
//! - `config`: the policy's settings, their defaults and range checks.
//! - `classify`: one pass over the events into a summary (what each event is).
//! - `weeks`: 7-day buckets, active weeks and streaks.
//! - `rules`: one function per component, each adding its reasons and facts.
//! - [`TrustNurtureScorer`]: the [`Scorer`] implementation tying them together.
#![forbid(unsafe_code)]

mod classify;
mod config;
mod rules;
#[cfg(test)]
mod tests;
mod weeks;

use hql_plugin_api::{Config, ConfigError, Context, FactSpec, Lead, Score, ScoreError, Scorer};

use crate::classify::{EventTypes, Summary};
use crate::config::NurtureConfig;

/// Scores nurtured trust from the lead's events (see the crate docs for why).
#[derive(Debug)]
pub struct TrustNurtureScorer {
    config: NurtureConfig,
    /// The event-type lists as one table, built once.
    types: EventTypes,
    /// `content_only_cap` as messages quote it, written once.
    cap_text: String,
}

impl Scorer for TrustNurtureScorer {
    const NAME: &'static str = "trust_nurture";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DIMENSION: &'static str = "engagement";
    const DESCRIPTION: &'static str = "Nurtured trust (article 004): regular interaction over weeks, several \
        channels, positive and reciprocal responses, relationship age; content downloads alone are capped";
    const FACTS: &'static [FactSpec] = &[
        FactSpec::number(
            "active_weeks",
            "7-day buckets within the lookback with at least one engagement event",
        ),
        FactSpec::number(
            "longest_streak_weeks",
            "longest run of consecutive active weeks within the lookback",
        ),
        FactSpec::number("channels", "distinct known channels of engagement"),
        FactSpec::number("positive_responses", "events with a positive response"),
        FactSpec::number(
            "negative_responses",
            "events with a negative response plus unsubscribes, spam complaints and hard bounces",
        ),
        FactSpec::number(
            "reciprocal_interactions",
            "replies, inbound questions, sales meetings and positive campaign responses",
        ),
        FactSpec::number(
            "relationship_days",
            "whole days since the first visible event; set only when there is an event",
        ),
        FactSpec::bool(
            "content_only",
            "every engagement event is a content download or passive read (the score is capped)",
        ),
    ];

    fn configure(config: &Config<'_>) -> Result<Self, ConfigError> {
        let config = NurtureConfig::from_config(config)?;
        let types = EventTypes::new(&config);
        let cap_text = config.content_only_cap.to_string();
        Ok(TrustNurtureScorer { config, types, cap_text })
    }

    fn score(&self, lead: &Lead<'_>, ctx: &Context<'_>) -> Result<Score, ScoreError> {
        let cfg = &self.config;
        let mut score = Score::for_call(ctx);
        let mut summary = Summary::read(cfg, &self.types, lead, ctx);
        if summary.visible == 0 {
            rules::no_events(&mut score);
            return Ok(score);
        }
        rules::regularity(cfg, &summary, &mut score);
        rules::streak(cfg, &summary, &mut score);
        rules::channels(cfg, &summary, &mut score);
        rules::responses(cfg, &self.types, &mut summary, &mut score);
        rules::reciprocal(cfg, &self.types, &summary, &mut score);
        rules::analogous(cfg, &mut summary, &mut score);
        rules::relationship(cfg, &summary, ctx, &mut score);
        rules::content_only(cfg, &self.cap_text, &mut summary, &mut score);
        score.settle("trust_nurture.clamped");
        Ok(score)
    }
}

hql_plugin_api::export_scorer!(TrustNurtureScorer);
