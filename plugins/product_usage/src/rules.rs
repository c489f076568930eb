//! One function per product signal. Each adds its reasons (points, concrete
//! values, evidence) and sets its facts; none reads another's output, so the
//! order of reasons is the order of the calls in `lib.rs`.
//!
//! Why these signals: article 003 defines the product-qualified lead as one
//! who "has interacted with a product directly, typically through a free trial
//! or freemium model, and has shown signs of interest in upgrading". Depth of
//! use (activation, active days, key features), spread (seats, invites),
//! direction (trend) and upgrade pressure (plan limits, a trial about to end)
//! are those signs. A field the host did not send is unknown: it earns a
//! 0-point reason saying so, never a penalty.
//!
//! Messages are written with `text::Line` (one buffer each, no `format!`
//! and no helper strings): this runs for every lead with usage data.

use std::borrow::Cow;

use hql_plugin_api::record::MS_PER_DAY;
use hql_plugin_api::text::{Line, round2};
use hql_plugin_api::{Context, ProductUsage, Score};

use crate::config::UsageConfig;

/// Evidence paths, in the proto's naming.
mod field {
    pub(super) const ACTIVATED: &str = "product_usage.activated";
    pub(super) const ACTIVE_LAST_30: &str = "product_usage.active_days_last_30";
    pub(super) const ACTIVE_PREV_30: &str = "product_usage.active_days_prev_30";
    pub(super) const SIGNED_UP_AT: &str = "product_usage.signed_up_at";
    pub(super) const SEATS: &str = "product_usage.seats";
    pub(super) const INVITED: &str = "product_usage.invited_teammates";
    pub(super) const FEATURES: &str = "product_usage.features_adopted";
    pub(super) const LIMIT_HITS: &str = "product_usage.plan_limit_hits";
    pub(super) const TRIAL_ENDS_AT: &str = "product_usage.trial_ends_at";
    pub(super) const PLAN: &str = "product_usage.plan";
}

/// Length of the usage windows the host reports, in days.
const WINDOW_DAYS: i64 = 30;

/// The usage block, read once and sanitised: day counts within 0–30, counts
/// not negative, plan trimmed and lower-cased, features de-duplicated
/// case-insensitively. The server already validates these ranges; a C host
/// might not, and a scorer should degrade rather than produce nonsense.
pub(crate) struct Signals<'a> {
    activated: bool,
    active_last_30: Option<i64>,
    active_prev_30: Option<i64>,
    signed_up_at: Option<i64>,
    trial_ends_at: Option<i64>,
    seats: Option<i64>,
    invited: Option<i64>,
    limit_hits: Option<i64>,
    plan: String,
    features: Vec<&'a str>,
}

impl<'a> Signals<'a> {
    pub(crate) fn read(usage: &ProductUsage<'a>) -> Signals<'a> {
        let days = |d: Option<i64>| d.map(|d| d.clamp(0, WINDOW_DAYS));
        let count = |c: Option<i64>| c.map(|c| c.max(0));
        let mut features: Vec<&'a str> = Vec::with_capacity(usage.features_adopted().len());
        for f in usage.features_adopted().map(str::trim) {
            if !f.is_empty() && !features.iter().any(|seen| seen.eq_ignore_ascii_case(f)) {
                features.push(f);
            }
        }
        Signals {
            activated: usage.activated(),
            active_last_30: days(usage.active_days_last_30()),
            active_prev_30: days(usage.active_days_prev_30()),
            signed_up_at: usage.signed_up_at(),
            trial_ends_at: usage.trial_ends_at(),
            seats: count(usage.seats()),
            invited: count(usage.invited_teammates()),
            limit_hits: count(usage.plan_limit_hits()),
            plan: usage.plan().trim().to_ascii_lowercase(),
            features,
        }
    }

    fn is_paid(&self, cfg: &UsageConfig) -> bool {
        !self.plan.is_empty() && cfg.paid_plans.contains(&self.plan)
    }
}

/// `per` points per unit, at most `cap`.
fn capped(units: i64, per: f64, cap: f64) -> f64 {
    round2((units as f64 * per).min(cap))
}

/// `max` points scaled linearly up to `full_at` units.
fn scaled(units: i64, full_at: u32, max: f64) -> f64 {
    let full_at = i64::from(full_at.max(1));
    round2(max * units.clamp(0, full_at) as f64 / full_at as f64)
}

/// Appends "1 day", "3 days": the number as is, without separators.
fn plural(line: Line, n: i64, one: &str, many: &str) -> Line {
    line.int(n).c(' ').s(if n == 1 { one } else { many })
}

/// Appends `items` separated by ", ".
fn join(mut line: Line, items: &[&str]) -> Line {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            line = line.s(", ");
        }
        line = line.s(item);
    }
    line
}

