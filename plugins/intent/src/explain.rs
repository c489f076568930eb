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

use hql_plugin_api::Score;
use hql_plugin_api::pool::EventIndexes;
use hql_plugin_api::text::{Line, round2};

use crate::config::{Rules, Stage};
use crate::tally::{Group, Members, RECENT_WINDOW_DAYS, Tally};

/// Appends "today", "1 day ago", "12 days ago" (whole days, rounded down).
fn ago(line: Line, age_days: f64) -> Line {
    match whole_days(age_days) {
        0 => line.s("today"),
        1 => line.s("1 day ago"),
        n => line.int(n).s(" days ago"),
    }
}

/// Whole days, rounded down.
pub(crate) fn whole_days(age_days: f64) -> i64 {
    age_days.floor() as i64
}

/// An event type made safe for a dotted reason code.
pub(crate) fn code_part(event_type: &str) -> String {
    let s: String = event_type
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c.to_ascii_lowercase() } else { '_' })
        .collect();
    if s.is_empty() { "empty".to_string() } else { s }
}

/// Appends "1 event", "3 events" (no thousands separator).
fn events(line: Line, n: usize) -> Line {
    line.int(i64::try_from(n).unwrap_or(i64::MAX)).s(if n == 1 { " event" } else { " events" })
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
    // A lead has one group per type name, so the order is total and does
    // not depend on the order the groups were made in (the order events
    // came in).
    // The names are compared only on a tie (`then_with`): `then` would
    // compare them on every comparison of the sort.
    scored.sort_by(|a, b| {
        let stage = |s: &Scored<'_, '_>| s.stage.map_or(u8::MAX, |st| st as u8);
        stage(a)
            .cmp(&stage(b))
            .then(b.points.total_cmp(&a.points))
            .then_with(|| a.group.event_type.cmp(b.group.event_type))
    });

    let mut i = 0;
    while i < scored.len() {
        let stage = scored[i].stage;
        let mut stage_sum = 0.0;
        while i < scored.len() && scored[i].stage == stage {
            let s = &scored[i];
            type_reason(rules, &tally.members, s, score);
            stage_sum += s.points;
            i += 1;
        }
        total += stage_sum;
        if let Some(stage) = stage {
            let cap = rules.stage_cap(stage);
            let cut = round2(stage_sum - cap);
            if cut > 0.0 {
                let mut evidence = EventIndexes::new();
                evidence.extend(
                    scored.iter().filter(|s| s.stage == Some(stage)).flat_map(|s| tally.members.of(s.group)),
                );
                evidence.sort_unstable();
                score
                    .reason_with(stage_cap_code(stage), -cut, || {
                        Line::new()
                            .s(stage.label())
                            .s(" points capped at ")
                            .num(cap)
                            .s(" (earned ")
                            .num(stage_sum)
                            .s(" across types)")
                    })
                    .events(evidence.iter().copied());
                total -= cut;
            }
        }
    }

    for group in tally.negatives.values() {
        let points = group.rule.map_or(0.0, |r| round2(r.points));
        let code = group.rule.and_then(|r| r.disqualifier);
        let message = || {
            ago(events(Line::new().s(group.event_type).s(" ("), group.count).s(", latest "), group.latest_age)
                .s("): ")
                .num(points)
                .s(", counted once")
                .when(code.is_some(), |l| l.s("; reported as ").s(code.unwrap_or_default()))
        };
        let reason_code = || match group.rule {
            Some(rule) => Line::new().s(&rule.code),
            None => Line::new().s("intent.negative.").s(&code_part(group.event_type)),
        };
        score.reason_with_code(reason_code, points, message).events(tally.members.of(group));
        total += points;
        if let Some(code) = code {
            let what = match code {
                "intent.unsubscribed" => "Lead unsubscribed (",
                "intent.hard_bounce" => "E-mail address hard-bounced (",
                _ => "Lead filed a spam complaint (",
            };
            score.disqualify(code, ago(Line::new().s(what), group.latest_age).c(')'));
        }
    }

    if let Some(group) = &tally.negative_responses {
        let points = round2(group.decayed);
        let message = || {
            ago(events(Line::new(), group.count).s(" answered negatively (latest "), group.latest_age)
                .s("): ")
                .num(points)
                .s(" after decay")
        };
        score.reason_with("intent.negative_response", points, message).events(tally.members.of(group));
        total += points;
    }

    if !tally.stale.is_empty() {
        let message = || {
            events(Line::new(), tally.stale.len())
                .s(" older than ")
                .num(rules.max_age_days)
                .s(" days ignored")
        };
        score.reason_with("intent.stale", 0.0, message).events(tally.stale.iter().copied());
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
            let outside = latest.age > rules.bottom_funnel_window_days;
            let message = || {
                ago(Line::new().s("Latest bottom-funnel event: ").s(latest.event_type).c(' '), latest.age)
                    .when(outside, |l| {
                        l.s("; older than ")
                            .num(rules.bottom_funnel_window_days)
                            .s(" days, so no longer counted as a current buying action")
                    })
            };
            score.reason_with("intent.recency.bottom_funnel", 0.0, message).event(latest.index);
        }
        None => {
            let message =
                || Line::new().s("No bottom-funnel event in the last ").num(rules.max_age_days).s(" days");
            score.reason_with("intent.recency.none", 0.0, message);
        }
    }
    let message =
        || events(Line::new(), tally.recent.len()).s(" in the last ").num(RECENT_WINDOW_DAYS).s(" days");
    score.reason_with("intent.frequency", 0.0, message).events(tally.recent.iter().copied());

    round2(total)
}

/// `intent.stage_cap.<stage>`, without formatting it per lead.
fn stage_cap_code(stage: Stage) -> &'static str {
    match stage {
        Stage::BottomFunnel => "intent.stage_cap.bottom_funnel",
        Stage::MidFunnel => "intent.stage_cap.mid_funnel",
        Stage::TopFunnel => "intent.stage_cap.top_funnel",
        Stage::ThirdParty => "intent.stage_cap.third_party",
        Stage::Other => "intent.stage_cap.other",
        Stage::Negative => "intent.stage_cap.negative",
    }
}

fn type_reason(rules: &Rules, members: &Members, s: &Scored<'_, '_>, score: &mut Score) {
    let g = s.group;
    let events = members.of(g);
    let Some(rule) = g.rule else {
        let message = || {
            ago(Line::new().int(count(g.count)).s("× ").s(g.event_type).s(" (latest "), g.latest_age)
                .s("): unknown event type, 0 points; add it to custom_points to score it")
        };
        let code = || Line::new().s("intent.unknown_type.").s(&code_part(g.event_type));
        score.reason_with_code(code, 0.0, message).events(events);
        return;
    };
    let message = || {
        ago(
            Line::new()
                .int(count(g.count))
                .s("× ")
                .s(g.event_type)
                .s(" (")
                .s(rule.stage.lower_label())
                .s(", latest "),
            g.latest_age,
        )
        .s("): ")
        .num(rule.points)
        .s(" pts each, ")
        .num(g.decayed)
        .s(" after decay")
        .when(g.third_party > 0, |l| {
            l.s("; ").int(count(g.third_party)).s(" third-party at ").pct(rules.third_party_multiplier)
        })
        .when(g.decayed > rule.cap, |l| l.s("; capped at ").num(rule.cap))
    };
    score.reason_with_code(|| Line::new().s(&rule.code), s.points, message).events(events);
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
