//! Running the real `hqld` as a child process.
//!
//! The contract with the server crate is small and textual, on purpose: the
//! server binds the address given by `--listen` (port 0 picks a free one,
//! so tests never collide), then prints one line to STDOUT,
//! `hqld listening on <ip:port>`; all logs go to STDERR. [`Hqld::start`]
//! waits for that line, so a test only talks to a server that is accepting
//! connections, and keeps everything the server wrote for assertions and for
//! failure messages (a test that fails shows the server's own account).
//!
//! Metrics: `hqld` serves `GET /metrics` on `--metrics-listen` (default
//! `127.0.0.1:9464`), and once bound prints a second line right after the
//! first, `hqld metrics on <ip:port>`. So that parallel tests never fight
//! over port 9464, every server started here gets
//! `HQL_METRICS_LISTEN=127.0.0.1:0` in its environment (a free port; the
//! flag, when a test passes it, wins). [`Hqld::metrics_addr`] reads the
//! second line.
//!
//! The server's environment is the test's, less any `HQL_*` and `OTEL_*`
//! variable: `hqld` reads those (and refuses unknown `HQL_*` ones), so a
//! developer's shell or a CI runner setting one would change what every
//! test observes. A test that wants one sets it on [`hqld_command`].
//! `RUST_LOG` is kept, to see a failing test's server logs at `debug`.
//!
//! A server is always killed and reaped when its [`Hqld`] drops, even when
//! the test panics, so no test leaves a process behind.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hql_proto::pb::lead_qualification_service_client::LeadQualificationServiceClient;
use tonic::transport::{Channel, Endpoint};

use crate::artifacts::hqld_path;

/// How long `hqld` may take to print its listening line. Generous: a debug
/// build loading several plugins on a busy CI machine is slow, and a hung
/// server still fails the test, with its stderr.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// The line prefix `hqld` prints on stdout once bound.
pub const LISTENING_PREFIX: &str = "hqld listening on ";

/// The line prefix `hqld` prints on stdout, after the listening line, with
/// the address serving `GET /metrics` (when metrics are on).
pub const METRICS_PREFIX: &str = "hqld metrics on ";

/// How long [`Hqld::metrics_addr`] waits for the metrics line once the
/// listening line was read (`hqld` writes both at once).
const METRICS_LINE_TIMEOUT: Duration = Duration::from_secs(10);

/// A command running the built `hqld` with `args`, stdin closed,
/// `NO_COLOR` set so log text can be matched without escape codes, no
/// inherited `HQL_*` or `OTEL_*` variable, and metrics on a free port
/// (`HQL_METRICS_LISTEN=127.0.0.1:0`; pass `--metrics-listen` to choose
/// otherwise). Set more environment on it, then hand it to
/// [`Hqld::from_command`] or [`run_to_exit`].
pub fn hqld_command<I>(args: I) -> Command
where
    I: IntoIterator,
    I::Item: AsRef<OsStr>,
{
    let mut command = Command::new(hqld_path());
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|name| name.starts_with("HQL_") || name.starts_with("OTEL_")) {
            command.env_remove(name);
        }
    }
    command.args(args).env("NO_COLOR", "1").env("HQL_METRICS_LISTEN", "127.0.0.1:0").stdin(Stdio::null());
    command
}

/// Everything a child wrote to one stream so far, shared with its reader.
type Captured = Arc<Mutex<String>>;

fn snapshot(captured: &Captured) -> String {
    captured.lock().map(|s| s.clone()).unwrap_or_else(|poisoned| poisoned.into_inner().clone())
}

/// Reads `stream` to its end, appending to `captured` line by line (lossily:
/// a stray invalid byte must not lose the rest) and handing each complete
/// line to `on_line`.
fn capture(
    stream: impl Read + Send + 'static,
    captured: Captured,
    mut on_line: impl FnMut(&str) + Send + 'static,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match reader.read_until(b'\n', &mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let line = String::from_utf8_lossy(&buffer);
                    if let Ok(mut all) = captured.lock() {
                        all.push_str(&line);
                    }
                    on_line(line.trim_end_matches(['\n', '\r']));
                }
            }
        }
    })
}

