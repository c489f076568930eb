//! An owned explanation and its borrowed parts carry the same trail.

use super::*;

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
    let decision = crate::fixtures::decision();
    let trail = ScorerTrail {
        summary: decision.scorers[0].clone(),
        reasons: decision.top_reasons.clone(),
        facts: vec![
            FactItem { name: "bant.authority".into(), value: FactValue::Text("decision_maker".into()) },
            FactItem { name: "bant.score".into(), value: FactValue::Number(70.0) },
        ],
    };
    Explanation {
        decision,
        scorers: vec![trail],
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
