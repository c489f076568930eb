//! Layering: for each key, the flag if given, else the variable, else the
//! file, else the default; and where each value came from.
//!
//! A value is parsed where it is found, with its layer's name for it, so an
//! error reads the way the operator wrote the setting: `--max-batch-size`,
//! `HQL_LIMITS_MAX_BATCH_SIZE`, or `hqld.toml:4:18: limits.max_batch_size`.
//! A lower layer is not parsed at all once a higher one sets the key: a
//! broken value in the file that a flag overrides does not stop `hqld`,
//! which is what an override is for. Every value that is used is recorded
//! with its [`Origin`], which `hqld --check-config` prints.

use std::fmt;
use std::path::PathBuf;

use super::cli::Cli;
use super::defaults::*;
use super::env::Env;
use super::file::{ConfigFile, Location};
use super::keys::{self, CONFIG_ENV, Key};
use super::value::{self, Humane, Toggle};
use super::{Config, ConfigError, Limits, Settings, Transport};

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// No layer set it.
    Default,
    /// The config file, at this place.
    File(Location),
    /// This environment variable.
    Env(&'static str),
    /// Its flag.
    Flag,
}

impl Origin {
    /// The setting as the operator wrote it, to put in front of an error:
    /// `--max-batch-size`, `HQL_LIMITS_MAX_BATCH_SIZE`,
    /// `hqld.toml:4:18: limits.max_batch_size`.
    pub fn name(&self, key: &Key) -> String {
        match self {
            Origin::Default => format!("{} (default)", key.file),
            Origin::File(at) => format!("{at}: {}", key.file),
            Origin::Env(var) => (*var).to_owned(),
            Origin::Flag => format!("--{}", key.flag),
        }
    }

    /// The layer, for a summary: `default`, `--max-batch-size`,
    /// `HQL_LIMITS_MAX_BATCH_SIZE` or `hqld.toml:4`.
    pub fn describe(&self, key: &Key) -> String {
        match self {
            Origin::Default => "default".to_owned(),
            Origin::File(at) => format!("{}:{}", at.path.display(), at.line),
            Origin::Env(var) => (*var).to_owned(),
            Origin::Flag => format!("--{}", key.flag),
        }
    }
}

/// One setting in force: its key, its value as it would be written, and
/// where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The setting.
    pub key: Key,
    /// Its value, in the notation of the file and the flags.
    pub value: String,
    /// Its layer.
    pub origin: Origin,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:<34} = {:<24} ({})", self.key.file, self.value, self.origin.describe(&self.key))
    }
}

/// The layers below the command line, and what was taken from them.
struct Layers<'a> {
    env: &'a Env,
    file: Option<&'a ConfigFile>,
    sources: Vec<Source>,
}

impl Layers<'_> {
    /// The value of `key`: `flag`, else the environment's, else the
    /// file's, else `default`, each parsed with `parse`.
    fn pick<T: fmt::Display>(
        &mut self,
        key: Key,
        flag: Option<T>,
        parse: fn(&str) -> Result<T, String>,
        default: impl FnOnce() -> T,
    ) -> Result<(T, Origin), ConfigError> {
        let (value, origin) = if let Some(value) = flag {
            (value, Origin::Flag)
        } else if let Some((var, text)) = self.env_value(&key) {
            let origin = Origin::Env(var);
            (parse(text).map_err(|message| ConfigError::invalid(origin.name(&key), message))?, origin)
        } else if let Some(found) = self.file.and_then(|file| file.get(&key)) {
            let origin = Origin::File(found.at.clone());
            (parse(&found.text).map_err(|message| ConfigError::invalid(origin.name(&key), message))?, origin)
        } else {
            (default(), Origin::Default)
        };
        self.sources.push(Source { key, value: value.to_string(), origin: origin.clone() });
        Ok((value, origin))
    }

    /// [`Layers::pick`] without the origin.
    fn value<T: fmt::Display>(
        &mut self,
        key: Key,
        flag: Option<T>,
        parse: fn(&str) -> Result<T, String>,
        default: impl FnOnce() -> T,
    ) -> Result<T, ConfigError> {
        self.pick(key, flag, parse, default).map(|(value, _)| value)
    }

    /// The variable setting `key` and its value: its own, else its fallback.
    fn env_value(&self, key: &Key) -> Option<(&'static str, &str)> {
        std::iter::once(key.env)
            .chain(key.env_fallback)
            .find_map(|var| self.env.get(var).map(|value| (var, value)))
    }

    /// The path `key` was just set to, from `origin`: one read from the
    /// file is relative to the file's directory, and recorded resolved.
    fn path(&mut self, key: Key, value: PathBuf, origin: &Origin) -> PathBuf {
        let path = match (origin, self.file) {
            (Origin::File(_), Some(file)) => file.resolve_path(value),
            _ => value,
        };
        if let Some(source) = self.sources.iter_mut().rev().find(|source| source.key == key) {
            source.value = path.display().to_string();
        }
        path
    }
}

