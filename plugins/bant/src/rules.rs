//! The four BANT components, one function each.
//!
//! Every function writes exactly one reason (code `bant.<component>.<answer>`)
//! carrying the points it awarded and the lead fields it read, and returns
//! those points. Unknown answers produce an `*.unknown` reason worth
//! `unknown_share` of the component (0 by default) so a reader sees what is
//! missing rather than a silent zero.
//!
//! Messages are written with `text::Line` (one buffer each, no `format!`)
//! and fixed ones are borrowed: this runs for every lead.

use std::borrow::Cow;

use hql_plugin_api::{Authority, Bant, BudgetStatus, Need, Score};

use crate::config::{AuthorityConfig, BudgetConfig, NeedConfig, TimelineConfig};
use hql_plugin_api::text::{Line, round2};

/// What the budget component derived, for facts.
pub(crate) struct BudgetOutcome {
    /// Points awarded (rounded).
    pub(crate) points: f64,
    /// Amount / typical deal, when the amount is known.
    pub(crate) ratio: Option<f64>,
    /// Whether status or amount is known.
    pub(crate) known: bool,
}

/// Budget: a share for the status, plus a share for the amount relative to the
/// typical deal (linear up to `full_amount_ratio`). Articles 001 and 003: HQLs
/// "have the financial capacity"; a confirmed budget near our deal size is the
/// strongest form of it.
pub(crate) fn budget(
    cfg: &BudgetConfig,
    typical_deal_size: f64,
    bant: &Bant<'_>,
    score: &mut Score,
) -> BudgetOutcome {
    let status = bant.budget_status();
    // A negative amount is a data-entry error, not a budget: treat it as unknown.
    let amount = bant.budget_amount().filter(|a| *a >= 0.0);
    let ratio = amount.map(|a| a / typical_deal_size);

    let status_share = match status {
        BudgetStatus::Unknown => cfg.unknown_share,
        BudgetStatus::None => cfg.none_share,
        BudgetStatus::Estimated => cfg.estimated_share,
        BudgetStatus::Confirmed => cfg.confirmed_share,
    };
    // No budget means the amount cannot be spent on us, whatever it is.
    let amount_fill = match (status, ratio) {
        (BudgetStatus::None, _) | (_, None) => 0.0,
        (_, Some(r)) => (r / cfg.full_amount_ratio).min(1.0),
    };
    let points = round2(cfg.max_points * (status_share + cfg.amount_share * amount_fill));

    // "$40,000 (1.6× typical deal of $25,000; amount earns 80% of its share)",
    // appended to a message when the amount is known.
    let amount_text = |line: Line, a: f64, r: f64| {
        line.usd(a)
            .s(" (")
            .num(r)
            .s("× typical deal of ")
            .usd(typical_deal_size)
            .when(status != BudgetStatus::None && amount_fill < 1.0, |l| {
                l.s("; amount earns ").pct(amount_fill).s(" of its share")
            })
            .c(')')
    };
    let (code, message): (&str, Cow<'static, str>) = match (status, amount.zip(ratio)) {
        (BudgetStatus::Confirmed, Some((a, r))) => {
            ("bant.budget.confirmed", amount_text(Line::new().s("Budget confirmed: "), a, r).into())
        }
        (BudgetStatus::Confirmed, None) => {
            ("bant.budget.confirmed", "Budget confirmed; amount not given".into())
        }
        (BudgetStatus::Estimated, Some((a, r))) => {
            ("bant.budget.estimated", amount_text(Line::new().s("Budget estimated: "), a, r).into())
        }
        (BudgetStatus::Estimated, None) => {
            ("bant.budget.estimated", "Budget estimated, not yet approved; amount not given".into())
        }
        (BudgetStatus::None, Some((a, r))) => (
            "bant.budget.none",
            amount_text(Line::new().s("No budget for this purchase (amount "), a, r)
                .s(" not counted)")
                .into(),
        ),
        (BudgetStatus::None, None) => ("bant.budget.none", "No budget for this purchase".into()),
        (BudgetStatus::Unknown, Some((a, r))) => (
            "bant.budget.unknown",
            amount_text(Line::new().s("Budget status unknown; amount given: "), a, r).into(),
        ),
        (BudgetStatus::Unknown, None) => {
            ("bant.budget.unknown", "Budget unknown: neither status nor amount captured yet".into())
        }
    };
    let reason = score.reason(code, points, message);
    reason.field("bant.budget_status");
    if amount.is_some() {
        reason.field("bant.budget_amount");
    }
    BudgetOutcome { points, ratio, known: status.is_known() || amount.is_some() }
}

