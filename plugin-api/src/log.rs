//! Logging from inside a scorer, routed to the host.
//!
//! A plugin must not write to stdout, and its own logging framework would not
//! reach the server's JSON logs. [`Logger`] sends lines through the host's
//! `log` callback instead, where they become `tracing` events tagged with the
//! scorer's name. `log_enabled` is asked first, so a disabled level costs one
//! call and no formatting.

use std::fmt::Display;
use std::sync::Arc;

use crate::abi::{self, hql_host_api_t, hql_host_t};

/// Severity of a log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Something failed.
    Error,
    /// Something looks wrong.
    Warn,
    /// Notable, rare.
    Info,
    /// For diagnosis.
    Debug,
    /// Very detailed.
    Trace,
}

impl Level {
    /// The ABI number (`HQL_LOG_*`).
    pub const fn to_raw(self) -> u32 {
        match self {
            Level::Error => abi::HQL_LOG_ERROR,
            Level::Warn => abi::HQL_LOG_WARN,
            Level::Info => abi::HQL_LOG_INFO,
            Level::Debug => abi::HQL_LOG_DEBUG,
            Level::Trace => abi::HQL_LOG_TRACE,
        }
    }

    /// Reads an ABI number; unknown numbers read as `Trace`.
    pub const fn from_raw(raw: u32) -> Level {
        match raw {
            abi::HQL_LOG_ERROR => Level::Error,
            abi::HQL_LOG_WARN => Level::Warn,
            abi::HQL_LOG_INFO => Level::Info,
            abi::HQL_LOG_DEBUG => Level::Debug,
            _ => Level::Trace,
        }
    }
}

/// Where log lines go, on the host's side.
pub trait LogSink: Send + Sync {
    /// Whether a line at `level` would be recorded.
    fn enabled(&self, level: Level) -> bool;
    /// Records a line.
    fn log(&self, level: Level, message: &str);
}

#[derive(Clone)]
enum Route {
    /// Through the C callbacks of a host that loaded us dynamically.
    Abi {
        api: *const hql_host_api_t,
        host: *const hql_host_t,
    },
    /// Directly, for hosts and tests that link the scorer statically.
    Native(Arc<dyn LogSink>),
    Discard,
}

/// A handle scorers keep to log through the host. Cheap to clone.
#[derive(Clone)]
pub struct Logger {
    route: Route,
}

// SAFETY: the ABI makes `api` static and `host` valid until destroy, and both
// callbacks may be called from any thread while the instance lives.
unsafe impl Send for Logger {}
// SAFETY: as above.
unsafe impl Sync for Logger {}

impl Logger {
    /// A logger that drops everything.
    pub fn discard() -> Logger {
        Logger { route: Route::Discard }
    }

    /// A logger that writes to `sink` directly.
    pub fn native(sink: Arc<dyn LogSink>) -> Logger {
        Logger { route: Route::Native(sink) }
    }

    /// A logger over the host's callbacks.
    ///
    /// # Safety
    /// `api` and `host` must be the pointers the host passed to `create`, and
    /// the logger must not outlive the instance.
    pub(crate) unsafe fn abi(api: *const hql_host_api_t, host: *const hql_host_t) -> Logger {
        if api.is_null() {
            return Logger::discard();
        }
        Logger { route: Route::Abi { api, host } }
    }

    /// Whether a line at `level` would be recorded.
    pub fn enabled(&self, level: Level) -> bool {
        match &self.route {
            // SAFETY: see `Logger::abi`.
            Route::Abi { api, host } => unsafe { ((**api).log_enabled)(*host, level.to_raw()) != 0 },
            Route::Native(sink) => sink.enabled(level),
            Route::Discard => false,
        }
    }

    /// Logs `message` at `level`; it is formatted only if the level is on.
    pub fn log(&self, level: Level, message: impl Display) {
        if !self.enabled(level) {
            return;
        }
        let text = message.to_string();
        match &self.route {
            // SAFETY: see `Logger::abi`; `text` outlives the call.
            Route::Abi { api, host } => unsafe {
                ((**api).log)(*host, level.to_raw(), abi::hql_str_t::from_str(&text))
            },
            Route::Native(sink) => sink.log(level, &text),
            Route::Discard => {}
        }
    }

    /// Logs at error level.
    pub fn error(&self, message: impl Display) {
        self.log(Level::Error, message)
    }
    /// Logs at warn level.
    pub fn warn(&self, message: impl Display) {
        self.log(Level::Warn, message)
    }
    /// Logs at info level.
    pub fn info(&self, message: impl Display) {
        self.log(Level::Info, message)
    }
    /// Logs at debug level.
    pub fn debug(&self, message: impl Display) {
        self.log(Level::Debug, message)
    }
}
