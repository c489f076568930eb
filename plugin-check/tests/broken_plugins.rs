//! The real `hql-plugin` binary on plugins broken after loading: C fixtures
//! of this crate (`tests/fixtures/`), compiled here against `hql_scorer.h` as
//! a plugin author would compile them.
//!
//! - `bad_descriptor.c` passes every load check but declares malformed names;
//!   the server's loader refuses it with one message, and the checker must
//!   name each malformed part.
//! - `misbehaving.c` loads and runs but breaks each output rule once; the
//!   checker must report every one of them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Compiles fixture `name` into a shared library in `dir`.
fn compile(name: &str, dir: &Path) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = manifest.join("tests").join("fixtures").join(format!("{name}.c"));
    let include = manifest.join("..").join("plugin-api").join("include");
    let library = dir.join(format!("libhql_check_{name}.so"));
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
    let output = Command::new(&cc)
        .args(["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-std=c11"])
        .arg(format!("-I{}", include.display()))
        .arg("-o")
        .arg(&library)
        .arg(&source)
        .output()
        .unwrap_or_else(|e| panic!("run the C compiler {cc:?}: {e}"));
    assert!(
        output.status.success(),
        "compiling {} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    library
}

fn check(library: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hql-plugin")).arg("check").arg(library).output().expect("run hql-plugin")
}

fn lines_with(output: &Output, status: &str) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.starts_with(status))
        .filter_map(|line| line.split_whitespace().nth(1).map(str::to_string))
        .collect()
}

#[test]
fn a_descriptor_the_loader_refuses_is_pinned_to_each_malformed_part() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = check(&compile("bad_descriptor", dir.path()));
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_eq!(
        lines_with(&output, "FAIL"),
        vec!["descriptor.identity", "descriptor.facts", "descriptor.disqualifiers"],
        "{text}"
    );
    for expected in [
        "name `Bad-Name` must be 1 to 64 characters",
        "version `1.0` is not a semantic version",
        "fact `score`: the name is reserved",
        "code `Spam` is not dotted snake_case",
        "not run: the server would not load this library",
    ] {
        assert!(text.contains(expected), "{expected} in\n{text}");
    }
    // Everything up to the descriptor's contents loads fine.
    for rule in ["library.open", "entry.symbol", "descriptor.magic", "abi.major", "descriptor.size"] {
        assert!(lines_with(&output, "PASS").contains(&rule.to_string()), "{rule} in\n{text}");
    }
    assert!(text.ends_with("not ready: 3 rule(s) broken\n"), "{text}");
}

#[test]
fn a_plugin_that_misbehaves_at_run_time_fails_each_rule_it_breaks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = check(&compile("misbehaving", dir.path()));
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    let failed = lines_with(&output, "FAIL");
    for rule in [
        "score.no_errors",
        "score.range",
        "score.reasons",
        "score.facts",
        "score.disqualifiers",
        "score.future_hidden",
        "behaviour.determinism",
        "behaviour.reason_limit",
        "behaviour.reason_bar",
    ] {
        assert!(failed.contains(&rule.to_string()), "{rule} should fail in\n{text}");
    }
    // What it declares is fine, and it can be created.
    for rule in ["descriptor.identity", "descriptor.facts", "config.create_destroy"] {
        assert!(lines_with(&output, "PASS").contains(&rule.to_string()), "{rule} in\n{text}");
    }
    for expected in [
        "`empty` (nothing but a lead id): failed: misbehaving: no events",
        "is outside 0..=100 (on lead `huge`)",
        "reason `misbehaving.events`: the message is empty",
        "fact `undeclared` is set but not declared",
        "disqualifier `misbehaving.undeclared` is not declared",
        "`future-events` with its 6 later event(s), then without them",
        "expected, then under reason_limit 2: reason ",
    ] {
        assert!(text.contains(expected), "{expected} in\n{text}");
    }
}
