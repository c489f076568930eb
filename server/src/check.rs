//! `hqld --check-config`: would this configuration serve?
//!
//! It goes through everything start-up goes through before binding: the
//! settings from all layers, the OTLP variables, then the policy and every
//! plugin loaded with [`Engine::load`], exactly as serving loads them (the
//! same code, the same sha256 pins and ABI checks). It binds nothing, starts
//! no exporter and installs no metrics recorder, so it can run next to a
//! serving `hqld` (a pre-rollout check, a CI job on the policy repository,
//! an init container).
//!
//! The summary on stdout says what would be served and where each value
//! came from:
//!
//! ```text
//! hqld: configuration OK
//! config file: /etc/hql/hqld.toml
//! listen                             = 0.0.0.0:50051            (/etc/hql/hqld.toml:1)
//! limits.max_batch_size              = 9                        (--max-batch-size)
//! ...
//! traces: off
//! policy default 2024-06 digest 3f1c...
//! scorer bant: hql_bant 0.1.0 (ABI 1.3) /opt/hql/plugins/libhql_bant.so sha256 9ab0...
//! ```

use std::io::{self, Write};

use hql_qualifier::{Engine, LoadError, LoadOptions, ScorerSource};

use crate::config::Config;
use crate::otlp::TraceExport;

/// Loads the policy and plugins of `config` as serving would.
pub fn load_engine(config: &Config) -> Result<Engine, LoadError> {
    Engine::load(&LoadOptions {
        policy_path: config.settings.policy.clone(),
        scorers: ScorerSource::PluginDir(config.settings.plugin_dir.clone()),
    })
}

/// Writes the summary of a configuration that loaded to `out`.
pub fn summary(
    out: &mut impl Write,
    config: &Config,
    traces: Option<&TraceExport>,
    engine: &Engine,
) -> io::Result<()> {
    writeln!(out, "hqld: configuration OK")?;
    match &config.file {
        Some(file) => writeln!(out, "config file: {}", file.display())?,
        None => writeln!(out, "config file: none")?,
    }
    for source in &config.sources {
        writeln!(out, "{source}")?;
    }
    match traces {
        Some(export) => writeln!(out, "traces: {export}")?,
        None => writeln!(out, "traces: off")?,
    }
    let policy = engine.policy();
    writeln!(out, "policy {} {} digest {}", policy.name, policy.version, policy.digest)?;
    for scorer in engine.scorers() {
        writeln!(
            out,
            "scorer {}: {} {} (ABI {}) {} sha256 {}",
            scorer.name,
            scorer.plugin,
            scorer.version,
            scorer.abi_version,
            scorer.library,
            scorer.library_sha256
        )?;
    }
    out.flush()
}
