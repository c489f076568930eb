//! HQL's load harness: how fast `hqld` answers over real gRPC, next to how
//! fast a server doing no work answers on the same machine.
//!
//! Criterion benches (`benches/`) time the engine in-process; they cannot
//! see what a caller sees: HTTP/2 framing, protobuf decoding and encoding,
//! the runtime's scheduling, many connections at once. This crate drives a
//! running `hqld` with many concurrent calls in each RPC style
//! ([`spec::Mode`]), on a deterministic population of realistic leads
//! ([`workload`]), and reports throughput, latency percentiles, the
//! server's CPU per request and memory, and every non-OK answer by gRPC
//! code ([`report`]). Because absolute figures depend on the machine, it
//! also serves the floor ([`floor`]): the same service API answering with
//! `hqld`'s own answers and doing nothing else, and compares the two with
//! the same client ([`compare`]). `hqld`'s figures over the floor's say how
//! much of the transport's capacity the service leaves on the table.
//!
//! Layout, one job per module:
//!
//! - [`cli`]: the command line.
//! - [`workload`], [`lead_pb`]: the leads, generated and pre-encoded.
//! - [`spec`], [`pacer`]: what a run does and when calls go.
//! - [`driver`], [`calls`], [`stream`], [`wire`]: the client.
//! - [`stats`], [`procfs`], [`scrape`], [`report`], [`table`], [`targets`]:
//!   measuring (the server's own latency histogram included), reporting, and
//!   judging the performance targets.
//! - [`floor`], [`child`], [`compare`]: the servers and the comparison.
//! - [`error`]: why a run could not be carried out.

pub mod calls;
pub mod child;
pub mod cli;
pub mod compare;
pub mod driver;
pub mod error;
#[cfg(test)]
mod fixtures;
pub mod floor;
pub mod lead_pb;
pub mod pacer;
pub mod procfs;
pub mod report;
pub mod scrape;
pub mod spec;
pub mod stats;
pub mod stream;
pub mod table;
pub mod targets;
pub mod wire;
pub mod workload;

pub use error::LoadError;