pub(crate) fn activation(cfg: &UsageConfig, s: &Signals<'_>, score: &mut Score) {
    score.fact("activated", s.activated);
    if s.activated {
        score
            .reason("product_usage.activated", cfg.activated_points, "the account reached activation")
            .field(field::ACTIVATED);
    } else {
        score
            .reason("product_usage.not_activated", 0.0, "the account has not reached activation (yet)")
            .field(field::ACTIVATED);
    }
}

pub(crate) fn active_days(cfg: &UsageConfig, s: &Signals<'_>, score: &mut Score) {
    let Some(days) = s.active_last_30 else {
        score
            .reason("product_usage.active_days.unknown", 0.0, "active days in the last 30 are unknown")
            .field(field::ACTIVE_LAST_30);
        return;
    };
    score.fact("active_days_last_30", days);
    let c = &cfg.active_days;
    let points = scaled(days, c.full_at, c.max_points);
    score
        .reason(
            "product_usage.active_days",
            points,
            plural(Line::new().s("active "), days, "day", "days")
                .s(" of the last 30 (full credit from ")
                .int(i64::from(c.full_at))
                .c(')'),
        )
        .field(field::ACTIVE_LAST_30);
}

pub(crate) fn trend(cfg: &UsageConfig, s: &Signals<'_>, ctx: &Context<'_>, score: &mut Score) {
    let (Some(last), Some(prev)) = (s.active_last_30, s.active_prev_30) else {
        let missing = match (s.active_last_30, s.active_prev_30) {
            (None, None) => "both 30-day windows are",
            (None, Some(_)) => "the last 30 days are",
            _ => "the previous 30 days are",
        };
        score
            .reason(
                "product_usage.trend.unknown",
                0.0,
                Line::new().s("usage trend unknown: active days for ").s(missing).s(" missing"),
            )
            .field(field::ACTIVE_LAST_30)
            .field(field::ACTIVE_PREV_30);
        return;
    };
    let delta = last - prev;
    score.fact("usage_trend", delta);
    // An account younger than 30 days had no previous window: its "growth"
    // from 0 is just its age, already rewarded by active days.
    if let Some(signed_up) = s.signed_up_at.filter(|t| ctx.days_since(*t) < WINDOW_DAYS as f64) {
        let age = ctx.days_since(signed_up).max(0.0).floor() as i64;
        score
            .reason(
                "product_usage.trend.new_account",
                0.0,
                plural(Line::new().s("signed up "), age, "day", "days")
                    .s(" ago: no previous 30 days to compare (")
                    .int(last)
                    .s(" active days now)"),
            )
            .field(field::SIGNED_UP_AT)
            .field(field::ACTIVE_LAST_30)
            .field(field::ACTIVE_PREV_30);
        return;
    }
    let c = &cfg.trend;
    let threshold = i64::from(c.min_change_days);
    let (code, points, word) = if delta >= threshold {
        ("product_usage.trend.growing", c.growing_points, "growing")
    } else if delta <= -threshold {
        ("product_usage.trend.shrinking", -c.shrinking_penalty, "shrinking")
    } else {
        ("product_usage.trend.stable", 0.0, "stable")
    };
    score
        .reason(
            code,
            points,
            Line::new()
                .s("usage ")
                .s(word)
                .s(": ")
                .int(last)
                .s(" active days in the last 30 vs ")
                .int(prev)
                .s(" in the 30 before (")
                // `{:+}`: a sign on every number, zero included.
                .when(delta >= 0, |l| l.c('+'))
                .int(delta)
                .c(')'),
        )
        .field(field::ACTIVE_LAST_30)
        .field(field::ACTIVE_PREV_30);
}

