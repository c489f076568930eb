//! The real `hql-plugin` binary on real plugin libraries: every bundled
//! scorer and the C example are ready; each broken C fixture fails exactly
//! the rule it breaks; a refused config fails with the plugin's own words;
//! usage errors exit 2.
//!
//! Libraries come from `hql-tests`: [`plugin_path`] builds the workspace's
//! `cdylib`s into this test's target directory on first use, and
//! [`c_fixture`] gives the C fixtures its build script compiled.

use std::path::Path;
use std::process::{Command, Output};

use hql_tests::{
    BUNDLED_PLUGINS, C_BAD_MAGIC, C_EXAMPLE, C_NO_ENTRY, C_SMALL_DESCRIPTOR, C_WRONG_MAJOR, PANICKING_PLUGIN,
    c_fixture, plugin_path,
};

/// The template authors copy (`plugins/template-rust`): it must pass too.
const TEMPLATE_PLUGIN: &str = "hql_partner_referral";

fn hql_plugin(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hql-plugin")).args(args).output().expect("run hql-plugin")
}

fn check(library: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec!["check".as_ref(), library.as_os_str()];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    hql_plugin(&args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn last_line(output: &Output) -> String {
    stdout(output).lines().last().unwrap_or_default().to_string()
}

/// The status word of `rule`'s line (`PASS`, `FAIL`, ...).
fn status_of(output: &Output, rule: &str) -> String {
    stdout(output)
        .lines()
        .find(|line| line.split_whitespace().nth(1) == Some(rule))
        .and_then(|line| line.split_whitespace().next())
        .unwrap_or_else(|| panic!("no line for rule {rule} in:\n{}", stdout(output)))
        .to_string()
}

fn failing_rules(output: &Output) -> Vec<String> {
    stdout(output)
        .lines()
        .filter(|line| line.starts_with("FAIL"))
        .filter_map(|line| line.split_whitespace().nth(1).map(str::to_string))
        .collect()
}

fn assert_ready(library: &Path) {
    let output = check(library, &[]);
    let text = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}:\n{text}{}",
        library.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(last_line(&output), "ready", "{text}");
    assert!(failing_rules(&output).is_empty(), "{text}");
    for rule in ["score.no_errors", "behaviour.determinism", "behaviour.thread_safety", "score.future_hidden"]
    {
        assert_eq!(status_of(&output, rule), "PASS", "{rule} in\n{text}");
    }
}

#[test]
fn every_bundled_plugin_is_ready() {
    for name in BUNDLED_PLUGINS {
        assert_ready(&plugin_path(name));
    }
}

#[test]
fn the_plugin_template_is_ready() {
    assert_ready(&plugin_path(TEMPLATE_PLUGIN));
}

#[test]
fn the_c_example_is_ready() {
    assert_ready(&c_fixture(C_EXAMPLE));
}

#[test]
fn each_broken_fixture_fails_exactly_the_rule_it_breaks() {
    let cases = [
        (C_WRONG_MAJOR, "abi.major"),
        (C_NO_ENTRY, "entry.symbol"),
        (C_BAD_MAGIC, "descriptor.magic"),
        (C_SMALL_DESCRIPTOR, "descriptor.size"),
    ];
    for (fixture, rule) in cases {
        let output = check(&c_fixture(fixture), &[]);
        let text = stdout(&output);
        assert_eq!(output.status.code(), Some(1), "{fixture}:\n{text}");
        assert_eq!(failing_rules(&output), vec![rule.to_string()], "{fixture}:\n{text}");
        assert_eq!(last_line(&output), "not ready: 1 rule(s) broken", "{fixture}:\n{text}");
        assert!(text.contains("      fix: "), "{fixture}: a failure says how to fix it:\n{text}");
        // Nothing after a load failure is run, and nothing is claimed to pass.
        assert_eq!(status_of(&output, "score.no_errors"), "SKIP", "{fixture}:\n{text}");
    }
}

#[test]
fn a_wrong_major_names_the_plugin_and_both_versions() {
    let output = check(&c_fixture(C_WRONG_MAJOR), &[]);
    let text = stdout(&output);
    let line = text.lines().find(|l| l.starts_with("FAIL")).expect("a FAIL line");
    assert!(line.contains("plugin `wrong_major` 9.0.0"), "{line}");
    // Built for the next major at this minor; the checker speaks this version.
    use hql_plugin_api::abi::{HQL_ABI_MAJOR as MAJOR, HQL_ABI_MINOR as MINOR};
    let (built, speaks) = (format!("ABI {}.{MINOR}", MAJOR + 1), format!("speaks {MAJOR}.{MINOR}"));
    assert!(line.contains(&built) && line.contains(&speaks), "{line}");
    assert!(
        text.contains("hqld would refuse it: plugin library"),
        "the server's own message is shown:\n{text}"
    );
    assert_eq!(status_of(&output, "abi.minor"), "SKIP");
}

#[test]
fn the_panicking_fixture_is_ready_on_the_built_in_leads() {
    // It panics only for lead ids starting with "panic"; the built-in leads
    // are not tailored to any plugin, so none does (the panic path itself is
    // covered by the crate's unit tests, which link the fixture in).
    assert_ready(&plugin_path(PANICKING_PLUGIN));
}

#[test]
fn a_refused_config_fails_create_with_the_plugins_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("refuse.toml");
    std::fs::write(&config, "refuse = true\n").expect("write config");
    let output = check(&plugin_path(PANICKING_PLUGIN), &["--config", config.to_str().expect("utf-8 path")]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_eq!(failing_rules(&output), vec!["config.create_destroy"], "{text}");
    assert!(text.contains("`refuse`: the panicking fixture was told to refuse its config"), "{text}");
    assert_eq!(status_of(&output, "score.no_errors"), "SKIP", "{text}");
    assert_eq!(last_line(&output), "not ready: 1 rule(s) broken");
}

#[test]
fn the_config_reaches_the_plugin_as_the_server_passes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("bant.toml");
    std::fs::write(&good, "typical_deal_size = 1000\n[budget]\nmax_points = 30\n").expect("write config");
    let output = check(&plugin_path("hql_bant"), &["--config", good.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).contains(r#"{"budget":{"max_points":30},"typical_deal_size":1000}"#),
        "{}",
        stdout(&output)
    );

    let typo = dir.path().join("typo.toml");
    std::fs::write(&typo, "typical_deal_sise = 1000\n").expect("write config");
    let output = check(&plugin_path("hql_bant"), &["--config", typo.to_str().expect("utf-8 path")]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_eq!(failing_rules(&output), vec!["config.create_destroy"], "{text}");
    assert!(text.contains("typical_deal_sise"), "the plugin names the key:\n{text}");
}

#[test]
fn json_output_carries_every_rule_and_the_verdict() {
    let output = check(&plugin_path("hql_bant"), &["--json"]);
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    assert_eq!(json["ready"], true);
    assert_eq!(json["plugin"]["name"], "bant");
    assert_eq!(json["rules"].as_array().map(Vec::len), Some(23));
    assert!(json["timing"]["median_us"].as_f64().is_some());

    let output = check(&c_fixture(C_WRONG_MAJOR), &["--json"]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is one JSON document");
    assert_eq!((json["ready"].clone(), json["broken"].clone()), (false.into(), 1.into()));
    let major = json["rules"].as_array().and_then(|rules| rules.iter().find(|r| r["rule"] == "abi.major"));
    assert_eq!(major.map(|r| r["status"].clone()), Some("fail".into()));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("libmissing.so");
    let output = check(&missing, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no such file"), "{output:?}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "refuse = \n").expect("write config");
    let output = check(&c_fixture(C_EXAMPLE), &["--config", bad.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not valid TOML"), "{output:?}");

    assert_eq!(hql_plugin(&["check".as_ref()]).status.code(), Some(2), "missing library argument");
    assert_eq!(hql_plugin(&["frobnicate".as_ref()]).status.code(), Some(2), "unknown subcommand");
}
