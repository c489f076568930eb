//! One load run against one server: connect, warm up, measure, report.
//!
//! The connections are opened before the clock starts. Tasks run for the
//! warm-up and the measured window without pause; only calls sent (or due)
//! inside the window and answered before it closes are counted, so the
//! counts and the CPU samples cover the same interval. CPU of the server
//! (when its pid is known) and of this client are sampled when the window
//! opens and when it closes, and so is the server's own latency histogram
//! when its metrics endpoint is known ([`crate::scrape`]); memory before the
//! warm-up and after the run.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant};

use tonic::client::Grpc;
use tonic::transport::{Channel, Endpoint};

use crate::calls::{Shared, call_loop};
use crate::error::LoadError;
use crate::pacer::Pacer;
use crate::procfs;
use crate::report::{CpuSample, RunReport};
use crate::scrape::{Handling, MetricsUrl, ServerHandling};
use crate::spec::{LoadSpec, Mode, Window};
use crate::stats::Recorder;
use crate::stream::stream_loop;
use crate::workload::Workload;

/// The largest message either way, as `hqld`'s default
/// `--max-message-bytes`.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// A server to load.
#[derive(Debug, Clone)]
pub struct Target {
    /// What to call it in reports (`hqld`, `floor`).
    pub label: String,
    /// `http://ip:port`.
    pub url: String,
    /// Its process id, for CPU and memory; `None` when it is elsewhere.
    pub pid: Option<u32>,
    /// Its Prometheus endpoint, for its own handling-time histogram; `None`
    /// when it has none (the floor) or it is not read.
    pub metrics: Option<MetricsUrl>,
}

/// Runs `spec` against `target` with `workload`'s requests.
pub async fn run(target: &Target, spec: &LoadSpec, workload: Arc<Workload>) -> Result<RunReport, LoadError> {
    let channels = connect(&target.url, spec.connections.max(1)).await?;
    let memory_before = target.pid.map(procfs::memory).transpose()?;

    let start = Instant::now();
    let window = Window::new(start, spec);
    let shared = Shared {
        workload,
        pacer: Arc::new(Pacer::new(start, window.to, spec.rate)?),
        cursor: Arc::new(AtomicUsize::new(0)),
        window,
    };
    // A stream's handling time is the whole stream's: not a call's latency.
    let handling =
        target.metrics.clone().filter(|_| spec.mode != Mode::Stream).map(|url| (url, spec.mode.rpc_method()));
    let sampler = tokio::spawn(sample(window, target.pid, handling));
    let tasks: Vec<_> = match spec.mode {
        Mode::Stream => channels
            .iter()
            .map(|channel| tokio::spawn(stream_loop(grpc(channel), spec.stream_window(), shared.clone())))
            .collect(),
        Mode::Unary | Mode::Explain | Mode::Batch => (0..spec.concurrency.max(1))
            .map(|i| {
                tokio::spawn(call_loop(grpc(&channels[i % channels.len()]), spec.clone(), shared.clone()))
            })
            .collect(),
    };
    let mut total = Recorder::new();
    for task in tasks {
        total.merge(&task.await?);
    }
    let (cpu, server_handling) = sampler.await??;
    let memory_after = target.pid.map(procfs::memory).transpose()?;
    let mut report = RunReport::new(&target.label, spec, &total, cpu, memory_before, memory_after);
    report.server_handling = server_handling;
    Ok(report)
}

/// `count` HTTP/2 connections to `url`, TCP_NODELAY on as in `hqld`.
pub async fn connect(url: &str, count: usize) -> Result<Vec<Channel>, LoadError> {
    let endpoint = Endpoint::from_shared(url.to_string())
        .map_err(|source| LoadError::Url { url: url.to_string(), source })?
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(10));
    let mut channels = Vec::with_capacity(count);
    for _ in 0..count {
        let channel =
            endpoint.connect().await.map_err(|source| LoadError::Connect { url: url.to_string(), source })?;
        channels.push(channel);
    }
    Ok(channels)
}

fn grpc(channel: &Channel) -> Grpc<Channel> {
    Grpc::new(channel.clone())
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES)
}

/// CPU used by the server, this client and the whole machine over the
/// measured window, and what the server's histogram of `handling`'s method
/// counted in it.
async fn sample(
    window: Window,
    pid: Option<u32>,
    handling: Option<(MetricsUrl, &'static str)>,
) -> Result<(CpuSample, Option<ServerHandling>), LoadError> {
    let read = || -> Result<_, LoadError> {
        let server = pid.map(procfs::cpu_time).transpose()?;
        let switches = pid.map(procfs::context_switches).transpose()?;
        Ok((Instant::now(), server, switches, procfs::own_cpu_time()?, procfs::machine_cpu()?))
    };
    tokio::time::sleep_until(window.from.into()).await;
    let (t0, server0, switches0, client0, machine0) = read()?;
    let handled0 = histogram(handling.as_ref()).await?;
    tokio::time::sleep_until(window.to.into()).await;
    let (t1, server1, switches1, client1, machine1) = read()?;
    let handled1 = histogram(handling.as_ref()).await?;
    let cpu = CpuSample {
        elapsed: t1 - t0,
        server: server0.zip(server1).map(|(a, b)| b.saturating_sub(a)),
        server_switches: switches0.zip(switches1).map(|(a, b)| b.saturating_sub(a)),
        client: client1.saturating_sub(client0),
        machine: machine1.since(machine0),
    };
    let handled = handled0.zip(handled1).and_then(|(before, after)| after.since(&before).summary());
    Ok((cpu, handled))
}

/// The server's histogram for one method, when it is read.
async fn histogram(handling: Option<&(MetricsUrl, &'static str)>) -> Result<Option<Handling>, LoadError> {
    match handling {
        Some((url, method)) => Ok(Some(Handling::parse(&url.fetch().await?, method))),
        None => Ok(None),
    }
}
