//! Decision conversion: every field carried, enums mapped one to one.

use std::borrow::Cow;
use std::collections::HashSet;

use hql_plugin_api::FactValue;
use hql_proto::pb;
use hql_qualifier::decision::{
    DimensionScore, Disqualification, FactItem, GateResult, ReasonItem, ScorerSummary, ScorerTrail,
    StageEvaluation, StageGap,
};
use hql_qualifier::{Decision, Explanation, PolicyRef, ScorerInfo, ScorerStatus, Stage};
use prost::Message;
use prost_types::Timestamp;

use super::reference::{decision, explanation};
use super::*;

const ALL_STAGES: [Stage; 6] =
    [Stage::Disqualified, Stage::Unqualified, Stage::Mql, Stage::Sql, Stage::Pql, Stage::Hql];

fn policy() -> PolicyRef {
    PolicyRef { name: "default".into(), version: "2025.11".into(), digest: "ab12".into() }
}

fn scorer_summary() -> ScorerSummary {
    ScorerSummary {
        name: "bant".into(),
        version: "1.2.0".into(),
        dimension: "fit".into(),
        score: 80.0,
        weight: 0.25,
        contribution: 20.0,
        status: ScorerStatus::Failed,
        error: "timed out".into(),
    }
}

fn reason_item() -> ReasonItem {
    ReasonItem {
        scorer: "intent".into(),
        code: "intent.demo".into(),
        message: "Requested a demo".into(),
        points: 35.0,
        fields: vec!["events".into()],
        events: vec![0, 4],
    }
}

fn gate_result() -> GateResult {
    GateResult {
        name: "fit".into(),
        subject: "dimension.fit".into(),
        operator: ">=".into(),
        required: "60".into(),
        actual: "55".into(),
        passed: false,
        description: "Good fit".into(),
        hint: "Confirm the company size".into(),
    }
}

fn domain_decision() -> Decision {
    Decision {
        decision_id: "d-1".into(),
        lead_id: "lead-42".into(),
        stage: Stage::Sql,
        score: 71.5,
        dimensions: vec![DimensionScore { name: "fit".into(), score: 64.0, weight: 0.5 }],
        scorers: vec![scorer_summary()],
        top_reasons: vec![reason_item()],
        degraded: true,
        disqualifications: vec![Disqualification {
            code: "icp.competitor".into(),
            scorer: "icp_fit".into(),
            message: "Works for a competitor".into(),
        }],
        next_stage: Some(Stage::Hql),
        next_stage_gap: "needs trust".into(),
        policy: policy(),
        as_of_ms: 1_764_000_000_123,
    }
}

fn expected_summary() -> pb::ScorerSummary {
    pb::ScorerSummary {
        name: "bant".into(),
        version: "1.2.0".into(),
        dimension: "fit".into(),
        score: 80.0,
        weight: 0.25,
        contribution: 20.0,
        status: pb::ScorerStatus::Failed as i32,
        error: "timed out".into(),
    }
}

fn expected_reason() -> pb::Reason {
    pb::Reason {
        scorer: "intent".into(),
        code: "intent.demo".into(),
        message: "Requested a demo".into(),
        points: 35.0,
        evidence: Some(pb::Evidence { fields: vec!["events".into()], event_indexes: vec![0, 4] }),
    }
}

fn expected_gate() -> pb::GateResult {
    pb::GateResult {
        name: "fit".into(),
        subject: "dimension.fit".into(),
        operator: ">=".into(),
        required: "60".into(),
        actual: "55".into(),
        passed: false,
        description: "Good fit".into(),
        hint: "Confirm the company size".into(),
    }
}

fn expected_decision() -> pb::Decision {
    pb::Decision {
        decision_id: "d-1".into(),
        lead_id: "lead-42".into(),
        stage: pb::Stage::Sql as i32,
        score: 71.5,
        dimensions: vec![pb::DimensionScore { name: "fit".into(), score: 64.0, weight: 0.5 }],
        scorers: vec![expected_summary()],
        top_reasons: vec![expected_reason()],
        degraded: true,
        disqualifications: vec![pb::Disqualification {
            code: "icp.competitor".into(),
            scorer: "icp_fit".into(),
            message: "Works for a competitor".into(),
        }],
        next_stage: pb::Stage::Hql as i32,
        next_stage_gap: "needs trust".into(),
        policy: Some(pb::PolicyRef {
            name: "default".into(),
            version: "2025.11".into(),
            digest: "ab12".into(),
        }),
        as_of: Some(Timestamp { seconds: 1_764_000_000, nanos: 123_000_000 }),
    }
}

#[test]
fn a_decision_carries_every_field() {
    let converted = decision(domain_decision());
    assert_eq!(converted, expected_decision());
    let decoded = pb::Decision::decode(converted.encode_to_vec().as_slice()).expect("decodes");
    assert_eq!(decoded, converted);
}