pub(crate) fn seats(cfg: &UsageConfig, s: &Signals<'_>, score: &mut Score) {
    let Some(seats) = s.seats else {
        score.reason("product_usage.seats.unknown", 0.0, "seats in use are unknown").field(field::SEATS);
        return;
    };
    score.fact("seats", seats);
    let extra = (seats - 1).max(0);
    let c = &cfg.seats;
    let points = capped(extra, c.points_per_extra_seat, c.max_points);
    let message = if extra == 0 {
        plural(Line::new(), seats, "seat", "seats").s(" in use: no team adoption yet")
    } else {
        Line::new().int(seats).s(" seats in use (").int(extra).s(" beyond the first)")
    };
    score.reason("product_usage.seats", points, message).field(field::SEATS);
}

pub(crate) fn invites(cfg: &UsageConfig, s: &Signals<'_>, score: &mut Score) {
    let Some(invited) = s.invited else {
        score
            .reason("product_usage.invites.unknown", 0.0, "invited teammates are unknown")
            .field(field::INVITED);
        return;
    };
    score.fact("invited_teammates", invited);
    let c = &cfg.invites;
    let points = capped(invited, c.points_per_invite, c.max_points);
    score
        .reason(
            "product_usage.invites",
            points,
            plural(Line::new().s("invited "), invited, "teammate", "teammates"),
        )
        .field(field::INVITED);
}

pub(crate) fn features(cfg: &UsageConfig, s: &Signals<'_>, score: &mut Score) {
    let (key, other): (Vec<&str>, Vec<&str>) =
        s.features.iter().copied().partition(|f| cfg.key_features.iter().any(|k| k.eq_ignore_ascii_case(f)));
    score.fact("key_features_adopted", key.len());
    if key.is_empty() && other.is_empty() {
        score
            .reason("product_usage.features.none", 0.0, "no adopted features reported")
            .field(field::FEATURES);
        return;
    }
    let c = &cfg.features;
    // Key features are counted first, so the cap only ever trims the
    // cheaper, less telling ones.
    let key_points = capped(key.len() as i64, c.points_per_key, c.max_points);
    let other_points = capped(other.len() as i64, c.points_per_other, c.max_points - key_points);
    if !key.is_empty() {
        score
            .reason(
                "product_usage.features.key",
                key_points,
                join(
                    plural(Line::new(), key.len() as i64, "key feature", "key features").s(" adopted: "),
                    &key,
                ),
            )
            .field(field::FEATURES);
    }
    if !other.is_empty() {
        score
            .reason(
                "product_usage.features.other",
                other_points,
                join(
                    plural(Line::new(), other.len() as i64, "other feature", "other features")
                        .s(" adopted: "),
                    &other,
                ),
            )
            .field(field::FEATURES);
    }
}

pub(crate) fn plan_limits(cfg: &UsageConfig, s: &Signals<'_>, score: &mut Score) {
    let Some(hits) = s.limit_hits else {
        score
            .reason("product_usage.plan_limits.unknown", 0.0, "plan-limit hits are unknown")
            .field(field::LIMIT_HITS);
        return;
    };
    score.fact("plan_limit_hits", hits);
    let c = &cfg.plan_limits;
    let points = capped(hits, c.points_per_hit, c.max_points);
    let message: Cow<'static, str> = if hits == 0 {
        "no plan limit hit yet".into()
    } else {
        plural(Line::new().s("hit a plan limit "), hits, "time", "times").s(": upgrade pressure").into()
    };
    score.reason("product_usage.plan_limits", points, message).field(field::LIMIT_HITS);
}

/// Whole days from `as_of` to the trial end, rounded down: 0 means it ends
/// within the next 24 hours, negative means it has expired.
fn trial_days_left(ends_at: i64, as_of: i64) -> i64 {
    ends_at.saturating_sub(as_of).div_euclid(MS_PER_DAY)
}

