//! What a run does: the RPC, how many connections and calls in flight, for
//! how long, at what rate.
//!
//! One [`LoadSpec`] is what makes two runs comparable: `compare` runs the
//! floor and `hqld` with the very same one, and the report echoes it.

use std::time::{Duration, Instant};

/// Which RPC a run drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `Qualify`, one lead per call.
    Unary,
    /// `Explain`, one lead per call.
    Explain,
    /// `QualifyBatch`, `--batch-size` leads per call.
    Batch,
    /// `QualifyStream`, one stream per connection, `--concurrency /
    /// --connections` messages in flight on each.
    Stream,
}

impl Mode {
    /// Every mode, in the order reports list them.
    pub const ALL: [Mode; 4] = [Mode::Unary, Mode::Batch, Mode::Stream, Mode::Explain];

    /// The mode's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Unary => "unary",
            Mode::Explain => "explain",
            Mode::Batch => "batch",
            Mode::Stream => "stream",
        }
    }

    /// The RPC's method name, as servers' metrics label it (`grpc_method`).
    pub fn rpc_method(self) -> &'static str {
        match self {
            Mode::Unary => "Qualify",
            Mode::Explain => "Explain",
            Mode::Batch => "QualifyBatch",
            Mode::Stream => "QualifyStream",
        }
    }
}

/// How to load the server.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LoadSpec {
    /// The RPC.
    pub mode: Mode,
    /// HTTP/2 connections (one tonic channel each).
    pub connections: usize,
    /// Calls in flight across all connections (for `stream`: messages in
    /// flight, split evenly over one stream per connection).
    pub concurrency: usize,
    /// Running time before measuring starts (connections warm, caches and
    /// allocators settled).
    #[serde(serialize_with = "secs")]
    pub warmup: Duration,
    /// Measured time.
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
    /// Target rate in calls per second (stream: messages per second); `None`
    /// sends as fast as answers come back (closed loop).
    pub rate: Option<f64>,
    /// Per-call deadline (`grpc-timeout`); not set on streams, where it
    /// would bound the whole stream.
    #[serde(serialize_with = "secs")]
    pub timeout: Duration,
}

impl LoadSpec {
    /// Messages in flight per stream in `stream` mode.
    pub fn stream_window(&self) -> usize {
        self.concurrency.div_ceil(self.connections.max(1)).max(1)
    }
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// When a run's phases start and end.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// The run starts (warm-up).
    pub start: Instant,
    /// Measuring starts.
    pub from: Instant,
    /// Measuring and sending stop.
    pub to: Instant,
}

impl Window {
    /// Phases of `spec` starting at `start`.
    pub fn new(start: Instant, spec: &LoadSpec) -> Window {
        let from = start + spec.warmup;
        Window { start, from, to: from + spec.duration }
    }

    /// Whether a call sent (or due) at `sent` and answered at `done` counts.
    pub fn counts(&self, sent: Instant, done: Instant) -> bool {
        sent >= self.from && done <= self.to
    }
}
