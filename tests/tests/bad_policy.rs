//! `hqld` refuses a policy that is wrong, before serving anything: exit
//! code 2 and one line `hqld: policy <file>:<line>:<column>: <key path>:
//! <what is wrong>` on stderr, for unknown keys, out-of-range weights, gates
//! naming an unknown scorer or fact, stages out of order, undeclared
//! disqualifier codes, TOML syntax errors and an unreadable file.
//!
//! A policy is edited by revenue-operations people, not only engineers; a
//! typo must stop the deployment with a message that points at the line to
//! fix, not be served with a silent default. Every case below starts from
//! the shipped `policies/default.toml` with one realistic mistake, served
//! with the five bundled plugins (so the checks that need the loaded
//! scorers, like fact names, run too), and the expected line is computed
//! from the broken text itself.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use hql_tests::{PluginDir, default_policy, run_hqld_to_exit, serve_args, write_policy};

/// The default policy with `from` replaced by `to` (exactly once).
fn default_with(from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(default_policy()).expect("read the default policy");
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur exactly once in the default policy");
    text.replacen(from, to, 1)
}

/// 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle:?} in the policy")) + 1
}

/// Runs `hqld` with `policy` over the bundled plugins until it exits.
fn run(policy: &Path) -> (ExitStatus, String, String) {
    let plugins = PluginDir::bundled();
    run_hqld_to_exit(serve_args(policy, plugins.path()), Duration::from_secs(60))
}

/// Writes `text`, runs `hqld` on it, checks the refusal names the file, the
/// line and the key path, and returns the `hqld: ...` line.
fn refusal(text: &str, line: usize, key: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = write_policy(dir.path(), text);
    let (status, stdout, stderr) = run(&policy);
    assert_eq!(status.code(), Some(2), "expected exit code 2, got {status}\n{stderr}");
    assert!(!stdout.contains("listening"), "a refused policy must not be served: {stdout}");
    let message = stderr
        .lines()
        .find(|l| l.starts_with("hqld: "))
        .unwrap_or_else(|| panic!("no `hqld: ` line in:\n{stderr}"))
        .to_string();
    let located = format!("hqld: policy {}:{line}:", policy.display());
    assert!(message.starts_with(&located), "expected {located:?}..., got:\n{message}");
    let keyed = format!(": {key}: ");
    assert!(message.contains(&keyed), "no key path {key:?} in:\n{message}");
    message
}

#[test]
fn a_misspelt_key_is_refused_with_its_line_and_key_path() {
    let text = default_with("id = \"bant\"\n", "id = \"bant\"\nwieght = 0.3\n");
    let message = refusal(&text, line_of(&text, "wieght"), "scorer[1].wieght");
    assert!(message.contains("unknown field `wieght`"), "{message}");
}

#[test]
fn a_negative_weight_is_refused_naming_the_scorers_weight() {
    let text = default_with("weight = 0.20\n", "weight = -0.20\n");
    let message = refusal(&text, line_of(&text, "weight = -0.20"), "scorer[1].weight");
    assert!(
        message.contains("must be a number > 0 (weights are normalised to sum to 1), got -0.2"),
        "{message}"
    );
}

#[test]
fn a_gate_on_an_unknown_scorer_is_refused_listing_the_scorers() {
    // The MQL interest gate pointed at a CRM scorer nobody configured.
    let text = default_with(
        "subject = \"intent.score\"\nop = \">=\"\nvalue = 2\n",
        "subject = \"crm.score\"\nop = \">=\"\nvalue = 2\n",
    );
    let message = refusal(&text, line_of(&text, "crm.score"), "stage[0].gate[0].subject");
    assert!(
        message
            .contains("unknown scorer `crm`; scorers: icp_fit, bant, intent, trust_nurture, product_usage"),
        "{message}"
    );
}

#[test]
fn a_gate_on_an_undeclared_fact_is_refused_listing_the_scorers_facts() {
    let text = default_with("subject = \"bant.authority\"", "subject = \"bant.athority\"");
    let message = refusal(&text, line_of(&text, "bant.athority"), "stage[3].gate[3].subject");
    assert!(
        message.contains("scorer `bant` declares no fact `athority`; its facts: authority, "),
        "{message}"
    );
}

#[test]
fn stages_out_of_order_are_refused_naming_the_misplaced_stage() {
    // HQL listed first: everything after it is "lower".
    let text = default_with("stage = \"MQL\"", "stage = \"TMP\"")
        .replacen("stage = \"HQL\"", "stage = \"MQL\"", 1)
        .replacen("stage = \"TMP\"", "stage = \"HQL\"", 1);
    let message = refusal(&text, line_of(&text, "stage = \"SQL\""), "stage[1].stage");
    assert!(message.contains("stages must be listed lowest first"), "{message}");
    assert!(message.contains("SQL comes after HQL"), "{message}");
}

#[test]
fn a_disqualifier_code_no_scorer_declares_is_refused() {
    let text = default_with("\"icp.competitor\",", "\"icp.competitors\",");
    let message = refusal(&text, line_of(&text, "icp.competitors"), "disqualifiers.codes[0]");
    assert!(message.contains("no loaded scorer declares `icp.competitors`"), "{message}");
}

#[test]
fn a_toml_syntax_error_is_refused_with_its_line() {
    let text = default_with("version = \"1.0.0\"\n", "version = \"1.0.0\n");
    let line = line_of(&text, "version = \"1.0.0");
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = write_policy(dir.path(), &text);
    let (status, _stdout, stderr) = run(&policy);
    assert_eq!(status.code(), Some(2), "{stderr}");
    let located = format!("hqld: policy {}:{line}:", policy.display());
    assert!(stderr.contains(&located), "no {located:?} in:\n{stderr}");
}

#[test]
fn a_missing_policy_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing: PathBuf = dir.path().join("no-such-policy.toml");
    let (status, stdout, stderr) = run(&missing);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(!stdout.contains("listening"));
    let expected = format!("hqld: policy {}: cannot read the policy file", missing.display());
    assert!(stderr.contains(&expected), "no {expected:?} in:\n{stderr}");
}
