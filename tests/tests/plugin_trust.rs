//! `hqld` loads only libraries it can trust, and says why when it will not.
//!
//! Loading a library runs its code inside the server, so before a library is
//! opened: its bytes must match the policy's `sha256` pin when there is one;
//! neither the library nor the plugin directory may be writable by group or
//! others (whoever can write them chooses the code `hqld` runs); and the
//! library must resolve inside the plugin directory (a symlink may not lead
//! out of it). Each refusal stops the server with exit code 2 and a message
//! naming the file and what to do; a pinned library with the right hash is
//! served as usual.
//!
//! `PluginDir` copies libraries as 0755 into a 0700 directory, which is what
//! the trusted cases rely on; each refusal below changes exactly one thing.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use hql_tests::{
    AS_OF_MS, BUNDLED_PLUGINS, C_EXAMPLE, Hqld, PluginDir, c_fixture, default_policy, hql_lead, pb,
    plugin_path, run_hqld_to_exit, serve_args, write_policy,
};
use sha2::{Digest, Sha256};

/// A one-scorer policy: the bundled `bant`, with `extra` (e.g. a `sha256`
/// line) added to its `[[scorer]]` table.
fn bant_policy(extra: &str) -> String {
    format!(
        r#"[policy]
name = "trust"
version = "1"

[[scorer]]
id = "bant"
library = "hql_bant"
weight = 1
{extra}

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

fn sha256_of(path: &Path) -> String {
    hex::encode(Sha256::digest(fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))))
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|e| panic!("canonicalize {}: {e}", path.display()))
}

/// Runs `hqld` with policy text `toml` over `plugins` until it exits,
/// expecting a refusal; returns stderr and the policy's path.
fn refusal(plugins: &PluginDir, toml: &str) -> (String, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = write_policy(dir.path(), toml);
    let (status, stdout, stderr) =
        run_hqld_to_exit(serve_args(&policy, plugins.path()), Duration::from_secs(60));
    assert_refused(status, &stdout, &stderr);
    (stderr, policy, dir)
}

fn assert_refused(status: ExitStatus, stdout: &str, stderr: &str) {
    assert_eq!(status.code(), Some(2), "expected exit code 2, got {status}\n{stderr}");
    assert!(!stdout.contains("listening"), "a refused server must not announce itself: {stdout}");
}

fn assert_says(stderr: &str, expected: &str) {
    assert!(stderr.contains(expected), "no {expected:?} in:\n{stderr}");
}

