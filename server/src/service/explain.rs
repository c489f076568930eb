//! Explain: one lead in, its decision with the full trail out.
//!
//! The trail can be long (every reason, fact and gate, plus a text
//! rendering); it travels in the response body, never in a status, whose
//! trailers are capped.

use hql_proto::encoded::Encoded;
use hql_proto::pb;
use hql_qualifier::Engine;
use prost::bytes::Bytes;
use tonic::Request;

use super::{QualificationService, decide, sendable};
use crate::config::Limits;
use crate::convert::{encode, lead, wire};
use crate::deadline::Deadline;
use crate::status::RequestError;

/// Runs [`answer`] on a decision thread.
pub(super) async fn explain(
    service: &QualificationService,
    request: Request<Encoded<pb::ExplainRequest>>,
) -> Result<Encoded<pb::ExplainResponse>, RequestError> {
    let deadline = Deadline::of(&request);
    let request = request.into_inner();
    let engine = service.engine.get();
    let limits = service.limits;
    decide(deadline, move || answer(&engine, &limits, &request)).await
}

/// Decodes and validates the lead, explains its decision, returns the
/// trail encoded straight from the engine's borrowed explanation
/// (`convert::encode`).
pub(crate) fn answer(
    engine: &Engine,
    limits: &Limits,
    request: &Encoded<pb::ExplainRequest>,
) -> Result<Encoded<pb::ExplainResponse>, RequestError> {
    let wire::Single { lead, as_of } =
        wire::single(request.as_bytes(), "ExplainRequest", wire::Caps::of(limits))?;
    let (record, as_of_ms) = lead::lead_and_as_of(lead, as_of, limits)?;
    let answer = engine.explain_with(&record, as_of_ms, encode::explain_response);
    let answer = sendable(answer, limits, "Qualify answers with the decision alone, or raise the limit")?;
    Ok(Encoded::from_bytes(Bytes::from(answer)))
}
