//! Shared pieces of HQL's benchmarks: a deterministic generator of realistic
//! leads, and locating the built plugin libraries.

pub mod leads;

use std::path::PathBuf;

/// The directory holding this build's artifacts (`target/<profile>`), where
/// the plugin shared libraries are, derived from the running executable:
/// `target/<profile>/deps/<bench>` for benchmarks and tests,
/// `target/<profile>/<bin>` for the tools.
pub fn artifact_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe.parent().map(PathBuf::from).unwrap_or_default();
    if dir.file_name().is_some_and(|name| name == "deps") {
        dir.parent().map(PathBuf::from).unwrap_or(dir)
    } else {
        dir
    }
}

/// Builds every workspace library (the plugin `.so` files) with the profile
/// of the running benchmark, so `cargo bench` alone is enough.
pub fn build_plugins() -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cmd = std::process::Command::new(cargo);
    cmd.current_dir(root).args(["build", "--workspace", "--lib"]);
    let release = artifact_dir().file_name().is_some_and(|n| n == "release");
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("cargo build failed: {status}")) }
}

/// The default policy shipped with the repository.
pub fn default_policy() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../policies/default.toml")
}
