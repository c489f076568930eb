//! The scorer's configuration: every weight and threshold, with its default
//! and its valid range.
//!
//! Defaults are chosen so that a textbook product-qualified lead (article 003:
//! an activated trial or freemium account, used most days, shared with a
//! team, with key features adopted and plan limits hit) reaches 100, while a
//! sign-up that never came back stays near 0. The sum of every component's
//! maximum with the defaults is 115, so a lead can miss one signal and still
//! score full marks.
//!
//! Every key is optional (`#[serde(default)]`) and unknown keys are refused
//! (`deny_unknown_fields`), so a typo in a policy stops the server at start-up
//! instead of silently scoring with a default.

use hql_plugin_api::{Config, ConfigError};
use serde::Deserialize;

/// Upper bound of any single weight: a score is 0–100, so one signal worth
/// more than the whole scale is certainly a mistake.
const MAX_POINTS: f64 = 100.0;

/// The whole configuration.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct UsageConfig {
    /// Points when the account reached activation. Default 20: activation is
    /// the first proof the lead got value from the product.
    pub(crate) activated_points: f64,
    /// Active days in the last 30.
    pub(crate) active_days: ActiveDaysConfig,
    /// Last 30 days vs the 30 before.
    pub(crate) trend: TrendConfig,
    /// Seats in use.
    pub(crate) seats: SeatsConfig,
    /// Teammates invited.
    pub(crate) invites: InvitesConfig,
    /// Features that signal depth of adoption (matched case-insensitively).
    /// Default: integrations, api, sso, reporting, automation, dashboards.
    pub(crate) key_features: Vec<String>,
    /// Points for adopted features.
    pub(crate) features: FeaturesConfig,
    /// Plan-limit hits (upgrade pressure).
    pub(crate) plan_limits: PlanLimitsConfig,
    /// Trial end relative to `as_of`.
    pub(crate) trial: TrialConfig,
    /// Plans that mean the account already pays (matched case-insensitively).
    /// Default: starter, basic, pro, professional, team, business, premium,
    /// enterprise.
    pub(crate) paid_plans: Vec<String>,
}

impl Default for UsageConfig {
    fn default() -> Self {
        UsageConfig {
            activated_points: 20.0,
            active_days: ActiveDaysConfig::default(),
            trend: TrendConfig::default(),
            seats: SeatsConfig::default(),
            invites: InvitesConfig::default(),
            key_features: names(&["integrations", "api", "sso", "reporting", "automation", "dashboards"]),
            features: FeaturesConfig::default(),
            plan_limits: PlanLimitsConfig::default(),
            trial: TrialConfig::default(),
            paid_plans: names(&[
                "starter",
                "basic",
                "pro",
                "professional",
                "team",
                "business",
                "premium",
                "enterprise",
            ]),
        }
    }
}

/// Active days in the last 30, scaled linearly.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ActiveDaysConfig {
    /// Points at `full_at` active days or more. Default 25.
    pub(crate) max_points: f64,
    /// Active days that earn the maximum, 1–30. Default 20 (most working
    /// days of a month: the product is part of the routine).
    pub(crate) full_at: u32,
}

impl Default for ActiveDaysConfig {
    fn default() -> Self {
        ActiveDaysConfig { max_points: 25.0, full_at: 20 }
    }
}

/// Usage trend: active days in the last 30 minus the 30 before.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct TrendConfig {
    /// A change of at least this many days counts as growing or shrinking,
    /// 1–30. Default 3 (smaller swings are noise: holidays, a busy week).
    pub(crate) min_change_days: u32,
    /// Points when usage grows. Default 10.
    pub(crate) growing_points: f64,
    /// Points taken away when usage shrinks. Default 10: a fading trial is
    /// the opposite of an upgrade signal.
    pub(crate) shrinking_penalty: f64,
}

impl Default for TrendConfig {
    fn default() -> Self {
        TrendConfig { min_change_days: 3, growing_points: 10.0, shrinking_penalty: 10.0 }
    }
}

/// Seats in use beyond the first (team adoption).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct SeatsConfig {
    /// Points per seat beyond the first. Default 2.
    pub(crate) points_per_extra_seat: f64,
    /// Cap. Default 10 (six seats: a team, not one curious user).
    pub(crate) max_points: f64,
}

impl Default for SeatsConfig {
    fn default() -> Self {
        SeatsConfig { points_per_extra_seat: 2.0, max_points: 10.0 }
    }
}

/// Teammates invited (the account spreads inside the company).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct InvitesConfig {
    /// Points per invited teammate. Default 3.
    pub(crate) points_per_invite: f64,
    /// Cap. Default 10.
    pub(crate) max_points: f64,
}