#[tokio::test]
async fn the_default_policy_with_every_library_pinned_to_its_hash_is_served() {
    let plugins = PluginDir::bundled();
    let mut text = fs::read_to_string(default_policy()).expect("read the default policy");
    for name in BUNDLED_PLUGINS {
        let line = format!("library = \"{name}\"\n");
        let digest = sha256_of(&plugins.path().join(libloading::library_filename(name)));
        assert!(text.contains(&line), "the default policy loads {name}");
        text = text.replace(&line, &format!("{line}sha256 = \"{digest}\"  # pinned\n"));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = write_policy(dir.path(), &text);
    let server = Hqld::serve(&policy, plugins.path());

    let listed = server.client().await.list_scorers(pb::ListScorersRequest {}).await.expect("list");
    let listed = listed.into_inner();
    assert_eq!(listed.scorers.len(), BUNDLED_PLUGINS.len());
    for scorer in &listed.scorers {
        let pinned = sha256_of(&plugins.path().join(&scorer.library));
        assert_eq!(scorer.library_sha256, pinned, "{} serves the pinned bytes", scorer.name);
    }
    let decision = server.qualify(hql_lead("pinned-1", AS_OF_MS).qualify_request(AS_OF_MS)).await;
    assert_eq!(decision.stage(), pb::Stage::Hql);
    assert!(!decision.degraded);
}

#[test]
fn a_library_whose_hash_differs_from_the_pin_stops_hqld_naming_the_file_and_both_hashes() {
    let plugins = PluginDir::with([plugin_path("hql_bant")]);
    let library = canonical(&plugins.path().join(libloading::library_filename("hql_bant")));
    let actual = sha256_of(&library);
    // The pin of another build: the C example's bytes.
    let pinned = sha256_of(&c_fixture(C_EXAMPLE));
    assert_ne!(pinned, actual);

    let (stderr, _, _dir) = refusal(&plugins, &bant_policy(&format!("sha256 = \"{pinned}\"")));
    assert_says(
        &stderr,
        &format!(
            "hqld: plugin library {} (scorer `bant`): sha256 mismatch: the policy pins {pinned}, the file is \
             {actual}: deploy the library the pin names, or update the scorer's `sha256` in the policy if \
             this file is the build you mean to run",
            library.display()
        ),
    );
}

#[test]
fn a_malformed_pin_is_a_policy_error_naming_the_key_and_line() {
    let plugins = PluginDir::with([plugin_path("hql_bant")]);
    let text = bant_policy("sha256 = \"d41d8cd98f00b204e9800998ecf8427e\"");
    let (stderr, policy, _dir) = refusal(&plugins, &text);
    let line = text.lines().position(|l| l.starts_with("sha256 = ")).expect("the pin's line") + 1;
    assert_says(
        &stderr,
        &format!(
            "hqld: policy {}:{line}:1: scorer[0].sha256: `d41d8cd98f00b204e9800998ecf8427e` is not a sha256 \
             digest: give the 64 hexadecimal digits `sha256sum libhql_bant.so` prints",
            policy.display()
        ),
    );
}

#[test]
fn a_world_writable_library_stops_hqld_naming_the_file_its_mode_and_the_fix() {
    let plugins = PluginDir::with([plugin_path("hql_bant")]);
    let library = canonical(&plugins.path().join(libloading::library_filename("hql_bant")));
    chmod(&library, 0o757);
    let (stderr, _, _dir) = refusal(&plugins, &bant_policy(""));
    let path = library.display();
    assert_says(
        &stderr,
        &format!(
            "hqld: plugin library {path} (scorer `bant`): writable by others (mode 0757): whoever can write \
             it chooses the code hqld runs; run `chmod go-w {path}`"
        ),
    );
}

#[test]
fn a_group_writable_library_stops_hqld_even_with_the_right_pin() {
    let plugins = PluginDir::with([plugin_path("hql_bant")]);
    let library = canonical(&plugins.path().join(libloading::library_filename("hql_bant")));
    let pin = sha256_of(&library);
    chmod(&library, 0o775);
    let (stderr, _, _dir) = refusal(&plugins, &bant_policy(&format!("sha256 = \"{pin}\"")));
    assert_says(
        &stderr,
        &format!("plugin library {} (scorer `bant`): writable by group (mode 0775)", library.display()),
    );
}

#[test]
fn a_group_writable_plugin_dir_stops_hqld_naming_the_directory_its_mode_and_the_fix() {
    let plugins = PluginDir::with([plugin_path("hql_bant")]);
    chmod(plugins.path(), 0o770);
    let (stderr, _, _dir) = refusal(&plugins, &bant_policy(""));
    chmod(plugins.path(), 0o700);
    let dir = canonical(plugins.path());
    let dir = dir.display();
    assert_says(
        &stderr,
        &format!(
            "hqld: plugin directory {dir} (scorer `bant`): writable by group (mode 0770): whoever can write \
             it can replace a library with their own code; run `chmod go-w {dir}`"
        ),
    );
}

#[test]
fn a_symlink_escaping_the_plugin_dir_stops_hqld_naming_both_ends() {
    // `libhql_bant.so` in the plugin directory is a link to a library
    // elsewhere: a perfectly good plugin, but not one the operator put in
    // the directory hqld trusts.
    let plugins = PluginDir::new();
    let outside = plugin_path("hql_bant");
    let link = plugins.path().join(libloading::library_filename("hql_bant"));
    symlink(&outside, &link).expect("symlink");

    let (stderr, _, _dir) = refusal(&plugins, &bant_policy(""));
    assert_says(
        &stderr,
        &format!(
            "hqld: plugin library {} (scorer `bant`): resolves to {}, outside the plugin directory {}: put \
             the library itself in the directory (a symlink must stay inside it)",
            link.display(),
            canonical(&outside).display(),
            canonical(plugins.path()).display()
        ),
    );
}

#[tokio::test]
async fn a_symlink_within_the_plugin_dir_is_served() {
    // The usual versioned deployment: libhql_bant.so -> libhql_bant-1.2.0.so.
    let plugins = PluginDir::new();
    let versioned = plugins.add_as(plugin_path("hql_bant"), "libhql_bant-1.2.0.so");
    symlink("libhql_bant-1.2.0.so", plugins.path().join(libloading::library_filename("hql_bant")))
        .expect("symlink");
    let dir = tempfile::tempdir().expect("tempdir");
    let pin = sha256_of(&versioned);
    let policy = write_policy(dir.path(), &bant_policy(&format!("sha256 = \"{pin}\"")));
    let server = Hqld::serve(&policy, plugins.path());
    let listed = server.client().await.list_scorers(pb::ListScorersRequest {}).await.expect("list");
    let listed = listed.into_inner();
    assert_eq!(listed.scorers.len(), 1);
    assert_eq!(listed.scorers[0].library_sha256, pin);
}