#[test]
fn no_next_stage_is_unspecified() {
    let d = Decision { next_stage: None, ..domain_decision() };
    assert_eq!(decision(d).next_stage, pb::Stage::Unspecified as i32);
}

#[test]
fn an_explanation_carries_every_field() {
    let domain = Explanation {
        decision: domain_decision(),
        scorers: vec![ScorerTrail {
            summary: scorer_summary(),
            reasons: vec![reason_item()],
            facts: vec![
                FactItem {
                    name: "bant.authority".into(),
                    value: FactValue::Text(Cow::Borrowed("economic_buyer")),
                },
                FactItem { name: "bant.score".into(), value: FactValue::Number(80.0) },
                FactItem { name: "bant.budget".into(), value: FactValue::Bool(true) },
            ],
        }],
        stages: vec![StageEvaluation {
            stage: Stage::Hql,
            passed: false,
            gates: vec![gate_result()],
            description: "Highly qualified".into(),
        }],
        gap: StageGap {
            stage: Some(Stage::Hql),
            failing_gates: vec![gate_result()],
            summary: "needs trust".into(),
        },
        warnings: vec!["1 event after as_of ignored".into()],
        text: "Stage: SQL".into(),
    };
    use pb::fact::Value;
    let expected = pb::Explanation {
        decision: Some(expected_decision()),
        scorers: vec![pb::ScorerTrail {
            summary: Some(expected_summary()),
            reasons: vec![expected_reason()],
            facts: vec![
                pb::Fact {
                    name: "bant.authority".into(),
                    value: Some(Value::TextValue("economic_buyer".into())),
                },
                pb::Fact { name: "bant.score".into(), value: Some(Value::NumberValue(80.0)) },
                pb::Fact { name: "bant.budget".into(), value: Some(Value::BoolValue(true)) },
            ],
        }],
        stages: vec![pb::StageEvaluation {
            stage: pb::Stage::Hql as i32,
            passed: false,
            gates: vec![expected_gate()],
            description: "Highly qualified".into(),
        }],
        gap: Some(pb::StageGap {
            stage: pb::Stage::Hql as i32,
            failing_gates: vec![expected_gate()],
            summary: "needs trust".into(),
        }),
        warnings: vec!["1 event after as_of ignored".into()],
        text: "Stage: SQL".into(),
    };
    let converted = explanation(domain);
    assert_eq!(converted, expected);
    assert_eq!(converted.decision, Some(decision(domain_decision())), "same as Qualify's");
}

#[test]
fn scorer_info_carries_every_field() {
    let info = ScorerInfo {
        name: "bant".into(),
        plugin: "hql-bant".into(),
        version: "1.2.0".into(),
        abi_version: "1.0".into(),
        dimension: "fit".into(),
        weight: 0.25,
        required: true,
        library: "libhql_bant.so".into(),
        library_sha256: "cafe".into(),
        description: "BANT answers".into(),
        facts: vec!["bant.authority".into()],
        disqualifiers: vec!["bant.no_need".into()],
        isolation: hql_qualifier::policy::Isolation {
            time_budget: std::time::Duration::from_micros(2500),
            ..hql_qualifier::policy::Isolation::DEFAULT
        },
        breaker_open: true,
    };
    let expected = pb::ScorerInfo {
        name: "bant".into(),
        plugin: "hql-bant".into(),
        version: "1.2.0".into(),
        abi_version: "1.0".into(),
        dimension: "fit".into(),
        weight: 0.25,
        required: true,
        library: "libhql_bant.so".into(),
        library_sha256: "cafe".into(),
        description: "BANT answers".into(),
        facts: vec!["bant.authority".into()],
        disqualifiers: vec!["bant.no_need".into()],
        time_budget_ms: 2.5,
        breaker_open: true,
    };
    assert_eq!(scorer_info(info), expected);
}

#[test]
fn every_stage_maps_to_the_proto_stage_of_the_same_name() {
    let mut seen = HashSet::new();
    for s in ALL_STAGES {
        let p = stage(s);
        assert_eq!(p.as_str_name(), format!("STAGE_{}", s.as_str()));
        assert!(seen.insert(p as i32), "{s} maps onto a stage already used");
    }
    assert!(!seen.contains(&(pb::Stage::Unspecified as i32)));
}

#[test]
fn every_scorer_status_maps_one_to_one() {
    let cases = [
        (ScorerStatus::Ok, pb::ScorerStatus::Ok),
        (ScorerStatus::Failed, pb::ScorerStatus::Failed),
        (ScorerStatus::Skipped, pb::ScorerStatus::Skipped),
        (ScorerStatus::TimedOut, pb::ScorerStatus::TimedOut),
    ];
    for (domain, proto) in cases {
        assert_eq!(scorer_status(domain), proto);
    }
}
