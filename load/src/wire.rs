//! The client's side of the wire: pre-encoded requests out, shallow replies in.
//!
//! The harness runs on the same cores as the server it measures, so the
//! client must cost as little as it can. Requests are sent as bytes encoded
//! before the run ([`crate::workload`]): encoding is a copy. Replies are
//! decoded only as deep as checking them needs: whether each answer is a
//! decision (kept as undecoded bytes) or an error (whose code is counted).
//! The bytes on the wire are exactly those of the generated `hql.v1` client;
//! only the client's own work differs.

use std::marker::PhantomData;

use bytes::{Buf, BufMut, Bytes};
use prost::Message;
use tonic::Status;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;

/// `/hql.v1.LeadQualificationService/Qualify`.
pub const QUALIFY: &str = "/hql.v1.LeadQualificationService/Qualify";
/// `/hql.v1.LeadQualificationService/QualifyBatch`.
pub const QUALIFY_BATCH: &str = "/hql.v1.LeadQualificationService/QualifyBatch";
/// `/hql.v1.LeadQualificationService/QualifyStream`.
pub const QUALIFY_STREAM: &str = "/hql.v1.LeadQualificationService/QualifyStream";
/// `/hql.v1.LeadQualificationService/Explain`.
pub const EXPLAIN: &str = "/hql.v1.LeadQualificationService/Explain";

/// The path of an RPC, for `tonic::client::Grpc`.
pub fn path(rpc: &'static str) -> PathAndQuery {
    PathAndQuery::from_static(rpc)
}

/// QualifyResponse or ExplainResponse: field 1 is the decision (or the
/// explanation), kept as bytes.
#[derive(Clone, PartialEq, Message)]
pub struct SingleReply {
    /// The answer's encoding; `None` when the server sent none.
    #[prost(bytes = "bytes", optional, tag = "1")]
    pub answer: Option<Bytes>,
}

/// google.rpc.Status, without its details.
#[derive(Clone, PartialEq, Message)]
pub struct RpcStatus {
    /// The gRPC code.
    #[prost(int32, tag = "1")]
    pub code: i32,
    /// The message.
    #[prost(string, tag = "2")]
    pub message: String,
}

/// QualifyBatchResult: a decision (as bytes) or this lead's error.
#[derive(Clone, PartialEq, Message)]
pub struct LeadResult {
    /// The decision's encoding.
    #[prost(bytes = "bytes", optional, tag = "1")]
    pub decision: Option<Bytes>,
    /// The lead's error.
    #[prost(message, optional, tag = "2")]
    pub error: Option<RpcStatus>,
}

/// QualifyBatchResponse.
#[derive(Clone, PartialEq, Message)]
pub struct BatchReply {
    /// One result per lead, in request order.
    #[prost(message, repeated, tag = "1")]
    pub results: Vec<LeadResult>,
}

/// QualifyStreamResponse.
#[derive(Clone, PartialEq, Message)]
pub struct StreamReply {
    /// Position of the request this answers.
    #[prost(uint64, tag = "1")]
    pub index: u64,
    /// Its result.
    #[prost(message, optional, tag = "2")]
    pub result: Option<LeadResult>,
}

/// A decoded reply and its size on the wire (the message, without gRPC's
/// 5-byte frame header).
#[derive(Debug, Clone)]
pub struct Sized<T> {
    /// The reply.
    pub message: T,
    /// Its encoded length, bytes.
    pub bytes: usize,
}

/// Sends [`Bytes`] as they are and decodes replies as `T`.
#[derive(Debug)]
pub struct RawCodec<T>(PhantomData<fn() -> T>);

impl<T> Default for RawCodec<T> {
    fn default() -> Self {
        RawCodec(PhantomData)
    }
}

impl<T: Message + Default + Send + 'static> Codec for RawCodec<T> {
    type Encode = Bytes;
    type Decode = Sized<T>;
    type Encoder = RawEncoder;
    type Decoder = SizedDecoder<T>;

    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }

    fn decoder(&mut self) -> SizedDecoder<T> {
        SizedDecoder(PhantomData)
    }
}

/// Copies pre-encoded bytes into the frame.
#[derive(Debug)]
pub struct RawEncoder;

impl Encoder for RawEncoder {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

/// Decodes a `T` and notes how many bytes it took.
#[derive(Debug)]
pub struct SizedDecoder<T>(PhantomData<fn() -> T>);

impl<T: Message + Default> Decoder for SizedDecoder<T> {
    type Item = Sized<T>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Sized<T>>, Status> {
        let bytes = src.remaining();
        let message = T::decode(src).map_err(|e| Status::internal(format!("undecodable reply: {e}")))?;
        Ok(Some(Sized { message, bytes }))
    }
}

#[cfg(test)]
mod tests {
    use hql_proto::pb;

    use super::*;

    #[test]
    fn shallow_replies_read_real_messages() {
        let decision = pb::Decision { lead_id: "l-1".into(), score: 42.0, ..pb::Decision::default() };
        let single = pb::QualifyResponse { decision: Some(decision.clone()) }.encode_to_vec();
        let reply = SingleReply::decode(single.as_slice()).expect("single");
        assert_eq!(reply.answer.as_deref(), Some(decision.encode_to_vec().as_slice()));

        let error = tonic_status(3, "bad lead");
        let batch = pb::QualifyBatchResponse {
            results: vec![
                pb::QualifyBatchResult {
                    outcome: Some(pb::qualify_batch_result::Outcome::Decision(decision)),
                },
                pb::QualifyBatchResult { outcome: Some(pb::qualify_batch_result::Outcome::Error(error)) },
            ],
        }
        .encode_to_vec();
        let reply = BatchReply::decode(batch.as_slice()).expect("batch");
        assert!(reply.results[0].decision.is_some() && reply.results[0].error.is_none());
        assert_eq!(reply.results[1].error.as_ref().map(|s| s.code), Some(3));

        let stream = pb::QualifyStreamResponse { index: 7, result: None }.encode_to_vec();
        assert_eq!(StreamReply::decode(stream.as_slice()).expect("stream").index, 7);
    }

    fn tonic_status(code: i32, message: &str) -> tonic_types::pb::Status {
        tonic_types::pb::Status { code, message: message.into(), details: vec![] }
    }
}