/// A running `hqld`, killed and reaped on drop.
#[derive(Debug)]
pub struct Hqld {
    child: Child,
    addr: SocketAddr,
    stdout: Captured,
    stderr: Captured,
    readers: Vec<JoinHandle<()>>,
}

impl Hqld {
    /// Starts `hqld` with `args` (typically `--listen 127.0.0.1:0 --policy
    /// <file> --plugin-dir <dir>`) and waits until it listens.
    ///
    /// Panics, with the server's stderr, if it exits first or does not
    /// listen within [`STARTUP_TIMEOUT`].
    pub fn start<I>(args: I) -> Hqld
    where
        I: IntoIterator,
        I::Item: AsRef<OsStr>,
    {
        Hqld::from_command(hqld_command(args))
    }

    /// Starts `hqld --listen 127.0.0.1:0 --policy <policy> --plugin-dir
    /// <plugin_dir>`, the usual way.
    pub fn serve(policy: &Path, plugin_dir: &Path) -> Hqld {
        Hqld::start([
            OsStr::new("--listen"),
            OsStr::new("127.0.0.1:0"),
            OsStr::new("--policy"),
            policy.as_os_str(),
            OsStr::new("--plugin-dir"),
            plugin_dir.as_os_str(),
        ])
    }

    /// Starts a prepared command (see [`hqld_command`]) and waits until the
    /// server listens. Stdout and stderr are replaced by pipes.
    pub fn from_command(mut command: Command) -> Hqld {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap_or_else(|e| panic!("could not start {command:?}: {e}"));
        let stdout = Captured::default();
        let stderr = Captured::default();

        let (tx, rx) = mpsc::channel::<SocketAddr>();
        let stdout_pipe = child.stdout.take().expect("stdout is piped");
        let stderr_pipe = child.stderr.take().expect("stderr is piped");
        // The stdout reader keeps draining after the listening line so the
        // server can never block on a full pipe.
        let stdout_reader = capture(stdout_pipe, stdout.clone(), move |line| {
            if let Some(addr) = line.strip_prefix(LISTENING_PREFIX)
                && let Ok(addr) = addr.trim().parse()
            {
                let _ = tx.send(addr);
            }
        });
        let stderr_reader = capture(stderr_pipe, stderr.clone(), |_| {});
        let mut readers = vec![stdout_reader, stderr_reader];

        let failure = match rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(addr) => return Hqld { child, addr, stdout, stderr, readers },
            Err(RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                format!("did not print `{LISTENING_PREFIX}<addr>` within {STARTUP_TIMEOUT:?}")
            }
            // Stdout closed without the line: normally because it exited.
            Err(RecvTimeoutError::Disconnected) => match wait_timeout(&mut child, Duration::from_secs(10)) {
                Some(status) => format!("exited ({status}) before listening"),
                None => {
                    let _ = child.kill();
                    let _ = child.wait();
                    "closed its stdout without printing the listening line".to_string()
                }
            },
        };
        // The child is gone, so its pipes are closed and the readers finish.
        for reader in readers.drain(..) {
            let _ = reader.join();
        }
        panic!(
            "hqld {failure}\ncommand: {command:?}\n--- stdout ---\n{}--- stderr ---\n{}",
            snapshot(&stdout),
            snapshot(&stderr)
        );
    }

    /// The address the server is listening on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address serving `GET /metrics`, from the server's stdout line
    /// `hqld metrics on <ip:port>`. Panics, with the server's output, if
    /// that line does not come (metrics are off, `--metrics-listen off`).
    pub fn metrics_addr(&self) -> SocketAddr {
        let deadline = Instant::now() + METRICS_LINE_TIMEOUT;
        loop {
            let stdout = self.stdout();
            let announced = stdout.lines().find_map(|line| line.strip_prefix(METRICS_PREFIX));
            if let Some(addr) = announced {
                return addr
                    .trim()
                    .parse()
                    .unwrap_or_else(|e| panic!("hqld printed a bad metrics address {addr:?}: {e}"));
            }
            if Instant::now() >= deadline {
                panic!(
                    "hqld did not print `{METRICS_PREFIX}<addr>` within {METRICS_LINE_TIMEOUT:?} \
                     (metrics off?)\n--- stdout ---\n{stdout}--- stderr ---\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The server's URL for a gRPC client, `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A client connected to the server. Panics, with the server's stderr,
    /// if it cannot connect.
    pub async fn client(&self) -> LeadQualificationServiceClient<Channel> {
        let endpoint = Endpoint::from_shared(self.url())
            .expect("a socket address makes a valid URL")
            .connect_timeout(Duration::from_secs(10));
        match endpoint.connect().await {
            Ok(channel) => LeadQualificationServiceClient::new(channel),
            Err(e) => {
                panic!("could not connect to hqld at {}: {e}\n--- stderr ---\n{}", self.addr, self.stderr())
            }
        }
    }

    /// Qualifies one lead over a fresh connection. Panics, with the
    /// status and the server's stderr, if the call fails.
    pub async fn qualify(&self, request: hql_proto::pb::QualifyRequest) -> hql_proto::pb::Decision {
        self.client()
            .await
            .qualify(request)
            .await
            .unwrap_or_else(|s| panic!("Qualify failed: {s:?}\n--- stderr ---\n{}", self.stderr()))
            .into_inner()
            .decision
            .expect("Qualify answers with a decision")
    }

    /// Explains one lead over a fresh connection. Panics, with the status
    /// and the server's stderr, if the call fails.
    pub async fn explain(&self, request: hql_proto::pb::ExplainRequest) -> hql_proto::pb::Explanation {
        self.client()
            .await
            .explain(request)
            .await
            .unwrap_or_else(|s| panic!("Explain failed: {s:?}\n--- stderr ---\n{}", self.stderr()))
            .into_inner()
            .explanation
            .expect("Explain answers with an explanation")
    }

    /// Everything the server wrote to stderr (its logs) so far.
    pub fn stderr(&self) -> String {
        snapshot(&self.stderr)
    }

    /// Everything the server wrote to stdout so far (the listening line, and
    /// the metrics line).
    pub fn stdout(&self) -> String {
        snapshot(&self.stdout)
    }

    /// Waits until the server's stderr contains `needle`; logs are written
    /// asynchronously (e.g. after a policy reload). Returns whether it did
    /// within `timeout`.
    pub fn wait_for_stderr(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.stderr().contains(needle) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the server process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends SIGHUP, as `kill -HUP` would: `hqld` reloads its policy.
    /// Panics if the server has exited.
    pub fn hangup(&mut self) {
        assert!(self.is_running(), "hqld exited\n--- stderr ---\n{}", self.stderr());
        let pid = i32::try_from(self.child.id()).expect("a pid fits in pid_t");
        // SAFETY: as in `terminate`: our own child, seen running just above.
        let sent = unsafe { kill(pid, SIGHUP) };
        assert_eq!(sent, 0, "kill({pid}, SIGHUP) failed: {}", std::io::Error::last_os_error());
    }

    /// Asks the server to stop as an operator would (SIGTERM) and waits up
    /// to `timeout` for it to exit; returns its exit status, after which
    /// [`Hqld::stderr`] holds everything it wrote. Panics if it does not
    /// exit in time (it is then killed).
    pub fn terminate(&mut self, timeout: Duration) -> ExitStatus {
        if let Ok(Some(status)) = self.child.try_wait() {
            return status;
        }
        let pid = i32::try_from(self.child.id()).expect("a pid fits in pid_t");
        // SAFETY: kill(2) takes plain integers; `pid` is our own child, not
        // yet reaped (try_wait above saw it running), so it cannot have been
        // reused by another process.
        let sent = unsafe { kill(pid, SIGTERM) };
        assert_eq!(sent, 0, "kill({pid}, SIGTERM) failed: {}", std::io::Error::last_os_error());
        let status = wait_timeout(&mut self.child, timeout).unwrap_or_else(|| {
            let _ = self.child.kill();
            let _ = self.child.wait();
            panic!("hqld did not exit within {timeout:?} of SIGTERM\n--- stderr ---\n{}", self.stderr())
        });
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        status
    }
}

impl Drop for Hqld {
    fn drop(&mut self) {
        // Only our own child, by handle; harmless if it already exited.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// SIGTERM: 15 on every Unix this project builds on.
const SIGTERM: i32 = 15;
const SIGHUP: i32 = 1;

// The C library's kill(2), declared here rather than pulling in a binding
// crate for one call. `std` offers only SIGKILL (`Child::kill`), which skips
// the graceful shutdown a test may want to observe.
unsafe extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}

/// Polls `child` until it exits or `timeout` passes.
fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(None) | Err(_) => return None,
        }
    }
}

/// Runs `hqld` with `args` to completion, for start-up failures (bad policy,
/// refused plugin, ...): returns its exit status, stdout and stderr. Panics
/// if it is still running after `timeout` (it is then killed), which for
/// these tests means it started serving when it should have refused.
pub fn run_hqld_to_exit<I>(args: I, timeout: Duration) -> (ExitStatus, String, String)
where
    I: IntoIterator,
    I::Item: AsRef<OsStr>,
{
    run_to_exit(hqld_command(args), timeout)
}

/// [`run_hqld_to_exit`] for a prepared command (see [`hqld_command`]).
pub fn run_to_exit(mut command: Command, timeout: Duration) -> (ExitStatus, String, String) {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap_or_else(|e| panic!("could not start {command:?}: {e}"));
    let stdout = Captured::default();
    let stderr = Captured::default();
    let readers = [
        capture(child.stdout.take().expect("stdout is piped"), stdout.clone(), |_| {}),
        capture(child.stderr.take().expect("stderr is piped"), stderr.clone(), |_| {}),
    ];
    let Some(status) = wait_timeout(&mut child, timeout) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "{command:?} was still running after {timeout:?} (expected it to exit)\n\
             --- stdout ---\n{}--- stderr ---\n{}",
            snapshot(&stdout),
            snapshot(&stderr)
        );
    };
    for reader in readers {
        let _ = reader.join();
    }
    (status, snapshot(&stdout), snapshot(&stderr))
}

