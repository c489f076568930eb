//! One function per component of trust, each adding its reasons and facts
//! from the [`Summary`]. Article 004 defines its highly qualified lead as one
//! that has been (1) nurtured, (2) interacts with content periodically, (3)
//! shows interest in the brand and analogous solutions, (4) responds to
//! campaigns positively — reached "multichannel" and built on "reciprocal
//! altruism" (the lead writing back). Each function below scores one of those
//! qualities; `content_only` enforces the article's warning that downloads
//! alone ("download → lead packaging → hand-off") qualify no one.
//!
//! Every lead goes through all of them, so messages are written with
//! `text::Line` (one buffer, no `format!`), and the summary's evidence lists
//! move into the reasons that cite them instead of being copied.

use std::borrow::Cow;

use hql_plugin_api::record::MS_PER_DAY;
use hql_plugin_api::text::{Line, round2};
use hql_plugin_api::{Context, Reason, Score};

use crate::classify::{EventTypes, Summary};
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

/// Appends "1 week", "3 weeks": the number as is, without separators.
fn plural(line: Line, n: usize, one: &str, many: &str) -> Line {
    line.int(i64::try_from(n).unwrap_or(i64::MAX)).c(' ').s(if n == 1 { one } else { many })
}

/// Cites `n` events on `reason`, room for all of them made first:
/// `Reason::events` would grow its list step by step from an iterator of
/// unknown length. The list is the reason's own (from the SDK's pool), not
/// a new vector.
fn cite_exactly(reason: &mut Reason, n: usize, events: impl Iterator<Item = u32>) {
    reason.events.reserve(n);
    reason.events.extend(events);
}

/// Appends `items` separated by ", ".
fn join<'a>(mut line: Line, items: impl IntoIterator<Item = &'a str>) -> Line {
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            line = line.s(", ");
        }
        line = line.s(item);
    }
    line
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
    let message = || {
        plural(Line::new().s("engaged in "), active, "week", "weeks")
            .s(" of the last ")
            .int(i64::from(cfg.lookback_weeks))
            .s(" (full credit from ")
            .int(i64::from(c.full_at_weeks))
            .c(')')
    };
    let reason = score
        .reason_with("trust_nurture.regularity", scaled(active, c.full_at_weeks, c.max_points), message)
        .field(field::OCCURRED_AT);
    cite_exactly(reason, active, s.weeks.evidence());
}

pub(crate) fn streak(cfg: &NurtureConfig, s: &Summary<'_>, score: &mut Score) {
    let (weeks, evidence) = s.weeks.longest_streak();
    score.fact("longest_streak_weeks", weeks);
    let c = &cfg.streak;
    let message = || {
        plural(Line::new().s("longest run: "), weeks, "active week", "active weeks")
            .s(" in a row (full credit from ")
            .int(i64::from(c.full_at_weeks))
            .c(')')
    };
    let reason = score
        .reason_with("trust_nurture.streak", scaled(weeks, c.full_at_weeks, c.max_points), message)
        .field(field::OCCURRED_AT);
    cite_exactly(reason, weeks, evidence);
}

pub(crate) fn channels(cfg: &NurtureConfig, s: &Summary<'_>, score: &mut Score) {
    let n = s.channels.len();
    score.fact("channels", n);
    if n == 0 {
        let message: Cow<'static, str> = if s.engagement == 0 {
            "no engagement with us, so no channels".into()
        } else {
            // "all 1 engagement events": the count is not pluralised here.
            Line::new()
                .s("channel unknown on all ")
                .int(i64::try_from(s.engagement).unwrap_or(i64::MAX))
                .s(" engagement events")
                .into()
        };
        score.reason("trust_nurture.channels.unknown", 0.0, message).field(field::CHANNEL);
        return;
    }
    let c = &cfg.channels;
    let message = || {
        let line = plural(Line::new().s("engaged on "), n, "channel", "channels").s(": ");
        join(line, s.channels.iter().map(|(name, _)| *name))
    };
    score
        .reason_with("trust_nurture.channels", capped(n, c.points_per_channel, c.max_points), message)
        .field(field::CHANNEL)
        .events(s.channels.iter().map(|(_, index)| *index));
}

