//! Template for an HQL scorer plugin: the `partner_referral` scorer.
//!
//! Copy this crate to start a scorer of your own (see `README.md` beside it
//! and docs/plugins.md). It is small but complete, and shows everything a
//! scorer can do through the safe SDK, without `unsafe` or `extern "C"`:
//!
//! - a typed config read from the policy's `[scorer.config]` table, with
//!   defaults and errors naming the offending key (`config`);
//! - points with a reason for each, citing the evidence (event indexes,
//!   field names) so Explain can show why;
//! - facts a policy gate can test (`<id>.referrals`, `<id>.partner_tier`);
//! - a disqualifier code the policy may adopt (`partner.blocked`);
//! - "unknown is not a bad sign": no referral data earns a 0-point reason
//!   that says so, not a penalty;
//! - determinism: time comes from the decision's `as_of` ([`Context`]),
//!   never the clock, so a decision replays byte for byte;
//! - tests with the SDK's harness, directly and through the C ABI (`tests.rs`).
//!
//! What it scores: leads referred by partners. A `partner_referral` event
//! (a custom event type) is worth `points_per_referral`, halved every
//! `half_life_days`; the `partner_tier` attribute (`gold`, `silver`, ...) adds
//! the tier's bonus; a partner on the block list disqualifies the lead.
#![forbid(unsafe_code)]

mod config;
#[cfg(test)]
mod tests;

use hql_plugin_api::text::{num, round2};
use hql_plugin_api::{
    Attribute, CodeSpec, Config, ConfigError, Context, FactSpec, Lead, Score, ScoreError, Scorer,
    export_scorer,
};

use crate::config::PartnerConfig;

/// The custom event type this scorer counts.
pub const REFERRAL_EVENT: &str = "partner_referral";
/// The attribute naming the referring partner's tier.
pub const TIER_ATTRIBUTE: &str = "partner_tier";
/// The attribute naming the referring partner.
pub const PARTNER_ATTRIBUTE: &str = "partner";

/// Scores partner referrals. One instance per policy entry, shared by every
/// request thread: it holds only its read-only config.
#[derive(Debug)]
pub struct PartnerReferralScorer {
    config: PartnerConfig,
}

impl Scorer for PartnerReferralScorer {
    const NAME: &'static str = "partner_referral";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DIMENSION: &'static str = "engagement";
    const DESCRIPTION: &'static str =
        "Leads referred by partners: referral events decayed by age, plus the partner tier's bonus";
    const FACTS: &'static [FactSpec] = &[
        FactSpec::number("referrals", "partner_referral events seen (up to as_of)"),
        FactSpec::text("partner_tier", "the referring partner's tier, lower-case; set when known"),
    ];
    const DISQUALIFIERS: &'static [CodeSpec] =
        &[CodeSpec::new("partner.blocked", "referred by a partner on the block list")];

    fn configure(config: &Config<'_>) -> Result<Self, ConfigError> {
        Ok(PartnerReferralScorer { config: PartnerConfig::from_config(config)? })
    }

    fn score(&self, lead: &Lead<'_>, ctx: &Context<'_>) -> Result<Score, ScoreError> {
        // A score for this call: on Qualify it keeps only the reasons the
        // answer will show, and `reason_with` writes a message only for those.
        let mut score = Score::for_call(ctx);

        // Referral events: each decays with age, so an old referral counts less.
        let mut referrals = Vec::new();
        let mut points = 0.0;
        for event in lead.events().filter(|e| e.event_type() == REFERRAL_EVENT) {
            let age_days = ctx.days_since(event.occurred_at()).max(0.0);
            points += self.config.points_per_referral * 0.5f64.powf(age_days / self.config.half_life_days);
            referrals.push(event.index());
        }
        if referrals.is_empty() {
            score.reason("partner.none", 0.0, "No partner referral: this scorer has nothing to add");
        } else {
            let points = round2(points.min(self.config.max_referral_points));
            score
                .reason_with("partner.referrals", points, || {
                    format!(
                        "{} partner referral(s), {} pts each before decay (half-life {} days)",
                        referrals.len(),
                        num(self.config.points_per_referral),
                        num(self.config.half_life_days)
                    )
                })
                .events(referrals.iter().copied());
        }
        score.fact("referrals", referrals.len());

        // The partner's tier, from a custom attribute.
        match lead.attribute(TIER_ATTRIBUTE) {
            Some(Attribute::Text(tier)) => {
                let tier = tier.to_ascii_lowercase();
                let bonus = self.config.tier_bonus.get(&tier).copied().unwrap_or(0.0);
                score
                    .reason_with("partner.tier", bonus, || format!("Partner tier '{tier}': +{}", num(bonus)))
                    .field("attributes.partner_tier");
                score.fact("partner_tier", tier);
            }
            Some(_) => {
                score
                    .reason("partner.tier_unreadable", 0.0, "partner_tier is not text; ignored")
                    .field("attributes.partner_tier");
            }
            None => {}
        }

        // A blocked partner: the policy decides whether this disqualifies.
        if let Some(Attribute::Text(partner)) = lead.attribute(PARTNER_ATTRIBUTE)
            && self.config.blocked_partners.iter().any(|p| p.eq_ignore_ascii_case(partner))
        {
            score.disqualify("partner.blocked", format!("Referred by blocked partner '{partner}'"));
            score
                .reason_with("partner.blocked", 0.0, || format!("Partner '{partner}' is on the block list"))
                .field("attributes.partner");
        }

        // The score is the sum of the reasons, clamped to 0–100.
        score.settle("partner.clamped");
        Ok(score)
    }
}

// Generates the C ABI entry point `hql_scorer_entry` (and catches panics).
export_scorer!(PartnerReferralScorer);
