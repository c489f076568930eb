//! What one client task saw: latencies, counts and errors, merged at the end.
//!
//! Each task records into its own [`Recorder`] without locks and the run
//! merges them once, so recording costs a histogram increment. Latencies go
//! to an HDR histogram in microseconds (1 µs to 60 s, 3 significant digits:
//! percentiles within 0.1 %) rather than a list of samples, so a long run at
//! a high rate needs no more memory than a short one.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use tonic::Code;

/// The longest latency the histogram holds, µs; longer ones are clamped.
const MAX_LATENCY_US: u64 = 60_000_000;

/// Counts and latencies of one task, or of a whole run once merged.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// Latency of each counted request, µs.
    pub latency_us: Histogram<u64>,
    /// Requests answered OK inside the measured window.
    pub requests: u64,
    /// Leads decided by those requests.
    pub leads: u64,
    /// Encoded size of their replies, bytes.
    pub reply_bytes: u64,
    /// Every non-OK outcome of the whole run (warm-up included), by gRPC
    /// code name, or by what went wrong when the answer was OK but unusable.
    pub errors: BTreeMap<String, u64>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Recorder {
        // Constant bounds that hdrhistogram accepts (low >= 1, high >= 2 * low,
        // sigfig <= 5): this cannot fail at run time.
        let latency_us =
            Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("constant, valid histogram bounds");
        Recorder { latency_us, requests: 0, leads: 0, reply_bytes: 0, errors: BTreeMap::new() }
    }

    /// An OK request inside the measured window.
    pub fn ok(&mut self, latency: Duration, leads: u64, reply_bytes: usize) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).clamp(1, MAX_LATENCY_US);
        self.latency_us.saturating_record(us);
        self.requests += 1;
        self.leads += leads;
        self.reply_bytes += reply_bytes as u64;
    }

    /// A non-OK gRPC status (of a call, or of one lead in a batch or stream).
    pub fn status(&mut self, code: Code) {
        self.problem(code_name(code));
    }

    /// An OK answer that is still wrong (no decision in it, a stream that
    /// ended before answering everything).
    pub fn problem(&mut self, what: &str) {
        *self.errors.entry(what.to_string()).or_default() += 1;
    }

    /// Every error counted.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &Recorder) {
        // Both histograms have the same bounds, so adding cannot fail.
        let _ = self.latency_us.add(&other.latency_us);
        self.requests += other.requests;
        self.leads += other.leads;
        self.reply_bytes += other.reply_bytes;
        for (what, n) in &other.errors {
            *self.errors.entry(what.clone()).or_default() += n;
        }
    }
}

/// The canonical name of a gRPC code, as in `grpc-status` documentation.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorders_merge_counts_latencies_and_errors() {
        let mut a = Recorder::new();
        a.ok(Duration::from_micros(100), 1, 500);
        a.status(Code::Unavailable);
        let mut b = Recorder::new();
        b.ok(Duration::from_millis(2), 10, 5000);
        b.status(Code::Unavailable);
        b.problem("NO_DECISION");
        a.merge(&b);
        assert_eq!((a.requests, a.leads, a.reply_bytes), (2, 11, 5500));
        assert_eq!(a.errors.get("UNAVAILABLE"), Some(&2));
        assert_eq!(a.error_count(), 3);
        assert_eq!(a.latency_us.max(), a.latency_us.highest_equivalent(2000));
        assert_eq!(a.latency_us.len(), 2);
    }

    #[test]
    fn latencies_out_of_range_are_clamped_not_lost() {
        let mut r = Recorder::new();
        r.ok(Duration::ZERO, 1, 0);
        r.ok(Duration::from_secs(3600), 1, 0);
        assert_eq!(r.latency_us.len(), 2);
    }
}
