//! Every default, in one place.
//!
//! The resolver falls back to these when no layer sets a key; [`Limits`]
//! and [`Transport`] default to them for code that builds a server without
//! a configuration (tests, embedding). The help text and
//! docs/operations.md repeat them for readers, and unit tests check both
//! against this file.
//!
//! [`Limits`]: super::Limits
//! [`Transport`]: super::Transport

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use super::value::{LogFormat, MetricsListen};

/// Default `listen`: loopback, gRPC's customary port.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 50051));
/// Default `metrics_listen`: loopback, on the port commonly used for
/// Prometheus exporters; a container sets `0.0.0.0:9464`.
pub const DEFAULT_METRICS_LISTEN: MetricsListen =
    MetricsListen::On(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9464)));
/// Default `policy`, relative to the working directory.
pub const DEFAULT_POLICY: &str = "policies/default.toml";
/// Default `log_format`.
pub const DEFAULT_LOG_FORMAT: LogFormat = LogFormat::Auto;
/// Default `log_level`.
pub const DEFAULT_LOG_LEVEL: &str = "info";
/// Default `shutdown_grace`, in seconds: Kubernetes' default
/// `terminationGracePeriodSeconds`.
pub const DEFAULT_SHUTDOWN_GRACE_SECS: u64 = 30;
/// Default `policy_poll_interval`: how often the policy file is checked for
/// a change (a ConfigMap update takes up to a minute to reach the pod
/// anyway; reading and hashing a policy file costs microseconds).
pub const DEFAULT_POLICY_POLL_INTERVAL: Option<Duration> = Some(Duration::from_secs(2));
/// Default `limits.max_message_bytes`: 16 MiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
/// Default `limits.max_events_per_lead`.
pub const DEFAULT_MAX_EVENTS_PER_LEAD: usize = 10_000;
/// Default `limits.max_batch_size`.
pub const DEFAULT_MAX_BATCH_SIZE: usize = 1_000;
/// Default `limits.max_concurrent_requests`: tokio's default number of
/// blocking threads, where decisions run. More calls in flight than that
/// would only queue inside the server; refusing them tells the client at
/// once, so it can back off or go to another replica.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 512;
/// Default `limits.decision_threads`: one per core the process may use, and
/// at least two. Decisions are CPU work of microseconds to milliseconds,
/// so more threads than cores only take turns on them: under unary load on
/// two cores, 2 threads served 18 % more Qualify calls/s than 8 (three
/// back-to-back pairs), the extra threads costing context
/// switches and wake-ups (docs/performance.md). Two at least, so one slow
/// scorer call does not hold every decision on a one-core pod; a call that
/// never returns is the watchdog's business, not this pool's. Calls beyond
/// it queue, up to `max_concurrent_requests`.
pub fn default_decision_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).max(2)
}
/// Default `keepalive.interval`: a PING after a minute without frames,
/// well under the idle timeouts of cloud load balancers (350 s and more),
/// so a connection through one is neither cut nor kept for a dead peer.
pub const DEFAULT_KEEPALIVE_INTERVAL: Option<Duration> = Some(Duration::from_secs(60));
/// Default `keepalive.timeout`: tonic's.
pub const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);
/// Default `keepalive.tcp`: probe after a minute idle, instead of the
/// kernel's two hours, so connections of vanished clients are reclaimed.
pub const DEFAULT_TCP_KEEPALIVE: Option<Duration> = Some(Duration::from_secs(60));
/// Default `connection.max_concurrent_streams`: hyper's own default, made
/// explicit.
pub const DEFAULT_MAX_CONCURRENT_STREAMS: u32 = 200;
/// Default `connection.max_age`: connections live as long as their clients
/// keep them.
pub const DEFAULT_MAX_CONNECTION_AGE: Option<Duration> = None;
/// Default `connection.max_age_grace`: after `max_age`, calls in flight may
/// finish however long they take.
pub const DEFAULT_MAX_CONNECTION_AGE_GRACE: Option<Duration> = None;
