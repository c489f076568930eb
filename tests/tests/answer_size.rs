//! An answer larger than `limits.max_message_bytes` is refused by `hqld` in
//! its own words, not by tonic's encoder.
//!
//! The limit applies both ways, and an answer can outgrow its request: an
//! Explain trail is several times its lead, and a lead of a few bytes (an
//! id alone) gets a full decision. tonic refuses to send such an answer with
//! OUT_OF_RANGE and a message about an "encoded message length"; `hqld`
//! refuses it first, with the same code, the limit by name and what the
//! caller can change. A batch stops at the lead whose result passes the
//! limit (the leads after it could not be sent, so they are not decided),
//! and on a stream only the message whose answer is too large gets the
//! error as its result: the stream goes on.
//!
//! The sizes are measured on a server with the default limit, and the tight
//! server's limit is chosen from them, so the cases hold whatever the
//! bundled scorers write.

use hql_tests::{AS_OF_MS, Hqld, PluginDir, default_policy, hql_lead, lead, pb, serve_args, ts};
use prost::Message;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;

type Client =
    pb::lead_qualification_service_client::LeadQualificationServiceClient<tonic::transport::Channel>;

fn qualify_request(lead: &pb::Lead) -> pb::QualifyRequest {
    pb::QualifyRequest { lead: Some(lead.clone()), as_of: Some(ts(AS_OF_MS)) }
}

fn explain_request(lead: &pb::Lead) -> pb::ExplainRequest {
    pb::ExplainRequest { lead: Some(lead.clone()), as_of: Some(ts(AS_OF_MS)) }
}

fn stream_request(lead: &pb::Lead) -> pb::QualifyStreamRequest {
    pb::QualifyStreamRequest { lead: Some(lead.clone()), as_of: Some(ts(AS_OF_MS)) }
}

/// Leads of an id alone: a few bytes each, a whole decision each answered.
fn bare_leads(n: usize) -> Vec<pb::Lead> {
    (0..n).map(|i| lead(&format!("bare-{i:03}")).build()).collect()
}

/// `leads` on one QualifyStream, every reply (or the status that ended it).
async fn stream(client: &mut Client, leads: &[pb::Lead]) -> Vec<pb::QualifyStreamResponse> {
    let (tx, rx) = tokio::sync::mpsc::channel(leads.len().max(1));
    for lead in leads {
        tx.send(stream_request(lead)).await.expect("queued");
    }
    drop(tx);
    let mut replies =
        client.qualify_stream(ReceiverStream::new(rx)).await.expect("stream opened").into_inner();
    let mut out = Vec::new();
    while let Some(reply) = replies.message().await.expect("the stream goes on") {
        out.push(reply);
    }
    out
}

