//! The environment layer: `HQL_*` variables, one per setting.
//!
//! The variables are read once into an [`Env`] snapshot, so resolving a
//! configuration is a pure function of the command line, this snapshot and
//! the file, and unit tests build an `Env` from a list instead of changing
//! the process environment (which tests running in parallel would share).
//!
//! An `HQL_*` variable that names no setting is refused, like an unknown
//! key in the file: `HQL_LIMITS_MAX_BATCH_SZE=5` silently ignored would leave
//! the default in force while the operator believes otherwise. The message
//! suggests the closest real name. The one exception is the variables
//! Kubernetes itself injects for a Service named `hql` in the namespace
//! (`HQL_SERVICE_HOST`, `HQL_SERVICE_PORT*`, `HQL_PORT*`), which the
//! operator did not write and `hqld` does not read.

use std::collections::BTreeMap;
use std::ffi::OsString;

use super::ConfigError;
use super::keys::{self, ALL, CONFIG_ENV, ENV_PREFIX};

/// Variables read besides the `HQL_*` ones: `RUST_LOG` (the log level's
/// fallback), and OpenTelemetry's `OTEL_*` (trace export).
fn is_read(name: &str) -> bool {
    name.starts_with(ENV_PREFIX) || name == "RUST_LOG" || name.starts_with("OTEL_")
}

/// A snapshot of the variables `hqld` reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The variables of this process that `hqld` reads. A value that is not
    /// UTF-8 is refused, naming the variable.
    pub fn from_process() -> Result<Env, ConfigError> {
        Env::from_os_vars(std::env::vars_os())
    }

    /// An `Env` from `(name, value)` pairs, keeping those `hqld` reads.
    pub fn from_os_vars(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Result<Env, ConfigError> {
        let mut kept = BTreeMap::new();
        for (name, value) in vars {
            let Some(name) = name.to_str().filter(|name| is_read(name)) else { continue };
            let value = value
                .into_string()
                .map_err(|_| ConfigError::invalid(name.to_owned(), "is not valid UTF-8"))?;
            kept.insert(name.to_owned(), value);
        }
        Ok(Env { vars: kept })
    }

    /// An `Env` holding exactly `vars` (for tests).
    pub fn from_pairs<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> Env {
        Env { vars: vars.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect() }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Every `OTEL_*` variable that is set, by name.
    pub fn otel(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars
            .iter()
            .filter(|(name, _)| name.starts_with("OTEL_"))
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// Refuses the first `HQL_*` variable that names no setting.
    pub fn check_unknown(&self) -> Result<(), ConfigError> {
        for name in self.vars.keys().filter(|name| name.starts_with(ENV_PREFIX)) {
            if name == CONFIG_ENV || ALL.iter().any(|key| key.env == name) || injected_by_kubernetes(name) {
                continue;
            }
            let hint = match closest(name) {
                Some(known) => format!(" (did you mean {known}?)"),
                None => String::new(),
            };
            return Err(ConfigError::invalid(
                name.clone(),
                format!(
                    "unknown variable{hint}; hqld refuses HQL_* variables it does not read, so that a \
                     misspelt one is not silently ignored (docs/operations.md lists them)"
                ),
            ));
        }
        Ok(())
    }
}

/// Whether `name` is one of the service-link variables Kubernetes sets for
/// a Service named `hql` (`HQL_SERVICE_HOST`, `HQL_PORT_50051_TCP_ADDR`, ...).
fn injected_by_kubernetes(name: &str) -> bool {
    name == "HQL_SERVICE_HOST"
        || name == "HQL_SERVICE_PORT"
        || name.starts_with("HQL_SERVICE_PORT_")
        || name == "HQL_PORT"
        || name.starts_with("HQL_PORT_")
}

/// The known variable `name` was probably meant to be: the one of the
/// setting whose flag it spells (`HQL_MAX_BATCH_SIZE` for
/// `--max-batch-size`), else the closest by edit distance, if any is close.
fn closest(name: &str) -> Option<&'static str> {
    let rest = name.strip_prefix(ENV_PREFIX).unwrap_or(name);
    if let Some(key) = ALL.iter().find(|key| key.flag.replace('-', "_").eq_ignore_ascii_case(rest)) {
        return Some(key.env);
    }
    ALL.iter()
        .map(|key| key.env)
        .chain([keys::CONFIG_ENV])
        .map(|known| (strsim::levenshtein(name, known), known))
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, known)| known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_variables_hqld_reads_are_kept() {
        let env = Env::from_os_vars(
            [
                ("HQL_LISTEN", "0.0.0.0:1"),
                ("PATH", "/bin"),
                ("RUST_LOG", "debug"),
                ("OTEL_SERVICE_NAME", "x"),
            ]
            .map(|(k, v)| (OsString::from(k), OsString::from(v))),
        )
        .expect("utf-8");
        assert_eq!(env.get("HQL_LISTEN"), Some("0.0.0.0:1"));
        assert_eq!(env.get("RUST_LOG"), Some("debug"));
        assert_eq!(env.get("PATH"), None);
        assert_eq!(env.otel().collect::<Vec<_>>(), [("OTEL_SERVICE_NAME", "x")]);
    }

    #[cfg(unix)]
    #[test]
    fn a_value_that_is_not_utf8_is_refused_by_name() {
        use std::os::unix::ffi::OsStringExt;
        let err = Env::from_os_vars([(OsString::from("HQL_POLICY"), OsString::from_vec(vec![0xff]))])
            .expect_err("refused");
        assert_eq!(err.to_string(), "HQL_POLICY: is not valid UTF-8");
    }

    #[test]
    fn a_misspelt_variable_is_refused_with_a_suggestion() {
        let env = Env::from_pairs([("HQL_LIMITS_MAX_BATCH_SZE", "5")]);
        let err = env.check_unknown().expect_err("refused").to_string();
        assert!(
            err.starts_with(
                "HQL_LIMITS_MAX_BATCH_SZE: unknown variable (did you mean HQL_LIMITS_MAX_BATCH_SIZE?)"
            ),
            "{err}"
        );
        let err = Env::from_pairs([("HQL_FROBNICATE", "1")]).check_unknown().expect_err("refused");
        assert!(err.to_string().starts_with("HQL_FROBNICATE: unknown variable;"), "{err}");
    }

    #[test]
    fn known_and_kubernetes_variables_pass() {
        let env = Env::from_pairs([
            ("HQL_CONFIG", "/etc/hql/hqld.toml"),
            ("HQL_LIMITS_MAX_BATCH_SIZE", "5"),
            ("HQL_SERVICE_HOST", "10.0.0.1"),
            ("HQL_SERVICE_PORT", "50051"),
            ("HQL_SERVICE_PORT_GRPC", "50051"),
            ("HQL_PORT", "tcp://10.0.0.1:50051"),
            ("HQL_PORT_50051_TCP_ADDR", "10.0.0.1"),
        ]);
        env.check_unknown().expect("accepted");
    }
}
