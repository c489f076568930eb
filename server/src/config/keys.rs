//! Every setting's three names: its config file key, its environment
//! variable and its flag.
//!
//! This list is the one place they are spelled. The file reader refuses a
//! key that is not here, the environment reader an `HQL_*` variable that is
//! not here, `--check-config` prints in this order, and a test checks that
//! docs/operations.md and `hqld --help` name every entry. Environment
//! variables are mechanical (`HQL_` + the file key, dots as underscores,
//! upper case); flags keep the names `hqld` always had (`--max-batch-size`,
//! not `--limits-max-batch-size`).

/// The names of one setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The config file key, dotted for a table entry: `limits.max_batch_size`.
    pub file: &'static str,
    /// The environment variable: `HQL_LIMITS_MAX_BATCH_SIZE`.
    pub env: &'static str,
    /// A second variable read when the first is unset (`RUST_LOG` for the log level).
    pub env_fallback: Option<&'static str>,
    /// The flag, without its dashes: `max-batch-size`.
    pub flag: &'static str,
}

impl Key {
    const fn new(file: &'static str, env: &'static str, flag: &'static str) -> Key {
        Key { file, env, env_fallback: None, flag }
    }

    /// The table the file key is in (`limits`), or `None` at the top level.
    pub fn table(&self) -> Option<&'static str> {
        self.file.split_once('.').map(|(table, _)| table)
    }

    /// The file key within its table (`max_batch_size`).
    pub fn name(&self) -> &'static str {
        self.file.split_once('.').map_or(self.file, |(_, name)| name)
    }
}

/// `listen`.
pub const LISTEN: Key = Key::new("listen", "HQL_LISTEN", "listen");
/// `metrics_listen`.
pub const METRICS_LISTEN: Key = Key::new("metrics_listen", "HQL_METRICS_LISTEN", "metrics-listen");
/// `policy`.
pub const POLICY: Key = Key::new("policy", "HQL_POLICY", "policy");
/// `plugin_dir`.
pub const PLUGIN_DIR: Key = Key::new("plugin_dir", "HQL_PLUGIN_DIR", "plugin-dir");
/// `log_format`.
pub const LOG_FORMAT: Key = Key::new("log_format", "HQL_LOG_FORMAT", "log-format");
/// `log_level`; `RUST_LOG` when `HQL_LOG_LEVEL` is unset.
pub const LOG_LEVEL: Key =
    Key { file: "log_level", env: "HQL_LOG_LEVEL", env_fallback: Some("RUST_LOG"), flag: "log-level" };
/// `shutdown_grace`.
pub const SHUTDOWN_GRACE: Key = Key::new("shutdown_grace", "HQL_SHUTDOWN_GRACE", "shutdown-grace");
/// `policy_poll_interval`: how often the policy file is checked for a change.
pub const POLICY_POLL_INTERVAL: Key =
    Key::new("policy_poll_interval", "HQL_POLICY_POLL_INTERVAL", "policy-poll-interval");
/// `limits.max_message_bytes`.
pub const MAX_MESSAGE_BYTES: Key =
    Key::new("limits.max_message_bytes", "HQL_LIMITS_MAX_MESSAGE_BYTES", "max-message-bytes");
/// `limits.max_events_per_lead`.
pub const MAX_EVENTS_PER_LEAD: Key =
    Key::new("limits.max_events_per_lead", "HQL_LIMITS_MAX_EVENTS_PER_LEAD", "max-events-per-lead");
/// `limits.max_batch_size`.
pub const MAX_BATCH_SIZE: Key =
    Key::new("limits.max_batch_size", "HQL_LIMITS_MAX_BATCH_SIZE", "max-batch-size");
/// `limits.max_concurrent_requests`.
pub const MAX_CONCURRENT_REQUESTS: Key = Key::new(
    "limits.max_concurrent_requests",
    "HQL_LIMITS_MAX_CONCURRENT_REQUESTS",
    "max-concurrent-requests",
);
/// `limits.decision_threads`: threads that run decisions.
pub const DECISION_THREADS: Key =
    Key::new("limits.decision_threads", "HQL_LIMITS_DECISION_THREADS", "decision-threads");
