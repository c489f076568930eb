//! The tonic server on an already bound listener.
//!
//! Taking a bound [`TcpListener`] rather than an address lets callers bind
//! `127.0.0.1:0` and learn the port before serving (tests, and `hqld`'s
//! "listening on" line). Taking shutdown as a future lets `hqld` pass its
//! signal handler and tests a oneshot: when it completes the listener is
//! closed and in-flight calls run to completion; bounding that drain is the
//! caller's choice (see [`crate::run`]).

use std::future::Future;

use hql_proto::pb::lead_qualification_service_server::LeadQualificationServiceServer;
use hql_qualifier::Engine;
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use crate::config::Limits;
use crate::deadline::StampArrivalLayer;
use crate::service::QualificationService;

/// The server stopped for a reason other than the shutdown future.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// tonic's transport failed.
    #[error("gRPC transport failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves `hql.v1.LeadQualificationService` with `engine` on `listener`
/// until `shutdown` completes and every in-flight call has finished.
///
/// Messages larger than `limits.max_message_bytes` are refused both ways
/// (OUT_OF_RANGE, from tonic's codec); accepted connections use TCP_NODELAY,
/// since small unary answers must not wait on Nagle's algorithm.
pub async fn serve(
    listener: TcpListener,
    engine: Engine,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let service = LeadQualificationServiceServer::new(QualificationService::new(engine, limits))
        .max_decoding_message_size(limits.max_message_bytes)
        .max_encoding_message_size(limits.max_message_bytes);
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    Server::builder()
        .layer(StampArrivalLayer)
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await?;
    Ok(())
}
