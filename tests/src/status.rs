//! Reading the rich errors `hqld` returns.
//!
//! The service reports invalid input as INVALID_ARGUMENT with a
//! `google.rpc.BadRequest` whose field violations name the offending path
//! (`lead.events[3].occurred_at`). Tests assert on those paths, not on
//! message wording, so these helpers flatten the details into
//! `(field, description)` pairs, both for a call's [`tonic::Status`] and for
//! the per-lead `google.rpc.Status` inside a batch or stream result.

use tonic_types::{RpcStatusExt, StatusExt};

/// The `(field, description)` pairs of the status's `BadRequest` details,
/// in order; empty when it carries none.
pub fn field_violations(status: &tonic::Status) -> Vec<(String, String)> {
    status
        .get_details_bad_request()
        .map(|bad| bad.field_violations.into_iter().map(|v| (v.field, v.description)).collect())
        .unwrap_or_default()
}

/// As [`field_violations`], for a `google.rpc.Status` message (one lead's
/// error in `QualifyBatch` / `QualifyStream`).
pub fn rpc_field_violations(status: &tonic_types::Status) -> Vec<(String, String)> {
    status
        .get_details_bad_request()
        .map(|bad| bad.field_violations.into_iter().map(|v| (v.field, v.description)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;
    use tonic_types::{ErrorDetails, FieldViolation};

    #[test]
    fn violations_come_back_in_order() {
        let details = ErrorDetails::with_bad_request(vec![
            FieldViolation::new("lead.lead_id", "required"),
            FieldViolation::new("lead.events[0].type", "unspecified"),
        ]);
        let status = tonic::Status::with_error_details(Code::InvalidArgument, "bad lead", details);
        assert_eq!(
            field_violations(&status),
            vec![
                ("lead.lead_id".to_string(), "required".to_string()),
                ("lead.events[0].type".to_string(), "unspecified".to_string()),
            ]
        );
        assert!(field_violations(&tonic::Status::internal("no details")).is_empty());
    }
}
