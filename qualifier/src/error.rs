//! Errors of loading a policy and its scorers. Each names what a human needs
//! to fix it: the file, line and key path for policies; the library file,
//! plugin and both ABI versions for plugins.

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
    /// The library name would resolve outside the plugin directory.
    #[error("plugin library {file} (scorer `{scorer}`): outside the plugin directory {dir}")]
    OutsidePluginDir {
        /// Resolved path.
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
