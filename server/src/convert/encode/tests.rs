//! The hand-written encoder writes, to the byte, what prost writes for the
//! same decision converted to `pb::Decision`.

use hql_proto::pb;
use hql_qualifier::decision::{DimensionScore, Disqualification, ReasonItem, ScorerSummary};
use hql_qualifier::{Decision, PolicyRef, ScorerStatus, Stage};
use proptest::prelude::*;
use prost::Message;

use super::*;
use crate::convert::decision::reference::decision as to_pb;

/// Every field set, with the awkward values: negative and fractional
/// numbers, non-ASCII text, an empty field path, event indexes of one to
/// five varint bytes, a time before the epoch.
pub(super) fn full() -> Decision {
    Decision {
        decision_id: "9f2c".repeat(16),
        lead_id: "lead-ü-1".into(),
        stage: Stage::Disqualified,
        score: 61.25,
        dimensions: vec![
            DimensionScore { name: "fit".into(), score: 70.5, weight: 0.4 },
            DimensionScore { name: "intent".into(), score: 0.0, weight: 0.6 },
        ],
        scorers: vec![ScorerSummary {
            name: "bant".into(),
            version: "1.2.0".into(),
            dimension: "fit".into(),
            score: 80.0,
            weight: 0.25,
            contribution: -20.0,
            status: ScorerStatus::TimedOut,
            error: "took 12 ms of a 5 ms budget".into(),
        }],
        top_reasons: vec![
            ReasonItem {
                scorer: "intent".into(),
                code: "intent.pricing_page".into(),
                message: "Viewed pricing 3× — latest 2 days ago".into(),
                points: -12.5,
                fields: vec!["events".into(), String::new()],
                events: vec![0, 127, 128, 16_384, u32::MAX],
            },
            ReasonItem {
                scorer: "bant".into(),
                code: "bant.budget".into(),
                message: String::new(),
                points: 0.0,
                fields: Vec::new(),
                events: Vec::new(),
            },
        ],
        degraded: true,
        disqualifications: vec![Disqualification {
            code: "competitor".into(),
            scorer: "icp_fit".into(),
            message: "Works for a competitor.".into(),
        }],
        next_stage: Some(Stage::Hql),
        next_stage_gap: "HQL needs trust.score >= 70 (is 42).".into(),
        policy: PolicyRef { name: "default".into(), version: "2026.12".into(), digest: "ab".repeat(32) },
        as_of_ms: -1_234_567,
    }
}

/// Nothing set that proto3 can leave out.
pub(super) fn empty() -> Decision {
    Decision {
        decision_id: String::new(),
        lead_id: String::new(),
        stage: Stage::Unqualified,
        score: 0.0,
        dimensions: Vec::new(),
        scorers: Vec::new(),
        top_reasons: Vec::new(),
        degraded: false,
        disqualifications: Vec::new(),
        next_stage: None,
        next_stage_gap: String::new(),
        policy: PolicyRef { name: String::new(), version: String::new(), digest: String::new() },
        as_of_ms: 0,
    }
}

fn assert_same_bytes(decision: &Decision) {
    let expected = pb::QualifyResponse { decision: Some(to_pb(decision.clone())) }.encode_to_vec();
    assert_eq!(qualify_response(&decision.as_decision_ref()), expected, "QualifyResponse of {decision:#?}");

    let result = pb::QualifyBatchResult {
        outcome: Some(pb::qualify_batch_result::Outcome::Decision(to_pb(decision.clone()))),
    };
    let failed = pb::QualifyBatchResult {
        outcome: Some(pb::qualify_batch_result::Outcome::Error(tonic_types::pb::Status {
            code: 3,
            message: "lead.lead_id: is required".into(),
            details: Vec::new(),
        })),
    };
    let batch = pb::QualifyBatchResponse { results: vec![result.clone(), failed.clone(), result.clone()] };
    let mut written = Vec::new();
    put_decided_result(&mut written, 1, &decision.as_decision_ref());
    put_result(&mut written, 1, &failed);
    put_decided_result(&mut written, 1, &decision.as_decision_ref());
    assert_eq!(written, batch.encode_to_vec(), "QualifyBatchResponse");

    for index in [0, 1, 300, u64::MAX] {
        let expected = pb::QualifyStreamResponse { index, result: Some(result.clone()) }.encode_to_vec();
        assert_eq!(
            stream_decided(index, &decision.as_decision_ref()),
            expected,
            "QualifyStreamResponse {index}"
        );
    }
}

