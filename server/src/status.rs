//! The one place where request errors become gRPC statuses.
//!
//! Handlers return [`RequestError`]; this file alone picks codes and builds
//! details, with exhaustive matches so a new error kind must be given a code
//! here before it compiles. The same error can leave in two forms: a
//! `tonic::Status` that ends a call (details travel in the trailers), or a
//! `google.rpc.Status` message inside a batch or stream result, so one bad
//! lead does not fail its neighbours.
//!
//! Trailers are capped (hyper: 16 KiB, details base64-encoded on top), so a
//! status reports at most [`MAX_REPORTED_VIOLATIONS`] violations within
//! [`MAX_REPORTED_BYTES`], and its message says how many there were in all.

use std::fmt::Write as _;
use std::time::Duration;

use prost::Message;
use tonic::{Code, Status};
use tonic_types::{BadRequest, ErrorDetails, FieldViolation, StatusExt};

use crate::validate::{Violation, Violations};

/// Most field violations one status carries.
pub(crate) const MAX_REPORTED_VIOLATIONS: usize = 50;
/// Most bytes of field paths and descriptions one status carries, leaving
/// room in a 16 KiB trailer block for base64 and the message.
pub(crate) const MAX_REPORTED_BYTES: usize = 8 * 1024;

/// Why a call, or one lead in it, could not be answered.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RequestError {
    /// The request breaks the contract; the violations name the fields.
    #[error("{}", summary(.0))]
    InvalidArgument(Violations),
    /// The caller's deadline passed before the answer was ready.
    #[error("deadline exceeded: the caller allowed {}", fmt_timeout(*.timeout))]
    DeadlineExceeded {
        /// The caller's `grpc-timeout`.
        timeout: Duration,
    },
    /// The caller went away; nobody will read this, but the work stops.
    #[error("cancelled by the caller")]
    Cancelled,
    /// The server could not run the work (its worker pool is shutting down);
    /// retrying elsewhere or later may succeed.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug: the engine panicked. The decision is not returned.
    #[error("internal error: {0}")]
    Internal(String),
    /// The message does not parse as its request type: INTERNAL, as gRPC's
    /// status code guide has it ("error parsing request proto"), and as
    /// tonic answers it for the methods it decodes itself.
    #[error(transparent)]
    Undecodable(#[from] prost::DecodeError),
    /// The answer would be larger than `limits.max_message_bytes`. tonic's
    /// encoder would refuse to send it anyway, with OUT_OF_RANGE and a
    /// generic message; refused here instead, the caller learns which limit
    /// it met and what to change, and a batch stops deciding leads whose
    /// answers could not be sent.
    #[error("the answer is larger than limits.max_message_bytes ({limit} bytes): {what}")]
    AnswerTooLarge {
        /// `limits.max_message_bytes`.
        limit: usize,
        /// How large, or where it passed the limit, and what to change.
        what: String,
    },
}

impl From<Violations> for RequestError {
    fn from(violations: Violations) -> RequestError {
        RequestError::InvalidArgument(violations)
    }
}

impl RequestError {
    /// The gRPC code for this error.
    fn code(&self) -> Code {
        match self {
            RequestError::InvalidArgument(_) => Code::InvalidArgument,
            RequestError::DeadlineExceeded { .. } => Code::DeadlineExceeded,
            RequestError::Cancelled => Code::Cancelled,
            RequestError::Unavailable(_) => Code::Unavailable,
            RequestError::Internal(_) | RequestError::Undecodable(_) => Code::Internal,
            RequestError::AnswerTooLarge { .. } => Code::OutOfRange,
        }
    }
}

impl From<RequestError> for Status {
    fn from(error: RequestError) -> Status {
        let code = error.code();
        let message = error.to_string();
        match error {
            RequestError::InvalidArgument(violations) => {
                let field_violations: Vec<FieldViolation> = reported(&violations)
                    .iter()
                    .map(|v| FieldViolation::new(&v.field, &v.description))
                    .collect();
                Status::with_error_details(code, message, ErrorDetails::with_bad_request(field_violations))
            }
            RequestError::DeadlineExceeded { .. }
            | RequestError::Cancelled
            | RequestError::Unavailable(_)
            | RequestError::Internal(_)
            | RequestError::Undecodable(_)
            | RequestError::AnswerTooLarge { .. } => Status::new(code, message),
        }
    }
}

