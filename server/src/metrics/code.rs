//! The `grpc_code` label: a call's `grpc-status`, spelled as gRPC-Go spells
//! its codes (`codes.Code.String()`), which is what go-grpc-prometheus
//! exports and what dashboards and alerts written for it expect.
//!
//! tonic's own names differ (`Ok`, `Cancelled`), hence this table. Anything
//! that is not one of the 17 codes (a missing or malformed status, a number
//! out of range) is `Unknown`, as gRPC itself treats it, so a misbehaving
//! peer cannot mint label values.

use http::HeaderMap;

/// The header (or trailer) carrying a call's status code.
const GRPC_STATUS: &str = "grpc-status";

/// Label values by status code, 0 to 16.
const NAMES: [&str; 17] = [
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
];

/// A gRPC status code, as far as the label is concerned: an index into the
/// 17 names, so per-code series can live in an array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GrpcCode(u8);

impl GrpcCode {
    /// How many codes there are.
    pub(crate) const COUNT: usize = NAMES.len();
    /// `OK`.
    #[cfg(test)]
    pub(crate) const OK: GrpcCode = GrpcCode(0);
    /// `Canceled`: the caller went away before the call ended.
    pub(crate) const CANCELED: GrpcCode = GrpcCode(1);
    /// `Unknown`: no usable status.
    pub(crate) const UNKNOWN: GrpcCode = GrpcCode(2);

    /// The code a `grpc-status` value names: decimal digits for 0 to 16;
    /// anything else is [`GrpcCode::UNKNOWN`].
    pub(crate) fn parse(value: &[u8]) -> GrpcCode {
        let code = match value {
            [d] if d.is_ascii_digit() => d - b'0',
            [b'1', d] if d.is_ascii_digit() => 10 + (d - b'0'),
            _ => return GrpcCode::UNKNOWN,
        };
        if usize::from(code) < NAMES.len() { GrpcCode(code) } else { GrpcCode::UNKNOWN }
    }

    /// The status in `headers` (response headers of a trailers-only answer,
    /// or the trailers of a full one), if there is one.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<GrpcCode> {
        headers.get(GRPC_STATUS).map(|value| GrpcCode::parse(value.as_bytes()))
    }

    /// The index of this code in a per-code array, 0 to 16.
    pub(crate) fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The label value, e.g. `InvalidArgument`.
    pub(crate) fn name(self) -> &'static str {
        NAMES[self.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn every_code_has_its_grpc_go_name() {
        // gRPC-Go's codes.Code.String(), code by code.
        let expected = [
            (0, "OK"),
            (1, "Canceled"),
            (2, "Unknown"),
            (3, "InvalidArgument"),
            (4, "DeadlineExceeded"),
            (5, "NotFound"),
            (6, "AlreadyExists"),
            (7, "PermissionDenied"),
            (8, "ResourceExhausted"),
            (9, "FailedPrecondition"),
            (10, "Aborted"),
            (11, "OutOfRange"),
            (12, "Unimplemented"),
            (13, "Internal"),
            (14, "Unavailable"),
            (15, "DataLoss"),
            (16, "Unauthenticated"),
        ];
        for (number, name) in expected {
            let code = GrpcCode::parse(number.to_string().as_bytes());
            assert_eq!(code.index(), number, "{name}");
            assert_eq!(code.name(), name);
        }
    }

    #[test]
    fn tonic_codes_map_to_the_same_numbers() {
        let cases = [
            (tonic::Code::Ok, "OK"),
            (tonic::Code::Cancelled, "Canceled"),
            (tonic::Code::InvalidArgument, "InvalidArgument"),
            (tonic::Code::DeadlineExceeded, "DeadlineExceeded"),
            (tonic::Code::OutOfRange, "OutOfRange"),
            (tonic::Code::Unimplemented, "Unimplemented"),
            (tonic::Code::Internal, "Internal"),
            (tonic::Code::Unavailable, "Unavailable"),
            (tonic::Code::Unauthenticated, "Unauthenticated"),
        ];
        for (code, name) in cases {
            let value = (code as i32).to_string();
            assert_eq!(GrpcCode::parse(value.as_bytes()).name(), name, "{code:?}");
        }
    }

    #[test]
    fn anything_else_is_unknown() {
        for bad in ["", "17", "99", "100", "-1", "+3", " 3", "3 ", "03", "1a", "OK", "٣"] {
            assert_eq!(GrpcCode::parse(bad.as_bytes()), GrpcCode::UNKNOWN, "{bad:?}");
        }
    }

    #[test]
    fn the_status_is_read_from_headers_or_trailers() {
        let mut headers = HeaderMap::new();
        assert_eq!(GrpcCode::from_headers(&headers), None);
        headers.insert("grpc-status", HeaderValue::from_static("3"));
        assert_eq!(GrpcCode::from_headers(&headers).map(GrpcCode::name), Some("InvalidArgument"));
        headers.insert("grpc-status", HeaderValue::from_static("0"));
        assert_eq!(GrpcCode::from_headers(&headers), Some(GrpcCode::OK));
    }
}
