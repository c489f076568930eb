//! Which RPC a request path names, and that RPC's series.
//!
//! go-grpc-prometheus labels every series with `grpc_type` (`unary`,
//! `client_stream`, `server_stream`, `bidi_stream`), `grpc_service` (the
//! full name, `hql.v1.LeadQualificationService`) and `grpc_method`. A tower
//! layer sees only a path, so [`MethodTable`] is built once per server from
//! the descriptor sets of every service routed (the same bytes reflection
//! serves): the streaming kind is read from the contract, never restated by
//! hand, and a new RPC is labelled correctly the day it is added.
//!
//! A path that names no routed method (tonic answers it UNIMPLEMENTED) is
//! labelled `unknown` three times over: label values never come from what a
//! client sends, so no client can grow the number of series.
//!
//! Each method's series are registered on its first call and kept in
//! [`MethodMetrics`], so a call after that costs atomic updates only; a
//! method never called has no series, as in go-grpc-prometheus without
//! `InitializeMetrics` (17 codes per method would mostly be zeros).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ::metrics::{Counter, Histogram, Label};
use prost::Message;
use prost_types::FileDescriptorSet;

use super::code::GrpcCode;

/// Counter: calls started, by `grpc_type`, `grpc_service`, `grpc_method`.
pub const STARTED_TOTAL: &str = "grpc_server_started_total";
/// Counter: calls finished, by the same labels and `grpc_code`.
pub const HANDLED_TOTAL: &str = "grpc_server_handled_total";
/// Histogram: seconds from a call's start to its status, by the labels of
/// [`STARTED_TOTAL`].
pub const HANDLING_SECONDS: &str = "grpc_server_handling_seconds";
/// Counter: request messages received, by the labels of [`STARTED_TOTAL`].
pub const MSG_RECEIVED_TOTAL: &str = "grpc_server_msg_received_total";
/// Counter: response messages sent, by the labels of [`STARTED_TOTAL`].
pub const MSG_SENT_TOTAL: &str = "grpc_server_msg_sent_total";

/// Buckets of [`HANDLING_SECONDS`]: Prometheus' default buckets, which
/// go-grpc-prometheus uses, so existing dashboards' `le` values match, with
/// five more below their smallest (5 ms). A Qualify is handled in tens to
/// hundreds of microseconds: with the defaults alone every call fell in the
/// first bucket, and `histogram_quantile` could only interpolate within
/// 0-5 ms, so a p99 objective of a millisecond could not be watched.
pub const HANDLING_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, // below Prometheus' defaults
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The label value of a path no routed method has.
const UNKNOWN: &str = "unknown";

/// An RPC's streaming kind, the `grpc_type` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GrpcType {
    /// One message each way.
    Unary,
    /// A stream of requests, one response.
    ClientStream,
    /// One request, a stream of responses.
    ServerStream,
    /// Streams both ways.
    BidiStream,
}

impl GrpcType {
    /// The kind of a method streaming requests and/or responses.
    fn of(client_streaming: bool, server_streaming: bool) -> GrpcType {
        match (client_streaming, server_streaming) {
            (false, false) => GrpcType::Unary,
            (true, false) => GrpcType::ClientStream,
            (false, true) => GrpcType::ServerStream,
            (true, true) => GrpcType::BidiStream,
        }
    }

    /// The label value, as go-grpc-prometheus writes it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            GrpcType::Unary => "unary",
            GrpcType::ClientStream => "client_stream",
            GrpcType::ServerStream => "server_stream",
            GrpcType::BidiStream => "bidi_stream",
        }
    }
}

/// Every routed method by path (`/hql.v1.LeadQualificationService/Qualify`).
#[derive(Debug)]
pub(crate) struct MethodTable {
    by_path: HashMap<String, Arc<MethodMetrics>>,
    unknown: Arc<MethodMetrics>,
}

impl MethodTable {
    /// The methods of every service in `sets` (encoded `FileDescriptorSet`s).
    pub(crate) fn from_descriptor_sets(sets: &[&[u8]]) -> Result<MethodTable, prost::DecodeError> {
        let mut by_path = HashMap::new();
        for set in sets {
            for file in FileDescriptorSet::decode(*set)?.file {
                let package = file.package();
                for service in &file.service {
                    let service_name = if package.is_empty() {
                        service.name().to_owned()
                    } else {
                        format!("{package}.{}", service.name())
                    };
                    for method in &service.method {
                        let kind = GrpcType::of(method.client_streaming(), method.server_streaming());
                        let path = format!("/{service_name}/{}", method.name());
                        by_path.insert(
                            path,
                            Arc::new(MethodMetrics::new(kind.as_str(), &service_name, method.name())),
                        );
                    }
                }
            }
        }
        Ok(MethodTable { by_path, unknown: Arc::new(MethodMetrics::new(UNKNOWN, UNKNOWN, UNKNOWN)) })
    }

    /// The method `path` names, or the `unknown` one.
    pub(crate) fn lookup(&self, path: &str) -> &Arc<MethodMetrics> {
        self.by_path.get(path).unwrap_or(&self.unknown)
    }
}

/// One method's labels and series, each registered on first use.
#[derive(Debug)]
pub(crate) struct MethodMetrics {
    /// `grpc_type`, `grpc_service`, `grpc_method`.
    labels: [Label; 3],
    /// `service/method`, or `unknown`: the name of the call's span.
    rpc_name: String,
    started: OnceLock<Counter>,
    handled: [OnceLock<Counter>; GrpcCode::COUNT],
    handling: OnceLock<Histogram>,
    received: OnceLock<Counter>,
    sent: OnceLock<Counter>,
}

