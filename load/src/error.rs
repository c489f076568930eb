//! Why a load run could not be carried out.
//!
//! These are failures of the harness or its set-up (a server that does not
//! start, an address that does not connect, an unreadable `/proc`), never
//! the server's answers: a non-OK answer is counted in the report by its
//! gRPC code, since a run that saw errors must still say how many and which.

use std::io;

/// A load run, a floor server or a comparison that could not run.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A flag's value is unusable.
    #[error("{0}")]
    Usage(String),
    /// A `/proc` file could not be read (is the process still running?).
    #[error("cannot read {path}: {source}")]
    Proc {
        /// The file.
        path: String,
        /// Why.
        source: io::Error,
    },
    /// A `/proc` file did not have the expected fields.
    #[error("cannot parse {path}")]
    ProcFormat {
        /// The file.
        path: String,
    },
    /// The target URL is not one tonic accepts.
    #[error("bad target URL {url}: {source}")]
    Url {
        /// What was given.
        url: String,
        /// Why.
        source: tonic::transport::Error,
    },
    /// A connection to the target could not be opened.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The target.
        url: String,
        /// Why.
        source: tonic::transport::Error,
    },
    /// A server process could not be started.
    #[error("cannot start {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        source: io::Error,
    },
    /// A server process did not announce its address.
    #[error("{program} {what}\n--- its stderr (last lines) ---\n{stderr}")]
    NotListening {
        /// The program.
        program: String,
        /// What happened instead.
        what: String,
        /// The end of what it wrote to stderr.
        stderr: String,
    },
    /// The floor could not capture the real answers it replays.
    #[error("capturing {rpc} for lead {lead_id} from hqld failed: {status}")]
    Capture {
        /// The RPC.
        rpc: &'static str,
        /// The lead.
        lead_id: String,
        /// hqld's answer.
        status: Box<tonic::Status>,
    },
    /// The floor could not bind its address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: io::Error,
    },
    /// A server's Prometheus endpoint could not be read.
    #[error("cannot read {url}: {what}")]
    Metrics {
        /// The endpoint.
        url: String,
        /// What went wrong.
        what: String,
    },
    /// The floor's transport failed.
    #[error("the floor server failed: {0}")]
    Serve(#[from] tonic::transport::Error),
    /// The async runtime could not be built, or stdout could not be written.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The JSON report could not be written.
    #[error("cannot write the JSON report: {0}")]
    Json(#[from] serde_json::Error),
    /// A client task panicked or was cancelled (a harness bug).
    #[error("a client task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}