async fn roomy_client(server: &Hqld) -> Client {
    server.client().await.max_decoding_message_size(64 << 20)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_over_the_message_limit_are_refused_with_the_limit_named() {
    let plugins = PluginDir::bundled();
    let rich = hql_lead("rich", AS_OF_MS).build();
    let bare = bare_leads(40);

    // Sizes, from a server with the default limit (16 MiB).
    let roomy = Hqld::serve(&default_policy(), plugins.path());
    let mut client = roomy_client(&roomy).await;
    let explain_len =
        client.explain(explain_request(&rich)).await.expect("explain").into_inner().encoded_len();
    let qualify_len =
        client.qualify(qualify_request(&rich)).await.expect("qualify").into_inner().encoded_len();
    let request_len = explain_request(&rich).encoded_len().max(stream_request(&rich).encoded_len());
    let streamed = stream(&mut client, &[bare[0].clone(), rich.clone(), bare[1].clone()]).await;
    let streamed_len: Vec<usize> = streamed.iter().map(Message::encoded_len).collect();
    let batch = pb::QualifyBatchRequest { leads: bare.clone(), as_of: Some(ts(AS_OF_MS)) };
    let results = client.qualify_batch(batch.clone()).await.expect("batch").into_inner().results;
    // The answer's length after each result (field 1: tag, length, body).
    let after: Vec<usize> = results
        .iter()
        .map(|r| 1 + prost::length_delimiter_len(r.encoded_len()) + r.encoded_len())
        .scan(0, |total, len| {
            *total += len;
            Some(*total)
        })
        .collect();

    // One byte short of the rich lead's answer on a stream (at index 1):
    // its Qualify answer (a few bytes shorter: no index, no result wrapper) and every request fit.
    let limit = streamed_len[1] - 1;
    assert!(
        limit >= 1024,
        "the server takes no limit under 1 KiB; the stream answer is {} bytes",
        streamed_len[1]
    );
    assert!(
        qualify_len <= limit && request_len <= limit && explain_len > limit,
        "sizes: qualify {qualify_len}, request {request_len}, explain {explain_len}, limit {limit}"
    );
    assert!(streamed_len[0] <= limit && streamed_len[2] <= limit);
    assert!(
        batch.encoded_len() <= limit && after[39] > limit,
        "batch request {} bytes, answer {}",
        batch.encoded_len(),
        after[39]
    );
    let passed = after.iter().position(|&len| len > limit).expect("the batch's answer passes the limit");

    let mut args = serve_args(&default_policy(), plugins.path());
    args.extend(["--max-message-bytes".into(), limit.to_string().into()]);
    let tight = Hqld::start(args);
    let mut client = roomy_client(&tight).await;

    // Qualify fits; Explain of the same lead does not.
    let decision = client.qualify(qualify_request(&rich)).await.expect("the decision fits").into_inner();
    assert_eq!(decision.encoded_len(), qualify_len);
    let refused = client.explain(explain_request(&rich)).await.expect_err("the trail does not fit");
    assert_eq!(refused.code(), Code::OutOfRange, "{refused:?}");
    assert_eq!(
        refused.message(),
        format!(
            "the answer is larger than limits.max_message_bytes ({limit} bytes): it is {explain_len} bytes; \
             Qualify answers with the decision alone, or raise the limit"
        )
    );

    // A batch is refused at the lead whose result passes the limit; the
    // leads before it alone are answered.
    let refused = client.qualify_batch(batch.clone()).await.expect_err("the batch's answer does not fit");
    assert_eq!(refused.code(), Code::OutOfRange, "{refused:?}");
    assert_eq!(
        refused.message(),
        format!(
            "the answer is larger than limits.max_message_bytes ({limit} bytes): it passed that with the result \
             of leads[{passed}], lead {} of 40; send fewer leads per call",
            passed + 1
        )
    );
    let fewer = pb::QualifyBatchRequest { leads: bare[..passed].to_vec(), as_of: Some(ts(AS_OF_MS)) };
    let answered = client.qualify_batch(fewer).await.expect("the leads before it fit").into_inner();
    assert_eq!(answered.results, results[..passed]);

    // On a stream only the message whose answer is too large gets the error.
    let replies = stream(&mut client, &[bare[0].clone(), rich.clone(), bare[1].clone()]).await;
    assert_eq!(replies.len(), 3, "{replies:?}");
    assert_eq!(replies[0], streamed[0]);
    assert_eq!(replies[2], streamed[2]);
    assert_eq!(replies[1].index, 1);
    match replies[1].result.as_ref().and_then(|r| r.outcome.as_ref()) {
        Some(pb::qualify_batch_result::Outcome::Error(status)) => {
            assert_eq!(status.code, Code::OutOfRange as i32);
            assert_eq!(
                status.message,
                format!(
                    "the answer is larger than limits.max_message_bytes ({limit} bytes): it is {} bytes; \
                     raise the limit",
                    streamed_len[1]
                )
            );
        }
        other => panic!("expected the limit's error, got {other:?}"),
    }
}