impl MethodMetrics {
    fn new(grpc_type: &'static str, service: &str, method: &str) -> MethodMetrics {
        MethodMetrics {
            labels: [
                Label::from_static_parts("grpc_type", grpc_type),
                Label::new("grpc_service", service.to_owned()),
                Label::new("grpc_method", method.to_owned()),
            ],
            rpc_name: if method == UNKNOWN { UNKNOWN.to_owned() } else { format!("{service}/{method}") },
            started: OnceLock::new(),
            handled: [const { OnceLock::new() }; GrpcCode::COUNT],
            handling: OnceLock::new(),
            received: OnceLock::new(),
            sent: OnceLock::new(),
        }
    }

    /// The `grpc_type`, `grpc_service` and `grpc_method` label values.
    pub(crate) fn label_values(&self) -> [&str; 3] {
        self.labels.each_ref().map(Label::value)
    }

    /// `hql.v1.LeadQualificationService/Qualify`, as OpenTelemetry names
    /// an RPC's span; `unknown` for a path naming no routed method.
    pub(crate) fn rpc_name(&self) -> &str {
        &self.rpc_name
    }

    /// Counts a call started.
    pub(crate) fn started(&self) {
        self.started.get_or_init(|| ::metrics::counter!(STARTED_TOTAL, self.labels.iter())).increment(1);
    }

    /// Counts a call finished with `code` after `elapsed`.
    pub(crate) fn handled(&self, code: GrpcCode, elapsed: Duration) {
        self.handled[code.index()]
            .get_or_init(|| {
                let mut labels = self.labels.to_vec();
                labels.push(Label::from_static_parts("grpc_code", code.name()));
                ::metrics::counter!(HANDLED_TOTAL, labels)
            })
            .increment(1);
        self.handling
            .get_or_init(|| ::metrics::histogram!(HANDLING_SECONDS, self.labels.iter()))
            .record(elapsed);
    }

    /// Counts `n` request messages.
    pub(crate) fn received(&self, n: u64) {
        self.received
            .get_or_init(|| ::metrics::counter!(MSG_RECEIVED_TOTAL, self.labels.iter()))
            .increment(n);
    }

    /// Counts `n` response messages.
    pub(crate) fn sent(&self, n: u64) {
        self.sent.get_or_init(|| ::metrics::counter!(MSG_SENT_TOTAL, self.labels.iter())).increment(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> MethodTable {
        MethodTable::from_descriptor_sets(&crate::server::ROUTED_DESCRIPTOR_SETS).expect("descriptors decode")
    }

    #[test]
    fn every_routed_method_has_its_kind() {
        let table = table();
        let cases = [
            (
                "/hql.v1.LeadQualificationService/Qualify",
                ["unary", "hql.v1.LeadQualificationService", "Qualify"],
            ),
            (
                "/hql.v1.LeadQualificationService/QualifyBatch",
                ["unary", "hql.v1.LeadQualificationService", "QualifyBatch"],
            ),
            (
                "/hql.v1.LeadQualificationService/QualifyStream",
                ["bidi_stream", "hql.v1.LeadQualificationService", "QualifyStream"],
            ),
            (
                "/hql.v1.LeadQualificationService/Explain",
                ["unary", "hql.v1.LeadQualificationService", "Explain"],
            ),
            (
                "/hql.v1.LeadQualificationService/ListScorers",
                ["unary", "hql.v1.LeadQualificationService", "ListScorers"],
            ),
            ("/grpc.health.v1.Health/Check", ["unary", "grpc.health.v1.Health", "Check"]),
            ("/grpc.health.v1.Health/Watch", ["server_stream", "grpc.health.v1.Health", "Watch"]),
            (
                "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                ["bidi_stream", "grpc.reflection.v1.ServerReflection", "ServerReflectionInfo"],
            ),
            (
                "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                ["bidi_stream", "grpc.reflection.v1alpha.ServerReflection", "ServerReflectionInfo"],
            ),
        ];
        for (path, labels) in cases {
            assert_eq!(table.lookup(path).label_values(), labels, "{path}");
        }
    }

    #[test]
    fn anything_else_is_unknown() {
        let table = table();
        for path in [
            "/hql.v1.LeadQualificationService/Nope",
            "/hql.v1.LeadQualificationService/qualify",
            "/hql.v1.LeadQualificationService/Qualify/",
            "/",
            "",
            "/metrics",
        ] {
            assert_eq!(table.lookup(path).label_values(), ["unknown"; 3], "{path:?}");
        }
    }

    #[test]
    fn the_kinds_are_spelled_as_go_grpc_prometheus_spells_them() {
        assert_eq!(GrpcType::of(false, false).as_str(), "unary");
        assert_eq!(GrpcType::of(true, false).as_str(), "client_stream");
        assert_eq!(GrpcType::of(false, true).as_str(), "server_stream");
        assert_eq!(GrpcType::of(true, true).as_str(), "bidi_stream");
    }

    #[test]
    fn handling_buckets_keep_prometheus_defaults_and_resolve_a_millisecond() {
        assert!(HANDLING_BUCKETS.windows(2).all(|w| w[0] < w[1]), "ascending");
        // Dashboards written for go-grpc-prometheus query these `le` values.
        let defaults = super::super::histogram::DEFAULT_BUCKETS;
        assert!(defaults.iter().all(|d| HANDLING_BUCKETS.contains(d)), "{HANDLING_BUCKETS:?}");
        // A 1 ms objective is a bucket bound, with finer ones below it.
        assert!(HANDLING_BUCKETS.contains(&0.001));
        assert!(HANDLING_BUCKETS.iter().filter(|&&b| b < 0.001).count() >= 3);
    }

    #[test]
    fn a_malformed_descriptor_set_is_an_error() {
        assert!(MethodTable::from_descriptor_sets(&[b"\xff\xff\xff"]).is_err());
    }
}
