//! The plugin's config: a TOML file turned into the JSON the plugin receives.
//!
//! In a policy, a scorer's config is the `[scorer.config]` table; the server
//! serialises that table to a JSON object and hands it to the plugin's
//! `create` (`{}` when the policy gives none). The checker does exactly the
//! same with the file given to `--config`, whose top-level table plays the
//! part of `[scorer.config]`: so a config that passes here is byte for byte
//! what the plugin will get from the server, TOML quirks included.

use std::path::{Path, PathBuf};

use crate::error::UsageError;

/// A config ready for `create`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginConfig {
    /// Where it came from; `None` for the default (no `--config`).
    pub source: Option<PathBuf>,
    /// The JSON object the plugin receives.
    pub json: String,
}

impl PluginConfig {
    /// The config the server passes when a policy gives none: `{}`.
    pub fn empty() -> PluginConfig {
        PluginConfig { source: None, json: "{}".to_string() }
    }

    /// Reads `path` (TOML) and converts its table as the server converts
    /// `[scorer.config]`.
    pub fn from_file(path: &Path) -> Result<PluginConfig, UsageError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| UsageError::ReadConfig { path: path.to_path_buf(), source })?;
        PluginConfig::from_toml(path, &text)
    }

    /// Converts TOML `text` (read from `path`, for messages).
    pub fn from_toml(path: &Path, text: &str) -> Result<PluginConfig, UsageError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| UsageError::ParseConfig {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        // The same conversion as the policy loader (qualifier/src/policy).
        let json = serde_json::to_string(&toml::Value::Table(table))
            .map_err(|source| UsageError::ConfigToJson { path: path.to_path_buf(), source })?;
        Ok(PluginConfig { source: Some(path.to_path_buf()), json })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_toml_table_becomes_the_json_object_the_server_would_pass() {
        let c = PluginConfig::from_toml(
            Path::new("cfg.toml"),
            "typical_deal_size = 1000\n[budget]\nmax_points = 30.5\nflags = [true, false]\n",
        )
        .expect("valid");
        assert_eq!(c.json, r#"{"budget":{"flags":[true,false],"max_points":30.5},"typical_deal_size":1000}"#);
        assert_eq!(c.source.as_deref(), Some(Path::new("cfg.toml")));
    }

    #[test]
    fn an_empty_file_is_an_empty_object_like_no_config() {
        let c = PluginConfig::from_toml(Path::new("empty.toml"), "").expect("valid");
        assert_eq!(c.json, PluginConfig::empty().json);
    }

    #[test]
    fn bad_toml_is_a_usage_error_naming_the_file() {
        let err = PluginConfig::from_toml(Path::new("bad.toml"), "refuse = ").expect_err("invalid");
        assert!(matches!(err, UsageError::ParseConfig { .. }), "{err:?}");
        assert!(err.to_string().contains("bad.toml"), "{err}");
    }

    #[test]
    fn a_missing_file_is_a_usage_error() {
        let err = PluginConfig::from_file(Path::new("/nonexistent/cfg.toml")).expect_err("missing");
        assert!(matches!(err, UsageError::ReadConfig { .. }), "{err:?}");
    }
}
