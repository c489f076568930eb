//! QualifyBatch and QualifyStream answer many leads in request order, each
//! answer byte-identical to what Qualify returns for that lead alone, and a
//! malformed lead in the middle of a stream gets its own error result while
//! the stream carries on.
//!
//! Bulk paths are how a CRM re-scores its whole pipeline overnight; they
//! must not reorder, drop, or decide differently from the single-lead call
//! (a lead's stage cannot depend on which API its integration happened to
//! use). Fifty varied leads (every persona, shifted in time so their scores
//! differ) go through the real binary and are compared as protobuf bytes.

use hql_tests::{
    AS_OF_MS, Hqld, LeadBuilder, MS_PER_DAY, PluginDir, competitor_lead, days_before, default_policy,
    hql_lead, mql_lead, pb, pql_lead, rpc_field_violations, sql_lead, ts, unqualified_lead,
};
use prost::Message;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;

fn serve_default() -> (PluginDir, Hqld) {
    let plugins = PluginDir::bundled();
    let server = Hqld::serve(&default_policy(), plugins.path());
    (plugins, server)
}

/// Lead `i` of the fifty: the personas in turn, each with its history
/// shifted `i % 9` days into the past so no two decisions look alike.
fn varied_lead(i: usize) -> LeadBuilder {
    let personas: [fn(&str, i64) -> LeadBuilder; 6] =
        [hql_lead, sql_lead, pql_lead, mql_lead, unqualified_lead, competitor_lead];
    let id = format!("bulk-{i:02}");
    let history_as_of = days_before(AS_OF_MS, (i % 9) as i64);
    personas[i % personas.len()](&id, history_as_of)
}

async fn qualify_alone(client: &mut Client, lead: pb::Lead, as_of_ms: i64) -> pb::Decision {
    client
        .qualify(pb::QualifyRequest { lead: Some(lead), as_of: Some(ts(as_of_ms)) })
        .await
        .expect("qualify")
        .into_inner()
        .decision
        .expect("a decision")
}

type Client = hql_proto::pb::lead_qualification_service_client::LeadQualificationServiceClient<
    tonic::transport::Channel,
>;

fn decision_of(result: Option<&pb::QualifyBatchResult>) -> &pb::Decision {
    match result.and_then(|r| r.outcome.as_ref()) {
        Some(pb::qualify_batch_result::Outcome::Decision(d)) => d,
        other => panic!("expected a decision, got {other:?}"),
    }
}

