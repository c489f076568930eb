//! `hqld`'s own account of a call's latency: the `grpc_server_handling_seconds`
//! histogram on its Prometheus endpoint, read when the measured window opens
//! and when it closes.
//!
//! The latency the harness reports runs from when a call was due to when its
//! answer was read. On a machine the client shares with the server, that
//! includes every wait for a core on both sides: the request lying in a
//! socket until a server worker is scheduled, the answer lying in one until a
//! client worker is. `hqld`'s histogram runs from the call's arrival in its
//! gRPC layer to its status being written: what the server itself takes,
//! its own queueing included. Beside the client's figure at half of peak,
//! it says how much of a p99 is the server and how much the machine around
//! it.
//!
//! A histogram tells which bucket a quantile falls in, not its value, so a
//! quantile here is that bucket's bounds with an estimate interpolated
//! linearly inside it, as Prometheus' `histogram_quantile` does. A stream's
//! handling time is the whole stream's, so stream runs get none.
//!
//! The endpoint is read with a plain HTTP/1.1 `GET` (one request, the
//! connection closed after it): the harness needs nothing more, and hqld's
//! endpoint sends a `Content-Length` body.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::LoadError;

/// The histogram read.
pub const HANDLING_SECONDS: &str = "grpc_server_handling_seconds";

/// How long one read of the endpoint may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a server's Prometheus endpoint is: `host:port` and a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsUrl {
    authority: String,
    path: String,
}

impl MetricsUrl {
    /// `http://HOST:PORT[/PATH]` or `HOST:PORT[/PATH]`; the path defaults
    /// to `/metrics`.
    pub fn parse(text: &str) -> Result<MetricsUrl, LoadError> {
        let bad = |why: &str| LoadError::Usage(format!("metrics URL {text:?}: {why}"));
        if text.starts_with("https://") {
            return Err(bad("only plain http is read"));
        }
        let rest = text.strip_prefix("http://").unwrap_or(text);
        let (authority, path) = match rest.find('/') {
            Some(at) => rest.split_at(at),
            None => (rest, "/metrics"),
        };
        let port = authority.rsplit_once(':').map(|(_, port)| port);
        if authority.is_empty() || port.is_none_or(|p| p.parse::<u16>().is_err()) {
            return Err(bad("expected http://HOST:PORT/metrics"));
        }
        Ok(MetricsUrl { authority: authority.to_string(), path: path.to_string() })
    }

    /// `/metrics` on `addr`.
    pub fn at(addr: std::net::SocketAddr) -> MetricsUrl {
        MetricsUrl { authority: addr.to_string(), path: "/metrics".to_string() }
    }

    /// The exposition text it serves now.
    pub async fn fetch(&self) -> Result<String, LoadError> {
        let failed = |what: String| LoadError::Metrics { url: self.to_string(), what };
        let read = async {
            let mut stream = TcpStream::connect(&self.authority).await?;
            let request = format!(
                "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: text/plain\r\nConnection: close\r\n\r\n",
                self.path, self.authority
            );
            stream.write_all(request.as_bytes()).await?;
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await?;
            Ok::<_, std::io::Error>(response)
        };
        let response = tokio::time::timeout(FETCH_TIMEOUT, read)
            .await
            .map_err(|_| failed(format!("no answer within {FETCH_TIMEOUT:?}")))?
            .map_err(|e| failed(e.to_string()))?;
        let response = String::from_utf8(response).map_err(|_| failed("the answer is not UTF-8".into()))?;
        let (head, body) =
            response.split_once("\r\n\r\n").ok_or_else(|| failed("the answer has no header end".into()))?;
        let status = head.lines().next().unwrap_or_default();
        if status.split_whitespace().nth(1) != Some("200") {
            return Err(failed(format!("answered {status:?}")));
        }
        let chunked = head.lines().any(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("transfer-encoding:") && l.contains("chunked")
        });
        if chunked {
            return Err(failed("a chunked answer (expected a Content-Length body)".into()));
        }
        Ok(body.to_string())
    }
}

impl std::fmt::Display for MetricsUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}{}", self.authority, self.path)
    }
}

/// One method's handling-time histogram: cumulative counts by upper bound
/// (seconds), ascending, the last one `+Inf`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Handling {
    buckets: Vec<(f64, u64)>,
}

