//! `hql_server::calls`, the per-call work the request benchmark times,
//! answers as the engine decides: the same decision for a single lead, the
//! same explanation for Explain, each lead of a batch as if asked alone, and a bad request refused with the
//! status and field the server would send.

use hql_qualifier::{Engine, LoadOptions, ScorerSource};
use hql_server::Limits;
use hql_server::calls;
use hql_tests::{
    AS_OF_MS, LeadBuilder, PluginDir, competitor_lead, default_policy, field_violations, hql_lead, mql_lead,
    pb, pql_lead, sql_lead, ts, unqualified_lead,
};
use prost::Message;
use tonic::Code;

fn engine(plugins: &PluginDir) -> Engine {
    Engine::load(&LoadOptions {
        policy_path: default_policy(),
        scorers: ScorerSource::PluginDir(plugins.path().to_path_buf()),
    })
    .expect("the default policy loads with the bundled plugins")
}

fn personas() -> Vec<LeadBuilder> {
    vec![
        hql_lead("calls-hql", AS_OF_MS),
        sql_lead("calls-sql", AS_OF_MS),
        pql_lead("calls-pql", AS_OF_MS),
        mql_lead("calls-mql", AS_OF_MS),
        unqualified_lead("calls-cold", AS_OF_MS),
        competitor_lead("calls-competitor", AS_OF_MS),
    ]
}

/// What the answer's decision must say, from the engine's owned decision.
fn assert_same(answer: &pb::Decision, owned: &hql_qualifier::Decision) {
    assert_eq!(answer.decision_id, owned.decision_id);
    assert_eq!(answer.lead_id, owned.lead_id);
    assert_eq!(answer.score, owned.score);
    assert_eq!(answer.degraded, owned.degraded);
    assert_eq!(answer.next_stage_gap, owned.next_stage_gap);
    let scorers: Vec<(&str, f64)> = answer.scorers.iter().map(|s| (s.name.as_str(), s.score)).collect();
    let expected: Vec<(&str, f64)> = owned.scorers.iter().map(|s| (s.name.as_str(), s.score)).collect();
    assert_eq!(scorers, expected);
    let reasons: Vec<(&str, &str, f64)> =
        answer.top_reasons.iter().map(|r| (r.scorer.as_str(), r.code.as_str(), r.points)).collect();
    let expected: Vec<(&str, &str, f64)> =
        owned.top_reasons.iter().map(|r| (r.scorer.as_str(), r.code.as_str(), r.points)).collect();
    assert_eq!(reasons, expected);
    let disqualified: Vec<&str> = answer.disqualifications.iter().map(|d| d.code.as_str()).collect();
    let expected: Vec<&str> = owned.disqualifications.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(disqualified, expected);
    assert_eq!(answer.policy.as_ref().map(|p| p.digest.as_str()), Some(owned.policy.digest.as_str()));
}

#[test]
fn a_qualify_call_answers_what_the_engine_decides() {
    let plugins = PluginDir::bundled();
    let engine = engine(&plugins);
    let limits = Limits::default();
    for persona in personas() {
        let request = persona.qualify_request(AS_OF_MS).encode_to_vec();
        let (record, as_of_ms) = calls::lead_in(&limits, &request).expect("a valid lead");
        assert_eq!(as_of_ms, AS_OF_MS);
        let owned = engine.qualify(&record, as_of_ms);
        let answer = calls::qualify(&engine, &limits, request.into()).expect("an answer");
        let decision =
            pb::QualifyResponse::decode(answer).expect("a QualifyResponse").decision.expect("a decision");
        assert_same(&decision, &owned);
    }
}

#[test]
fn each_lead_of_a_batch_is_answered_as_if_asked_alone() {
    let plugins = PluginDir::bundled();
    let engine = engine(&plugins);
    let limits = Limits::default();
    let leads: Vec<pb::Lead> = personas().into_iter().map(LeadBuilder::build).collect();
    let request = pb::QualifyBatchRequest { leads: leads.clone(), as_of: Some(ts(AS_OF_MS)) }.encode_to_vec();
    let answer = calls::qualify_batch(&engine, &limits, request.into()).expect("an answer");
    let results = pb::QualifyBatchResponse::decode(answer).expect("a QualifyBatchResponse").results;
    assert_eq!(results.len(), leads.len());
    for (lead, result) in leads.into_iter().zip(results) {
        let alone = pb::QualifyRequest { lead: Some(lead), as_of: Some(ts(AS_OF_MS)) }.encode_to_vec();
        let (record, as_of_ms) = calls::lead_in(&limits, &alone).expect("a valid lead");
        match result.outcome {
            Some(pb::qualify_batch_result::Outcome::Decision(decision)) => {
                assert_same(&decision, &engine.qualify(&record, as_of_ms));
            }
            other => panic!("expected a decision, got {other:?}"),
        }
    }
}

#[test]
fn an_explain_call_answers_the_engines_explanation() {
    let plugins = PluginDir::bundled();
    let engine = engine(&plugins);
    let limits = Limits::default();
    for persona in personas() {
        let request = persona.explain_request(AS_OF_MS).encode_to_vec();
        let (record, as_of_ms) = calls::lead_in(&limits, &request).expect("a valid lead");
        let owned = engine.explain(&record, as_of_ms);
        let answer = calls::explain(&engine, &limits, request.into()).expect("an answer");
        let explanation = pb::ExplainResponse::decode(answer)
            .expect("an ExplainResponse")
            .explanation
            .expect("an explanation");
        assert_same(explanation.decision.as_ref().expect("a decision"), &owned.decision);
        let trails: Vec<(&str, usize, usize)> = explanation
            .scorers
            .iter()
            .map(|s| (s.summary.as_ref().map_or("", |m| m.name.as_str()), s.reasons.len(), s.facts.len()))
            .collect();
        let expected: Vec<(&str, usize, usize)> =
            owned.scorers.iter().map(|s| (s.summary.name.as_str(), s.reasons.len(), s.facts.len())).collect();
        assert_eq!(trails, expected);
        assert_eq!(explanation.stages.len(), owned.stages.len());
        assert_eq!(explanation.warnings, owned.warnings);
        assert_eq!(explanation.text, owned.text);
    }
}

#[test]
fn a_bad_request_is_refused_with_the_servers_status_and_field() {
    let plugins = PluginDir::bundled();
    let engine = engine(&plugins);
    let limits = Limits::default();
    let nameless = hql_lead("", AS_OF_MS).qualify_request(AS_OF_MS).encode_to_vec();
    for status in [
        calls::qualify(&engine, &limits, nameless.clone().into()).expect_err("refused"),
        calls::lead_in(&limits, &nameless).map(|_| ()).expect_err("refused"),
        calls::explain(&engine, &limits, nameless.clone().into()).expect_err("refused"),
    ] {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        let fields: Vec<String> = field_violations(&status).into_iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["lead.lead_id"], "{status:?}");
    }
}
