//! The caller's deadline, as this server enforces it.
//!
//! tonic reads `grpc-timeout` too, but when its own timer fires it answers
//! CANCELLED, while gRPC clients expect DEADLINE_EXCEEDED. So handlers read
//! the header themselves ([`Deadline::of`]), check it before and between
//! leads, and race long work against it. Winning that race against tonic's
//! timer is the point of the two details here:
//!
//! - [`StampArrivalLayer`] records when the request reached the server. It
//!   runs inside tonic's timeout layer but before that layer starts its timer,
//!   so a deadline measured from this stamp is never later than tonic's, even
//!   when decoding a large request took a while.
//! - The deadline is set a little before the caller's ([`early_margin`]: a
//!   tenth of the timeout, at most 5 ms). That puts it on an earlier tick of
//!   tokio's millisecond timer wheel than tonic's, and gives the answer time
//!   to travel back before the client's own timer fires: tonic clients, too,
//!   enforce `grpc-timeout` locally and report their own expiry as CANCELLED.
//!
//! Streaming responses are outside tonic's timer altogether (it only bounds
//! the time to the response headers), so there this deadline is the only one.

use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;
use tonic::metadata::MetadataMap;

use crate::status::RequestError;

/// The most the server gives up ahead of the caller's deadline.
const MAX_EARLY_MARGIN: Duration = Duration::from_millis(5);

/// How much earlier than the caller's deadline the server gives up, so its
/// DEADLINE_EXCEEDED is sent, and arrives, before a timer reports CANCELLED:
/// a tenth of the timeout, at most [`MAX_EARLY_MARGIN`], so short deadlines
/// keep most of their budget.
pub(crate) fn early_margin(timeout: Duration) -> Duration {
    (timeout / 10).min(MAX_EARLY_MARGIN)
}

/// The request metadata key carrying the caller's timeout.
const GRPC_TIMEOUT: &str = "grpc-timeout";

/// When a request reached the server; a request extension set by
/// [`StampArrivalLayer`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReceivedAt(pub(crate) Instant);

/// A tower layer that stamps [`ReceivedAt`] on every request.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct StampArrivalLayer;

impl<S> tower_layer::Layer<S> for StampArrivalLayer {
    type Service = StampArrival<S>;

    fn layer(&self, inner: S) -> StampArrival<S> {
        StampArrival { inner }
    }
}

/// The service [`StampArrivalLayer`] wraps around the routes.
#[derive(Clone, Debug)]
pub(crate) struct StampArrival<S> {
    inner: S,
}

impl<S, B> tower_service::Service<http::Request<B>> for StampArrival<S>
where
    S: tower_service::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> S::Future {
        request.extensions_mut().insert(ReceivedAt(Instant::now()));
        self.inner.call(request)
    }
}

/// The instant this server stops working on a call, if the caller set a timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Deadline {
    /// When to give up, and the caller's timeout (for the error message).
    at: Option<(Instant, Duration)>,
}

impl Deadline {
    /// No deadline: the call may take as long as it takes.
    pub(crate) const NONE: Deadline = Deadline { at: None };

    /// The deadline of `request`: its `grpc-timeout`, measured from its
    /// arrival stamp (or from now when unstamped, as in unit tests).
    pub(crate) fn of<T>(request: &tonic::Request<T>) -> Deadline {
        let received = request.extensions().get::<ReceivedAt>().map_or_else(Instant::now, |r| r.0);
        Deadline::from_metadata(request.metadata(), received)
    }

    /// The deadline for a call with `metadata` received at `received`. A
    /// missing or malformed `grpc-timeout` means no deadline, as in tonic.
    pub(crate) fn from_metadata(metadata: &MetadataMap, received: Instant) -> Deadline {
        let timeout =
            metadata.get(GRPC_TIMEOUT).and_then(|value| value.to_str().ok()).and_then(parse_grpc_timeout);
        Deadline::after(received, timeout)
    }

    /// `timeout` (less its [`early_margin`]) after `start`. A timeout too far
    /// out to represent is no deadline.
    pub(crate) fn after(start: Instant, timeout: Option<Duration>) -> Deadline {
        let at = timeout
            .and_then(|timeout| start.checked_add(timeout - early_margin(timeout)).map(|at| (at, timeout)));
        Deadline { at }
    }

