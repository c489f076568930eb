//! Qualify: one lead in, one decision out.

use hql_proto::encoded::Encoded;
use hql_proto::pb;
use hql_qualifier::Engine;
use prost::bytes::Bytes;
use tonic::Request;

use super::{QualificationService, decide, sendable};
use crate::config::Limits;
use crate::convert::lead::{self, Record};
use crate::convert::{encode, wire};
use crate::deadline::Deadline;
use crate::status::RequestError;

/// Runs [`answer`] on a decision thread.
pub(super) async fn qualify(
    service: &QualificationService,
    request: Request<Encoded<pb::QualifyRequest>>,
) -> Result<Encoded<pb::QualifyResponse>, RequestError> {
    let deadline = Deadline::of(&request);
    let request = request.into_inner();
    let engine = service.engine.get();
    let limits = service.limits;
    decide(deadline, move || answer(&engine, &limits, &request)).await
}

/// Decodes and validates the lead, decides it, returns the encoded
/// decision, written straight from the engine's borrowed decision
/// (`convert::encode`).
pub(crate) fn answer(
    engine: &Engine,
    limits: &Limits,
    request: &Encoded<pb::QualifyRequest>,
) -> Result<Encoded<pb::QualifyResponse>, RequestError> {
    let (record, as_of_ms) = lead_in(limits, request.as_bytes())?;
    let answer = engine.qualify_with(&record, as_of_ms, |d| encode::qualify_response(&d));
    let answer = sendable(answer, limits, "raise the limit")?;
    Ok(Encoded::from_bytes(Bytes::from(answer)))
}

/// The request's way in: read in place, validated, converted to the
/// engine's lead record (borrowing the request's text) and `as_of`.
pub(crate) fn lead_in<'a>(limits: &Limits, request: &'a [u8]) -> Result<(Record<'a>, i64), RequestError> {
    let wire::Single { lead, as_of } = wire::single(request, "QualifyRequest", wire::Caps::of(limits))?;
    Ok(lead::lead_and_as_of(lead, as_of, limits)?)
}
