//! One function per component of trust, each adding its reasons and facts
//! from the [`Summary`]. Article 004 defines its highly qualified lead as one
//! that has been (1) nurtured, (2) interacts with content periodically, (3)
//! shows interest in the brand and analogous solutions, (4) responds to
//! campaigns positively — reached "multichannel" and built on "reciprocal
//! altruism" (the lead writing back). Each function below scores one of those
//! qualities; `content_only` enforces the article's warning that downloads
//! alone ("download → lead packaging → hand-off") qualify no one.

use std::collections::BTreeMap;

use hql_plugin_api::record::MS_PER_DAY;
use hql_plugin_api::text::round2;
use hql_plugin_api::{Context, Score};

use crate::classify::Summary;
use crate::config::NurtureConfig;

/// Evidence paths, in the proto's naming.
mod field {
    pub(super) const OCCURRED_AT: &str = "events.occurred_at";
    pub(super) const CHANNEL: &str = "events.channel";
    pub(super) const RESPONSE: &str = "events.response";
    pub(super) const TYPE: &str = "events.type";
    pub(super) const SOURCE: &str = "events.source";
}

/// `per` points per unit, at most `cap`.
fn capped(units: usize, per: f64, cap: f64) -> f64 {
    round2((units as f64 * per).min(cap))
}

/// `max` points scaled linearly up to `full_at` units.
fn scaled(units: usize, full_at: u32, max: f64) -> f64 {
    let full_at = full_at.max(1) as usize;
    round2(max * units.min(full_at) as f64 / full_at as f64)
}

/// "1 week", "3 weeks".
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("{n} {one}") } else { format!("{n} {many}") }
}

/// Facts that are counts of nothing when the lead has no events at all.
pub(crate) fn no_events(score: &mut Score) {
    score
        .fact("active_weeks", 0usize)
        .fact("longest_streak_weeks", 0usize)
        .fact("channels", 0usize)
        .fact("positive_responses", 0usize)
        .fact("negative_responses", 0usize)
        .fact("reciprocal_interactions", 0usize)
        .fact("content_only", false);
    score.reason("trust_nurture.no_events", 0.0, "no events: trust and nurture unknown");
}

pub(crate) fn regularity(cfg: &NurtureConfig, s: &Summary<'_>, score: &mut Score) {
    let active = s.weeks.active();
    score.fact("active_weeks", active);
    let c = &cfg.regularity;
    let message = format!(
        "engaged in {} of the last {} (full credit from {})",
        plural(active, "week", "weeks"),
        cfg.lookback_weeks,
        c.full_at_weeks
    );
    score
        .reason("trust_nurture.regularity", scaled(active, c.full_at_weeks, c.max_points), message)
        .field(field::OCCURRED_AT)
        .events(s.weeks.evidence());
}

pub(crate) fn streak(cfg: &NurtureConfig, s: &Summary<'_>, score: &mut Score) {
    let (weeks, evidence) = s.weeks.longest_streak();
    score.fact("longest_streak_weeks", weeks);
    let c = &cfg.streak;
    let message = format!(
        "longest run: {} in a row (full credit from {})",
        plural(weeks, "active week", "active weeks"),
        c.full_at_weeks
    );
    score
        .reason("trust_nurture.streak", scaled(weeks, c.full_at_weeks, c.max_points), message)
        .field(field::OCCURRED_AT)
        .events(evidence);
}

pub(crate) fn channels(cfg: &NurtureConfig, s: &Summary<'_>, score: &mut Score) {
    let n = s.channels.len();
    score.fact("channels", n);
    if n == 0 {
        let message = if s.engagement == 0 {
            "no engagement with us, so no channels".to_string()
        } else {
            format!("channel unknown on all {} engagement events", s.engagement)
        };
        score.reason("trust_nurture.channels.unknown", 0.0, message).field(field::CHANNEL);
        return;
    }
    let c = &cfg.channels;
    let names: Vec<&str> = s.channels.keys().copied().collect();
    score
        .reason(
            "trust_nurture.channels",
            capped(n, c.points_per_channel, c.max_points),
            format!("engaged on {}: {}", plural(n, "channel", "channels"), names.join(", ")),
        )
        .field(field::CHANNEL)
        .events(s.channels.values().copied());
}

