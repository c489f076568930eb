//! What one request can make `hqld` hold is bounded by its limits, not by
//! the request's size.
//!
//! A list element can be two bytes on the wire (an empty lead, event or
//! attribute entry) and a decoded one a hundred or more, so a request at the
//! 16 MiB message limit could once make `hqld` hold gigabytes before the limit
//! it broke was even checked: 8,000,000 empty leads took its peak resident
//! memory to 5.2 GB, 8,000,000 empty events to 1.5 GB. Each case here sends
//! such a request through a real client (by each deciding RPC: Qualify,
//! Explain, QualifyStream, QualifyBatch), checks it is refused (or, for a
//! batch whose every lead is within limits, answered lead by lead) with
//! the limit named and the count exact, and checks the server's peak
//! resident memory (VmHWM) stays within [`PEAK_BUDGET_KIB`]: a bound on
//! memory, which does not depend on the machine's speed.

use hql_load::procfs;
use hql_load::wire::{self, RawCodec};
use hql_proto::pb;
use hql_tests::{Hqld, PluginDir, default_policy, field_violations, rpc_field_violations, serve_args};
use prost::bytes::Bytes;
use tonic::client::Grpc;
use tonic::transport::Channel;
use tonic::{Code, Request};

/// The most the server may ever hold resident across these requests. A
/// request is at most 16 MiB and is held as bytes while it is read and
/// answered; before the reader held lists to the limits, the first case
/// alone reached 5.2 GB.
const PEAK_BUDGET_KIB: u64 = 128 * 1024;

/// Messages just under the server's default 16 MiB limit.
const COUNT: usize = 8_000_000;

/// `field` (a length-delimited field number) holding `value`.
fn field(number: u8, value: &[u8]) -> Vec<u8> {
    let mut bytes = vec![(number << 3) | 2];
    prost::encoding::encode_varint(value.len() as u64, &mut bytes);
    bytes.extend_from_slice(value);
    bytes
}

/// `count` empty messages or strings in field `number`: two bytes each.
fn empties(number: u8, count: usize) -> Vec<u8> {
    [(number << 3) | 2, 0].repeat(count)
}

/// A `QualifyRequest` of one lead whose encoding (after its id) is `rest`.
fn qualify_request(rest: &[u8]) -> Bytes {
    let mut lead = field(1, b"huge-1");
    lead.extend_from_slice(rest);
    field(1, &lead).into()
}

async fn grpc(server: &Hqld) -> Grpc<Channel> {
    let channel = Channel::from_shared(server.url()).expect("url").connect().await.expect("connect");
    Grpc::new(channel).max_encoding_message_size(32 << 20).max_decoding_message_size(32 << 20)
}

async fn qualify(grpc: &mut Grpc<Channel>, request: Bytes) -> tonic::Status {
    unary_refused::<pb::QualifyResponse>(grpc, wire::QUALIFY, request).await
}

/// The status unary `rpc`, whose answer would be an `R`, refuses `request` with.
async fn unary_refused<R: prost::Message + Default + Send + 'static>(
    grpc: &mut Grpc<Channel>,
    rpc: &'static str,
    request: Bytes,
) -> tonic::Status {
    grpc.ready().await.expect("ready");
    grpc.unary(Request::new(request), wire::path(rpc), RawCodec::<R>::default()).await.err().expect("refused")
}

/// `message` (a `QualifyStreamRequest`'s bytes) alone on a QualifyStream, and its one reply.
async fn stream_one(grpc: &mut Grpc<Channel>, message: Bytes) -> pb::QualifyStreamResponse {
    grpc.ready().await.expect("ready");
    let outgoing = tokio_stream::iter([message]);
    let call = grpc.streaming(
        Request::new(outgoing),
        wire::path(wire::QUALIFY_STREAM),
        RawCodec::<pb::QualifyStreamResponse>::default(),
    );
    let mut replies = call.await.expect("the stream opens").into_inner();
    let reply = replies.message().await.expect("a reply").expect("one reply");
    assert!(replies.message().await.expect("the stream ends cleanly").is_none());
    reply.message
}

async fn qualify_batch(
    grpc: &mut Grpc<Channel>,
    request: Bytes,
) -> Result<pb::QualifyBatchResponse, tonic::Status> {
    grpc.ready().await.expect("ready");
    grpc.unary(
        Request::new(request),
        wire::path(wire::QUALIFY_BATCH),
        RawCodec::<pb::QualifyBatchResponse>::default(),
    )
    .await
    .map(|answer| answer.into_inner().message)
}

/// The first violation at `path`.
fn violation<'a>(violations: &'a [(String, String)], path: &str) -> &'a str {
    violations
        .iter()
        .find(|(field, _)| field == path)
        .map(|(_, description)| description.as_str())
        .unwrap_or_else(|| panic!("no violation at {path}: {violations:?}"))
}