impl Default for InvitesConfig {
    fn default() -> Self {
        InvitesConfig { points_per_invite: 3.0, max_points: 10.0 }
    }
}

/// Adopted features: key features weigh much more than the rest.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct FeaturesConfig {
    /// Points per adopted key feature. Default 5.
    pub(crate) points_per_key: f64,
    /// Points per adopted feature not in `key_features`. Default 1.
    pub(crate) points_per_other: f64,
    /// Cap for all features together (key features are counted first).
    /// Default 20.
    pub(crate) max_points: f64,
}

impl Default for FeaturesConfig {
    fn default() -> Self {
        FeaturesConfig { points_per_key: 5.0, points_per_other: 1.0, max_points: 20.0 }
    }
}

/// Plan-limit hits: the free tier is too small for the lead.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct PlanLimitsConfig {
    /// Points per hit. Default 4.
    pub(crate) points_per_hit: f64,
    /// Cap. Default 12 (three hits make the point; more is not more intent).
    pub(crate) max_points: f64,
}

impl Default for PlanLimitsConfig {
    fn default() -> Self {
        PlanLimitsConfig { points_per_hit: 4.0, max_points: 12.0 }
    }
}

/// Trial timing.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct TrialConfig {
    /// A trial ending within this many whole days (0 = within 24 h) is
    /// "ending soon", 0–90. Default 7.
    pub(crate) ending_soon_days: u32,
    /// Points when a trial ends soon on an active account: the decision is
    /// due now. Default 8.
    pub(crate) ending_soon_points: f64,
    /// An account counts as active when it is activated or used at least
    /// this many of the last 30 days, 0–30. Default 4 (about weekly).
    pub(crate) min_active_days: u32,
    /// Points taken away when the trial expired and the plan is not a paid
    /// one: the upgrade moment passed without a purchase. Default 5.
    pub(crate) expired_penalty: f64,
}

impl Default for TrialConfig {
    fn default() -> Self {
        TrialConfig { ending_soon_days: 7, ending_soon_points: 8.0, min_active_days: 4, expired_penalty: 5.0 }
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

impl UsageConfig {
    /// Parses and validates the policy's config; errors name the key.
    pub(crate) fn from_config(config: &Config<'_>) -> Result<UsageConfig, ConfigError> {
        let mut cfg: UsageConfig = config.parse()?;
        cfg.validate()?;
        cfg.key_features = normalise_names("key_features", &cfg.key_features)?;
        cfg.paid_plans = normalise_names("paid_plans", &cfg.paid_plans)?;
        Ok(cfg)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        points("activated_points", self.activated_points)?;
        points("active_days.max_points", self.active_days.max_points)?;
        days("active_days.full_at", self.active_days.full_at, 1, 30)?;
        days("trend.min_change_days", self.trend.min_change_days, 1, 30)?;
        points("trend.growing_points", self.trend.growing_points)?;
        points("trend.shrinking_penalty", self.trend.shrinking_penalty)?;
        points("seats.points_per_extra_seat", self.seats.points_per_extra_seat)?;
        points("seats.max_points", self.seats.max_points)?;
        points("invites.points_per_invite", self.invites.points_per_invite)?;
        points("invites.max_points", self.invites.max_points)?;
        points("features.points_per_key", self.features.points_per_key)?;
        points("features.points_per_other", self.features.points_per_other)?;
        points("features.max_points", self.features.max_points)?;
        points("plan_limits.points_per_hit", self.plan_limits.points_per_hit)?;
        points("plan_limits.max_points", self.plan_limits.max_points)?;
        days("trial.ending_soon_days", self.trial.ending_soon_days, 0, 90)?;
        points("trial.ending_soon_points", self.trial.ending_soon_points)?;
        days("trial.min_active_days", self.trial.min_active_days, 0, 30)?;
        points("trial.expired_penalty", self.trial.expired_penalty)?;
        Ok(())
    }
}

/// A weight must be a finite number from 0 to 100; penalties are given as
/// positive numbers and subtracted.
fn points(key: &str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && (0.0..=MAX_POINTS).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::new(
            key,
            format!(
                "must be a number of points from 0 to {MAX_POINTS}, got {value} \
                 (penalties are positive numbers)"
            ),
        ))
    }
}

fn days(key: &str, value: u32, min: u32, max: u32) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::new(key, format!("must be a whole number of days from {min} to {max}, got {value}")))
    }
}

