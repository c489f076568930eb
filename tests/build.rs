//! Builds the C fixtures of the integration tests.
//!
//! Two kinds of C code live in `fixtures/c/`:
//! - plugins (`example_scorer.c` and the deliberately broken ones) compiled
//!   into shared libraries in `OUT_DIR`, exactly as a plugin author would
//!   build them: one `cc -shared` against `hql_scorer.h` and nothing else.
//!   Their directory reaches the tests as `HQL_C_FIXTURES_DIR`.
//! - `layout_probe.c`, compiled as a static library linked into this crate,
//!   which reports the C layout of every ABI type to `tests/abi_layout.rs`.
//!
//! The compiler is found by the `cc` crate (honouring `CC`, `CFLAGS` and the
//! target), so this works wherever the workspace builds. Warnings are errors:
//! the fixtures are meant to show the header is clean C11.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Shared-library fixtures: (C source, library stem). The library file is
/// `lib<stem>.so` (the platform's naming) in `OUT_DIR`.
const SHARED_FIXTURES: &[(&str, &str)] = &[
    ("example_scorer.c", "hql_c_example"),
    ("wrong_major.c", "hql_c_wrong_major"),
    ("no_entry.c", "hql_c_no_entry"),
    ("small_descriptor.c", "hql_c_small_descriptor"),
    ("bad_magic.c", "hql_c_bad_magic"),
];

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let fixtures = manifest_dir.join("fixtures").join("c");
    let include = manifest_dir.join("..").join("plugin-api").join("include");
    let header = include.join("hql_scorer.h");

    println!("cargo:rerun-if-changed={}", header.display());
    // The directory itself catches added files; each file catches edits.
    println!("cargo:rerun-if-changed={}", fixtures.display());
    for entry in std::fs::read_dir(&fixtures).expect("read fixtures/c") {
        let path = entry.expect("read fixtures/c entry").path();
        println!("cargo:rerun-if-changed={}", path.display());
    }

    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let (prefix, suffix) = match target_os.as_str() {
        "macos" | "ios" => ("lib", "dylib"),
        "windows" => ("", "dll"),
        _ => ("lib", "so"),
    };
    for (source, stem) in SHARED_FIXTURES {
        let output = out_dir.join(format!("{prefix}{stem}.{suffix}"));
        compile_shared(&fixtures.join(source), &include, &output);
    }

    cc::Build::new()
        .file(fixtures.join("layout_probe.c"))
        .include(&include)
        .std("c11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .compile("hql_layout_probe");

    println!("cargo:rustc-env=HQL_C_FIXTURES_DIR={}", out_dir.display());
    // Lets the support library build the workspace for the same target triple
    // the tests were built for (see `ensure_built`).
    println!("cargo:rustc-env=HQL_TESTS_TARGET={}", env::var("TARGET").expect("TARGET"));
}

/// Compiles one C plugin into a shared library, as a plugin author would.
fn compile_shared(source: &Path, include: &Path, output: &Path) {
    let compiler = cc::Build::new().cargo_metadata(false).get_compiler();
    let mut command: Command = compiler.to_command();
    command
        .args(["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-std=c11"])
        .arg(format!("-I{}", include.display()))
        .arg("-o")
        .arg(output)
        .arg(source);
    let result =
        command.output().unwrap_or_else(|e| panic!("could not run the C compiler ({command:?}): {e}"));
    if !result.status.success() {
        panic!(
            "compiling {} failed ({}):\n{command:?}\n{}{}",
            source.display(),
            result.status,
            String::from_utf8_lossy(&result.stdout),
            String::from_utf8_lossy(&result.stderr),
        );
    }
}
