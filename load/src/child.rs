//! A server the harness started itself: `hqld`, or the floor.
//!
//! Starting the servers makes a comparison one command and gives the harness
//! their process ids for CPU and memory. Both keep `hqld`'s contract: bind
//! (port 0 picks a free one), then print one stdout line with the bound
//! address (`hqld listening on ADDR`, `hql-load floor listening on ADDR`),
//! and `hqld` with metrics on a second one (`hqld metrics on ADDR`) before
//! it serves.
//! The harness waits for those lines, so it never measures a server still
//! loading, keeps the last lines of its stderr for the error message if it
//! dies first, and keeps reading both pipes so a chatty server never blocks
//! on a full one. Each server is one child process, killed by its handle
//! and reaped when the [`ServerProcess`] drops.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::LoadError;

/// Lines of a server's stderr kept for error messages.
const STDERR_TAIL_LINES: usize = 40;

/// Which of a server's address lines was read.
#[derive(Debug, Clone, Copy)]
enum Announced {
    /// `<prefix>ADDR`: where it serves.
    Listening,
    /// `<also>ADDR`: the second address asked for.
    Also,
}

/// A running server child process.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    also: Option<SocketAddr>,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

impl ServerProcess {
    /// Starts `command` and waits up to `timeout` for its stdout line
    /// `<prefix><ip:port>`.
    pub fn spawn(command: Command, prefix: &str, timeout: Duration) -> Result<ServerProcess, LoadError> {
        ServerProcess::spawn_announcing(command, prefix, None, timeout)
    }

    /// [`ServerProcess::spawn`], waiting as well for a second line
    /// `<also><ip:port>` when `also` is given (see [`ServerProcess::also`]).
    pub fn spawn_announcing(
        mut command: Command,
        prefix: &str,
        also: Option<&str>,
        timeout: Duration,
    ) -> Result<ServerProcess, LoadError> {
        let program = command.get_program().to_string_lossy().into_owned();
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child =
            command.spawn().map_err(|source| LoadError::Spawn { program: program.clone(), source })?;
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        let (tx, rx) = mpsc::channel::<(Announced, SocketAddr)>();
        if let Some(out) = child.stdout.take() {
            let prefixes = (prefix.to_string(), also.map(str::to_string));
            read_lines(out, move |line| {
                let addr = |p: &str| line.strip_prefix(p).and_then(|a| a.trim().parse::<SocketAddr>().ok());
                if let Some(addr) = addr(&prefixes.0) {
                    let _ = tx.send((Announced::Listening, addr));
                } else if let Some(addr) = prefixes.1.as_deref().and_then(addr) {
                    let _ = tx.send((Announced::Also, addr));
                }
            });
        }
        if let Some(err) = child.stderr.take() {
            let tail = stderr.clone();
            read_lines(err, move |line| {
                if let Ok(mut tail) = tail.lock() {
                    if tail.len() == STDERR_TAIL_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(line.to_string());
                }
            });
        }
        let mut server =
            ServerProcess { child, addr: SocketAddr::from(([0, 0, 0, 0], 0)), also: None, stderr };
        let deadline = std::time::Instant::now() + timeout;
        let (mut listening, mut announced) = (false, also.is_none());
        let what = loop {
            if listening && announced {
                return Ok(server);
            }
            match rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())) {
                Ok((Announced::Listening, addr)) => (server.addr, listening) = (addr, true),
                Ok((Announced::Also, addr)) => (server.also, announced) = (Some(addr), true),
                Err(RecvTimeoutError::Timeout) => {
                    let wanted =
                        [Some(prefix), also].into_iter().flatten().collect::<Vec<_>>().join("ADDR`, `");
                    break format!("did not print `{wanted}ADDR` within {timeout:?}");
                }
                Err(RecvTimeoutError::Disconnected) => {
                    // Stdout closed: it exited. Give stderr's reader a moment.
                    let status = server.child.wait().map(|s| s.to_string()).unwrap_or_default();
                    std::thread::sleep(Duration::from_millis(100));
                    break format!("exited ({status}) before printing `{prefix}ADDR`");
                }
            }
        };
        Err(LoadError::NotListening { program, what, stderr: server.stderr_tail() })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address of the second line [`ServerProcess::spawn_announcing`]
    /// waited for, if it was asked to.
    pub fn also(&self) -> Option<SocketAddr> {
        self.also
    }

    /// `http://ADDR`, for a gRPC client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last lines it wrote to stderr.
    pub fn stderr_tail(&self) -> String {
        match self.stderr.lock() {
            Ok(tail) => tail.iter().map(|line| format!("{line}\n")).collect(),
            Err(_) => String::new(),
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // Our own child, by its handle; harmless if it already exited.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Reads `stream` line by line on its own thread until it closes.
fn read_lines(stream: impl Read + Send + 'static, mut on_line: impl FnMut(&str) + Send + 'static) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => on_line(String::from_utf8_lossy(&line).trim_end()),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn waits_for_the_listening_line() {
        let server = ServerProcess::spawn(
            sh("echo starting >&2; echo 'x listening on 127.0.0.1:4321'; exec sleep 30"),
            "x listening on ",
            Duration::from_secs(10),
        )
        .expect("starts");
        assert_eq!(server.url(), "http://127.0.0.1:4321");
        let proc_dir = format!("/proc/{}", server.pid());
        assert!(std::path::Path::new(&proc_dir).exists());
        drop(server);
        assert!(!std::path::Path::new(&proc_dir).exists(), "killed and reaped on drop");
    }

    #[test]
    fn a_server_that_exits_first_reports_its_stderr() {
        let error = ServerProcess::spawn(
            sh("echo 'policy.toml:3: unknown key' >&2; exit 2"),
            "x listening on ",
            Duration::from_secs(10),
        )
        .expect_err("fails");
        let message = error.to_string();
        assert!(message.contains("exited") && message.contains("policy.toml:3"), "{message}");
    }
}