    /// `Err(DeadlineExceeded)` once the deadline has passed.
    pub(crate) fn check(&self) -> Result<(), RequestError> {
        match self.at {
            Some((at, timeout)) if Instant::now() >= at => Err(RequestError::DeadlineExceeded { timeout }),
            _ => Ok(()),
        }
    }

    /// The error to report once [`Deadline::elapsed`] completed.
    pub(crate) fn exceeded(&self) -> RequestError {
        RequestError::DeadlineExceeded { timeout: self.at.map_or(Duration::ZERO, |(_, t)| t) }
    }

    /// Completes when the deadline passes; never without one.
    pub(crate) async fn elapsed(self) {
        match self.at {
            Some((at, _)) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    }
}

/// Parses a `grpc-timeout` value: at most 8 digits and a unit, `H` `M` `S`
/// `m` `u` `n` (gRPC over HTTP/2). `None` for anything else.
pub(crate) fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let unit = value.chars().next_back()?;
    let digits = &value[..value.len() - unit.len_utf8()];
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        'H' => Duration::from_secs(n * 3600),
        'M' => Duration::from_secs(n * 60),
        'S' => Duration::from_secs(n),
        'm' => Duration::from_millis(n),
        'u' => Duration::from_micros(n),
        'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::metadata::MetadataValue;

    #[test]
    fn grpc_timeout_units() {
        assert_eq!(parse_grpc_timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_grpc_timeout("3M"), Some(Duration::from_secs(180)));
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("7u"), Some(Duration::from_micros(7)));
        assert_eq!(parse_grpc_timeout("9n"), Some(Duration::from_nanos(9)));
        assert_eq!(parse_grpc_timeout("99999999H"), Some(Duration::from_secs(99_999_999 * 3600)));
    }

    #[test]
    fn malformed_grpc_timeouts_are_ignored() {
        for bad in ["", "m", "10", "10x", "-1S", "+1S", "1.5S", "123456789m", "1 S", "１S", "5é"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_is_measured_from_arrival_less_the_margin() {
        let received = Instant::now();
        let mut metadata = MetadataMap::new();
        metadata.insert("grpc-timeout", MetadataValue::from_static("100m"));
        let deadline = Deadline::from_metadata(&metadata, received);
        assert!(deadline.check().is_ok());
        tokio::time::advance(Duration::from_millis(95)).await;
        assert!(matches!(
            deadline.check(),
            Err(RequestError::DeadlineExceeded { timeout }) if timeout == Duration::from_millis(100)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn elapsed_completes_at_the_deadline() {
        let deadline = Deadline::after(Instant::now(), Some(Duration::from_secs(1)));
        let start = Instant::now();
        deadline.elapsed().await;
        assert_eq!(start.elapsed(), Duration::from_millis(995));
    }

    #[test]
    fn the_margin_is_a_tenth_of_the_timeout_up_to_5ms() {
        assert_eq!(early_margin(Duration::from_millis(10)), Duration::from_millis(1));
        assert_eq!(early_margin(Duration::from_millis(30)), Duration::from_millis(3));
        assert_eq!(early_margin(Duration::from_secs(60)), Duration::from_millis(5));
        assert_eq!(early_margin(Duration::ZERO), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn no_header_means_no_deadline() {
        let deadline = Deadline::from_metadata(&MetadataMap::new(), Instant::now());
        assert_eq!(deadline, Deadline::NONE);
        tokio::time::advance(Duration::from_secs(3600 * 24 * 365)).await;
        assert!(deadline.check().is_ok());
        let never = tokio::time::timeout(Duration::from_secs(60), deadline.elapsed()).await;
        assert!(never.is_err());
    }

    #[tokio::test]
    async fn unrepresentable_timeouts_mean_no_deadline() {
        assert_eq!(Deadline::after(Instant::now(), Some(Duration::MAX)), Deadline::NONE);
    }

    #[tokio::test]
    async fn request_arrival_stamp_is_used() {
        let mut request = tonic::Request::new(());
        let received = Instant::now() - Duration::from_secs(10);
        request.extensions_mut().insert(ReceivedAt(received));
        request.metadata_mut().insert("grpc-timeout", MetadataValue::from_static("1S"));
        let deadline = Deadline::of(&request);
        assert!(deadline.check().is_err(), "1s after a stamp 10s ago has passed");
    }
}
