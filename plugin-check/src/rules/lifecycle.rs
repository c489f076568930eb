//! Lifecycle rule: `create` accepts the config, `destroy` works, and a
//! second `create` after it works too.
//!
//! Without `--config` the plugin gets `{}`, which is what the server passes
//! when a policy gives the scorer no `[scorer.config]`: a plugin that needs
//! a config must say so with a refusal naming the key, and one that does not
//! must accept `{}`. The second create catches global state that only
//! survives one instance (the server re-creates instances on every policy
//! reload).

use hql_plugin_api::ConfigError;

use crate::config::PluginConfig;
use crate::report::RuleResult;
use crate::rules::Rule;
use crate::run::Observed;

/// Prefix the SDK puts on a panic caught in `configure`.
const CONFIGURE_PANIC: &str = "scorer panicked while configuring";

/// The rule's result.
pub(crate) fn evaluate(observed: &Observed, config: &PluginConfig) -> RuleResult {
    let given = match &config.source {
        Some(file) => format!("the config from {}", file.display()),
        None => "the empty config {}".to_string(),
    };
    if let Err(errors) = &observed.first_create {
        return refused(errors, config, &given);
    }
    match &observed.second_create {
        Some(Err(errors)) => RuleResult::fail(
            Rule::CreateDestroy,
            format!("created with {given} and destroyed, but a second create failed"),
            errors.iter().map(describe).collect(),
            "Keep no global state across instances: everything an instance needs belongs in the instance \
             `create` returns, and `destroy` must leave the library able to create another (the server \
             re-creates instances on every policy reload).",
        ),
        _ => RuleResult::pass(Rule::CreateDestroy, format!("created with {given}, destroyed, created again")),
    }
}

fn describe(e: &ConfigError) -> String {
    if e.key.is_empty() { e.message.clone() } else { format!("`{}`: {}", e.key, e.message) }
}

fn refused(errors: &[ConfigError], config: &PluginConfig, given: &str) -> RuleResult {
    let problems: Vec<String> = errors.iter().map(describe).collect();
    let fix = if errors.iter().any(|e| e.message.starts_with(CONFIGURE_PANIC)) {
        "`configure` panicked: validate the config and return a ConfigError naming the key instead \
         (`config.parse::<T>()?` with serde does it for you)."
            .to_string()
    } else if config.source.is_some() {
        "If the config is wrong, fix the key the plugin names; if it is right, the plugin's validation is too \
         strict. This is the message the server would refuse to start with."
            .to_string()
    } else {
        "A plugin must accept `{}` (what the server passes when the policy gives no [scorer.config]): give \
         every key a default (`#[serde(default)]`), or, if a key is truly required, run this check with \
         `--config <file>` holding the config your policy uses."
            .to_string()
    };
    RuleResult::fail(Rule::CreateDestroy, format!("the plugin refused {given}"), problems, fix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use std::path::PathBuf;

    fn observed(
        first: Result<(), Vec<ConfigError>>,
        second: Option<Result<(), Vec<ConfigError>>>,
    ) -> Observed {
        Observed {
            first_create: first,
            second_create: second,
            rounds: Vec::new(),
            without_future: Vec::new(),
            concurrent: Vec::new(),
            limited: Vec::new(),
            barred: Vec::new(),
            declared_facts: Vec::new(),
            fact_mask: 0,
            masked: Vec::new(),
        }
    }

    #[test]
    fn create_destroy_create_passes() {
        let r = evaluate(&observed(Ok(()), Some(Ok(()))), &PluginConfig::empty());
        assert_eq!(r.status, Status::Pass);
        assert!(r.summary.contains("{}"));
    }

    #[test]
    fn a_refusal_keeps_the_plugins_words_and_key() {
        let config =
            PluginConfig { source: Some(PathBuf::from("cfg.toml")), json: r#"{"refuse":true}"#.into() };
        let errors = vec![ConfigError::new("refuse", "told to refuse")];
        let r = evaluate(&observed(Err(errors), None), &config);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.problems, vec!["`refuse`: told to refuse"]);
        assert!(r.summary.contains("cfg.toml"));
    }

    #[test]
    fn refusing_the_empty_config_suggests_defaults() {
        let r = evaluate(
            &observed(Err(vec![ConfigError::new("x", "missing field")]), None),
            &PluginConfig::empty(),
        );
        assert!(r.fix.as_deref().is_some_and(|f| f.contains("--config")));
    }

    #[test]
    fn a_panic_while_configuring_is_named() {
        let errors = vec![ConfigError::new("", "scorer panicked while configuring: boom")];
        let r = evaluate(&observed(Err(errors), None), &PluginConfig::empty());
        assert!(r.fix.as_deref().is_some_and(|f| f.contains("panicked")));
    }

    #[test]
    fn a_failing_second_create_is_a_failure() {
        let r = evaluate(
            &observed(Ok(()), Some(Err(vec![ConfigError::new("", "already initialised")]))),
            &PluginConfig::empty(),
        );
        assert_eq!(r.status, Status::Fail);
        assert!(r.summary.contains("second create"));
    }
}
