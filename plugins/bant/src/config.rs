//! The BANT scorer's configuration: every number a revenue-operations team
//! would want to tune, with the defaults documented in the crate README.
//!
//! Each component (budget, authority, need, timeline) has a `max_points`
//! (default 25, so the four add up to 100) and expresses its levels as a
//! *share* of that maximum (0–1). Changing how much a component weighs is then
//! one number, and the levels inside it keep their proportions. A component
//! that is unknown earns `unknown_share` of its maximum (default 0): missing
//! data is never evidence against the lead, but it is not evidence for it
//! either.

use hql_plugin_api::ConfigError;
use serde::Deserialize;

/// The whole config table.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct BantConfig {
    /// The deal size budget amounts are compared with, USD (default 25,000):
    /// a typical first-year contract.
    pub(crate) typical_deal_size: f64,
    /// Budget: status plus amount relative to the typical deal.
    pub(crate) budget: BudgetConfig,
    /// Authority: the contact's role in the purchase.
    pub(crate) authority: AuthorityConfig,
    /// Need: is there a problem we solve?
    pub(crate) need: NeedConfig,
    /// Timeline: days until the purchase decision.
    pub(crate) timeline: TimelineConfig,
}

impl Default for BantConfig {
    fn default() -> Self {
        BantConfig {
            typical_deal_size: 25_000.0,
            budget: BudgetConfig::default(),
            authority: AuthorityConfig::default(),
            need: NeedConfig::default(),
            timeline: TimelineConfig::default(),
        }
    }
}

/// Budget component.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct BudgetConfig {
    /// Most points the component can earn (default 25).
    pub(crate) max_points: f64,
    /// Share of `max_points` when the budget status is unknown (default 0).
    pub(crate) unknown_share: f64,
    /// Share when there is no budget (default 0).
    pub(crate) none_share: f64,
    /// Share when a budget is estimated but not approved (default 0.4).
    pub(crate) estimated_share: f64,
    /// Share when the budget is approved (default 0.6).
    pub(crate) confirmed_share: f64,
    /// Extra share for the amount, earned in full at `full_amount_ratio` and
    /// linearly below it (default 0.4). Not earned when there is no budget.
    pub(crate) amount_share: f64,
    /// Amount / typical deal at which the amount share is earned in full
    /// (default 1.0).
    pub(crate) full_amount_ratio: f64,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig {
            max_points: 25.0,
            unknown_share: 0.0,
            none_share: 0.0,
            estimated_share: 0.4,
            confirmed_share: 0.6,
            amount_share: 0.4,
            full_amount_ratio: 1.0,
        }
    }
}

/// Authority component: share of `max_points` per role.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct AuthorityConfig {
    /// Most points the component can earn (default 25).
    pub(crate) max_points: f64,
    /// Share when the role is unknown (default 0).
    pub(crate) unknown_share: f64,
    /// Share for a user of the product (default 0.2).
    pub(crate) user: f64,
    /// Share for someone who shapes the decision (default 0.5).
    pub(crate) influencer: f64,
    /// Share for the person who makes the decision (default 0.8).
    pub(crate) decision_maker: f64,
    /// Share for the person who signs the cheque (default 1.0).
    pub(crate) economic_buyer: f64,
}

impl Default for AuthorityConfig {
    fn default() -> Self {
        AuthorityConfig {
            max_points: 25.0,
            unknown_share: 0.0,
            user: 0.2,
            influencer: 0.5,
            decision_maker: 0.8,
            economic_buyer: 1.0,
        }
    }
}

/// Need component: share of `max_points` per answer.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct NeedConfig {
    /// Most points the component can earn (default 25).
    pub(crate) max_points: f64,
    /// Share when the need is unknown (default 0).
    pub(crate) unknown_share: f64,
    /// Share when the lead has no need (default 0; also reports `bant.no_need`).
    pub(crate) none: f64,
    /// Share when the lead states a need (default 0.6).
    pub(crate) stated: f64,
    /// Share when sales confirmed the pain (default 1.0).
    pub(crate) confirmed: f64,
}

impl Default for NeedConfig {
    fn default() -> Self {
        NeedConfig { max_points: 25.0, unknown_share: 0.0, none: 0.0, stated: 0.6, confirmed: 1.0 }
    }
}

/// Timeline component: bands of days until the decision.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct TimelineConfig {
    /// Most points the component can earn (default 25).
    pub(crate) max_points: f64,
    /// Share when the timeline is unknown (default 0).
    pub(crate) unknown_share: f64,
    /// Bands in increasing `max_days`; the first band a timeline fits in
    /// applies (default ≤30 days 1.0, ≤90 0.7, ≤180 0.4).
    pub(crate) bands: Vec<TimelineBand>,
    /// Share for a timeline beyond the last band (default 0.1).
    pub(crate) beyond_share: f64,
}

