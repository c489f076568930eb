//! `hqld`, the HQL gRPC server: the transport around [`hql_qualifier::Engine`].
//!
//! Everything gRPC stops here. Requests are validated and converted into the
//! domain's [`LeadRecord`](hql_plugin_api::record::LeadRecord), the engine
//! decides, and the answer is converted back into `hql.v1` messages. The core
//! never sees a protobuf type or a `tonic::Status`.
//!
//! Map of the crate:
//! - [`config`]: the configuration: a TOML file, `HQL_*` variables and
//!   flags ([`config::Cli`]), layered into the validated [`Settings`].
//! - [`calls`]: the deciding RPCs' work on one call, without a server (what
//!   the request benchmark measures).
//! - [`check`]: `hqld --check-config`, loading everything serving would load.
//! - [`current`]: the engine in force ([`CurrentEngine`]), swapped whole on reload.
//! - [`reload`]: hot reload on SIGHUP and policy-file change: build, validate,
//!   swap; a bad policy is refused and the old one keeps serving.
//! - [`run`]: the daemon's life: load the engine, bind, announce the address,
//!   serve, drain within a grace period.
//! - [`server`]: [`serve`], the tonic server on a bound listener (what tests call).
//! - [`health`]: what `grpc.health.v1` reports: SERVING, NOT_SERVING while
//!   shutting down or while a scorer call is stuck (the qualifier's watchdog).
//! - [`shutdown`]: SIGINT/SIGTERM as a future, registered before serving.
//! - [`memory`]: mimalloc as the allocator, transparent huge pages off.
//! - [`logging`]: `tracing` to stderr, text or JSON, filtered by
//!   `log_level`, and spans to the OTLP exporter when it is on.
//! - [`otlp`]: OTLP trace export, from the standard `OTEL_*` variables.
//! - [`metrics`]: Prometheus metrics: the recorder, the gRPC metrics layer
//!   (go-grpc-prometheus names), info gauges, and `GET /metrics` on its own
//!   listener (`--metrics-listen`).
//! - `service`: the `LeadQualificationService` trait, one file per RPC; each
//!   handler validates, converts, delegates to the engine, converts back.
//! - `convert`: `hql.v1` messages to domain values and back (leads, decisions,
//!   timestamps), destructuring every field so a new proto field fails the build.
//! - `validate`: the request rules and the collector of field violations.
//! - `deadline`: the caller's `grpc-timeout`, checked between leads so expiry
//!   reads DEADLINE_EXCEEDED rather than tonic's CANCELLED.
//! - `status`: the one mapping from request errors to gRPC statuses.
//! - `shed`: load shedding: at most `max_concurrent_requests` decision calls
//!   in flight, RESOURCE_EXHAUSTED past that.
//! - `batch_gate`: QualifyBatch calls wait, still encoded, for a decision
//!   thread, so queued batches do not sit decoded in memory.
//! - `rpc_trace`: one span and one log line per RPC, joining the caller's
//!   W3C trace.

pub mod calls;
pub mod check;
pub mod config;
pub mod current;
pub mod health;
pub mod logging;
pub mod memory;
pub mod metrics;
pub mod otlp;
pub mod reload;
pub mod run;
pub mod server;
pub mod shutdown;

mod batch_gate;
mod convert;
mod deadline;
mod rpc_trace;
mod service;
mod shed;
mod status;
mod validate;

pub use config::{Limits, Settings, Transport};
pub use current::CurrentEngine;
pub use server::{ServeError, serve, serve_with};
