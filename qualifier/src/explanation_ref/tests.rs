//! An owned explanation and its borrowed parts carry the same trail.

use super::*;
use crate::decision::{Decision, DimensionScore, Disqualification, PolicyRef, ScorerStatus};

fn gate(name: &str, passed: bool) -> GateResult {
    GateResult {
        name: name.into(),
        subject: "fit.score".into(),
        operator: ">=".into(),
        required: "60".into(),
        actual: if passed { "72".into() } else { "unknown".into() },
        passed,
        description: format!("{name} is met"),
        hint: format!("raise {name}"),
    }
}

fn explanation() -> Explanation {
    let summary = ScorerSummary {
        name: "bant".into(),
        version: "1.0.0".into(),
        dimension: "fit".into(),
        score: 70.0,
        weight: 0.5,
        contribution: 35.0,
        status: ScorerStatus::Ok,
        error: String::new(),
    };
    let reason = ReasonItem {
        scorer: "bant".into(),
        code: "bant.need".into(),
        message: "Need is urgent.".into(),
        points: 12.5,
        fields: vec!["bant.need".into()],
        events: vec![3, 0],
    };
    let decision = Decision {
        decision_id: "ab12".into(),
        lead_id: "lead-1".into(),
        stage: Stage::Mql,
        score: 61.25,
        dimensions: vec![DimensionScore { name: "fit".into(), score: 70.0, weight: 0.5 }],
        scorers: vec![summary.clone()],
        top_reasons: vec![reason.clone()],
        degraded: false,
        disqualifications: vec![Disqualification {
            code: "c".into(),
            scorer: "bant".into(),
            message: "m".into(),
        }],
        next_stage: Some(Stage::Sql),
        next_stage_gap: "SQL needs fit.score >= 60 (is unknown).".into(),
        policy: PolicyRef { name: "default".into(), version: "3".into(), digest: "ff".into() },
        as_of_ms: 1_700_000_000_123,
    };
    Explanation {
        decision,
        scorers: vec![ScorerTrail {
            summary,
            reasons: vec![reason],
            facts: vec![
                FactItem { name: "bant.authority".into(), value: FactValue::Text("decision_maker".into()) },
                FactItem { name: "bant.score".into(), value: FactValue::Number(70.0) },
            ],
        }],
        stages: vec![StageEvaluation {
            stage: Stage::Sql,
            passed: false,
            gates: vec![gate("fit", false), gate("intent", true)],
            description: "Sales-ready".into(),
        }],
        gap: StageGap {
            stage: Some(Stage::Sql),
            failing_gates: vec![gate("fit", false)],
            summary: "SQL needs fit.score >= 60 (is unknown).".into(),
        },
        warnings: vec!["scorer `x` skipped: breaker open".into(), String::new()],
        text: "Lead lead-1: MQL".into(),
    }
}

#[test]
fn an_owned_explanation_comes_back_whole_from_its_parts() {
    let owned = explanation();
    assert_eq!(owned.as_explanation_ref().into_explanation(), owned);
    let empty = Explanation {
        scorers: Vec::new(),
        stages: Vec::new(),
        gap: StageGap { stage: None, failing_gates: Vec::new(), summary: String::new() },
        warnings: Vec::new(),
        ..explanation()
    };
    assert_eq!(empty.as_explanation_ref().into_explanation(), empty);
}

#[test]
fn a_fact_name_is_the_same_in_parts_or_whole() {
    let parts = FactName::Scored { scorer: "bant", fact: "authority" };
    assert_eq!(parts, FactName::Full("bant.authority"));
    assert_ne!(parts, FactName::Full("bant.authorit"));
    assert_ne!(parts, FactName::Full("bantauthority."));
    assert_eq!(parts.to_string(), "bant.authority");
    assert_eq!(parts.joined(), "bant.authority");
    assert_eq!(FactName::Full("bant.score").joined(), "bant.score");
    assert_eq!(parts.len(), "bant.authority".len());
    assert!(FactName::Full("").is_empty());
    assert!(!FactName::Scored { scorer: "", fact: "" }.is_empty(), "the dot is part of the name");
}
