//! `hql-plugin check`: is this scorer plugin ready for `hqld`?
//!
//! A plugin author's question before deploying a library is not "does it
//! compile" but "will the server load it, and will it behave on the leads
//! real traffic brings". The server answers the first only at start-up, one
//! refusal at a time, and the second never: it quietly repairs what it can
//! (clamps scores, drops undeclared facts, marks decisions degraded) and the
//! author finds out from a salesperson. This crate answers both, before
//! deployment, with one line per rule and a concrete fix for each failure.
//!
//! It loads the library with the server's own loader
//! ([`hql_qualifier::plugin::load_file`]), so load failures are the server's,
//! word for word; then reads the descriptor for finer declaration rules;
//! then drives the plugin through the host's own ABI wrapper
//! ([`hql_plugin_api::host::AbiInstance`]) on a fixed set of edge-case leads
//! (see [`leads`]), sequentially, repeatedly and from several threads, and
//! judges what came back. See `docs/plugin-check.md` for every rule.
//!
//! Map of the crate:
//! - [`check`]: the whole check of one library, as a [`Report`].
//! - `config`: the `--config` TOML file, converted as the server converts
//!   `[scorer.config]`.
//! - [`leads`]: the built-in edge-case leads.
//! - `load`: the server's loader, and a copy of the descriptor's fields.
//! - `run`: calling the plugin (create, score in every way, destroy).
//! - `compare`: whether two outputs are identical, and how they differ.
//! - `names`: what well-formed names, versions, codes and field paths are.
//! - [`rules`]: the rules, one module per stage.
//! - [`report`]: results, text and JSON rendering.
//! - `error`: usage errors (exit status 2).
//!
//! Limits: the plugin runs inside the checker's process, as it does inside
//! the server's. A panic in a Rust plugin built with the SDK is caught and
//! reported as a failure, but a plugin that aborts (`abort()`, a Rust panic
//! crossing `extern "C"` without the SDK, an uncaught C++ exception), crashes
//! or never returns ends or hangs the checker, as it would the server: that
//! is itself the verdict. A plugin that writes to stdout mixes its output
//! into the report (and breaks `--json`), which the header forbids anyway.

pub mod config;
mod error;
pub mod leads;
pub mod report;
pub mod rules;

mod compare;
mod load;
mod names;
mod run;

use std::path::Path;

use hql_plugin_api::abi::hql_scorer_descriptor_t;
use hql_qualifier::PluginLoadError;
use hql_qualifier::plugin::PluginSpec;

pub use config::PluginConfig;
pub use error::UsageError;
pub use report::{Report, RuleResult, Status};
pub use rules::Rule;

use crate::leads::EdgeLead;
use crate::load::Loaded;
use crate::report::{PluginInfo, Timing};
use crate::rules::{behaviour, descriptor, lifecycle, loading, output, skip_all};
use crate::run::Settings;

/// Rules that need a loaded library: the tail of [`Rule::ALL`], from
/// creating an instance on (the report order puts them last).
const RUN_RULES: &[Rule] = Rule::ALL.split_at(Rule::FIRST_RUN_RULE).1;
/// Checks the plugin library at `library`, created with `config`, against
/// every rule. Usage errors (no such file, a directory) are returned as
/// errors; everything the plugin gets wrong is in the report.
pub fn check(library: &Path, config: &PluginConfig) -> Result<Report, UsageError> {
    if !library.exists() {
        return Err(UsageError::NoSuchLibrary(library.to_path_buf()));
    }
    if library.is_dir() {
        return Err(UsageError::LibraryIsDirectory(library.to_path_buf()));
    }
    Ok(check_with(library, config, &leads::edge_cases(), Settings::default()))
}

