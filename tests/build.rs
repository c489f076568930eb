//! Builds the C code of the integration tests.
//!
//! - Plugins, compiled into shared libraries in `OUT_DIR` exactly as a plugin
//!   author would build them: one `cc -shared` against `hql_scorer.h` and
//!   nothing else. Their directory reaches the tests as `HQL_C_FIXTURES_DIR`.
//!   - `plugins/example-c/example_scorer.c`: the example scorer in plain C
//!     that ships for C authors to copy (not a cargo package).
//!   - `fixtures/c/`: plugins broken in exactly one way each
//!     (`inert_scorer.h`), and plugins declaring other ABI minors
//!     (`abi_minor.h`).
//! - `fixtures/c/layout_probe.c`, compiled as a static library linked into
//!   this crate, which reports the C layout of every ABI type to
//!   `tests/abi_layout.rs`.
//!
//! The compiler is found by the `cc` crate (honouring `CC`, `CFLAGS` and the
//! target), so this works wherever the workspace builds. Warnings are errors:
//! the plugins are meant to show the header is clean C11.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Shared libraries: (C source relative to the workspace root, library
/// stem). The library file is `lib<stem>.so` (the platform's naming) in
/// `OUT_DIR`.
const SHARED_LIBRARIES: &[(&str, &str)] = &[
    ("plugins/example-c/example_scorer.c", "hql_c_example"),
    ("tests/fixtures/c/wrong_major.c", "hql_c_wrong_major"),
    ("tests/fixtures/c/no_entry.c", "hql_c_no_entry"),
    ("tests/fixtures/c/small_descriptor.c", "hql_c_small_descriptor"),
    ("tests/fixtures/c/bad_magic.c", "hql_c_bad_magic"),
    ("tests/fixtures/c/abi_1_0.c", "hql_c_abi_1_0"),
    ("tests/fixtures/c/larger_descriptor.c", "hql_c_larger_descriptor"),
    ("tests/fixtures/c/newer_minor.c", "hql_c_newer_minor"),
];

/// Directories whose files the libraries are built from (sources and the
/// headers they share), relative to the workspace root.
const SOURCE_DIRS: &[&str] = &["plugins/example-c", "tests/fixtures/c"];

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir.parent().expect("the tests crate lives inside the workspace").to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let include = workspace.join("plugin-api").join("include");
    let header = include.join("hql_scorer.h");

    println!("cargo:rerun-if-changed={}", header.display());
    for dir in SOURCE_DIRS {
        // The directory itself catches added files; each file catches edits.
        let dir = workspace.join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
            let path = entry.unwrap_or_else(|e| panic!("read an entry of {}: {e}", dir.display())).path();
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }

    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let (prefix, suffix) = match target_os.as_str() {
        "macos" | "ios" => ("lib", "dylib"),
        "windows" => ("", "dll"),
        _ => ("lib", "so"),
    };
    for (source, stem) in SHARED_LIBRARIES {
        let output = out_dir.join(format!("{prefix}{stem}.{suffix}"));
        compile_shared(&workspace.join(source), &include, &output);
    }

    cc::Build::new()
        .file(workspace.join("tests").join("fixtures").join("c").join("layout_probe.c"))
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
