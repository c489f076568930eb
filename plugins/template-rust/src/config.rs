//! The scorer's settings: the policy's `[scorer.config]` table.
//!
//! Every number has a default, so an empty table works. `Config::parse`
//! reports unknown keys and wrong types with the key's path; the range
//! checks below name the key too, so `hqld` refuses a bad policy at start-up
//! with an error an operator can act on.

use std::collections::BTreeMap;

use hql_plugin_api::{Config, ConfigError};
use serde::Deserialize;

/// Settings of the partner-referral scorer.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct PartnerConfig {
    /// Points for a referral made today. Default 40.
    pub(crate) points_per_referral: f64,
    /// Days after which a referral is worth half. Default 60.
    pub(crate) half_life_days: f64,
    /// Most points from referrals together. Default 80.
    pub(crate) max_referral_points: f64,
    /// Bonus points per partner tier (lower-case keys). Default gold 20, silver 10.
    pub(crate) tier_bonus: BTreeMap<String, f64>,
    /// Partners whose referrals disqualify (`partner.blocked`). Default none.
    pub(crate) blocked_partners: Vec<String>,
}

impl Default for PartnerConfig {
    fn default() -> Self {
        PartnerConfig {
            points_per_referral: 40.0,
            half_life_days: 60.0,
            max_referral_points: 80.0,
            tier_bonus: BTreeMap::from([("gold".to_string(), 20.0), ("silver".to_string(), 10.0)]),
            blocked_partners: Vec::new(),
        }
    }
}

impl PartnerConfig {
    /// Parses and checks the config.
    pub(crate) fn from_config(config: &Config<'_>) -> Result<PartnerConfig, ConfigError> {
        let mut c: PartnerConfig = config.parse()?;
        points("points_per_referral", c.points_per_referral)?;
        points("max_referral_points", c.max_referral_points)?;
        if !(c.half_life_days.is_finite() && c.half_life_days > 0.0) {
            return Err(ConfigError::new("half_life_days", format!("must be > 0, got {}", c.half_life_days)));
        }
        let mut tiers = BTreeMap::new();
        for (tier, bonus) in &c.tier_bonus {
            points(&format!("tier_bonus.{tier}"), *bonus)?;
            tiers.insert(tier.to_ascii_lowercase(), *bonus);
        }
        c.tier_bonus = tiers;
        Ok(c)
    }
}

/// A number of points: finite, 0 to 100.
fn points(key: &str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && (0.0..=100.0).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::new(key, format!("must be between 0 and 100 points, got {value}")))
    }
}
