//! A message that does not parse as its request type is INTERNAL (gRPC's
//! status code guide: "error parsing request proto"), and the server and
//! the connection serve on. The deciding RPCs take their messages as bytes
//! and decode them on a decision thread (`hql_proto::encoded`), before any
//! validation, so this is the one case not answered with INVALID_ARGUMENT
//! and field paths; every such RPC is checked here.

use hql_load::wire::{self, RawCodec};
use hql_proto::pb;
use hql_tests::{AS_OF_MS, Hqld, PluginDir, serve_args, sql_lead, ts};
use prost::Message;
use tonic::client::Grpc;
use tonic::transport::Channel;
use tonic::{Code, Request};

/// A tag with field number 0, which no protobuf message can have.
const NOT_A_MESSAGE: &[u8] = &[0x00, 0x01, 0x02];
/// A length-delimited field (`lead`) that claims more bytes than follow.
const TRUNCATED: &[u8] = &[0x0a, 0x40, 0x0a, 0x03, b'l', b'-', b'1'];

async fn raw(server: &Hqld) -> Grpc<Channel> {
    let channel = Channel::from_shared(server.url()).expect("url").connect().await.expect("connect");
    Grpc::new(channel)
}

/// Sends `bytes` as the request of unary `rpc`, whose answer would be an
/// `R`, and returns the error status it must get.
async fn refused<R: Message + Default + std::fmt::Debug + Send + 'static>(
    grpc: &mut Grpc<Channel>,
    rpc: &'static str,
    bytes: &'static [u8],
) -> tonic::Status {
    grpc.ready().await.expect("ready");
    grpc.unary(
        Request::new(prost::bytes::Bytes::from_static(bytes)),
        wire::path(rpc),
        RawCodec::<R>::default(),
    )
    .await
    .expect_err("not a request of this RPC")
}

fn qualify_request() -> prost::bytes::Bytes {
    let lead = sql_lead("fine-1", AS_OF_MS).build();
    pb::QualifyRequest { lead: Some(lead), as_of: Some(ts(AS_OF_MS)) }.encode_to_vec().into()
}

#[tokio::test]
async fn an_undecodable_qualify_is_internal_and_the_connection_serves_on() {
    let plugins = PluginDir::bundled();
    let server = Hqld::start(serve_args(&hql_tests::default_policy(), plugins.path()));
    let mut grpc = raw(&server).await;
    for bytes in [NOT_A_MESSAGE, TRUNCATED] {
        let status = refused::<pb::QualifyResponse>(&mut grpc, wire::QUALIFY, bytes).await;
        assert_eq!(status.code(), Code::Internal, "{bytes:?}: {status:?}");
        assert!(status.message().contains("failed to decode"), "{status:?}");
    }

    // The same connection, then a typed client: both decide.
    grpc.ready().await.expect("ready");
    let answer = grpc
        .unary(
            Request::new(qualify_request()),
            wire::path(wire::QUALIFY),
            RawCodec::<pb::QualifyResponse>::default(),
        )
        .await
        .expect("a valid request on the same connection")
        .into_inner();
    assert_eq!(answer.message.decision.expect("a decision").lead_id, "fine-1");
    let mut client = server.client().await;
    let request =
        pb::QualifyRequest { lead: Some(sql_lead("fine-2", AS_OF_MS).build()), as_of: Some(ts(AS_OF_MS)) };
    let decision = client.qualify(request).await.expect("decided").into_inner().decision.expect("a decision");
    assert_eq!(decision.lead_id, "fine-2");
}

#[tokio::test]
async fn an_undecodable_batch_or_explain_is_internal_and_the_server_serves_on() {
    let plugins = PluginDir::bundled();
    let server = Hqld::start(serve_args(&hql_tests::default_policy(), plugins.path()));
    let mut grpc = raw(&server).await;
    for bytes in [NOT_A_MESSAGE, TRUNCATED] {
        let batch = refused::<pb::QualifyBatchResponse>(&mut grpc, wire::QUALIFY_BATCH, bytes).await;
        let explain = refused::<pb::ExplainResponse>(&mut grpc, wire::EXPLAIN, bytes).await;
        for status in [batch, explain] {
            assert_eq!(status.code(), Code::Internal, "{bytes:?}: {status:?}");
            assert!(status.message().contains("failed to decode"), "{status:?}");
        }
    }

    let mut client = server.client().await;
    let request = pb::QualifyBatchRequest {
        leads: vec![sql_lead("after-1", AS_OF_MS).build(), sql_lead("after-2", AS_OF_MS).build()],
        as_of: Some(ts(AS_OF_MS)),
    };
    let results = client.qualify_batch(request).await.expect("decided").into_inner().results;
    assert_eq!(results.len(), 2, "the server serves on");
}

#[tokio::test]
async fn an_undecodable_stream_message_ends_the_stream_after_the_answers_before_it() {
    let plugins = PluginDir::bundled();
    let server = Hqld::start(serve_args(&hql_tests::default_policy(), plugins.path()));
    let mut grpc = raw(&server).await;
    grpc.ready().await.expect("ready");
    let messages =
        vec![qualify_request(), prost::bytes::Bytes::from_static(NOT_A_MESSAGE), qualify_request()];
    let mut replies = grpc
        .streaming(
            Request::new(tokio_stream::iter(messages)),
            wire::path(wire::QUALIFY_STREAM),
            RawCodec::<pb::QualifyStreamResponse>::default(),
        )
        .await
        .expect("the stream opens")
        .into_inner();
    let mut answered = Vec::new();
    let status = loop {
        match replies.message().await {
            Ok(Some(reply)) => answered.push(reply.message.index),
            Ok(None) => panic!("the stream ended OK after {answered:?}"),
            Err(status) => break status,
        }
    };
    assert!(answered.len() <= 1, "nothing after the bad message is answered: {answered:?}");
    assert_eq!(status.code(), Code::Internal, "{status:?}");

    let mut client = server.client().await;
    let request =
        pb::QualifyRequest { lead: Some(sql_lead("after", AS_OF_MS).build()), as_of: Some(ts(AS_OF_MS)) };
    assert!(client.qualify(request).await.is_ok(), "the server serves on");
}
