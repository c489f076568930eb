//! The explanation's encoder writes, to the byte, what prost writes for the
//! same explanation converted to `pb::Explanation`.

use std::borrow::Cow;

use hql_plugin_api::FactValue;
use hql_proto::pb;
use hql_qualifier::decision::{FactItem, GateResult, ScorerTrail, StageEvaluation, StageGap};
use hql_qualifier::explanation_ref::FactName;
use hql_qualifier::{Explanation, Stage};
use proptest::prelude::*;
use prost::Message;

use super::explain_response;
use crate::convert::decision::reference::explanation as to_pb;
use crate::convert::encode::tests::{decision, empty, full, number, reason, stage, summary, text};

fn gate(name: &str, passed: bool) -> GateResult {
    GateResult {
        name: name.into(),
        subject: "fit.score".into(),
        operator: ">=".into(),
        required: "60".into(),
        actual: "42.5".into(),
        passed,
        description: "Fits the ICP — well".into(),
        hint: "Raise the fit score".into(),
    }
}

/// Every field set, with the awkward values: facts of each kind at their
/// defaults (a set oneof member is written all the same), an empty warning
/// (a repeated string writes every entry), a trail with no reasons, a gate
/// with nothing set.
fn full_explanation() -> Explanation {
    let decision = full();
    let nothing = GateResult {
        name: String::new(),
        subject: String::new(),
        operator: String::new(),
        required: String::new(),
        actual: String::new(),
        passed: false,
        description: String::new(),
        hint: String::new(),
    };
    Explanation {
        scorers: vec![
            ScorerTrail {
                summary: decision.scorers[0].clone(),
                reasons: decision.top_reasons.clone(),
                facts: vec![
                    FactItem { name: "bant.budget_amount".into(), value: FactValue::Number(25_000.5) },
                    FactItem { name: "bant.zero".into(), value: FactValue::Number(0.0) },
                    FactItem { name: "bant.confirmed".into(), value: FactValue::Bool(true) },
                    FactItem { name: "bant.unset".into(), value: FactValue::Bool(false) },
                    FactItem {
                        name: "bant.plan".into(), value: FactValue::Text(Cow::Borrowed("team — ü"))
                    },
                    FactItem { name: String::new(), value: FactValue::Text(Cow::Owned(String::new())) },
                ],
            },
            ScorerTrail { summary: decision.scorers[0].clone(), reasons: Vec::new(), facts: Vec::new() },
        ],
        stages: vec![
            StageEvaluation {
                stage: Stage::Hql,
                passed: false,
                gates: vec![gate("fit", true), gate("trust", false), nothing.clone()],
                description: "Highly qualified".into(),
            },
            StageEvaluation {
                stage: Stage::Unqualified,
                passed: true,
                gates: Vec::new(),
                description: String::new(),
            },
        ],
        gap: StageGap {
            stage: Some(Stage::Hql),
            failing_gates: vec![gate("trust", false), nothing],
            summary: decision.next_stage_gap.clone(),
        },
        warnings: vec!["scorer intent failed".into(), String::new(), "ünïcode".into()],
        text: "Lead lead-ü-1: DISQUALIFIED\n".into(),
        decision,
    }
}

fn empty_explanation() -> Explanation {
    Explanation {
        decision: empty(),
        scorers: Vec::new(),
        stages: Vec::new(),
        gap: StageGap { stage: None, failing_gates: Vec::new(), summary: String::new() },
        warnings: Vec::new(),
        text: String::new(),
    }
}

fn assert_same_bytes(explanation: &Explanation) {
    let expected = pb::ExplainResponse { explanation: Some(to_pb(explanation.clone())) }.encode_to_vec();
    assert_eq!(
        explain_response(&explanation.as_explanation_ref()),
        expected,
        "ExplainResponse of {explanation:#?}"
    );
}

#[test]
fn an_explanation_with_every_field_set_encodes_as_prost_encodes_it() {
    assert_same_bytes(&full_explanation());
}

#[test]
fn an_explanation_with_nothing_set_encodes_as_prost_encodes_it() {
    assert_same_bytes(&empty_explanation());
}

#[test]
fn the_encoded_explanation_decodes_back_to_it() {
    let explanation = full_explanation();
    let decoded = pb::ExplainResponse::decode(explain_response(&explanation.as_explanation_ref()).as_slice());
    assert_eq!(decoded, Ok(pb::ExplainResponse { explanation: Some(to_pb(explanation)) }));
}

#[test]
fn a_fact_named_by_its_parts_encodes_as_its_joined_name() {
    let explanation = full_explanation();
    let joined = explain_response(&explanation.as_explanation_ref());
    let mut parts = explanation.as_explanation_ref();
    let mut named_by_parts = 0;
    for (trail, owned) in parts.scorers.iter_mut().zip(&explanation.scorers) {
        for (fact, item) in trail.facts.iter_mut().zip(&owned.facts) {
            if let Some((scorer, name)) = item.name.split_once('.') {
                fact.name = FactName::Scored { scorer, fact: name };
                named_by_parts += 1;
            }
        }
    }
    assert!(named_by_parts > 0, "the full explanation has dotted fact names");
    assert_eq!(explain_response(&parts), joined);
}

fn fact() -> impl Strategy<Value = FactItem> {
    let value = prop_oneof![
        number().prop_map(FactValue::Number),
        any::<bool>().prop_map(FactValue::Bool),
        text().prop_map(|t| FactValue::Text(Cow::Owned(t))),
    ];
    (text(), value).prop_map(|(name, value)| FactItem { name, value })
}

fn gate_result() -> impl Strategy<Value = GateResult> {
    ((text(), text(), text(), text()), (text(), any::<bool>(), text(), text())).prop_map(
        |((name, subject, operator, required), (actual, passed, description, hint))| GateResult {
            name,
            subject,
            operator,
            required,
            actual,
            passed,
            description,
            hint,
        },
    )
}

fn explanation() -> impl Strategy<Value = Explanation> {
    let trail = (summary(), prop::collection::vec(reason(), 0..4), prop::collection::vec(fact(), 0..4))
        .prop_map(|(summary, reasons, facts)| ScorerTrail { summary, reasons, facts });
    let evaluation = (stage(), any::<bool>(), prop::collection::vec(gate_result(), 0..3), text()).prop_map(
        |(stage, passed, gates, description)| StageEvaluation { stage, passed, gates, description },
    );
    let gap = (prop::option::of(stage()), prop::collection::vec(gate_result(), 0..3), text())
        .prop_map(|(stage, failing_gates, summary)| StageGap { stage, failing_gates, summary });
    (
        decision(),
        prop::collection::vec(trail, 0..4),
        prop::collection::vec(evaluation, 0..4),
        gap,
        prop::collection::vec(text(), 0..3),
        text(),
    )
        .prop_map(|(decision, scorers, stages, gap, warnings, text)| Explanation {
            decision,
            scorers,
            stages,
            gap,
            warnings,
            text,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_explanation_encodes_as_prost_encodes_it(explanation in explanation()) {
        assert_same_bytes(&explanation);
    }
}