fn check_with(library: &Path, config: &PluginConfig, leads: &[EdgeLead], settings: Settings) -> Report {
    let loaded = load::load(library);
    let mut rules = loading::evaluate(&loaded);
    let refusal = match &loaded.outcome {
        Err(PluginLoadError::BadDescriptor { message, .. }) => Some(message.as_str()),
        _ => None,
    };
    rules.extend(descriptor::evaluate(loaded.raw.as_ref(), refusal));
    let plugin = plugin_info(&loaded);
    let mut timing = None;
    match &loaded.outcome {
        Ok(lib) => {
            // SAFETY: the descriptor passed every check of the server's loader.
            let (results, t) = unsafe { exercise(lib.descriptor, &lib.spec, config, leads, settings) };
            rules.extend(results);
            timing = t;
        }
        Err(_) => rules.extend(skip_all(RUN_RULES, "not run: the server would not load this library")),
    }
    Report::new(
        library.to_path_buf(),
        config.source.clone(),
        config.json.clone(),
        plugin,
        rules,
        timing,
        leads.len(),
    )
}

/// Creates, scores and destroys through `descriptor`, and judges it.
///
/// # Safety
/// `descriptor` must have passed the server loader's checks.
unsafe fn exercise(
    descriptor: &'static hql_scorer_descriptor_t,
    spec: &PluginSpec,
    config: &PluginConfig,
    leads: &[EdgeLead],
    settings: Settings,
) -> (Vec<RuleResult>, Option<Timing>) {
    // SAFETY: guaranteed by the caller.
    let observed = unsafe { run::run(descriptor, &config.json, leads, settings) };
    let mut results = vec![lifecycle::evaluate(&observed, config)];
    if results[0].status == Status::Fail {
        results.extend(skip_all(&RUN_RULES[1..], "not run: the plugin could not be created"));
        return (results, None);
    }
    results.extend(output::evaluate(spec, leads, &observed));
    let (behaviour, timing) = behaviour::evaluate(leads, &observed);
    results.extend(behaviour);
    (results, timing)
}

