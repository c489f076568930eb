//! OTLP trace export, configured by the standard `OTEL_*` variables.
//!
//! Off unless asked for: traces are exported only when
//! `OTEL_TRACES_EXPORTER=otlp` or an OTLP endpoint variable
//! (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is
//! set, and never with `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true`.
//! Off, nothing is built: no exporter, no background thread, no connection.
//! This follows the OpenTelemetry specification's variables so that the
//! collector a cluster already runs is configured the way every other
//! service there configures it (often injected by an operator), not through
//! `hqld`'s own config file.
//!
//! What is read here, and checked at start like any setting (exit 2, naming
//! the variable): the exporter, the protocol (`grpc`, or `http/protobuf`,
//! the specification's default), the endpoint (for HTTP, the generic one
//! gets `/v1/traces` appended, the traces one is used as is) and the timeout
//! in milliseconds. The SDK reads the rest itself: `OTEL_SERVICE_NAME` and
//! `OTEL_RESOURCE_ATTRIBUTES` (the service name is `hqld` unless one of them
//! sets it), `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_COMPRESSION`,
//! `OTEL_TRACES_SAMPLER[_ARG]` and `OTEL_BSP_*`.
//!
//! No TLS stack is built in (no OpenSSL, no rustls): endpoints are plain
//! `http://`, which is how a node-local or sidecar collector is reached;
//! an `https://` endpoint is refused at start rather than failing at the
//! first export.
//!
//! Spans are exported in batches from the SDK's own thread. That thread is
//! not a tokio thread, and both transports need one: gRPC goes through a
//! tonic channel, whose worker is spawned on the runtime when the exporter is
//! built inside it ([`TraceExport::install`] takes the runtime's handle), and
//! HTTP requests are handed to the runtime by `OnRuntime` (below). [`Traces::shutdown`]
//! flushes what is buffered and must run before the runtime is dropped.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{HttpClient, HttpError};
use opentelemetry_otlp::{
    ExporterBuildError, Protocol as OtlpProtocol, SpanExporter, WithExportConfig, WithHttpConfig,
};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tokio::runtime::Handle;

use crate::config::{ConfigError, Env};

/// The longest [`Traces::shutdown`] waits for the last spans to be sent:
/// less than Kubernetes leaves between SIGTERM and SIGKILL after a drain.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The exporter's timeout per request when no variable sets it (the
/// specification's default).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The service name when neither `OTEL_SERVICE_NAME` nor
/// `OTEL_RESOURCE_ATTRIBUTES` gives one.
pub const DEFAULT_SERVICE_NAME: &str = "hqld";

/// The OTLP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/gRPC, default port 4317.
    Grpc,
    /// OTLP/HTTP with protobuf bodies, default port 4318.
    HttpProtobuf,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Grpc => "grpc",
            Protocol::HttpProtobuf => "http/protobuf",
        })
    }
}

/// Where and how spans are exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceExport {
    /// The transport.
    pub protocol: Protocol,
    /// The full URL spans are sent to.
    pub endpoint: String,
    /// The timeout of one export request.
    pub timeout: Duration,
}

impl fmt::Display for TraceExport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "otlp {} to {} (timeout {}ms)", self.protocol, self.endpoint, self.timeout.as_millis())
    }
}

