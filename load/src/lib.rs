//! HQL's load harness: how fast `hqld` answers over real gRPC, next to how
//! fast a server doing no work answers on the same machine.
//!
//! Criterion benches (`benches/`) time the engine in-process; they cannot
//! see what a caller sees: HTTP/2 framing, protobuf decoding and encoding,
//! the runtime's scheduling, many connections at once. This crate drives a
//! running `hqld` with many concurrent calls, on a deterministic population
//! of realistic leads ([`workload`]).
//!
//! Layout, one job per module:
//!
//! - [`workload`], [`lead_pb`]: the leads, generated and pre-encoded.

pub mod lead_pb;
pub mod workload;
