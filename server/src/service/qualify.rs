//! Qualify: one lead in, one decision out.

use hql_proto::encoded::Encoded;
use hql_proto::pb;
use hql_qualifier::{Engine, LeadRecord};
use prost::bytes::Bytes;
use tonic::Request;

use super::{QualificationService, decide};
use crate::config::Limits;
use crate::convert::{encode, lead};
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
    let (record, as_of_ms) = lead_in(limits, request)?;
    let answer = engine.qualify_with(&record, as_of_ms, |d| encode::qualify_response(&d));
    Ok(Encoded::from_bytes(Bytes::from(answer)))
}

/// The request's way in: decoded, validated, converted to the engine's
/// lead record and `as_of`.
pub(crate) fn lead_in(
    limits: &Limits,
    request: &Encoded<pb::QualifyRequest>,
) -> Result<(LeadRecord, i64), RequestError> {
    let pb::QualifyRequest { lead, as_of } = request.decode()?;
    Ok(lead::lead_and_as_of(lead, as_of, limits)?)
}