/// What the plugin says about itself, from whatever could be read.
fn plugin_info(loaded: &Loaded) -> Option<PluginInfo> {
    match &loaded.outcome {
        Ok(lib) => Some(PluginInfo {
            name: lib.spec.name.clone(),
            version: lib.spec.version.clone(),
            abi: format!("{}.{}", lib.spec.abi_major, lib.spec.abi_minor),
            dimension: lib.spec.dimension.clone(),
            sha256: lib.sha256.clone(),
        }),
        Err(PluginLoadError::DescriptorTooSmall { plugin, .. }) if loaded.raw.is_none() => Some(PluginInfo {
            name: plugin.clone(),
            abi: format!("{}.x", hql_plugin_api::abi::HQL_ABI_MAJOR),
            ..PluginInfo::default()
        }),
        Err(PluginLoadError::AbiMismatch { plugin, plugin_version, plugin_major, plugin_minor, .. }) => {
            Some(PluginInfo {
                name: plugin.clone(),
                version: plugin_version.clone(),
                abi: format!("{plugin_major}.{plugin_minor}"),
                ..PluginInfo::default()
            })
        }
        Err(_) => loaded.raw.as_ref().map(|raw| PluginInfo {
            name: raw.display_name(),
            version: raw.version.as_ref().and_then(|v| v.text().ok()).unwrap_or("").to_string(),
            abi: format!("{}.{}", raw.abi_major, raw.abi_minor),
            dimension: raw.body.as_ref().and_then(|b| b.dimension.text().ok()).unwrap_or("").to_string(),
            sha256: String::new(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hql_plugin_api::FactKind;
    use hql_plugin_api::record::LeadRecord;

    fn panicking_spec() -> PluginSpec {
        PluginSpec {
            name: "panicking".into(),
            version: "0.1.0".into(),
            dimension: "engagement".into(),
            description: String::new(),
            abi_major: 1,
            abi_minor: 0,
            facts: vec![("calls_ok".into(), FactKind::Number)],
            disqualifiers: Vec::new(),
        }
    }

    fn exercise_panicking(config: &str, leads: &[EdgeLead]) -> Vec<RuleResult> {
        let config = PluginConfig { source: None, json: config.into() };
        let settings = Settings { rounds: 2, threads: 2, thread_rounds: 1 };
        // SAFETY: a complete descriptor generated by export_scorer!, linked in.
        let descriptor = unsafe { &*hql_test_panicking::hql_scorer_descriptor() };
        // SAFETY: as above.
        unsafe { exercise(descriptor, &panicking_spec(), &config, leads, settings) }.0
    }

    fn status(results: &[RuleResult], rule: Rule) -> Status {
        results.iter().find(|r| r.rule == rule).map(|r| r.status).expect("rule reported")
    }

    #[test]
    fn a_panic_inside_the_plugin_is_a_failure_not_a_crash() {
        let mut leads = leads::edge_cases();
        leads.push(EdgeLead {
            name: "panic-trigger",
            probes: "a lead id the fixture panics on",
            record: LeadRecord { lead_id: "panic-now".into(), ..LeadRecord::default() },
            as_of_ms: leads::AS_OF_MS,
        });
        let results = exercise_panicking("{}", &leads);
        let no_errors = results.iter().find(|r| r.rule == Rule::NoErrors).expect("reported");
        assert_eq!(no_errors.status, Status::Fail);
        assert!(no_errors.problems[0].contains("`panic-trigger`"), "{:?}", no_errors.problems);
        assert!(no_errors.problems[0].contains("panicked: panicking fixture"), "{:?}", no_errors.problems);
        // The panic is the only thing wrong: everything else still passes.
        assert_eq!(status(&results, Rule::Determinism), Status::Pass);
        assert_eq!(status(&results, Rule::ThreadSafety), Status::Pass);
        assert_eq!(status(&results, Rule::Range), Status::Pass);
    }

    #[test]
    fn the_built_in_leads_pass_a_well_behaved_plugin() {
        let results = exercise_panicking("{}", &leads::edge_cases());
        let failed: Vec<_> = results.iter().filter(|r| r.status == Status::Fail).collect();
        assert!(failed.is_empty(), "{failed:#?}");
        assert_eq!(status(&results, Rule::FutureHidden), Status::Pass);
    }

    #[test]
    fn the_run_rules_are_the_tail_of_all_rules_from_create_on() {
        assert_eq!(RUN_RULES.first(), Some(&Rule::CreateDestroy));
        assert_eq!(RUN_RULES.last(), Rule::ALL.last());
        assert_eq!(RUN_RULES.len(), 13);
    }

    #[test]
    fn a_refused_config_skips_everything_after_create() {
        let results = exercise_panicking(r#"{"refuse": true}"#, &leads::edge_cases());
        assert_eq!(results[0].status, Status::Fail);
        assert!(results[0].problems[0].contains("told to refuse"), "{:?}", results[0].problems);
        assert!(results[1..].iter().all(|r| r.status == Status::Skip));
        assert_eq!(results.len(), RUN_RULES.len());
    }

    #[test]
    fn every_rule_is_reported_once_in_order_even_for_a_missing_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let not_a_library = dir.path().join("libnot.so");
        std::fs::write(&not_a_library, b"not an ELF file").expect("write");
        let report =
            check(&not_a_library, &PluginConfig::empty()).expect("a usage error only for missing files");
        let order: Vec<Rule> = report.rules.iter().map(|r| r.rule).collect();
        assert_eq!(order, Rule::ALL.to_vec());
        assert_eq!(report.broken, 1);
        assert_eq!(report.result(Rule::Open).map(|r| r.status), Some(Status::Fail));

        assert!(matches!(
            check(&dir.path().join("nope.so"), &PluginConfig::empty()),
            Err(UsageError::NoSuchLibrary(_))
        ));
        assert!(matches!(check(dir.path(), &PluginConfig::empty()), Err(UsageError::LibraryIsDirectory(_))));
    }
}