/// Writes `toml` as `<dir>/policy.toml` and returns its path.
///
/// The file is written under a temporary name and renamed into place, so a
/// server watching it for reloads never reads a half-written policy.
pub fn write_policy(dir: &Path, toml: &str) -> PathBuf {
    let path = dir.join("policy.toml");
    let mut staged = tempfile::Builder::new()
        .prefix(".policy-")
        .tempfile_in(dir)
        .unwrap_or_else(|e| panic!("create a staging file in {}: {e}", dir.display()));
    std::io::Write::write_all(&mut staged, toml.as_bytes()).expect("write the policy");
    staged.persist(&path).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

/// The usual arguments, `--listen 127.0.0.1:0 --policy <policy>
/// --plugin-dir <plugin_dir>`, for [`Hqld::start`] or [`run_hqld_to_exit`];
/// append more flags (e.g. `--max-batch-size`) to the returned list.
pub fn serve_args(policy: &Path, plugin_dir: &Path) -> Vec<std::ffi::OsString> {
    vec![
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--policy".into(),
        policy.into(),
        "--plugin-dir".into(),
        plugin_dir.into(),
    ]
}

/// The text of `policies/default.toml` with `scorer_toml` (one or more
/// `[[scorer]]` tables) inserted after its own scorers, before the first
/// `[[stage]]`: the shipped policy plus a test's extra plugin.
pub fn default_policy_with(scorer_toml: &str) -> String {
    let path = crate::artifacts::default_policy();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let at = text.find("\n[[stage]]\n").expect("the default policy has stages");
    format!("{}\n{}\n{}", &text[..at], scorer_toml.trim(), &text[at..])
}