pub(crate) fn responses(cfg: &NurtureConfig, types: &EventTypes, s: &mut Summary<'_>, score: &mut Score) {
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
            .reason_with(
                "trust_nurture.responses.positive",
                capped(positive, c.points_per_positive, c.max_points),
                || plural(Line::new().s("responded positively "), positive, "time", "times"),
            )
            .field(field::RESPONSE)
            .events = std::mem::take(&mut s.positive);
    }
    if !s.negative_responses.is_empty() {
        let n = s.negative_responses.len();
        score
            .reason_with("trust_nurture.responses.negative", round2(-(n as f64) * c.negative_penalty), || {
                plural(Line::new().s("responded negatively "), n, "time", "times").s(": trust eroded")
            })
            .field(field::RESPONSE)
            .events = std::mem::take(&mut s.negative_responses);
    }
    // One reason per negative type that occurred, by type name.
    for (i, negative) in types.negative.iter().enumerate() {
        let events = || s.negative_typed.iter().filter(move |(t, _)| *t == i).map(|(_, index)| *index);
        let n = events().count();
        if n == 0 {
            continue;
        }
        let reason = score
            .reason_with_code(
                || Line::new().s(&negative.code),
                round2(-(n as f64) * negative.penalty),
                || plural(Line::new(), n, "event", "events").c(' ').s(&negative.name).s(": trust eroded"),
            )
            .field(field::TYPE);
        cite_exactly(reason, n, events());
    }
}

pub(crate) fn reciprocal(cfg: &NurtureConfig, types: &EventTypes, s: &Summary<'_>, score: &mut Score) {
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
    // "email_reply ×3, inbound_question ×1": the types that occurred, by name.
    let message = || {
        let mut message = plural(Line::new(), n, "reciprocal interaction", "reciprocal interactions").s(": ");
        let mut first = true;
        for (i, kind) in types.reciprocal_kinds.iter().enumerate() {
            let count = s.reciprocal.iter().filter(|(_, k)| *k == i).count();
            if count == 0 {
                continue;
            }
            if !first {
                message = message.s(", ");
            }
            first = false;
            message = message.s(kind).s(" ×").int(i64::try_from(count).unwrap_or(i64::MAX));
        }
        message
    };
    let c = &cfg.reciprocal;
    score
        .reason_with("trust_nurture.reciprocal", capped(n, c.points_per_interaction, c.max_points), message)
        .field(field::TYPE)
        .events(s.reciprocal.iter().map(|(index, _)| *index));
}

pub(crate) fn analogous(cfg: &NurtureConfig, s: &mut Summary<'_>, score: &mut Score) {
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
        .reason_with("trust_nurture.analogous_interest", capped(n, c.points_per_event, c.max_points), || {
            plural(Line::new(), n, "signal", "signals").s(" of interest in analogous solutions")
        })
        .field(field::TYPE)
        .field(field::SOURCE)
        .events = std::mem::take(&mut s.analogous);
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
        .reason_with("trust_nurture.relationship", scaled(days, c.full_at_days, c.max_points), || {
            plural(Line::new().s("first seen "), days, "day", "days")
                .s(" ago (full credit from ")
                .int(i64::from(c.full_at_days))
                .c(')')
        })
        .field(field::OCCURRED_AT)
        .event(index);
}

/// The article's warning: however many downloads, content alone is capped.
///
/// `cap_text` is the cap as `format!("{}")` writes it (`20`, `12.5`),
/// written once at start-up.
pub(crate) fn content_only(cfg: &NurtureConfig, cap_text: &str, s: &mut Summary<'_>, score: &mut Score) {
    let content_only = s.content_only();
    score.fact("content_only", content_only);
    if !content_only {
        return;
    }
    let raw = round2(score.total_points());
    let cut = round2((cfg.content_only_cap - raw).min(0.0));
    score
        .reason_with("trust_nurture.content_only", cut, || {
            Line::new()
                .s("all ")
                .int(i64::try_from(s.engagement).unwrap_or(i64::MAX))
                .s(" engagement events are content downloads or passive reads: capped at ")
                .s(cap_text)
                .s(" (downloads alone do not qualify a lead)")
        })
        .field(field::TYPE)
        .events = std::mem::take(&mut s.content);
}
