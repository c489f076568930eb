//! The deciding RPCs' work on one call, without a server: decode the
//! request's bytes, validate, decide, encode the answer's bytes. This is
//! exactly what each handler runs on its decision thread (`service`), with
//! no deadline; the transport around it is left out.
//!
//! Why it is public: the request benchmark (`server/benches/request.rs`)
//! measures it, so the cost a call adds beyond what the pipeline benchmark
//! measures (protobuf in and out, validation, conversion) is seen in-process,
//! without the load harness's noise. Errors come back as the status the
//! caller would receive.

use std::borrow::Cow;
use std::sync::atomic::AtomicBool;

use hql_proto::encoded::Encoded;
use hql_qualifier::{Engine, LeadRecord};
use prost::bytes::Bytes;
use tonic::Status;

use crate::config::Limits;
use crate::deadline::Deadline;
use crate::service::{batch, explain, qualify};

/// One `Qualify` call: an encoded `QualifyRequest` in, the encoded
/// `QualifyResponse` out.
pub fn qualify(engine: &Engine, limits: &Limits, request: Bytes) -> Result<Bytes, Status> {
    qualify::answer(engine, limits, &Encoded::from_bytes(request))
        .map(Encoded::into_bytes)
        .map_err(Status::from)
}

/// One `Explain` call: an encoded `ExplainRequest` in, the encoded
/// `ExplainResponse` (the decision with its whole trail) out.
pub fn explain(engine: &Engine, limits: &Limits, request: Bytes) -> Result<Bytes, Status> {
    explain::answer(engine, limits, &Encoded::from_bytes(request))
        .map(Encoded::into_bytes)
        .map_err(Status::from)
}

/// The first part of a `Qualify` call: an encoded `QualifyRequest` read,
/// validated and converted into the engine's lead record and `as_of` (ms),
/// not decided. The record's text borrows `request` wherever it needed no
/// normalising.
pub fn lead_in<'a>(limits: &Limits, request: &'a [u8]) -> Result<(LeadRecord<Cow<'a, str>>, i64), Status> {
    qualify::lead_in(limits, request).map_err(Status::from)
}

/// One `QualifyBatch` call: an encoded `QualifyBatchRequest` in, the encoded
/// `QualifyBatchResponse` out.
pub fn qualify_batch(engine: &Engine, limits: &Limits, request: Bytes) -> Result<Bytes, Status> {
    let never = AtomicBool::new(false);
    batch::answer(engine, limits, &Encoded::from_bytes(request), Deadline::NONE, &never, None)
        .map(Encoded::into_bytes)
        .map_err(Status::from)
}