/// Trims and lower-cases a list of names (features, plans are compared
/// case-insensitively), refusing empty and repeated entries.
fn normalise_names(key: &str, list: &[String]) -> Result<Vec<String>, ConfigError> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for (i, name) in list.iter().enumerate() {
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(ConfigError::new(format!("{key}[{i}]"), "must not be empty: remove the entry"));
        }
        if out.contains(&name) {
            return Err(ConfigError::new(
                format!("{key}[{i}]"),
                format!("\"{name}\" is listed twice (names are compared case-insensitively): remove one"),
            ));
        }
        out.push(name);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hql_plugin_api::Logger;

    fn parse(json: &str) -> Result<UsageConfig, ConfigError> {
        UsageConfig::from_config(&Config::new(json, Logger::discard()))
    }

    #[test]
    fn empty_config_is_the_documented_defaults() {
        let cfg = parse("{}").expect("defaults");
        assert_eq!(cfg, UsageConfig::default());
        assert_eq!(cfg.activated_points, 20.0);
        assert_eq!(cfg.active_days, ActiveDaysConfig { max_points: 25.0, full_at: 20 });
        assert_eq!(cfg.key_features, ["integrations", "api", "sso", "reporting", "automation", "dashboards"]);
        assert!(cfg.paid_plans.contains(&"team".to_string()));
    }

    #[test]
    fn partial_sections_keep_the_other_defaults() {
        let cfg = parse(r#"{"trend":{"growing_points":4}}"#).expect("valid");
        assert_eq!(
            cfg.trend,
            TrendConfig { min_change_days: 3, growing_points: 4.0, shrinking_penalty: 10.0 }
        );
    }

    #[test]
    fn names_are_trimmed_and_lower_cased() {
        let cfg = parse(r#"{"key_features":[" SSO ","Api"],"paid_plans":["Gold"]}"#).expect("valid");
        assert_eq!(cfg.key_features, ["sso", "api"]);
        assert_eq!(cfg.paid_plans, ["gold"]);
    }

    #[test]
    fn unknown_keys_are_refused_with_their_path() {
        let err = parse(r#"{"trend":{"growing_pionts":4}}"#).expect_err("typo");
        assert_eq!(err.key, "trend.growing_pionts");
        let err = parse(r#"{"activation_points":4}"#).expect_err("typo");
        assert_eq!(err.key, "activation_points");
    }

    #[test]
    fn out_of_range_points_name_the_key() {
        let err = parse(r#"{"activated_points":-1}"#).expect_err("negative");
        assert_eq!(err.key, "activated_points");
        assert!(err.message.contains("from 0 to 100"), "{}", err.message);
        let err = parse(r#"{"features":{"max_points":101}}"#).expect_err("too big");
        assert_eq!(err.key, "features.max_points");
        let err = parse(r#"{"trial":{"expired_penalty":100.5}}"#).expect_err("too big");
        assert_eq!(err.key, "trial.expired_penalty");
    }

    #[test]
    fn out_of_range_days_name_the_key() {
        let err = parse(r#"{"active_days":{"full_at":0}}"#).expect_err("zero");
        assert_eq!(err.key, "active_days.full_at");
        let err = parse(r#"{"active_days":{"full_at":31}}"#).expect_err("over a month");
        assert_eq!(err.key, "active_days.full_at");
        let err = parse(r#"{"trend":{"min_change_days":0}}"#).expect_err("zero");
        assert_eq!(err.key, "trend.min_change_days");
        let err = parse(r#"{"trial":{"ending_soon_days":91}}"#).expect_err("too long");
        assert_eq!(err.key, "trial.ending_soon_days");
        let err = parse(r#"{"trial":{"min_active_days":-2}}"#).expect_err("negative");
        assert_eq!(err.key, "trial.min_active_days");
        // Boundaries are accepted.
        parse(r#"{"active_days":{"full_at":30},"trial":{"ending_soon_days":0,"min_active_days":0}}"#)
            .expect("boundaries are valid");
    }

    #[test]
    fn bad_name_lists_name_the_entry() {
        let err = parse(r#"{"key_features":["api",""]}"#).expect_err("empty");
        assert_eq!(err.key, "key_features[1]");
        let err = parse(r#"{"paid_plans":["team","TEAM"]}"#).expect_err("duplicate");
        assert_eq!(err.key, "paid_plans[1]");
        assert!(err.message.contains("twice"), "{}", err.message);
    }

    #[test]
    fn wrong_types_name_the_key() {
        let err = parse(r#"{"seats":{"max_points":"ten"}}"#).expect_err("string");
        assert_eq!(err.key, "seats.max_points");
    }
}
