//! Test data shared by the crate's unit tests.

use crate::decision::{
    Decision, DimensionScore, Disqualification, PolicyRef, ReasonItem, ScorerStatus, ScorerSummary,
};
use crate::stage::Stage;

/// A decision with every field set.
pub(crate) fn decision() -> Decision {
    Decision {
        decision_id: "ab12".into(),
        lead_id: "lead-1".into(),
        stage: Stage::Mql,
        score: 61.25,
        dimensions: vec![DimensionScore { name: "fit".into(), score: 70.0, weight: 0.5 }],
        scorers: vec![ScorerSummary {
            name: "bant".into(),
            version: "1.0.0".into(),
            dimension: "fit".into(),
            score: 70.0,
            weight: 0.5,
            contribution: 35.0,
            status: ScorerStatus::Failed,
            error: "boom".into(),
        }],
        top_reasons: vec![ReasonItem {
            scorer: "bant".into(),
            code: "bant.need".into(),
            message: "Need is urgent.".into(),
            points: -12.5,
            fields: vec!["bant.need".into(), "bant.timeline_days".into()],
            events: vec![3, 0],
        }],
        degraded: true,
        disqualifications: vec![Disqualification {
            code: "competitor".into(),
            scorer: "icp".into(),
            message: "A competitor.".into(),
        }],
        next_stage: Some(Stage::Sql),
        next_stage_gap: "SQL needs total >= 70 (is 61.25).".into(),
        policy: PolicyRef { name: "default".into(), version: "3".into(), digest: "ff".into() },
        as_of_ms: 1_700_000_000_123,
    }
}