fn peak_kib(server: &Hqld) -> u64 {
    procfs::memory(server.pid()).expect("the server's /proc status").hwm_kib
}

#[tokio::test]
async fn lists_at_the_message_limit_are_refused_within_a_fixed_memory_budget() {
    let plugins = PluginDir::bundled();
    let server = Hqld::start(serve_args(&default_policy(), plugins.path()));
    let mut grpc = grpc(&server).await;

    // 8,000,000 empty leads: counted, none read.
    let status = qualify_batch(&mut grpc, empties(1, COUNT).into()).await.expect_err("too many leads");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(
        violation(&field_violations(&status), "leads"),
        format!("must have at most 1000 leads, got {COUNT}")
    );
    let after_leads = peak_kib(&server);
    assert!(after_leads <= PEAK_BUDGET_KIB, "peak {after_leads} KiB after 8,000,000 leads");

    // One lead of 8,000,000 empty events: all read, 10,000 kept.
    let status = qualify(&mut grpc, qualify_request(&empties(5, COUNT))).await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let violations = field_violations(&status);
    assert_eq!(violation(&violations, "lead.events"), format!("must have at most 10000 events, got {COUNT}"));
    // The events kept are still checked, each with its own path.
    assert_eq!(
        violation(&violations, "lead.events[0].type"),
        "is required (EVENT_TYPE_UNSPECIFIED is refused)"
    );

    // The same lead through Explain and as a QualifyStream message, which
    // read their lead as Qualify does.
    let status =
        unary_refused::<pb::ExplainResponse>(&mut grpc, wire::EXPLAIN, qualify_request(&empties(5, COUNT)))
            .await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(
        violation(&field_violations(&status), "lead.events"),
        format!("must have at most 10000 events, got {COUNT}")
    );
    let reply = stream_one(&mut grpc, qualify_request(&empties(5, COUNT))).await;
    let Some(pb::qualify_batch_result::Outcome::Error(status)) = reply.result.and_then(|r| r.outcome) else {
        panic!("a streamed lead of {COUNT} events was not refused");
    };
    assert_eq!(status.code, Code::InvalidArgument as i32);
    assert_eq!(
        violation(&rpc_field_violations(&status), "lead.events"),
        format!("must have at most 10000 events, got {COUNT}")
    );

    // 8,000,000 empty technologies.
    let status = qualify(&mut grpc, qualify_request(&field(3, &empties(7, COUNT)))).await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(
        violation(&field_violations(&status), "lead.company.technologies"),
        format!("must have at most 256 entries, got {COUNT}")
    );

    // 8,000,000 empty product-usage features.
    let status = qualify(&mut grpc, qualify_request(&field(6, &empties(7, COUNT)))).await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(
        violation(&field_violations(&status), "lead.product_usage.features_adopted"),
        format!("must have at most 256 entries, got {COUNT}")
    );

    // 8,000,000 attribute entries of one (empty) key: a map keeps the last,
    // so this is one entry, with no value.
    let status = qualify(&mut grpc, qualify_request(&empties(7, COUNT))).await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let violations = field_violations(&status);
    assert_eq!(violation(&violations, r#"lead.attributes[""]"#), "key must be 1 to 128 bytes, got 0");
    assert!(!violations.iter().any(|(path, _)| path == "lead.attributes"), "{violations:?}");

    // A million attribute entries, every key different.
    let mut entries = Vec::new();
    for i in 0..1_000_000u32 {
        entries.extend(field(7, &field(1, format!("{i:x}").as_bytes())));
    }
    let status = qualify(&mut grpc, qualify_request(&entries)).await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(
        violation(&field_violations(&status), "lead.attributes"),
        "must have at most 256 entries, got at least 1024"
    );

    // 100 leads of 80,000 empty events each: within the batch limit, so
    // each lead is read when it is decided and refused on its own.
    let lead = field(1, &[field(1, b"fat").as_slice(), &empties(5, 80_000)].concat());
    let answer = qualify_batch(&mut grpc, lead.repeat(100).into()).await.expect("answered lead by lead");
    assert_eq!(answer.results.len(), 100);
    for (i, result) in answer.results.iter().enumerate() {
        let Some(pb::qualify_batch_result::Outcome::Error(status)) = &result.outcome else {
            panic!("a lead of 80,000 events decided: {result:?}");
        };
        assert_eq!(status.code, Code::InvalidArgument as i32);
        assert_eq!(
            violation(&rpc_field_violations(status), &format!("leads[{i}].events")),
            "must have at most 10000 events, got 80000"
        );
    }

    let peak = peak_kib(&server);
    assert!(peak <= PEAK_BUDGET_KIB, "peak resident memory {peak} KiB, budget {PEAK_BUDGET_KIB} KiB");
}