/// The error as a `google.rpc.Status` message, for one lead's result in a
/// batch or stream; INVALID_ARGUMENT packs a `google.rpc.BadRequest`.
pub(crate) fn rpc_status(error: RequestError) -> tonic_types::pb::Status {
    let code = error.code() as i32;
    let message = error.to_string();
    let details = match error {
        RequestError::InvalidArgument(violations) => vec![bad_request_any(&violations)],
        RequestError::DeadlineExceeded { .. }
        | RequestError::Cancelled
        | RequestError::Unavailable(_)
        | RequestError::Internal(_)
        | RequestError::Undecodable(_)
        | RequestError::AnswerTooLarge { .. } => Vec::new(),
    };
    tonic_types::pb::Status { code, message, details }
}

/// `violations` (those reported) as a packed `google.rpc.BadRequest`.
fn bad_request_any(violations: &Violations) -> prost_types::Any {
    let bad_request = tonic_types::pb::BadRequest {
        field_violations: reported(violations)
            .iter()
            .map(|v| tonic_types::pb::bad_request::FieldViolation {
                field: v.field.clone(),
                description: v.description.clone(),
                ..Default::default()
            })
            .collect(),
    };
    prost_types::Any { type_url: BadRequest::TYPE_URL.to_owned(), value: bad_request.encode_to_vec() }
}

/// The violations a status carries: the first ones, within both caps.
fn reported(violations: &Violations) -> &[Violation] {
    let kept = violations.kept();
    let mut bytes = 0;
    let mut count = 0;
    for v in kept.iter().take(MAX_REPORTED_VIOLATIONS) {
        bytes += v.field.len() + v.description.len();
        if bytes > MAX_REPORTED_BYTES && count > 0 {
            break;
        }
        count += 1;
    }
    &kept[..count]
}

/// The status message: how many violations, the first one, and whether the
/// details list them all.
fn summary(violations: &Violations) -> String {
    let total = violations.total();
    let mut out = String::from("invalid request");
    let Some(first) = violations.kept().first() else {
        return out;
    };
    if total == 1 {
        let _ = write!(out, ": {}: {}", first.field, first.description);
    } else {
        let _ = write!(out, ": {total} violations; first {}: {}", first.field, first.description);
        let shown = reported(violations).len();
        if shown < total {
            let _ = write!(out, " (details list the first {shown}; {} more)", total - shown);
        }
    }
    out
}

