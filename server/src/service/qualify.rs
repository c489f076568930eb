//! Qualify: one lead in, one decision out.

use hql_proto::pb;
use tonic::Request;

use super::{QualificationService, decide};
use crate::convert::{decision, lead};
use crate::deadline::Deadline;
use crate::status::RequestError;

/// Validates the lead, decides it, returns the decision.
pub(super) async fn qualify(
    service: &QualificationService,
    request: Request<pb::QualifyRequest>,
) -> Result<pb::QualifyResponse, RequestError> {
    let deadline = Deadline::of(&request);
    let pb::QualifyRequest { lead, as_of } = request.into_inner();
    let (record, as_of_ms) = lead::lead_and_as_of(lead, as_of, &service.limits)?;
    let engine = service.engine.get();
    let decided = decide(deadline, move || Ok(decision::decision(engine.qualify(&record, as_of_ms)))).await?;
    Ok(pb::QualifyResponse { decision: Some(decided) })
}
