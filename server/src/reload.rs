//! Hot reload: a new policy (and plugin set) without a restart.
//!
//! Two triggers: SIGHUP, and the policy file changing on disk (a Kubernetes
//! ConfigMap update, which swaps a symlink under the mount: so the file's
//! *content* is polled, by sha256, rather than watched with inotify, which
//! loses track of a replaced symlink target). Either way the same steps, one
//! reload at a time:
//!
//! 1. build a complete new [`Engine`] on the blocking pool, off the request
//!    path: parse and validate the policy, load and check every plugin
//!    library (trust checks and sha256 pins included), create every scorer
//!    instance with its config, resolve every gate;
//! 2. only if all of that succeeded, swap it in atomically
//!    ([`CurrentEngine::replace`]): requests already running finish on the
//!    old engine, new ones get the new one, none fails;
//! 3. log what changed, count the attempt (`hql_policy_reloads_total`), and
//!    re-point the info gauges.
//!
//! A policy or plugin that fails any check is refused: an ERROR log line with
//! the same located message `hqld` would print at start-up, the failure
//! counted and `hql_policy_reload_failed` set to 1, and the old engine keeps
//! serving untouched. A bad file is reported once, not on every poll; fixing
//! it (or SIGHUP) tries again.
//!
//! What a reload cannot do: replace a plugin library *in place* (see
//! [`hql_qualifier::PluginLoadError::ChangedSinceLoaded`]); install a new
//! build under a new file name and point the policy at it. Listen addresses
//! and limits are not reloaded; they need a restart (a rolling one in
//! Kubernetes).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hql_qualifier::{Engine, LoadError, LoadOptions};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::current::CurrentEngine;
use crate::metrics::{Metrics, reload as reload_metrics};

/// What started a reload (for the log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// SIGHUP.
    Signal,
    /// The policy file's content changed.
    PolicyFileChanged,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Signal => "SIGHUP",
            Trigger::PolicyFileChanged => "policy file changed",
        }
    }
}

/// Why a reload was refused; the old engine keeps serving.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The new policy or one of its plugins failed to load or validate.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The blocking task building the engine died (a defect; it is logged).
    #[error("the reload task failed: {0}")]
    Task(String),
}

/// Reloads the engine in `current` from `options`.
pub struct Reloader {
    current: CurrentEngine,
    options: LoadOptions,
    /// sha256 of the policy file's content as last loaded or tried.
    seen: std::sync::Mutex<Option<[u8; 32]>>,
    /// One reload at a time.
    running: Mutex<()>,
}

impl Reloader {
    /// A reloader for `current`, which was loaded from `options` when the
    /// policy file's content hashed to `seen` (see [`fingerprint`]; read it
    /// *before* loading, so a change racing the first load is not missed).
    pub fn new(current: CurrentEngine, options: LoadOptions, seen: Option<[u8; 32]>) -> Reloader {
        Reloader { current, options, seen: std::sync::Mutex::new(seen), running: Mutex::new(()) }
    }

    /// Builds a new engine and, if it is valid, puts it in force. On error
    /// the engine in force is untouched.
    pub async fn reload(&self, trigger: Trigger) -> Result<Engine, ReloadError> {
        let _one_at_a_time = self.running.lock().await;
        let started = Instant::now();
        self.remember(fingerprint(&self.options.policy_path).ok());
        let options = self.options.clone();
        let built = tokio::task::spawn_blocking(move || Engine::load(&options)).await;
        let new = match built {
            Ok(Ok(engine)) => engine,
            Ok(Err(error)) => return Err(self.refused(trigger, error.into())),
            Err(join) => return Err(self.refused(trigger, ReloadError::Task(join.to_string()))),
        };
        let old = self.current.replace(new.clone());
        Metrics::replace_info(&old, &new);
        reload_metrics::record(true);
        let (was, now) = (old.policy(), new.policy());
        tracing::info!(
            trigger = trigger.as_str(),
            policy = %now.name,
            version = %now.version,
            digest = %now.digest,
            previous_version = %was.version,
            previous_digest = %was.digest,
            took_ms = started.elapsed().as_millis() as u64,
            "policy reloaded: {} {} in force (was {} {})",
            now.name,
            now.version,
            was.name,
            was.version
        );
        for scorer in new.scorers() {
            tracing::debug!(
                scorer = %scorer.name,
                plugin = %scorer.plugin,
                version = %scorer.version,
                sha256 = %scorer.library_sha256,
                "scorer loaded"
            );
        }
        Ok(new)
    }

    fn refused(&self, trigger: Trigger, error: ReloadError) -> ReloadError {
        reload_metrics::record(false);
        let serving = self.current.get();
        let policy = serving.policy();
        tracing::error!(
            trigger = trigger.as_str(),
            error = %error,
            serving_version = %policy.version,
            serving_digest = %policy.digest,
            "policy reload refused; still serving {} {}: {error}",
            policy.name,
            policy.version
        );
        error
    }

    fn remember(&self, seen: Option<[u8; 32]>) {
        *self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = seen;
    }

    /// Whether the policy file's content differs from what was last loaded
    /// or tried. An unreadable file counts as unchanged (a ConfigMap update
    /// in progress, say); the next poll looks again.
    fn policy_changed(&self) -> bool {
        let Ok(now) = fingerprint(&self.options.policy_path) else {
            return false;
        };
        let seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *seen != Some(now)
    }

    /// Reloads on SIGHUP and, every `poll` (unless `None`), when the policy
    /// file changed; runs until the returned future is dropped.
    pub async fn watch(self: Arc<Self>, mut hangups: Hangups, poll: Option<Duration>) {
        let mut ticks = poll.map(|every| {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks
        });
        loop {
            let trigger = tokio::select! {
                () = hangups.recv() => Trigger::Signal,
                () = tick(&mut ticks) => {
                    if !self.policy_changed() {
                        continue;
                    }
                    Trigger::PolicyFileChanged
                }
            };
            // Refusals are logged and counted inside.
            let _ = self.reload(trigger).await;
        }
    }
}

/// The next tick, or never when polling is off.
async fn tick(ticks: &mut Option<tokio::time::Interval>) {
    match ticks {
        Some(ticks) => {
            ticks.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// sha256 of the file's content (following symlinks, as a ConfigMap mount
/// needs).
pub fn fingerprint(path: &Path) -> std::io::Result<[u8; 32]> {
    let bytes = std::fs::read(path)?;
    Ok(Sha256::digest(&bytes).into())
}

/// SIGHUP deliveries. Registered before serving: SIGHUP's default action
/// would end the process.
pub struct Hangups {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Hangups {
    /// Starts listening for SIGHUP (needs a tokio runtime).
    pub fn register() -> std::io::Result<Hangups> {
        #[cfg(unix)]
        {
            let signal = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
            Ok(Hangups { signal })
        }
        #[cfg(not(unix))]
        {
            Ok(Hangups {})
        }
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            if self.signal.recv().await.is_none() {
                std::future::pending::<()>().await;
            }
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    }
}