/// `250ms`, `3s`, `1500ms`: how the caller's timeout reads in a message.
fn fmt_timeout(timeout: Duration) -> String {
    let ms = timeout.as_millis();
    if ms >= 1000 && ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else if ms > 0 {
        format!("{ms}ms")
    } else {
        format!("{}us", timeout.as_micros())
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::RpcStatusExt;

    use super::*;
    use crate::validate::Path;

    fn violations(n: usize) -> Violations {
        let mut v = Violations::default();
        let leads = Path::Root("leads");
        for i in 0..n {
            let lead = leads.index(i);
            v.push(lead.field("lead_id"), "is required");
        }
        v
    }

    #[test]
    fn invalid_argument_carries_bad_request_details() {
        let status = Status::from(RequestError::InvalidArgument(violations(2)));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "invalid request: 2 violations; first leads[0].lead_id: is required");
        let bad = status.get_details_bad_request().expect("BadRequest detail");
        let fields: Vec<_> = bad.field_violations.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["leads[0].lead_id", "leads[1].lead_id"]);
        assert_eq!(bad.field_violations[0].description, "is required");
    }

    #[test]
    fn one_violation_reads_as_one_sentence() {
        let status = Status::from(RequestError::InvalidArgument(violations(1)));
        assert_eq!(status.message(), "invalid request: leads[0].lead_id: is required");
    }

    #[test]
    fn reported_violations_are_capped_and_the_message_says_so() {
        let status = Status::from(RequestError::InvalidArgument(violations(120)));
        let bad = status.get_details_bad_request().expect("BadRequest detail");
        assert_eq!(bad.field_violations.len(), MAX_REPORTED_VIOLATIONS);
        assert!(status.message().contains("120 violations"), "{}", status.message());
        assert!(status.message().contains("first 50; 70 more"), "{}", status.message());
        assert!(status.details().len() < 16 * 1024 / 2);
    }

    #[test]
    fn reported_violations_fit_the_byte_budget() {
        let mut v = Violations::default();
        for i in 0..40 {
            v.push(Path::Root("lead").index(i), "x".repeat(1000));
        }
        let status = Status::from(RequestError::InvalidArgument(v));
        let bad = status.get_details_bad_request().expect("BadRequest detail");
        assert_eq!(bad.field_violations.len(), 8);
    }

    #[test]
    fn per_item_status_packs_a_bad_request_that_decodes_back() {
        let status = rpc_status(RequestError::InvalidArgument(violations(3)));
        assert_eq!(status.code, Code::InvalidArgument as i32);
        assert_eq!(status.details.len(), 1);
        assert_eq!(status.details[0].type_url, "type.googleapis.com/google.rpc.BadRequest");
        let decoded =
            tonic_types::pb::BadRequest::decode(status.details[0].value.as_slice()).expect("decodes");
        assert_eq!(decoded.field_violations.len(), 3);
        assert_eq!(decoded.field_violations[2].field, "leads[2].lead_id");
        let via_ext = status.get_details_bad_request().expect("tonic-types reads it too");
        assert_eq!(via_ext.field_violations.len(), 3);
    }

    #[test]
    fn every_error_has_its_code() {
        let cases = [
            (RequestError::InvalidArgument(violations(1)), Code::InvalidArgument),
            (RequestError::DeadlineExceeded { timeout: Duration::from_millis(250) }, Code::DeadlineExceeded),
            (RequestError::Cancelled, Code::Cancelled),
            (RequestError::Unavailable("pool closed".into()), Code::Unavailable),
            (RequestError::Internal("engine panicked".into()), Code::Internal),
            (RequestError::Undecodable(undecodable()), Code::Internal),
            (RequestError::AnswerTooLarge { limit: 1024, what: "it is 2048 bytes".into() }, Code::OutOfRange),
        ];
        for (error, code) in cases {
            let message = error.to_string();
            let item = rpc_status(RequestError::from_same(&error));
            assert_eq!(item.code, code as i32);
            assert_eq!(item.message, message);
            let status = Status::from(error);
            assert_eq!(status.code(), code);
            assert_eq!(status.message(), message);
        }
    }

    /// What prost says of a tag with field number 0.
    fn undecodable() -> prost::DecodeError {
        prost_types::Timestamp::decode(&[0x00, 0x01][..]).expect_err("no field 0")
    }

    #[test]
    fn an_undecodable_message_reads_as_tonic_says_it() {
        let status = Status::from(RequestError::Undecodable(undecodable()));
        assert_eq!(status.code(), Code::Internal);
        assert!(status.message().starts_with("failed to decode Protobuf message"), "{status:?}");
    }

    #[test]
    fn deadline_message_names_the_callers_timeout() {
        let e = RequestError::DeadlineExceeded { timeout: Duration::from_millis(250) };
        assert_eq!(e.to_string(), "deadline exceeded: the caller allowed 250ms");
        let e = RequestError::DeadlineExceeded { timeout: Duration::from_secs(2) };
        assert_eq!(e.to_string(), "deadline exceeded: the caller allowed 2s");
    }

    impl RequestError {
        /// A copy for tests (the real error is consumed once).
        fn from_same(error: &RequestError) -> RequestError {
            match error {
                RequestError::InvalidArgument(v) => RequestError::InvalidArgument(v.clone()),
                RequestError::DeadlineExceeded { timeout } => {
                    RequestError::DeadlineExceeded { timeout: *timeout }
                }
                RequestError::Cancelled => RequestError::Cancelled,
                RequestError::Unavailable(s) => RequestError::Unavailable(s.clone()),
                RequestError::Internal(s) => RequestError::Internal(s.clone()),
                RequestError::Undecodable(_) => RequestError::Undecodable(undecodable()),
                RequestError::AnswerTooLarge { limit, what } => {
                    RequestError::AnswerTooLarge { limit: *limit, what: what.clone() }
                }
            }
        }
    }
}