/// Builds the configuration from the command line, the environment and the
/// config file named by `--config` or `HQL_CONFIG`.
pub fn load(cli: &Cli, env: &Env) -> Result<Config, ConfigError> {
    env.check_unknown()?;
    let file_path = match (&cli.config, env.get(CONFIG_ENV)) {
        (Some(path), _) => Some(path.clone()),
        (None, Some(path)) => {
            Some(value::path(path).map_err(|message| ConfigError::invalid(CONFIG_ENV.to_owned(), message))?)
        }
        (None, None) => None,
    };
    let file = file_path.as_deref().map(ConfigFile::read).transpose()?;
    let mut layers = Layers { env, file: file.as_ref(), sources: Vec::new() };
    let settings = settings(cli, &mut layers)?;
    Ok(Config { settings, file: file_path, sources: layers.sources })
}

/// Every setting, in [`keys::ALL`]'s order.
fn settings(cli: &Cli, layers: &mut Layers<'_>) -> Result<Settings, ConfigError> {
    let listen = layers.value(keys::LISTEN, cli.listen, value::socket_addr, || DEFAULT_LISTEN)?;
    let metrics_listen =
        layers.value(keys::METRICS_LISTEN, cli.metrics_listen, value::metrics_listen, || {
            DEFAULT_METRICS_LISTEN
        })?;
    let (policy, origin) = layers
        .pick(keys::POLICY, cli.policy.clone().map(Shown), shown_path, || Shown(DEFAULT_POLICY.into()))?;
    let policy = layers.path(keys::POLICY, policy.0, &origin);
    let plugin_dir = plugin_dir(cli, layers)?;
    let log_format =
        layers.value(keys::LOG_FORMAT, cli.log_format, value::log_format, || DEFAULT_LOG_FORMAT)?;
    let log_level = layers
        .value(keys::LOG_LEVEL, cli.log_level.clone(), value::log_level, || DEFAULT_LOG_LEVEL.to_owned())?;
    let shutdown_grace =
        layers.value(keys::SHUTDOWN_GRACE, cli.shutdown_grace, value::shutdown_grace, || {
            Humane(std::time::Duration::from_secs(DEFAULT_SHUTDOWN_GRACE_SECS))
        })?;
    let policy_poll = layers
        .value(keys::POLICY_POLL_INTERVAL, cli.policy_poll_interval, value::policy_poll_interval, || {
            Toggle(DEFAULT_POLICY_POLL_INTERVAL)
        })?
        .0;
    let limits = Limits {
        max_message_bytes: layers.value(
            keys::MAX_MESSAGE_BYTES,
            cli.max_message_bytes,
            value::message_bytes,
            || DEFAULT_MAX_MESSAGE_BYTES,
        )?,
        max_events_per_lead: layers.value(
            keys::MAX_EVENTS_PER_LEAD,
            cli.max_events_per_lead,
            value::positive_count,
            || DEFAULT_MAX_EVENTS_PER_LEAD,
        )?,
        max_batch_size: layers.value(
            keys::MAX_BATCH_SIZE,
            cli.max_batch_size,
            value::positive_count,
            || DEFAULT_MAX_BATCH_SIZE,
        )?,
        max_concurrent_requests: layers.value(
            keys::MAX_CONCURRENT_REQUESTS,
            cli.max_concurrent_requests,
            value::positive_count,
            || DEFAULT_MAX_CONCURRENT_REQUESTS,
        )?,
        decision_threads: layers.value(
            keys::DECISION_THREADS,
            cli.decision_threads,
            value::positive_count,
            default_decision_threads,
        )?,
    };
    let transport = Transport {
        keepalive_interval: layers
            .value(keys::KEEPALIVE_INTERVAL, cli.keepalive_interval, value::keepalive_interval, || {
                Toggle(DEFAULT_KEEPALIVE_INTERVAL)
            })?
            .0,
        keepalive_timeout: layers
            .value(keys::KEEPALIVE_TIMEOUT, cli.keepalive_timeout, value::keepalive_timeout, || {
                Humane(DEFAULT_KEEPALIVE_TIMEOUT)
            })?
            .0,
        tcp_keepalive: layers
            .value(keys::TCP_KEEPALIVE, cli.tcp_keepalive, value::tcp_keepalive, || {
                Toggle(DEFAULT_TCP_KEEPALIVE)
            })?
            .0,
        max_concurrent_streams: layers.value(
            keys::MAX_CONCURRENT_STREAMS,
            cli.max_concurrent_streams,
            value::stream_count,
            || DEFAULT_MAX_CONCURRENT_STREAMS,
        )?,
        max_connection_age: layers
            .value(keys::MAX_CONNECTION_AGE, cli.max_connection_age, value::max_connection_age, || {
                Toggle(DEFAULT_MAX_CONNECTION_AGE)
            })?
            .0,
        max_connection_age_grace: layers
            .value(
                keys::MAX_CONNECTION_AGE_GRACE,
                cli.max_connection_age_grace,
                value::max_connection_age_grace,
                || Toggle(DEFAULT_MAX_CONNECTION_AGE_GRACE),
            )?
            .0,
    };
    Ok(Settings {
        listen,
        metrics_listen: metrics_listen.addr(),
        policy,
        plugin_dir,
        limits,
        log_format,
        log_level,
        shutdown_grace: shutdown_grace.0,
        policy_poll,
        transport,
    })
}