/// A quantile read from a histogram: the bucket it falls in and an estimate
/// inside it, µs.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Bucketed {
    /// Linear interpolation inside the bucket (its lower bound when the
    /// bucket is the open-ended last one).
    pub estimate_us: f64,
    /// The bucket's lower bound.
    pub lower_us: f64,
    /// Its upper bound; `None` for `+Inf`.
    pub upper_us: Option<f64>,
}

/// What the server's own histogram says of the calls it finished inside
/// the measured window.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ServerHandling {
    /// Calls it finished in the window (answered, failed or cancelled).
    pub calls: u64,
    /// Median.
    pub p50: Bucketed,
    /// 99th percentile.
    pub p99: Bucketed,
    /// 99.9th percentile.
    pub p999: Bucketed,
}

impl Handling {
    /// The buckets of `method`'s series in `text` (Prometheus text format),
    /// summed over any series that share the method's name.
    pub fn parse(text: &str, method: &str) -> Handling {
        let prefix = format!("{HANDLING_SECONDS}_bucket{{");
        let label = format!("grpc_method=\"{method}\"");
        let mut buckets: Vec<(f64, u64)> = Vec::new();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix(&prefix) else { continue };
            let Some((labels, value)) = rest.rsplit_once("} ") else { continue };
            if !labels.split(',').any(|l| l == label) {
                continue;
            }
            let Some(le) = labels.split(',').find_map(|l| l.strip_prefix("le=\"")?.strip_suffix('"')) else {
                continue;
            };
            let le = if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap_or(f64::NAN) };
            // Counts are written as integers; a float form is read too.
            let count = value.trim().parse::<f64>().map(|v| v.max(0.0) as u64);
            let (false, Ok(count)) = (le.is_nan(), count) else { continue };
            match buckets.iter_mut().find(|(bound, _)| *bound == le) {
                Some((_, total)) => *total += count,
                None => buckets.push((le, count)),
            }
        }
        buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
        Handling { buckets }
    }

    /// What was added since `before` (a read of the same series earlier).
    pub fn since(&self, before: &Handling) -> Handling {
        let earlier = |le: f64| before.buckets.iter().find(|(b, _)| *b == le).map_or(0, |(_, n)| *n);
        Handling {
            buckets: self.buckets.iter().map(|&(le, n)| (le, n.saturating_sub(earlier(le)))).collect(),
        }
    }

    /// Calls counted (the `+Inf` bucket).
    pub fn count(&self) -> u64 {
        self.buckets.last().map_or(0, |&(_, n)| n)
    }

    /// The `q` quantile (0-1); `None` when nothing was counted.
    pub fn quantile(&self, q: f64) -> Option<Bucketed> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * total as f64;
        let (mut lower, mut below) = (0.0, 0u64);
        for &(upper, cumulative) in &self.buckets {
            if cumulative as f64 >= rank && cumulative > below {
                let us = |s: f64| s * 1e6;
                if upper.is_infinite() {
                    return Some(Bucketed { estimate_us: us(lower), lower_us: us(lower), upper_us: None });
                }
                let share = (rank - below as f64) / (cumulative - below) as f64;
                return Some(Bucketed {
                    estimate_us: us(lower + (upper - lower) * share),
                    lower_us: us(lower),
                    upper_us: Some(us(upper)),
                });
            }
            (lower, below) = (upper, cumulative.max(below));
        }
        None
    }

    /// p50, p99 and p99.9 of what it counted; `None` when nothing was.
    pub fn summary(&self) -> Option<ServerHandling> {
        Some(ServerHandling {
            calls: self.count(),
            p50: self.quantile(0.50)?,
            p99: self.quantile(0.99)?,
            p999: self.quantile(0.999)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# TYPE grpc_server_handling_seconds histogram
grpc_server_handling_seconds_bucket{grpc_type=\"unary\",grpc_service=\"hql.v1.LeadQualificationService\",grpc_method=\"Qualify\",le=\"0.0001\"} 10
grpc_server_handling_seconds_bucket{grpc_type=\"unary\",grpc_service=\"hql.v1.LeadQualificationService\",grpc_method=\"Qualify\",le=\"0.00025\"} 60
grpc_server_handling_seconds_bucket{grpc_type=\"unary\",grpc_service=\"hql.v1.LeadQualificationService\",grpc_method=\"Qualify\",le=\"0.0005\"} 90
grpc_server_handling_seconds_bucket{grpc_type=\"unary\",grpc_service=\"hql.v1.LeadQualificationService\",grpc_method=\"Qualify\",le=\"0.001\"} 99
grpc_server_handling_seconds_bucket{grpc_type=\"unary\",grpc_service=\"hql.v1.LeadQualificationService\",grpc_method=\"Qualify\",le=\"+Inf\"} 100
grpc_server_handling_seconds_sum{grpc_type=\"unary\",grpc_service=\"hql.v1.LeadQualificationService\",grpc_method=\"Qualify\"} 0.03
grpc_server_handling_seconds_count{grpc_type=\"unary\",grpc_service=\"hql.v1.LeadQualificationService\",grpc_method=\"Qualify\"} 100
grpc_server_handling_seconds_bucket{grpc_type=\"unary\",grpc_service=\"hql.v1.LeadQualificationService\",grpc_method=\"QualifyBatch\",le=\"0.0001\"} 7
grpc_server_handling_seconds_bucket{grpc_type=\"unary\",grpc_service=\"hql.v1.LeadQualificationService\",grpc_method=\"QualifyBatch\",le=\"+Inf\"} 7
";

    #[test]
    fn only_the_named_methods_buckets_are_read_in_order() {
        let h = Handling::parse(TEXT, "Qualify");
        assert_eq!(h.buckets, [(0.0001, 10), (0.00025, 60), (0.0005, 90), (0.001, 99), (f64::INFINITY, 100)]);
        assert_eq!(Handling::parse(TEXT, "QualifyBatch").count(), 7);
        assert_eq!(Handling::parse(TEXT, "Explain"), Handling::default());
        assert_eq!(Handling::parse(TEXT, "Qualif").count(), 0, "a label is matched whole");
    }

    #[test]
    fn quantiles_interpolate_inside_their_bucket() {
        let h = Handling::parse(TEXT, "Qualify");
        // The 50th of 100 calls: 40 of the 50 in (100, 250] µs.
        let p50 = h.quantile(0.5).expect("counted");
        assert_eq!((p50.lower_us, p50.upper_us), (100.0, Some(250.0)));
        assert!((p50.estimate_us - 220.0).abs() < 1e-6, "{p50:?}");
        let p99 = h.quantile(0.99).expect("counted");
        assert_eq!((p99.lower_us, p99.upper_us), (500.0, Some(1000.0)));
        assert!((p99.estimate_us - 1000.0).abs() < 1e-6, "{p99:?}");
        // Beyond the last finite bound only the bound is known.
        let p999 = h.quantile(0.999).expect("counted");
        assert_eq!((p999.estimate_us, p999.upper_us), (1000.0, None));
        assert_eq!(Handling::default().quantile(0.5), None);
    }

    #[test]
    fn a_window_is_the_difference_of_two_reads() {
        let before = Handling::parse(TEXT, "Qualify");
        let later = TEXT.replace("} 100\n", "} 300\n").replace("\"0.001\"} 99", "\"0.001\"} 299");
        let window = Handling::parse(&later, "Qualify").since(&before);
        assert_eq!(window.count(), 200);
        // Every call of the window was in (500 µs, 1 ms].
        let p50 = window.quantile(0.5).expect("counted");
        assert_eq!((p50.lower_us, p50.upper_us), (500.0, Some(1000.0)));
        let summary = window.summary().expect("counted");
        assert_eq!(summary.calls, 200);
        assert!(summary.p50.estimate_us <= summary.p99.estimate_us);
    }

    #[test]
    fn metrics_urls_name_an_authority_and_a_path() {
        let url = MetricsUrl::parse("http://127.0.0.1:9090/metrics").expect("valid");
        assert_eq!(url.to_string(), "http://127.0.0.1:9090/metrics");
        assert_eq!(
            MetricsUrl::parse("127.0.0.1:9090").expect("valid").to_string(),
            "http://127.0.0.1:9090/metrics"
        );
        assert_eq!(
            MetricsUrl::parse("localhost:9090/m").expect("valid").to_string(),
            "http://localhost:9090/m"
        );
        for bad in ["https://h:1/metrics", "http://h/metrics", "", "h:port"] {
            assert!(MetricsUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