pub(crate) fn trial(cfg: &UsageConfig, s: &Signals<'_>, ctx: &Context<'_>, score: &mut Score) {
    let paid = s.is_paid(cfg);
    let Some(ends_at) = s.trial_ends_at else {
        // A paying account has no trial to speak of; for anyone else the end
        // date is simply not known.
        if !paid {
            score
                .reason("product_usage.trial.unknown", 0.0, "no trial end date known")
                .field(field::TRIAL_ENDS_AT);
        }
        return;
    };
    let left = trial_days_left(ends_at, ctx.as_of_ms());
    score.fact("trial_days_left", left);
    let c = &cfg.trial;
    if left < 0 {
        let ago = |line: Line| plural(line, -left, "day", "days").s(" ago");
        if paid {
            score
                .reason(
                    "product_usage.trial.converted",
                    0.0,
                    ago(Line::new().s("trial ended "))
                        .s(" and the account is on the paid plan \"")
                        .s(&s.plan)
                        .c('"'),
                )
                .field(field::TRIAL_ENDS_AT)
                .field(field::PLAN);
        } else {
            score
                .reason(
                    "product_usage.trial.expired",
                    -c.expired_penalty,
                    ago(Line::new().s("trial expired ")).s(" without a paid plan"),
                )
                .field(field::TRIAL_ENDS_AT)
                .field(field::PLAN);
        }
        return;
    }
    // "trial ends within a day" / "trial ends in 3 days".
    let ends = |line: Line| {
        if left == 0 {
            line.s("trial ends within a day")
        } else {
            plural(line.s("trial ends in "), left, "day", "days")
        }
    };
    if left > i64::from(c.ending_soon_days) {
        score.reason("product_usage.trial.running", 0.0, ends(Line::new())).field(field::TRIAL_ENDS_AT);
        return;
    }
    let active_days = s.active_last_30;
    if s.activated || active_days.is_some_and(|d| d >= i64::from(c.min_active_days)) {
        score
            .reason(
                "product_usage.trial.ending_soon",
                c.ending_soon_points,
                ends(Line::new()).s(" on an active account: the decision is due"),
            )
            .field(field::TRIAL_ENDS_AT)
            .field(field::ACTIVATED)
            .field(field::ACTIVE_LAST_30);
    } else {
        score
            .reason(
                "product_usage.trial.ending_soon_inactive",
                0.0,
                match active_days {
                    Some(d) => plural(
                        ends(Line::new()).s(" but the account is not active (not activated, "),
                        d,
                        "active day",
                        "active days",
                    )
                    .s(" in the last 30"),
                    None => ends(Line::new())
                        .s(" but the account is not active (not activated, active days unknown"),
                }
                .c(')'),
            )
            .field(field::TRIAL_ENDS_AT)
            .field(field::ACTIVATED)
            .field(field::ACTIVE_LAST_30);
    }
}

pub(crate) fn plan(cfg: &UsageConfig, s: &Signals<'_>, score: &mut Score) {
    if s.plan.is_empty() {
        score.reason("product_usage.plan.unknown", 0.0, "plan unknown").field(field::PLAN);
        return;
    }
    score.fact("plan", s.plan.clone());
    if s.is_paid(cfg) {
        score
            .reason(
                "product_usage.plan.paid",
                0.0,
                Line::new()
                    .s("already a paying customer on the \"")
                    .s(&s.plan)
                    .s("\" plan: expansion rather than new business"),
            )
            .field(field::PLAN);
    } else {
        score
            .reason(
                "product_usage.plan.unpaid",
                0.0,
                Line::new().s("on the unpaid \"").s(&s.plan).s("\" plan: a candidate for an upgrade"),
            )
            .field(field::PLAN);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trial_days_round_down() {
        let as_of = 1_700_000_000_000;
        assert_eq!(trial_days_left(as_of, as_of), 0);
        assert_eq!(trial_days_left(as_of + MS_PER_DAY - 1, as_of), 0);
        assert_eq!(trial_days_left(as_of + MS_PER_DAY, as_of), 1);
        assert_eq!(trial_days_left(as_of - 1, as_of), -1);
        assert_eq!(trial_days_left(as_of - MS_PER_DAY, as_of), -1);
        assert_eq!(trial_days_left(as_of - MS_PER_DAY - 1, as_of), -2);
        assert_eq!(trial_days_left(i64::MIN, as_of), i64::MIN.div_euclid(MS_PER_DAY));
    }

    #[test]
    fn points_round_to_two_decimals() {
        assert_eq!(round2(25.0 / 3.0), 8.33);
        assert_eq!(round2(3.125), 3.13);
        assert_eq!(round2(-34.333), -34.33);
        assert!(round2(-0.001).is_sign_positive(), "never -0");
        assert_eq!(scaled(10, 30, 25.0), 8.33);
    }

    #[test]
    fn scaling_and_caps() {
        assert_eq!(scaled(10, 20, 25.0), 12.5);
        assert_eq!(scaled(25, 20, 25.0), 25.0);
        assert_eq!(scaled(-3, 20, 25.0), 0.0);
        assert_eq!(capped(2, 3.0, 10.0), 6.0);
        assert_eq!(capped(4, 3.0, 10.0), 10.0);
    }
}
