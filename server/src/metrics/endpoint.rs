//! `GET /metrics` over HTTP/1.1 on its own listener.
//!
//! Its own port, not the gRPC one: Prometheus scrapes plain HTTP/1.1, the
//! gRPC port speaks HTTP/2 only and may sit behind TLS or a mesh, and metrics
//! are for the cluster's monitoring, not for the clients a Service exposes.
//! hyper (already in the tree through tonic) serves it; the exporter's own
//! listener is not used because it binds by itself and cannot report the
//! port it got for `:0`, which tests and the `hqld metrics on` line need.
//!
//! Everything it spawned ends when it is dropped: `hqld` aborts it after the
//! gRPC server has drained, so a last scrape can see the drain. It has no
//! upkeep to run: histograms are counted into their buckets as they are
//! recorded (`histogram.rs`), and nothing else the exporter keeps grows.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::recorder::Handle;

/// The only path served.
pub const METRICS_PATH: &str = "/metrics";

/// The Prometheus text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How long a client may take to send its request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait before accepting again after `accept` failed (typically
/// out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A bound metrics listener, ready to serve.
#[derive(Debug)]
pub struct MetricsEndpoint {
    listener: TcpListener,
    handle: Handle,
}

impl MetricsEndpoint {
    /// Binds `addr`; port 0 picks a free port ([`MetricsEndpoint::local_addr`]).
    pub(crate) async fn bind(addr: SocketAddr, handle: Handle) -> io::Result<MetricsEndpoint> {
        let listener = TcpListener::bind(addr).await?;
        Ok(MetricsEndpoint { listener, handle })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves `/metrics` until dropped; never returns on its own.
    pub async fn serve(self) {
        let MetricsEndpoint { listener, handle } = self;
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _peer)) => {
                        connections.spawn(connection(stream, handle.clone()));
                    }
                    Err(error) => {
                        tracing::warn!(%error, "metrics listener: accept failed");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                },
                // Reap finished connections so the set does not grow.
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    }
}

/// Serves one HTTP/1.1 connection (keep-alive: Prometheus reuses it).
async fn connection(stream: tokio::net::TcpStream, handle: Handle) {
    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
        let response = respond(&handle, request.method(), request.uri().path());
        async move { Ok::<_, Infallible>(response) }
    });
    let served = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(error) = served {
        tracing::debug!(%error, "metrics connection ended with an error");
    }
}

/// The answer to `method path`: the rendered metrics for `GET /metrics`
/// (and `HEAD`), 404 or 405 otherwise.
fn respond(handle: &Handle, method: &Method, path: &str) -> Response<Full<Bytes>> {
    if path != METRICS_PATH {
        return plain(StatusCode::NOT_FOUND, "not found: metrics are served at /metrics\n");
    }
    if method != Method::GET && method != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed: use GET\n");
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let mut response = Response::new(Full::new(Bytes::from(handle.render())));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// A short plain-text answer with `status`.
fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    use super::super::recorder::HqlRecorder;

    /// A handle to a recorder of its own, with one counter in it.
    fn handle() -> Handle {
        let (recorder, handle) = HqlRecorder::new();
        ::metrics::with_local_recorder(&recorder, || ::metrics::counter!("probe_total").increment(2));
        handle
    }

    async fn text(response: Response<Full<Bytes>>) -> String {
        let bytes = response.into_body().collect().await.expect("a full body").to_bytes();
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[tokio::test]
    async fn get_metrics_renders_the_text_format() {
        let response = respond(&handle(), &Method::GET, "/metrics");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
        assert!(text(response).await.contains("probe_total 2\n"));
    }

    #[tokio::test]
    async fn other_paths_and_methods_are_refused() {
        let handle = handle();
        assert_eq!(respond(&handle, &Method::GET, "/").status(), StatusCode::NOT_FOUND);
        assert_eq!(respond(&handle, &Method::GET, "/metrics/").status(), StatusCode::NOT_FOUND);
        let post = respond(&handle, &Method::POST, "/metrics");
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(post.headers()[header::ALLOW], "GET, HEAD");
        assert_eq!(respond(&handle, &Method::HEAD, "/metrics").status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn it_serves_over_tcp_on_port_zero() {
        let endpoint =
            MetricsEndpoint::bind("127.0.0.1:0".parse().expect("addr"), handle()).await.expect("bind");
        let addr = endpoint.local_addr().expect("bound");
        assert_ne!(addr.port(), 0);
        let server = tokio::spawn(endpoint.serve());

        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
        tokio::spawn(connection);
        let request = Request::get("/metrics")
            .header(header::HOST, addr.to_string())
            .body(http_body_util::Empty::<Bytes>::new())
            .expect("request");
        let response = sender.send_request(request).await.expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        let body = response.into_body().collect().await.expect("body").to_bytes();
        assert!(String::from_utf8_lossy(&body).contains("probe_total 2"));
        server.abort();
    }
}