impl Default for TimelineConfig {
    fn default() -> Self {
        TimelineConfig {
            max_points: 25.0,
            unknown_share: 0.0,
            bands: vec![
                TimelineBand { max_days: 30, share: 1.0 },
                TimelineBand { max_days: 90, share: 0.7 },
                TimelineBand { max_days: 180, share: 0.4 },
            ],
            beyond_share: 0.1,
        }
    }
}

/// One timeline band: decisions within `max_days` earn `share`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct TimelineBand {
    /// Inclusive upper bound, days.
    pub(crate) max_days: i64,
    /// Share of `max_points`, 0–1.
    pub(crate) share: f64,
}

fn max_points(key: &str, v: f64) -> Result<(), ConfigError> {
    if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
        return Err(ConfigError::new(
            key,
            format!(
                "must be between 0 and 100 points, got {v}; the four components' max_points normally add up to 100"
            ),
        ));
    }
    Ok(())
}

fn share(key: &str, v: f64) -> Result<(), ConfigError> {
    if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
        return Err(ConfigError::new(
            key,
            format!("must be a share of the component's max_points between 0 and 1, got {v}"),
        ));
    }
    Ok(())
}

impl BantConfig {
    /// Refuses values that would make scores meaningless, naming the key.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if !(self.typical_deal_size.is_finite() && self.typical_deal_size > 0.0) {
            return Err(ConfigError::new(
                "typical_deal_size",
                format!(
                    "must be a positive amount in USD (your typical first-year deal), got {}",
                    self.typical_deal_size
                ),
            ));
        }
        let b = &self.budget;
        max_points("budget.max_points", b.max_points)?;
        share("budget.unknown_share", b.unknown_share)?;
        share("budget.none_share", b.none_share)?;
        share("budget.estimated_share", b.estimated_share)?;
        share("budget.confirmed_share", b.confirmed_share)?;
        share("budget.amount_share", b.amount_share)?;
        let top = b.estimated_share.max(b.confirmed_share).max(b.unknown_share) + b.amount_share;
        if top > 1.0 + 1e-9 {
            return Err(ConfigError::new(
                "budget.amount_share",
                format!(
                    "a status share plus amount_share must not exceed 1 (the component's max_points); \
                     the largest status share is {} so amount_share can be at most {}",
                    b.estimated_share.max(b.confirmed_share).max(b.unknown_share),
                    1.0 - b.estimated_share.max(b.confirmed_share).max(b.unknown_share)
                ),
            ));
        }
        if !(b.full_amount_ratio.is_finite() && b.full_amount_ratio > 0.0) {
            return Err(ConfigError::new(
                "budget.full_amount_ratio",
                format!(
                    "must be a positive ratio of amount to typical deal (e.g. 1.0), got {}",
                    b.full_amount_ratio
                ),
            ));
        }

        let a = &self.authority;
        max_points("authority.max_points", a.max_points)?;
        share("authority.unknown_share", a.unknown_share)?;
        share("authority.user", a.user)?;
        share("authority.influencer", a.influencer)?;
        share("authority.decision_maker", a.decision_maker)?;
        share("authority.economic_buyer", a.economic_buyer)?;

        let n = &self.need;
        max_points("need.max_points", n.max_points)?;
        share("need.unknown_share", n.unknown_share)?;
        share("need.none", n.none)?;
        share("need.stated", n.stated)?;
        share("need.confirmed", n.confirmed)?;

        let t = &self.timeline;
        max_points("timeline.max_points", t.max_points)?;
        share("timeline.unknown_share", t.unknown_share)?;
        share("timeline.beyond_share", t.beyond_share)?;
        if t.bands.is_empty() {
            return Err(ConfigError::new(
                "timeline.bands",
                "needs at least one band, e.g. [{ max_days = 30, share = 1.0 }]",
            ));
        }
        let mut previous: Option<i64> = None;
        for (i, band) in t.bands.iter().enumerate() {
            if band.max_days < 0 {
                return Err(ConfigError::new(
                    format!("timeline.bands[{i}].max_days"),
                    format!("must be 0 or more days, got {}", band.max_days),
                ));
            }
            if let Some(p) = previous
                && band.max_days <= p
            {
                return Err(ConfigError::new(
                    format!("timeline.bands[{i}].max_days"),
                    format!(
                        "bands must be in strictly increasing max_days order; {} follows {p}",
                        band.max_days
                    ),
                ));
            }
            share(&format!("timeline.bands[{i}].share"), band.share)?;
            previous = Some(band.max_days);
        }
        Ok(())
    }
}