/// `plugin_dir`: set, or the directory of the running executable, and in
/// both cases a directory that exists.
fn plugin_dir(cli: &Cli, layers: &mut Layers<'_>) -> Result<PathBuf, ConfigError> {
    let installed = executable_dir();
    let (dir, origin) =
        layers.pick(keys::PLUGIN_DIR, cli.plugin_dir.clone().map(Shown), shown_path, || {
            Shown(installed.clone().unwrap_or_default())
        })?;
    let dir = layers.path(keys::PLUGIN_DIR, dir.0, &origin);
    let hint = "set --plugin-dir, HQL_PLUGIN_DIR or plugin_dir in the config file";
    if origin == Origin::Default && installed.is_none() {
        return Err(ConfigError::invalid(
            origin.name(&keys::PLUGIN_DIR),
            format!("cannot tell where hqld is installed; {hint}"),
        ));
    }
    if !dir.is_dir() {
        return Err(ConfigError::invalid(
            origin.name(&keys::PLUGIN_DIR),
            format!("{} is not a directory ({hint})", dir.display()),
        ));
    }
    Ok(dir)
}

/// The directory of the running executable: `target/release` after
/// `cargo build --release`, next to the bundled plugin libraries.
fn executable_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    exe.parent().map(PathBuf::from)
}

/// A path that prints as it reads, for the summary.
struct Shown(PathBuf);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.display().fmt(f)
    }
}

fn shown_path(text: &str) -> Result<Shown, String> {
    value::path(text).map(Shown)
}
