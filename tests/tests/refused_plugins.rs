//! `hqld` refuses to start when a scorer library the policy names is not a
//! usable HQL plugin: built for another ABI major or a newer ABI minor,
//! without the entry symbol, with a bad magic number, with a descriptor
//! smaller than ABI 1.0, or simply missing from the plugin directory (the
//! trust checks, which refuse even a good plugin, are in
//! `tests/plugin_trust.rs`). It exits with code 2, prints
//! `hqld: <error>` naming the library file (and, for an ABI mismatch, both
//! ABI versions), and never announces a listening address.
//!
//! Serving with one scorer silently missing would change every decision
//! without anyone noticing, so a bad plugin must stop the deployment. Each
//! C fixture is broken in exactly one respect (`tests/c_plugin_loads.rs`
//! checks that), so each refusal below is attributable to one check of the
//! host; the working bundled `bant` sits next to it to show one bad library
//! is enough.

use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

use hql_plugin_api::abi::{HQL_ABI_MAJOR, HQL_ABI_MINOR};
use hql_tests::{
    C_BAD_MAGIC, C_NEWER_MINOR, C_NO_ENTRY, C_SMALL_DESCRIPTOR, C_WRONG_MAJOR, PluginDir, c_fixture,
    plugin_path, run_hqld_to_exit, serve_args, write_policy,
};

/// A policy with the bundled `bant` and a scorer `crm` backed by `library`.
fn policy_naming(library: &str) -> String {
    format!(
        r#"[policy]
name = "refusals"
version = "1"

[[scorer]]
id = "bant"
library = "hql_bant"
weight = 1

[[scorer]]
id = "crm"
library = "{library}"
weight = 1

[[stage]]
stage = "MQL"
[[stage.gate]]
name = "some_bant"
subject = "bant.components_known"
op = ">="
value = 1
"#
    )
}

/// Runs `hqld` with `policy` over `plugins` until it exits; returns its
/// status, stdout and stderr.
fn run(policy: &Path, plugins: &PluginDir) -> (ExitStatus, String, String) {
    run_hqld_to_exit(serve_args(policy, plugins.path()), Duration::from_secs(60))
}

/// Serves a policy whose scorer `crm` is the C fixture `fixture`, expecting
/// a refusal; returns stderr after checking the refusal's shape.
fn refusal_of(fixture: &str) -> String {
    let plugins = PluginDir::with([plugin_path("hql_bant"), c_fixture(fixture)]);
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = write_policy(dir.path(), &policy_naming(fixture));
    let (status, stdout, stderr) = run(&policy, &plugins);
    assert_refused(status, &stdout, &stderr);
    let file_name = format!("lib{fixture}.so");
    assert!(stderr.contains(&file_name), "stderr does not name {file_name}:\n{stderr}");
    stderr
}

fn assert_refused(status: ExitStatus, stdout: &str, stderr: &str) {
    assert_eq!(status.code(), Some(2), "expected exit code 2, got {status}\n{stderr}");
    assert!(!stdout.contains("listening"), "a refused server must not announce itself: {stdout}");
    assert!(stderr.contains("hqld: plugin library "), "{stderr}");
}

#[test]
fn a_plugin_built_for_another_abi_major_is_refused_naming_both_versions() {
    let stderr = refusal_of(C_WRONG_MAJOR);
    let plugin_abi = format!("{}.{HQL_ABI_MINOR}", HQL_ABI_MAJOR + 1);
    let host_abi = format!("{HQL_ABI_MAJOR}.{HQL_ABI_MINOR}");
    let expected = format!("was built for scorer ABI {plugin_abi}, this host provides {host_abi}");
    assert!(stderr.contains(&expected), "no {expected:?} in:\n{stderr}");
    assert!(stderr.contains("plugin `wrong_major` 9.0.0"), "{stderr}");
    assert!(stderr.contains("upgrade hqld, or rebuild the plugin"), "{stderr}");
}

#[test]
fn a_plugin_built_for_a_newer_abi_minor_is_refused_naming_both_versions() {
    // It might call callbacks this host lacks; its larger descriptor does
    // not matter (`tests/abi_minor.rs` loads one of the host's own minor).
    let stderr = refusal_of(C_NEWER_MINOR);
    let expected = format!(
        "plugin `newer_minor` 1.0.0 was built for scorer ABI {HQL_ABI_MAJOR}.{}, this host provides \
         {HQL_ABI_MAJOR}.{HQL_ABI_MINOR}: upgrade hqld, or rebuild the plugin against this host's hql_scorer.h",
        HQL_ABI_MINOR + 1
    );
    assert!(stderr.contains(&expected), "no {expected:?} in:\n{stderr}");
}

#[test]
fn a_library_without_the_entry_symbol_is_refused_as_not_a_plugin() {
    let stderr = refusal_of(C_NO_ENTRY);
    assert!(stderr.contains("no `hql_scorer_entry` symbol: not an HQL scorer plugin"), "{stderr}");
}

#[test]
fn a_descriptor_with_a_bad_magic_is_refused() {
    let stderr = refusal_of(C_BAD_MAGIC);
    // The fixture's magic is the right one byte-swapped.
    let found = hql_plugin_api::abi::HQL_SCORER_MAGIC.swap_bytes();
    let expected = format!(
        "bad magic 0x{found:08x} (expected 0x{:08x}): not an HQL scorer descriptor",
        hql_plugin_api::abi::HQL_SCORER_MAGIC
    );
    assert!(stderr.contains(&expected), "no {expected:?} in:\n{stderr}");
}

#[test]
fn a_descriptor_smaller_than_abi_1_0_is_refused_naming_both_sizes() {
    let stderr = refusal_of(C_SMALL_DESCRIPTOR);
    let min = hql_plugin_api::abi::HQL_DESCRIPTOR_MIN_SIZE_V1;
    assert!(stderr.contains("plugin `small_descriptor` descriptor is "), "{stderr}");
    let expected = format!("bytes, ABI {HQL_ABI_MAJOR}.{HQL_ABI_MINOR} needs at least {min}");
    assert!(stderr.contains(&expected), "no {expected:?} in:\n{stderr}");
}

#[test]
fn a_library_missing_from_the_plugin_dir_is_refused_naming_the_file_and_the_scorer() {
    let plugins = PluginDir::with([plugin_path("hql_bant")]);
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = write_policy(dir.path(), &policy_naming("hql_crm_sync"));
    let (status, stdout, stderr) = run(&policy, &plugins);
    assert_refused(status, &stdout, &stderr);
    let expected = format!(
        "plugin library {} (scorer `crm`): file not found",
        plugins.path().join("libhql_crm_sync.so").display()
    );
    assert!(stderr.contains(&expected), "no {expected:?} in:\n{stderr}");
}
