//! Turns a [`Tally`] into reasons, disqualifiers and facts.
//!
//! One reason per event type (count, decayed points, cap, every event index
//! as evidence), never one per event: a lead with 200 e-mail opens gets one
//! readable line. Caps apply per type first (`type_caps`, else
//! `default_type_cap` × the type's points), then per stage (`stage_caps`) as
//! a separate negative reason, so 50 blog views stay far below one demo
//! request and the reader sees exactly where points were cut.
//!
//! Recency and frequency reasons carry 0 points: decay already rewards recent
//! activity, and adding points for it again would count the same signal twice.

use std::borrow::Cow;

use hql_plugin_api::Score;

use crate::config::{Rules, Stage};
use crate::tally::{Group, RECENT_WINDOW_DAYS, Tally};
use hql_plugin_api::text::{num, pct, round2};

/// "today", "1 day ago", "12 days ago" (whole days, rounded down).
fn ago(age_days: f64) -> String {
    match whole_days(age_days) {
        0 => "today".to_string(),
        1 => "1 day ago".to_string(),
        n => format!("{n} days ago"),
    }
}

/// Whole days, rounded down.
pub(crate) fn whole_days(age_days: f64) -> i64 {
    age_days.floor() as i64
}

/// An event type made safe for a dotted reason code.
fn code_part(event_type: &str) -> String {
    let s: String = event_type
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c.to_ascii_lowercase() } else { '_' })
        .collect();
    if s.is_empty() { "empty".to_string() } else { s }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A counted type group, its capped points and where it sorts.
struct Scored<'t, 'a> {
    group: &'t Group<'a>,
    stage: Option<Stage>,
    points: f64,
}

