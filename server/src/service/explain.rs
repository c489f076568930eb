//! Explain: one lead in, its decision with the full trail out.
//!
//! The trail can be long (every reason, fact and gate, plus a text
//! rendering); it travels in the response body, never in a status, whose
//! trailers are capped.

use hql_proto::pb;
use tonic::Request;

use super::{QualificationService, decide};
use crate::convert::{decision, lead};
use crate::deadline::Deadline;
use crate::status::RequestError;

/// Validates the lead, explains its decision, returns the trail.
pub(super) async fn explain(
    service: &QualificationService,
    request: Request<pb::ExplainRequest>,
) -> Result<pb::ExplainResponse, RequestError> {
    let deadline = Deadline::of(&request);
    let pb::ExplainRequest { lead, as_of } = request.into_inner();
    let (record, as_of_ms) = lead::lead_and_as_of(lead, as_of, &service.limits)?;
    let engine = service.engine.get();
    let explained =
        decide(deadline, move || Ok(decision::explanation(engine.explain(&record, as_of_ms)))).await?;
    Ok(pb::ExplainResponse { explanation: Some(explained) })
}
