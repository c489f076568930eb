//! Usage errors: the checker was asked something it cannot start on.
//!
//! These are the caller's mistakes (a library path that does not exist, a
//! config file that is not TOML), not the plugin's, so they end the run
//! before any rule with exit status 2, like a command-line error. Everything
//! the plugin gets wrong is a rule result instead, reported in full.

use std::path::PathBuf;

/// Why a check could not start.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// The library path names nothing.
    #[error("no such file: {0}")]
    NoSuchLibrary(PathBuf),
    /// The library path names a directory.
    #[error("{0} is a directory: give the library file itself, e.g. {0}/libhql_my_scorer.so")]
    LibraryIsDirectory(PathBuf),
    /// The config file could not be read.
    #[error("cannot read the config file {path}: {source}")]
    ReadConfig {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not a TOML document.
    #[error("the config file {path} is not valid TOML: {message}")]
    ParseConfig {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The config cannot be expressed as JSON (the form plugins receive).
    #[error("the config file {path} cannot be passed to the plugin as JSON: {source}")]
    ConfigToJson {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
}