/// The OTLP exporter could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up OTLP trace export: {0}")]
pub struct OtlpError(#[from] ExporterBuildError);

impl TraceExport {
    /// The export the `OTEL_*` variables of `env` ask for, `None` when they
    /// ask for none.
    pub fn from_env(env: &Env) -> Result<Option<TraceExport>, ConfigError> {
        let var = |name: &str| env.get(name).map(str::trim).filter(|value| !value.is_empty());
        if var("OTEL_SDK_DISABLED").is_some_and(|value| value.eq_ignore_ascii_case("true")) {
            return Ok(None);
        }
        let asked = match var("OTEL_TRACES_EXPORTER") {
            None => false,
            Some(value) if value.eq_ignore_ascii_case("none") => return Ok(None),
            Some(value) if value.eq_ignore_ascii_case("otlp") => true,
            Some(value) => {
                return Err(ConfigError::invalid(
                    "OTEL_TRACES_EXPORTER".into(),
                    format!("`{value}` is not supported; use otlp, or none"),
                ));
            }
        };
        let traces_endpoint = var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        let endpoint = var("OTEL_EXPORTER_OTLP_ENDPOINT");
        if !asked && traces_endpoint.is_none() && endpoint.is_none() {
            return Ok(None);
        }

        let protocol = match [("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), ("OTEL_EXPORTER_OTLP_PROTOCOL")]
            .into_iter()
            .find_map(|name| var(name).map(|value| (name, value)))
        {
            None => Protocol::HttpProtobuf,
            Some((_, value)) if value.eq_ignore_ascii_case("grpc") => Protocol::Grpc,
            Some((_, value)) if value.eq_ignore_ascii_case("http/protobuf") => Protocol::HttpProtobuf,
            Some((name, value)) => {
                return Err(ConfigError::invalid(
                    name.into(),
                    format!("`{value}` is not supported; use grpc or http/protobuf"),
                ));
            }
        };

        let (name, url) = match (traces_endpoint, endpoint, protocol) {
            (Some(url), _, _) => ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url.to_owned()),
            (None, Some(url), Protocol::HttpProtobuf) => {
                ("OTEL_EXPORTER_OTLP_ENDPOINT", format!("{}/v1/traces", url.trim_end_matches('/')))
            }
            (None, Some(url), Protocol::Grpc) => ("OTEL_EXPORTER_OTLP_ENDPOINT", url.to_owned()),
            (None, None, Protocol::HttpProtobuf) => {
                ("OTEL_TRACES_EXPORTER", "http://localhost:4318/v1/traces".into())
            }
            (None, None, Protocol::Grpc) => ("OTEL_TRACES_EXPORTER", "http://localhost:4317".into()),
        };
        check_endpoint(&url).map_err(|message| ConfigError::invalid(name.into(), message))?;

        let timeout = match ["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"]
            .into_iter()
            .find_map(|name| var(name).map(|value| (name, value)))
        {
            None => DEFAULT_TIMEOUT,
            Some((name, value)) => value
                .parse::<u64>()
                .ok()
                .filter(|ms| (1..=600_000).contains(ms))
                .map(Duration::from_millis)
                .ok_or_else(|| {
                    ConfigError::invalid(
                        name.into(),
                        format!("`{value}` is not a timeout in milliseconds (1 to 600000)"),
                    )
                })?,
        };
        Ok(Some(TraceExport { protocol, endpoint: url, timeout }))
    }

    /// Builds the exporter and the tracer provider; `runtime` carries the
    /// exporter's requests. Spans are buffered and sent in batches.
    pub fn install(&self, runtime: &Handle) -> Result<Traces, OtlpError> {
        // The tonic channel spawns its worker on the runtime it is built in.
        let _entered = runtime.enter();
        let exporter = match self.protocol {
            Protocol::Grpc => SpanExporter::builder()
                .with_tonic()
                .with_endpoint(self.endpoint.clone())
                .with_timeout(self.timeout)
                .build()?,
            Protocol::HttpProtobuf => SpanExporter::builder()
                .with_http()
                .with_protocol(OtlpProtocol::HttpBinary)
                .with_endpoint(self.endpoint.clone())
                .with_timeout(self.timeout)
                .with_http_client(OnRuntime {
                    runtime: runtime.clone(),
                    client: opentelemetry_http::hyper::HyperClient::with_default_connector(
                        self.timeout,
                        None,
                    ),
                })
                .build()?,
        };
        let provider =
            SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource()).build();
        let tracer = provider.tracer(DEFAULT_SERVICE_NAME);
        Ok(Traces { provider, tracer })
    }
}

/// An endpoint must be a plain-HTTP URL with a host.
fn check_endpoint(url: &str) -> Result<(), String> {
    let uri: http::Uri = url.parse().map_err(|error| format!("`{url}` is not a URL: {error}"))?;
    match uri.scheme_str() {
        Some("http") if uri.authority().is_some() => Ok(()),
        Some("https") => Err(format!(
            "`{url}`: hqld has no TLS built in; use a plain http:// endpoint (a node-local or sidecar collector)"
        )),
        _ => Err(format!("`{url}` is not an http://HOST:PORT URL")),
    }
}

/// The service's resource: the SDK's detectors (`OTEL_SERVICE_NAME`,
/// `OTEL_RESOURCE_ATTRIBUTES`), with `service.name` `hqld` unless they set
/// one, and `service.version`.
fn resource() -> Resource {
    let named = std::env::var_os("OTEL_SERVICE_NAME").is_some_and(|name| !name.is_empty())
        || std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|attrs| attrs.contains("service.name="));
    let builder = Resource::builder()
        .with_attribute(opentelemetry::KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    if named { builder.build() } else { builder.with_service_name(DEFAULT_SERVICE_NAME).build() }
}

/// Trace export running: the provider to flush and the tracer for the
/// `tracing` layer.
#[derive(Debug)]
pub struct Traces {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
}

impl Traces {
    /// The tracer spans are created with.
    pub fn tracer(&self) -> SdkTracer {
        self.tracer.clone()
    }

    /// Sends what is buffered and stops the exporter, waiting at most a few
    /// seconds. Blocks: call it outside the runtime's workers, before the
    /// runtime is dropped.
    pub fn shutdown(self) {
        if let Err(error) = self.provider.shutdown_with_timeout(FLUSH_TIMEOUT) {
            tracing::warn!(%error, "OTLP trace export did not flush cleanly");
        }
    }
}

/// An HTTP client that runs each request on a tokio runtime, so the SDK's
/// export thread (not a tokio thread) can use hyper.
#[derive(Debug, Clone)]
struct OnRuntime<C> {
    runtime: Handle,
    client: C,
}

#[tonic::async_trait]
impl<C: HttpClient + Clone + 'static> HttpClient for OnRuntime<C> {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let client = self.client.clone();
        self.runtime.spawn(async move { client.send_bytes(request).await }).await.map_err(HttpError::from)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn export(vars: &[(&str, &str)]) -> Result<Option<TraceExport>, ConfigError> {
        TraceExport::from_env(&Env::from_pairs(vars.iter().copied()))
    }

    #[test]
    fn off_unless_asked_for() {
        assert_eq!(export(&[]).expect("valid"), None);
        assert_eq!(export(&[("OTEL_SERVICE_NAME", "hqld-eu")]).expect("valid"), None);
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        assert_eq!(export(&[endpoint, ("OTEL_TRACES_EXPORTER", "none")]).expect("valid"), None);
        assert_eq!(export(&[endpoint, ("OTEL_SDK_DISABLED", "true")]).expect("valid"), None);
    }

    #[test]
    fn http_protobuf_is_the_default_and_the_generic_endpoint_gets_the_traces_path() {
        let export = export(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/")]).expect("valid");
        assert_eq!(
            export,
            Some(TraceExport {
                protocol: Protocol::HttpProtobuf,
                endpoint: "http://collector:4318/v1/traces".into(),
                timeout: Duration::from_secs(10),
            })
        );
    }

    #[test]
    fn the_traces_endpoint_is_used_as_is_and_wins() {
        let export = export(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:9999/custom"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ])
        .expect("valid")
        .expect("on");
        assert_eq!(export.endpoint, "http://traces:9999/custom");
        assert_eq!(export.timeout, Duration::from_millis(2500));
    }

    #[test]
    fn grpc_uses_the_endpoint_as_is_and_otlp_alone_uses_the_default() {
        let grpc = export(&[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ])
        .expect("valid")
        .expect("on");
        assert_eq!((grpc.protocol, grpc.endpoint.as_str()), (Protocol::Grpc, "http://collector:4317"));
        let default = export(&[("OTEL_TRACES_EXPORTER", "otlp")]).expect("valid").expect("on");
        assert_eq!(default.endpoint, "http://localhost:4318/v1/traces");
        let signal = export(&[
            ("OTEL_TRACES_EXPORTER", "otlp"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"),
        ])
        .expect("valid")
        .expect("on");
        assert_eq!((signal.protocol, signal.endpoint.as_str()), (Protocol::Grpc, "http://localhost:4317"));
    }

    #[test]
    fn what_cannot_work_is_refused_naming_the_variable() {
        let on = ("OTEL_TRACES_EXPORTER", "otlp");
        let cases: [(&[(&str, &str)], &str); 6] = [
            (&[("OTEL_TRACES_EXPORTER", "zipkin")], "OTEL_TRACES_EXPORTER: `zipkin` is not supported"),
            (&[on, ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")], "OTEL_EXPORTER_OTLP_PROTOCOL: `http/json`"),
            (
                &[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318")],
                "OTEL_EXPORTER_OTLP_ENDPOINT: `https://c:4318/v1/traces`: hqld has no TLS",
            ),
            (
                &[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4318")],
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: ",
            ),
            (
                &[on, ("OTEL_EXPORTER_OTLP_TIMEOUT", "10s")],
                "OTEL_EXPORTER_OTLP_TIMEOUT: `10s` is not a timeout",
            ),
            (&[on, ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "0")], "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "),
        ];
        for (vars, expected) in cases {
            let err = export(vars).expect_err("refused").to_string();
            assert!(err.starts_with(expected), "{err}");
        }
    }

    #[test]
    fn it_shows_what_it_does() {
        let export = export(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")]).expect("valid").expect("on");
        assert_eq!(export.to_string(), "otlp http/protobuf to http://c:4318/v1/traces (timeout 10000ms)");
    }
}
