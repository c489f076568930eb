//! Errors of loading a policy and its scorers. Each names what a human needs
//! to fix it: the file, line and key path for policies; the library file,
//! plugin and both ABI versions for plugins; the file, its mode or both
//! hashes, and the fix, for a library the server will not trust.

use std::fmt;
use std::path::PathBuf;

/// Anything that stops a policy from being served.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The policy file is wrong.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A scorer library could not be loaded.
    #[error(transparent)]
    Plugin(#[from] PluginLoadError),
    /// A scorer library is not the one the policy pinned, or others than its
    /// owner could change it.
    #[error(transparent)]
    Trust(#[from] PluginTrustError),
}

/// A policy problem, located in its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    /// The policy file.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Key path, e.g. `scorer[2].weight` (empty for the whole file).
    pub key: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "policy {}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A scorer library that cannot be used, naming the file and, once known, the
/// plugin and both ABI versions.
#[derive(Debug, thiserror::Error)]
pub enum PluginLoadError {
    /// No such file in the plugin directory.
    #[error("plugin library {file} (scorer `{scorer}`): file not found")]
    NotFound {
        /// Expected path.
        file: PathBuf,
        /// Scorer id in the policy.
        scorer: String,
    },
    /// The library name would resolve outside the plugin directory (a
    /// symlink leading out of it).
    #[error(
        "plugin library {requested} (scorer `{scorer}`): resolves to {file}, outside the plugin \
         directory {dir}: put the library itself in the directory (a symlink must stay inside it)"
    )]
    OutsidePluginDir {
        /// The path the policy's library name gives in the plugin directory.
        requested: PathBuf,
        /// Where it resolves to.
        file: PathBuf,
        /// The plugin directory.
        dir: PathBuf,
        /// Scorer id.
        scorer: String,
    },
    /// The file could not be read (for hashing).
    #[error("plugin library {file}: cannot read: {source}")]
    Read {
        /// Path.
        file: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A different file was put at the path of a library this process has
    /// already loaded: the dynamic loader would hand back the old code under
    /// the new file's hash, so it is refused (only a reload can meet this).
    #[error(
        "plugin library {file}: changed since this process loaded it (sha256 {loaded} then, {found} now); \
         a loaded library cannot be replaced in place: install the new build under a new file name and \
         point the policy's `library` at it, or restart hqld"
    )]
    ChangedSinceLoaded {
        /// Path.
        file: PathBuf,
        /// sha256 of the copy loaded earlier.
        loaded: String,
        /// sha256 of the file now.
        found: String,
    },
    /// dlopen failed.
    #[error("plugin library {file}: cannot load: {message}")]
    Open {
        /// Path.
        file: PathBuf,
        /// The loader's message.
        message: String,
    },
    /// The entry symbol is missing.
    #[error(
        "plugin library {file}: no `{symbol}` symbol: not an HQL scorer plugin \
         (Rust: add `hql_plugin_api::export_scorer!(YourScorer);`; C: define `{symbol}`)"
    )]
    MissingEntry {
        /// Path.
        file: PathBuf,
        /// The symbol looked for.
        symbol: &'static str,
    },
    /// The entry returned no descriptor.
    #[error("plugin library {file}: `hql_scorer_entry` returned no descriptor")]
    NullDescriptor {
        /// Path.
        file: PathBuf,
    },
    /// Wrong magic number.
    #[error(
        "plugin library {file}: bad magic 0x{found:08x} (expected 0x{expected:08x}): not an HQL scorer descriptor"
    )]
    BadMagic {
        /// Path.
        file: PathBuf,
        /// Found.
        found: u32,
        /// Expected.
        expected: u32,
    },
    /// Incompatible ABI version.
    #[error(
        "plugin library {file}: plugin `{plugin}` {plugin_version} was built for scorer ABI \
         {plugin_major}.{plugin_minor}, this host provides {host_major}.{host_minor}: {hint}"
    )]
    AbiMismatch {
        /// Path.
        file: PathBuf,
        /// Plugin name.
        plugin: String,
        /// Plugin version.
        plugin_version: String,
        /// Plugin ABI major.
        plugin_major: u16,
        /// Plugin ABI minor.
        plugin_minor: u16,
        /// Host ABI major.
        host_major: u16,
        /// Host ABI minor.
        host_minor: u16,
        /// What to do.
        hint: &'static str,
    },
    /// The descriptor is smaller than ABI 1.0 requires.
    #[error(
        "plugin library {file}: plugin `{plugin}` descriptor is {found} bytes, ABI \
         {host_major}.{host_minor} needs at least {min}: rebuild it against hql_scorer.h"
    )]
    DescriptorTooSmall {
        /// Path.
        file: PathBuf,
        /// Plugin name (may be empty if unreadable).
        plugin: String,
        /// Declared size.
        found: u32,
        /// Minimum.
        min: usize,
        /// Host ABI major.
        host_major: u16,
        /// Host ABI minor.
        host_minor: u16,
    },
    /// The descriptor is malformed (bad name, missing hook, ...).
    #[error("plugin library {file}: invalid descriptor: {message}")]
    BadDescriptor {
        /// Path.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// A scorer library the server will not load although it may be a valid
/// plugin: its bytes are not the ones the policy pinned, or someone other
/// than its owner could change it (or the plugin directory) and so choose the
/// code `hqld` runs. Checked before the library is opened.
#[derive(Debug, thiserror::Error)]
pub enum PluginTrustError {
    /// The file's sha256 differs from the policy's `sha256` pin.
    #[error(
        "plugin library {file} (scorer `{scorer}`): sha256 mismatch: the policy pins {expected}, \
         the file is {actual}: deploy the library the pin names, or update the scorer's `sha256` \
         in the policy if this file is the build you mean to run"
    )]
    HashMismatch {
        /// Resolved path.
        file: PathBuf,
        /// Scorer id in the policy.
        scorer: String,
        /// The pin, lower-case hex.
        expected: String,
        /// The file's digest, lower-case hex.
        actual: String,
    },
    /// The library file is writable by its group or by others.
    #[error(
        "plugin library {file} (scorer `{scorer}`): writable by {} (mode {}): whoever can write it \
         chooses the code hqld runs; run `chmod go-w {file}`",
        writers(*.mode),
        octal(*.mode)
    )]
    WritableLibrary {
        /// Resolved path.
        file: PathBuf,
        /// Scorer id in the policy.
        scorer: String,
        /// Permission bits (`st_mode & 0o7777`).
        mode: u32,
    },
    /// The plugin directory is writable by its group or by others.
    #[error(
        "plugin directory {dir} (scorer `{scorer}`): writable by {} (mode {}): whoever can write it \
         can replace a library with their own code; run `chmod go-w {dir}`",
        writers(*.mode),
        octal(*.mode)
    )]
    WritablePluginDir {
        /// Resolved directory.
        dir: PathBuf,
        /// Scorer id whose library was being loaded.
        scorer: String,
        /// Permission bits (`st_mode & 0o7777`).
        mode: u32,
    },
}

/// Who besides the owner may write a file of mode `mode`.
fn writers(mode: u32) -> &'static str {
    match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (true, true) => "group and others",
        (true, false) => "group",
        (false, true) => "others",
        (false, false) => "its owner only",
    }
}

/// `mode` as `ls` and `chmod` write it: `0775`.
fn octal(mode: u32) -> String {
    format!("{mode:04o}")
}
