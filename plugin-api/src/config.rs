//! Scorer configuration: the scorer's table from the policy, handed over once
//! at create time as JSON.
//!
//! [`Config::parse`] deserialises it into the author's own type with serde and
//! turns any error into a [`ConfigError`] that names the offending key path
//! (`bands[2].points`), which the host prefixes with the policy location
//! (`scorer.bant.config.bands[2].points`). Use `#[serde(deny_unknown_fields)]`
//! so a typo in the policy is refused at start-up instead of ignored.

use serde::de::DeserializeOwned;

use crate::log::Logger;

/// The configuration of one scorer instance.
pub struct Config<'a> {
    json: &'a str,
    logger: Logger,
}

impl<'a> Config<'a> {
    /// Wraps a JSON object. Hosts and the test harness call this.
    pub fn new(json: &'a str, logger: Logger) -> Config<'a> {
        Config { json, logger }
    }

    /// The raw JSON text.
    pub fn json(&self) -> &'a str {
        self.json
    }

    /// Deserialises into `T`; errors name the key path.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        let text = if self.json.trim().is_empty() { "{}" } else { self.json };
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let key = e.path().to_string();
            let key = if key == "." { String::new() } else { key };
            ConfigError { key, message: e.into_inner().to_string() }
        })
    }

    /// A logger to keep in the instance (routed to the host's logs).
    pub fn logger(&self) -> &Logger {
        &self.logger
    }
}

/// A configuration the scorer refuses, with the key at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if key.is_empty() { String::new() } else { format!("{key}: ") })]
pub struct ConfigError {
    /// Key path inside the scorer's config (empty for the whole table).
    pub key: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl ConfigError {
    /// An error about `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError { key: key.into(), message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Cfg {
        #[serde(default)]
        bands: Vec<Band>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Band {
        points: f64,
    }

    #[test]
    fn errors_name_the_key_path() {
        let c = Config::new(r#"{"bands":[{"points":1},{"points":"x"}]}"#, Logger::discard());
        let err = c.parse::<Cfg>().expect_err("bad type");
        assert_eq!(err.key, "bands[1].points");
        assert!(err.to_string().starts_with("bands[1].points: "));
    }

    #[test]
    fn unknown_keys_are_refused_and_empty_is_default() {
        let c = Config::new(r#"{"bandz":[]}"#, Logger::discard());
        assert!(c.parse::<Cfg>().is_err());
        let c = Config::new("", Logger::discard());
        assert!(c.parse::<Cfg>().is_ok());
    }
}