pub(crate) fn responses(cfg: &NurtureConfig, s: &Summary<'_>, score: &mut Score) {
    let c = &cfg.responses;
    let positive = s.positive.len();
    score.fact("positive_responses", positive);
    score.fact("negative_responses", s.negative_count());
    if positive == 0 {
        score
            .reason("trust_nurture.responses.none", 0.0, "no positive response to a campaign yet")
            .field(field::RESPONSE);
    } else {
        score
            .reason(
                "trust_nurture.responses.positive",
                capped(positive, c.points_per_positive, c.max_points),
                format!("responded positively {}", plural(positive, "time", "times")),
            )
            .field(field::RESPONSE)
            .events(s.positive.iter().copied());
    }
    if !s.negative_responses.is_empty() {
        let n = s.negative_responses.len();
        score
            .reason(
                "trust_nurture.responses.negative",
                round2(-(n as f64) * c.negative_penalty),
                format!("responded negatively {}: trust eroded", plural(n, "time", "times")),
            )
            .field(field::RESPONSE)
            .events(s.negative_responses.iter().copied());
    }
    for (kind, events) in &s.negative_by_type {
        let penalty = cfg.negative_types.get(*kind).copied().unwrap_or(0.0);
        let n = events.len();
        score
            .reason(
                format!("trust_nurture.negative.{kind}"),
                round2(-(n as f64) * penalty),
                format!("{} {kind}: trust eroded", plural(n, "event", "events")),
            )
            .field(field::TYPE)
            .events(events.iter().copied());
    }
}

pub(crate) fn reciprocal(cfg: &NurtureConfig, s: &Summary<'_>, score: &mut Score) {
    let n = s.reciprocal.len();
    score.fact("reciprocal_interactions", n);
    if n == 0 {
        score
            .reason(
                "trust_nurture.reciprocal.none",
                0.0,
                "no reciprocal interaction yet (reply, inbound question, meeting)",
            )
            .field(field::TYPE);
        return;
    }
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, kind) in &s.reciprocal {
        *by_type.entry(kind).or_default() += 1;
    }
    let breakdown: Vec<String> = by_type.iter().map(|(kind, count)| format!("{kind} ×{count}")).collect();
    let c = &cfg.reciprocal;
    score
        .reason(
            "trust_nurture.reciprocal",
            capped(n, c.points_per_interaction, c.max_points),
            format!(
                "{}: {}",
                plural(n, "reciprocal interaction", "reciprocal interactions"),
                breakdown.join(", ")
            ),
        )
        .field(field::TYPE)
        .events(s.reciprocal.iter().map(|(index, _)| *index));
}

pub(crate) fn analogous(cfg: &NurtureConfig, s: &Summary<'_>, score: &mut Score) {
    let n = s.analogous.len();
    if n == 0 {
        score
            .reason(
                "trust_nurture.analogous_interest.none",
                0.0,
                "no research of analogous solutions observed",
            )
            .field(field::TYPE);
        return;
    }
    let c = &cfg.analogous;
    score
        .reason(
            "trust_nurture.analogous_interest",
            capped(n, c.points_per_event, c.max_points),
            format!("{} of interest in analogous solutions", plural(n, "signal", "signals")),
        )
        .field(field::TYPE)
        .field(field::SOURCE)
        .events(s.analogous.iter().copied());
}

pub(crate) fn relationship(cfg: &NurtureConfig, s: &Summary<'_>, ctx: &Context<'_>, score: &mut Score) {
    let Some((first_at, index)) = s.first_event else {
        return;
    };
    let days = ctx.as_of_ms().saturating_sub(first_at).div_euclid(MS_PER_DAY).max(0);
    score.fact("relationship_days", days);
    let c = &cfg.relationship;
    let days = usize::try_from(days).unwrap_or(usize::MAX);
    score
        .reason(
            "trust_nurture.relationship",
            scaled(days, c.full_at_days, c.max_points),
            format!("first seen {} ago (full credit from {})", plural(days, "day", "days"), c.full_at_days),
        )
        .field(field::OCCURRED_AT)
        .event(index);
}

/// The article's warning: however many downloads, content alone is capped.
pub(crate) fn content_only(cfg: &NurtureConfig, s: &Summary<'_>, score: &mut Score) {
    let content_only = s.content_only();
    score.fact("content_only", content_only);
    if !content_only {
        return;
    }
    let raw = round2(score.total_points());
    let cut = round2((cfg.content_only_cap - raw).min(0.0));
    score
        .reason(
            "trust_nurture.content_only",
            cut,
            format!(
                "all {} engagement events are content downloads or passive reads: capped at {} \
                 (downloads alone do not qualify a lead)",
                s.engagement, cfg.content_only_cap
            ),
        )
        .field(field::TYPE)
        .events(s.content.iter().copied());
}
