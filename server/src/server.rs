//! The tonic server on an already bound listener.
//!
//! Taking a bound [`TcpListener`] rather than an address lets callers bind
//! `127.0.0.1:0` and learn the port before serving (tests, and `hqld`'s
//! "listening on" line). Taking shutdown as a future lets `hqld` pass its
//! signal handler and tests a oneshot: when it completes the listener is
//! closed and in-flight calls run to completion; bounding that drain is the
//! caller's choice (see [`crate::run`]).
//!
//! Next to the service run the two a platform expects of any gRPC server:
//! `grpc.health.v1.Health` (SERVING for the server and for
//! `hql.v1.LeadQualificationService` from the moment this function runs,
//! which is after the policy and plugins loaded and validated; NOT_SERVING
//! as soon as shutdown starts, and while a scorer call is stuck: see
//! [`crate::health`]), and server reflection v1 and v1alpha, so
//! `grpcurl HOST:PORT list` and calls work without proto files.
//!
//! Every route, those two included, runs inside the gRPC metrics layer
//! ([`crate::metrics`]), outermost so a call's time includes all the rest,
//! then the per-RPC span and log line (`rpc_trace`). Without an
//! installed recorder the first costs a path lookup and an `Instant`.
//! The qualification service alone sits behind the concurrency limit
//! (`shed`), so health checks and reflection are never shed.
//!
//! Connections get the [`Transport`] settings: HTTP/2 PINGs and TCP
//! keepalive (so connections of vanished peers are closed, and idle ones
//! through a load balancer are not cut), a cap on concurrent streams per
//! connection, and optionally a maximum age after which a connection is
//! closed gracefully, so long-lived clients reconnect and spread over
//! replicas added since.

use std::future::Future;

use hql_proto::pb::lead_qualification_service_server::LeadQualificationServiceServer;
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use crate::batch_gate::BatchGate;
use crate::config::{Limits, Transport};
use crate::current::CurrentEngine;
use crate::deadline::StampArrivalLayer;
use crate::metrics::{GrpcMetricsLayer, MethodTable};
use crate::rpc_trace::RpcTraceLayer;
use crate::service::QualificationService;
use crate::shed::Shed;

/// The server stopped for a reason other than the shutdown future.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// tonic's transport failed.
    #[error("gRPC transport failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The reflection service could not read the embedded descriptors (a
    /// build defect, never a request's doing).
    #[error("gRPC reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The metrics layer could not read the embedded descriptors (a build
    /// defect, never a request's doing).
    #[error("gRPC metrics: cannot read the service descriptors: {0}")]
    Descriptors(#[from] prost::DecodeError),
}

/// The descriptor sets of every service this server routes: the metrics
/// layer reads each RPC's streaming kind (its `grpc_type`) from them.
pub(crate) const ROUTED_DESCRIPTOR_SETS: [&[u8]; 4] = [
    hql_proto::pb::FILE_DESCRIPTOR_SET,
    tonic_health::pb::FILE_DESCRIPTOR_SET,
    tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
    tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
];

/// The service name health is reported under.
pub use hql_proto::pb::lead_qualification_service_server::SERVICE_NAME;

/// Serves `hql.v1.LeadQualificationService` with `engine` (an
/// [`Engine`](hql_qualifier::Engine), or a [`CurrentEngine`] a reloader
/// swaps) on `listener` until `shutdown` completes and every in-flight call
/// has finished, with the default [`Transport`].
pub async fn serve(
    listener: TcpListener,
    engine: impl Into<CurrentEngine>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    serve_with(listener, engine, limits, Transport::default(), shutdown).await
}

/// [`serve`] with connections kept and bounded as `transport` says.
///
/// Messages larger than `limits.max_message_bytes` are refused both ways
/// (OUT_OF_RANGE, from tonic's codec); more than
/// `limits.max_concurrent_requests` decision calls at once are refused with
/// RESOURCE_EXHAUSTED; accepted connections use TCP_NODELAY, since small
/// unary answers must not wait on Nagle's algorithm.
pub async fn serve_with(
    listener: TcpListener,
    engine: impl Into<CurrentEngine>,
    limits: Limits,
    transport: Transport,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let service = LeadQualificationServiceServer::new(QualificationService::new(engine.into(), limits))
        .max_decoding_message_size(limits.max_message_bytes)
        .max_encoding_message_size(limits.max_message_bytes);
    let service = BatchGate::new(service, limits.decision_threads, limits.max_message_bytes);
    let service = Shed::new(service, limits.max_concurrent_requests);
    let (health, health_service) = tonic_health::server::health_reporter();
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(hql_proto::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let metrics = GrpcMetricsLayer::new(MethodTable::from_descriptor_sets(&ROUTED_DESCRIPTOR_SETS)?);
    let traces = RpcTraceLayer::new(MethodTable::from_descriptor_sets(&ROUTED_DESCRIPTOR_SETS)?);

    // TCP keepalive is set here: tonic's builder ignores it for a given listener.
    let incoming =
        TcpIncoming::from(listener).with_nodelay(Some(true)).with_keepalive(transport.tcp_keepalive);
    let draining = crate::health::track(health, shutdown).await;
    let mut server = Server::builder()
        .http2_keepalive_interval(transport.keepalive_interval)
        .http2_keepalive_timeout(Some(transport.keepalive_timeout))
        .max_concurrent_streams(transport.max_concurrent_streams);
    if let Some(age) = transport.max_connection_age {
        server = server.max_connection_age(age);
    }
    if let Some(grace) = transport.max_connection_age_grace {
        server = server.max_connection_age_grace(grace);
    }
    server
        .layer(metrics)
        .layer(traces)
        .layer(StampArrivalLayer)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, draining)
        .await?;
    Ok(())
}