/// Writes every reason and disqualifier; returns the total points before
/// clamping.
pub(crate) fn explain(rules: &Rules, tally: &Tally<'_>, score: &mut Score) -> f64 {
    let mut total = 0.0;
    let mut scored: Vec<Scored<'_, '_>> = tally
        .types
        .values()
        .map(|g| {
            let points = g.rule.map_or(0.0, |r| round2(g.decayed.min(r.cap)));
            Scored { group: g, stage: g.rule.map(|r| r.stage), points }
        })
        .collect();
    // Bottom funnel first, then by points, then by name: stable and readable.
    scored.sort_by(|a, b| {
        let stage = |s: &Scored<'_, '_>| s.stage.map_or(u8::MAX, |st| st as u8);
        stage(a)
            .cmp(&stage(b))
            .then(b.points.total_cmp(&a.points))
            .then(a.group.event_type.cmp(b.group.event_type))
    });

    let mut i = 0;
    while i < scored.len() {
        let stage = scored[i].stage;
        let mut stage_sum = 0.0;
        while i < scored.len() && scored[i].stage == stage {
            let s = &scored[i];
            type_reason(rules, s, score);
            stage_sum += s.points;
            i += 1;
        }
        total += stage_sum;
        if let Some(stage) = stage {
            let cap = rules.stage_cap(stage);
            let cut = round2(stage_sum - cap);
            if cut > 0.0 {
                let mut evidence: Vec<u32> = scored
                    .iter()
                    .filter(|s| s.stage == Some(stage))
                    .flat_map(|s| s.group.events.iter().copied())
                    .collect();
                evidence.sort_unstable();
                score
                    .reason(
                        format!("intent.stage_cap.{}", stage.as_str()),
                        -cut,
                        format!(
                            "{} points capped at {} (earned {} across types)",
                            stage.label(),
                            num(cap),
                            num(stage_sum)
                        ),
                    )
                    .events(evidence);
                total -= cut;
            }
        }
    }

    for group in tally.negatives.values() {
        let points = group.rule.map_or(0.0, |r| round2(r.points));
        let code = group.rule.and_then(|r| r.disqualifier);
        let reported = code.map(|c| format!("; reported as {c}")).unwrap_or_default();
        score
            .reason(
                format!("intent.negative.{}", code_part(group.event_type)),
                points,
                format!(
                    "{} ({}, latest {}): {}, counted once{reported}",
                    group.event_type,
                    plural(group.count, "event", "events"),
                    ago(group.latest_age),
                    num(points)
                ),
            )
            .events(group.events.iter().copied());
        total += points;
        if let Some(code) = code {
            let when = ago(group.latest_age);
            let message = match code {
                "intent.unsubscribed" => format!("Lead unsubscribed ({when})"),
                "intent.hard_bounce" => format!("E-mail address hard-bounced ({when})"),
                _ => format!("Lead filed a spam complaint ({when})"),
            };
            score.disqualify(code, message);
        }
    }

    if let Some(group) = &tally.negative_responses {
        let points = round2(group.decayed);
        score
            .reason(
                "intent.negative_response",
                points,
                format!(
                    "{} answered negatively (latest {}): {} after decay",
                    plural(group.count, "event", "events"),
                    ago(group.latest_age),
                    num(points)
                ),
            )
            .events(group.events.iter().copied());
        total += points;
    }

    if !tally.stale.is_empty() {
        score
            .reason(
                "intent.stale",
                0.0,
                format!(
                    "{} older than {} days ignored",
                    plural(tally.stale.len(), "event", "events"),
                    num(rules.max_age_days)
                ),
            )
            .events(tally.stale.iter().copied());
    }

    let any_events = !tally.types.is_empty()
        || !tally.negatives.is_empty()
        || tally.negative_responses.is_some()
        || !tally.stale.is_empty();
    if !any_events {
        score.reason("intent.no_events", 0.0, "No events: intent unknown");
        return round2(total);
    }

    match &tally.latest_bottom {
        Some(latest) => {
            let outside = if latest.age > rules.bottom_funnel_window_days {
                format!(
                    "; older than {} days, so no longer counted as a current buying action",
                    num(rules.bottom_funnel_window_days)
                )
            } else {
                String::new()
            };
            score
                .reason(
                    "intent.recency.bottom_funnel",
                    0.0,
                    format!("Latest bottom-funnel event: {} {}{outside}", latest.event_type, ago(latest.age)),
                )
                .event(latest.index);
        }
        None => {
            score.reason(
                "intent.recency.none",
                0.0,
                format!("No bottom-funnel event in the last {} days", num(rules.max_age_days)),
            );
        }
    }
    score
        .reason(
            "intent.frequency",
            0.0,
            format!(
                "{} in the last {} days",
                plural(tally.recent.len(), "event", "events"),
                num(RECENT_WINDOW_DAYS)
            ),
        )
        .events(tally.recent.iter().copied());

    round2(total)
}

fn type_reason(rules: &Rules, s: &Scored<'_, '_>, score: &mut Score) {
    let g = s.group;
    let events = g.events.iter().copied();
    let Some(rule) = g.rule else {
        score
            .reason(
                Cow::Owned(format!("intent.unknown_type.{}", code_part(g.event_type))),
                0.0,
                format!(
                    "{}× {} (latest {}): unknown event type, 0 points; add it to custom_points to score it",
                    g.count,
                    g.event_type,
                    ago(g.latest_age)
                ),
            )
            .events(events);
        return;
    };
    let mut message = format!(
        "{}× {} ({}, latest {}): {} pts each, {} after decay",
        g.count,
        g.event_type,
        rule.stage.label().to_lowercase(),
        ago(g.latest_age),
        num(rule.points),
        num(g.decayed)
    );
    if g.third_party > 0 {
        message.push_str(&format!(
            "; {} third-party at {}",
            g.third_party,
            pct(rules.third_party_multiplier)
        ));
    }
    if g.decayed > rule.cap {
        message.push_str(&format!("; capped at {}", num(rule.cap)));
    }
    score
        .reason(format!("intent.{}.{}", rule.stage.as_str(), code_part(g.event_type)), s.points, message)
        .events(events);
}