/// Authority: a share per role, weakest to strongest. Articles 000 and 001:
/// HQLs have "the authority to make buying decisions".
pub(crate) fn authority(cfg: &AuthorityConfig, bant: &Bant<'_>, score: &mut Score) -> f64 {
    let (share, code, message) = match bant.authority() {
        Authority::Unknown => (
            cfg.unknown_share,
            "bant.authority.unknown",
            "Authority unknown: the contact's role in the purchase is not captured",
        ),
        Authority::User => (cfg.user, "bant.authority.user", "Contact is a user of the product, not a buyer"),
        Authority::Influencer => {
            (cfg.influencer, "bant.authority.influencer", "Contact influences the purchase decision")
        }
        Authority::DecisionMaker => {
            (cfg.decision_maker, "bant.authority.decision_maker", "Contact makes the purchase decision")
        }
        Authority::EconomicBuyer => (
            cfg.economic_buyer,
            "bant.authority.economic_buyer",
            "Contact is the economic buyer (signs the cheque)",
        ),
    };
    let points = round2(cfg.max_points * share);
    score.reason(code, points, message).field("bant.authority");
    points
}

/// Need: a share per answer. An explicit "no need" also reports the
/// `bant.no_need` disqualifier; the policy decides whether it disqualifies.
pub(crate) fn need(cfg: &NeedConfig, bant: &Bant<'_>, score: &mut Score) -> f64 {
    let need = bant.need();
    let (share, code, message) = match need {
        Need::Unknown => (cfg.unknown_share, "bant.need.unknown", "Need unknown: no pain captured yet"),
        Need::None => (cfg.none, "bant.need.none", "Lead states it has no need for the product"),
        Need::Stated => (cfg.stated, "bant.need.stated", "Lead states a need the product addresses"),
        Need::Confirmed => (cfg.confirmed, "bant.need.confirmed", "Need confirmed by sales"),
    };
    let points = round2(cfg.max_points * share);
    score.reason(code, points, message).field("bant.need");
    if need == Need::None {
        score
            .disqualify("bant.no_need", "The lead explicitly has no need for the product (BANT need = none)");
    }
    points
}

/// What the timeline component derived, for facts.
pub(crate) struct TimelineOutcome {
    /// Points awarded (rounded).
    pub(crate) points: f64,
    /// Days until the decision, when known and valid.
    pub(crate) days: Option<i64>,
}

/// Timeline: the first band the decision date fits in. Article 003: SQLs and
/// HQLs are "closer to making a purchase decision"; a near date is the
/// clearest sign of it.
pub(crate) fn timeline(cfg: &TimelineConfig, bant: &Bant<'_>, score: &mut Score) -> TimelineOutcome {
    let max = cfg.max_points;
    let Some(days) = bant.timeline_days() else {
        let points = round2(max * cfg.unknown_share);
        score
            .reason("bant.timeline.unknown", points, "Timeline unknown: no decision date captured")
            .field("bant.timeline_days");
        return TimelineOutcome { points, days: None };
    };
    if days < 0 {
        let points = round2(max * cfg.unknown_share);
        score
            .reason(
                "bant.timeline.unknown",
                points,
                Line::new()
                    .s("Timeline of ")
                    .int(days)
                    .s(" days is in the past; treated as unknown until sales updates it"),
            )
            .field("bant.timeline_days");
        return TimelineOutcome { points, days: None };
    }
    let band = cfg.bands.iter().find(|b| days <= b.max_days);
    let (points, code, message) = match band {
        Some(b) => (
            round2(max * b.share),
            "bant.timeline.within",
            Line::new()
                .s("Purchase decision in ")
                .int(days)
                .s(" days (within the ")
                .int(b.max_days)
                .s("-day band, ")
                .pct(b.share)
                .s(" of timeline points)"),
        ),
        None => {
            let last = cfg.bands.last().map(|b| b.max_days).unwrap_or(0);
            (
                round2(max * cfg.beyond_share),
                "bant.timeline.beyond",
                Line::new()
                    .s("Purchase decision in ")
                    .int(days)
                    .s(" days, beyond ")
                    .int(last)
                    .s(" days (")
                    .pct(cfg.beyond_share)
                    .s(" of timeline points)"),
            )
        }
    };
    score.reason(code, points, message).field("bant.timeline_days");
    TimelineOutcome { points, days: Some(days) }
}