/// `keepalive.interval`: HTTP/2 PING interval.
pub const KEEPALIVE_INTERVAL: Key =
    Key::new("keepalive.interval", "HQL_KEEPALIVE_INTERVAL", "keepalive-interval");
/// `keepalive.timeout`: how long a PING may go unanswered.
pub const KEEPALIVE_TIMEOUT: Key =
    Key::new("keepalive.timeout", "HQL_KEEPALIVE_TIMEOUT", "keepalive-timeout");
/// `keepalive.tcp`: TCP keepalive idle time.
pub const TCP_KEEPALIVE: Key = Key::new("keepalive.tcp", "HQL_KEEPALIVE_TCP", "tcp-keepalive");
/// `connection.max_concurrent_streams`.
pub const MAX_CONCURRENT_STREAMS: Key = Key::new(
    "connection.max_concurrent_streams",
    "HQL_CONNECTION_MAX_CONCURRENT_STREAMS",
    "max-concurrent-streams",
);
/// `connection.max_age`.
pub const MAX_CONNECTION_AGE: Key =
    Key::new("connection.max_age", "HQL_CONNECTION_MAX_AGE", "max-connection-age");
/// `connection.max_age_grace`.
pub const MAX_CONNECTION_AGE_GRACE: Key =
    Key::new("connection.max_age_grace", "HQL_CONNECTION_MAX_AGE_GRACE", "max-connection-age-grace");

/// Every setting, in the order `--check-config` prints them.
pub const ALL: [Key; 19] = [
    LISTEN,
    METRICS_LISTEN,
    POLICY,
    PLUGIN_DIR,
    LOG_FORMAT,
    LOG_LEVEL,
    SHUTDOWN_GRACE,
    POLICY_POLL_INTERVAL,
    MAX_MESSAGE_BYTES,
    MAX_EVENTS_PER_LEAD,
    MAX_BATCH_SIZE,
    MAX_CONCURRENT_REQUESTS,
    DECISION_THREADS,
    KEEPALIVE_INTERVAL,
    KEEPALIVE_TIMEOUT,
    TCP_KEEPALIVE,
    MAX_CONCURRENT_STREAMS,
    MAX_CONNECTION_AGE,
    MAX_CONNECTION_AGE_GRACE,
];

/// The variable naming the config file (`--config`); not a setting itself.
pub const CONFIG_ENV: &str = "HQL_CONFIG";

/// The prefix of every variable `hqld` reads.
pub const ENV_PREFIX: &str = "HQL_";

/// The tables a config file may have.
pub fn tables() -> impl Iterator<Item = &'static str> {
    let mut seen: Vec<&'static str> = Vec::new();
    ALL.iter().filter_map(Key::table).filter(move |table| {
        let new = !seen.contains(table);
        if new {
            seen.push(table);
        }
        new
    })
}

/// The setting whose file key is `file`.
pub fn by_file_key(file: &str) -> Option<&'static Key> {
    ALL.iter().find(|key| key.file == file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_the_file_key_in_upper_case() {
        for key in ALL {
            let expected = format!("{ENV_PREFIX}{}", key.file.replace('.', "_").to_uppercase());
            assert_eq!(key.env, expected, "{}", key.file);
        }
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in ALL.iter().enumerate() {
            for b in &ALL[i + 1..] {
                assert_ne!(a.file, b.file);
                assert_ne!(a.env, b.env);
                assert_ne!(a.flag, b.flag);
            }
        }
    }

    #[test]
    fn tables_are_listed_once_in_order() {
        assert_eq!(tables().collect::<Vec<_>>(), ["limits", "keepalive", "connection"]);
        assert_eq!(MAX_BATCH_SIZE.table(), Some("limits"));
        assert_eq!(MAX_BATCH_SIZE.name(), "max_batch_size");
        assert_eq!(LISTEN.table(), None);
        assert_eq!(LISTEN.name(), "listen");
    }
}
