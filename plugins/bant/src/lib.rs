//! # `bant`: Budget, Authority, Need, Timeline
//!
//! BANT is the qualification framework sales teams already use (articles 001
//! and 003 of the domain notes): a highly qualified lead "has a defined
//! problem, a budget, and the authority to make buying decisions" and is close
//! to a decision. This scorer turns the four answers captured by sales or a
//! form into a 0–100 *fit* score with partial credit per component, so a lead
//! with a confirmed budget but an unknown timeline is not scored like a lead
//! with nothing.
//!
//! Why partial credit and shares: teams disagree on how much each letter
//! matters (article 000 warns that qualification criteria are subjective and
//! inconsistent), so every number is in the config, each component has its
//! own `max_points`, and the levels inside it are shares of that maximum.
//!
//! Why unknown is not negative: BANT answers arrive late (after a discovery
//! call); an unanswered question must not push a lead below one that answered
//! "no". Unknown components earn a configurable neutral share (0 by default)
//! and say so in their reason.
//!
//! Why `bant.no_need` is a disqualifier *code* and not a zero score: an
//! explicit "no need" is a decision for the policy (some teams nurture such
//! leads, others drop them), so the scorer reports it and the policy gates it.
//!
//! Files: `config` (tunable numbers and their validation), `rules` (one
//! function per component), `fmt` (message formatting and rounding).
#![forbid(unsafe_code)]

mod config;
mod rules;
#[cfg(test)]
mod tests;

use hql_plugin_api::{CodeSpec, Config, ConfigError, Context, FactSpec, Lead, Score, ScoreError, Scorer};

use crate::config::BantConfig;
use hql_plugin_api::text::round2;

/// The BANT scorer: one instance per policy entry, read-only after `configure`.
#[derive(Debug)]
pub struct BantScorer {
    config: BantConfig,
}

impl Scorer for BantScorer {
    const NAME: &'static str = "bant";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DIMENSION: &'static str = "fit";
    const DESCRIPTION: &'static str =
        "BANT: partial credit for budget (status and amount vs typical deal), authority, need and timeline";
    const FACTS: &'static [FactSpec] = &[
        FactSpec::text(
            "authority",
            "Contact's role in the purchase: unknown, user, influencer, decision_maker or economic_buyer",
        ),
        FactSpec::number(
            "authority_rank",
            "Authority as a number: 0 unknown, 1 user, 2 influencer, 3 decision_maker, 4 economic_buyer",
        ),
        FactSpec::text("budget_status", "Budget status: unknown, none, estimated or confirmed"),
        FactSpec::bool("budget_confirmed", "True when the budget is approved (status confirmed)"),
        FactSpec::number(
            "budget_ratio",
            "Budget amount divided by the configured typical deal size; set only when the amount is known",
        ),
        FactSpec::text("need", "Need: unknown, none, stated or confirmed"),
        FactSpec::number("timeline_days", "Days until the purchase decision; set only when known"),
        FactSpec::number(
            "components_known",
            "How many of budget, authority, need and timeline are known (0-4)",
        ),
    ];
    const DISQUALIFIERS: &'static [CodeSpec] = &[CodeSpec::new(
        "bant.no_need",
        "The lead explicitly has no need for the product (BANT need = none)",
    )];

    fn configure(config: &Config<'_>) -> Result<Self, ConfigError> {
        let config: BantConfig = config.parse()?;
        config.validate()?;
        Ok(BantScorer { config })
    }

    fn score(&self, lead: &Lead<'_>, ctx: &Context<'_>) -> Result<Score, ScoreError> {
        let bant = lead.bant();
        let mut score = Score::for_call(ctx);

        let budget = rules::budget(&self.config.budget, self.config.typical_deal_size, &bant, &mut score);
        let authority = rules::authority(&self.config.authority, &bant, &mut score);
        let need = rules::need(&self.config.need, &bant, &mut score);
        let timeline = rules::timeline(&self.config.timeline, &bant, &mut score);

        // Every point is a reason: the components and the reasons agree.
        debug_assert_eq!(
            round2(budget.points + authority + need + timeline.points),
            round2(score.total_points())
        );
        score.settle(CLAMPED);

        let components_known = usize::from(budget.known)
            + usize::from(bant.authority().is_known())
            + usize::from(bant.need().is_known())
            + usize::from(timeline.days.is_some());
        score
            .fact("authority", bant.authority().as_str())
            .fact("authority_rank", bant.authority().to_raw())
            .fact("budget_status", bant.budget_status().as_str())
            .fact("budget_confirmed", bant.budget_status() == hql_plugin_api::BudgetStatus::Confirmed);
        if let Some(ratio) = budget.ratio {
            score.fact("budget_ratio", ratio);
        }
        score.fact("need", bant.need().as_str());
        if let Some(days) = timeline.days {
            score.fact("timeline_days", days);
        }
        score.fact("components_known", components_known);
        Ok(score)
    }
}

/// Code of the reason that carries the clamping difference.
const CLAMPED: &str = "bant.clamped";

hql_plugin_api::export_scorer!(BantScorer);