#[test]
fn a_decision_with_every_field_set_encodes_as_prost_encodes_it() {
    assert_same_bytes(&full());
}

#[test]
fn a_decision_with_nothing_set_encodes_as_prost_encodes_it() {
    assert_same_bytes(&empty());
}

#[test]
fn every_stage_and_status_encodes_as_prost_encodes_it() {
    let stages = [Stage::Disqualified, Stage::Unqualified, Stage::Mql, Stage::Sql, Stage::Pql, Stage::Hql];
    let statuses = [ScorerStatus::Ok, ScorerStatus::Failed, ScorerStatus::Skipped, ScorerStatus::TimedOut];
    for (i, stage) in stages.into_iter().enumerate() {
        let mut decision = full();
        decision.stage = stage;
        decision.next_stage = (i % 2 == 0).then_some(stage);
        decision.scorers[0].status = statuses[i % statuses.len()];
        assert_same_bytes(&decision);
    }
}

#[test]
fn the_encoded_answer_decodes_back_to_the_decision() {
    let decision = full();
    let decoded = pb::QualifyResponse::decode(qualify_response(&decision.as_decision_ref()).as_slice());
    assert_eq!(decoded, Ok(pb::QualifyResponse { decision: Some(to_pb(decision)) }));
}

pub(super) fn text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-z_.]{1,12}", "\\PC{0,20}"]
}

pub(super) fn number() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(-0.0), -1e6..1e6f64, any::<f64>()]
}

pub(super) fn stage() -> impl Strategy<Value = Stage> {
    prop_oneof![
        Just(Stage::Disqualified),
        Just(Stage::Unqualified),
        Just(Stage::Mql),
        Just(Stage::Sql),
        Just(Stage::Pql),
        Just(Stage::Hql)
    ]
}

pub(super) fn summary() -> impl Strategy<Value = ScorerSummary> {
    let status = prop_oneof![
        Just(ScorerStatus::Ok),
        Just(ScorerStatus::Failed),
        Just(ScorerStatus::Skipped),
        Just(ScorerStatus::TimedOut)
    ];
    (text(), text(), text(), number(), number(), number(), status, text()).prop_map(
        |(name, version, dimension, score, weight, contribution, status, error)| ScorerSummary {
            name,
            version,
            dimension,
            score,
            weight,
            contribution,
            status,
            error,
        },
    )
}

pub(super) fn reason() -> impl Strategy<Value = ReasonItem> {
    (
        text(),
        text(),
        text(),
        number(),
        prop::collection::vec(text(), 0..4),
        prop::collection::vec(any::<u32>(), 0..6),
    )
        .prop_map(|(scorer, code, message, points, fields, events)| ReasonItem {
            scorer,
            code,
            message,
            points,
            fields,
            events,
        })
}

pub(super) fn decision() -> impl Strategy<Value = Decision> {
    let dimension =
        (text(), number(), number()).prop_map(|(name, score, weight)| DimensionScore { name, score, weight });
    let disqualification = (text(), text(), text()).prop_map(|(code, scorer, message)| Disqualification {
        code,
        scorer,
        message,
    });
    let policy =
        (text(), text(), text()).prop_map(|(name, version, digest)| PolicyRef { name, version, digest });
    (
        (text(), text(), stage(), number(), prop::collection::vec(dimension, 0..4)),
        (prop::collection::vec(summary(), 0..6), prop::collection::vec(reason(), 0..6), any::<bool>()),
        (prop::collection::vec(disqualification, 0..3), prop::option::of(stage()), text(), policy),
        prop_oneof![Just(0i64), any::<i64>(), -100_000_000_000_000i64..100_000_000_000_000],
    )
        .prop_map(
            |(
                (decision_id, lead_id, stage, score, dimensions),
                (scorers, top_reasons, degraded),
                (disqualifications, next_stage, next_stage_gap, policy),
                as_of_ms,
            )| Decision {
                decision_id,
                lead_id,
                stage,
                score,
                dimensions,
                scorers,
                top_reasons,
                degraded,
                disqualifications,
                next_stage,
                next_stage_gap,
                policy,
                as_of_ms,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_decision_encodes_as_prost_encodes_it(decision in decision()) {
        assert_same_bytes(&decision);
    }
}