fn error_of(result: Option<&pb::QualifyBatchResult>) -> &tonic_types::pb::Status {
    match result.and_then(|r| r.outcome.as_ref()) {
        Some(pb::qualify_batch_result::Outcome::Error(e)) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_batch_of_fifty_leads_comes_back_in_order_each_as_qualify_would_decide_it() {
    let (_plugins, server) = serve_default();
    let mut client = server.client().await;
    let leads: Vec<pb::Lead> = (0..50).map(|i| varied_lead(i).build()).collect();

    let results = client
        .qualify_batch(pb::QualifyBatchRequest { leads: leads.clone(), as_of: Some(ts(AS_OF_MS)) })
        .await
        .unwrap_or_else(|s| panic!("QualifyBatch failed: {s:?}\n{}", server.stderr()))
        .into_inner()
        .results;
    assert_eq!(results.len(), 50);

    let mut stages = std::collections::BTreeSet::new();
    let mut ids = std::collections::BTreeSet::new();
    for (i, (result, lead)) in results.iter().zip(leads).enumerate() {
        let batched = decision_of(Some(result));
        assert_eq!(batched.lead_id, format!("bulk-{i:02}"), "result {i} is out of order");
        let alone = qualify_alone(&mut client, lead, AS_OF_MS).await;
        assert_eq!(
            batched.encode_to_vec(),
            alone.encode_to_vec(),
            "{} differs from Qualify",
            batched.lead_id
        );
        stages.insert(batched.stage);
        ids.insert(batched.decision_id.clone());
    }
    assert!(stages.len() >= 5, "the batch should span the ladder: {stages:?}");
    assert_eq!(ids.len(), 50, "fifty different leads, fifty decision ids");
}

#[tokio::test]
async fn a_stream_of_fifty_leads_is_answered_in_request_order_each_as_qualify_would_decide_it() {
    let (_plugins, server) = serve_default();
    let mut client = server.client().await;
    // Each message has its own as_of (a nightly re-score of several days).
    let as_of = |i: usize| AS_OF_MS - (i % 4) as i64 * MS_PER_DAY;
    let requests: Vec<pb::QualifyStreamRequest> = (0..50)
        .map(|i| pb::QualifyStreamRequest { lead: Some(varied_lead(i).build()), as_of: Some(ts(as_of(i))) })
        .collect();

    let mut responses = client
        .qualify_stream(tokio_stream::iter(requests.clone()))
        .await
        .unwrap_or_else(|s| panic!("QualifyStream failed: {s:?}\n{}", server.stderr()))
        .into_inner();
    let mut answered = Vec::new();
    while let Some(response) = responses.message().await.expect("the stream stays healthy") {
        answered.push(response);
    }
    assert_eq!(answered.len(), 50);

    for (i, (response, request)) in answered.iter().zip(requests).enumerate() {
        assert_eq!(response.index, i as u64);
        let streamed = decision_of(response.result.as_ref());
        assert_eq!(streamed.lead_id, format!("bulk-{i:02}"));
        assert_eq!(streamed.as_of, Some(ts(as_of(i))), "each message's own as_of");
        let alone = qualify_alone(&mut client, request.lead.expect("lead"), as_of(i)).await;
        assert_eq!(
            streamed.encode_to_vec(),
            alone.encode_to_vec(),
            "{} differs from Qualify",
            streamed.lead_id
        );
    }
}

#[tokio::test]
async fn a_bad_message_mid_stream_gets_its_own_error_and_the_stream_carries_on() {
    let (_plugins, server) = serve_default();
    let mut client = server.client().await;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut responses =
        client.qualify_stream(ReceiverStream::new(rx)).await.expect("the stream opens").into_inner();

    let good =
        |lead: LeadBuilder| pb::QualifyStreamRequest { lead: Some(lead.build()), as_of: Some(ts(AS_OF_MS)) };
    let mut unnamed = pql_lead("", AS_OF_MS).build();
    unnamed.product_usage.as_mut().expect("usage").seats = Some(-4);
    let messages = [
        good(sql_lead("stream-marcus", AS_OF_MS)),
        pb::QualifyStreamRequest { lead: None, as_of: Some(ts(AS_OF_MS)) },
        pb::QualifyStreamRequest { lead: Some(unnamed), as_of: Some(ts(AS_OF_MS)) },
        pb::QualifyStreamRequest {
            lead: Some(mql_lead("stream-bad-time", AS_OF_MS).build()),
            as_of: Some(prost_types::Timestamp { seconds: 0, nanos: -1 }),
        },
        good(pql_lead("stream-priya", AS_OF_MS)),
    ];

    // One message at a time: each answer arrives before the next is sent.
    for (i, message) in messages.into_iter().enumerate() {
        tx.send(message).await.expect("the server reads the stream");
        let response = responses.message().await.expect("the stream is healthy").expect("an answer");
        assert_eq!(response.index, i as u64);
        let result = response.result.as_ref();
        match i {
            0 => assert_eq!(decision_of(result).stage(), pb::Stage::Sql),
            1 => {
                let error = error_of(result);
                assert_eq!(error.code, Code::InvalidArgument as i32);
                assert_eq!(paths(error), ["lead"]);
            }
            2 => {
                let error = error_of(result);
                assert_eq!(error.code, Code::InvalidArgument as i32);
                // Paths are rooted at the message's own `lead`.
                assert_eq!(paths(error), ["lead.lead_id", "lead.product_usage.seats"]);
            }
            3 => assert_eq!(paths(error_of(result)), ["as_of"]),
            _ => {
                let d = decision_of(result);
                assert_eq!((d.lead_id.as_str(), d.stage()), ("stream-priya", pb::Stage::Pql));
            }
        }
    }
    drop(tx);
    assert!(responses.message().await.expect("a clean end").is_none(), "the stream ends as OK");
}

fn paths(error: &tonic_types::pb::Status) -> Vec<String> {
    rpc_field_violations(error).into_iter().map(|(field, _)| field).collect()
}
