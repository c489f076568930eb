//! Finding (and building) the binaries and libraries the tests run.
//!
//! Integration tests need artifacts cargo does not build for them: `hqld` is a
//! binary of another package and the plugins are `cdylib`s, none of which a
//! test target depends on. So the tests locate cargo's output directory from
//! their own executable (`<target-dir>/<profile>/deps/<test>`), which is right
//! for any `CARGO_TARGET_DIR`, `--target-dir`, `--target` and profile, and
//! [`ensure_built`] runs one `cargo build` of the workspace into that very
//! directory before the first test needs it.
//!
//! Plugin libraries are never used in place: [`PluginDir`] copies the chosen
//! ones into a private temporary directory, because a test composes its own
//! plugin set (bundled scorers plus fixtures) and the server must be able to
//! treat that directory as its own.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use tempfile::TempDir;

/// `[lib] name`s of the scorer plugins shipped with HQL.
pub const BUNDLED_PLUGINS: &[&str] =
    &["hql_bant", "hql_icp_fit", "hql_intent", "hql_product_usage", "hql_trust_nurture"];

/// The Rust fixture that panics, fails or refuses its config on demand
/// (`fixtures/panicking-scorer`).
pub const PANICKING_PLUGIN: &str = "hql_test_panicking";

/// The example scorer in plain C that ships for C authors
/// (`plugins/example-c/example_scorer.c`), built by `build.rs` like the C
/// fixtures.
pub const C_EXAMPLE: &str = "hql_c_example";
/// C fixture: built against ABI major `HQL_ABI_MAJOR + 1`.
pub const C_WRONG_MAJOR: &str = "hql_c_wrong_major";
/// C fixture: a shared library without `hql_scorer_entry`.
pub const C_NO_ENTRY: &str = "hql_c_no_entry";
/// C fixture: a descriptor whose `struct_size` is below the 1.0 descriptor.
pub const C_SMALL_DESCRIPTOR: &str = "hql_c_small_descriptor";
/// C fixture: a descriptor with the wrong magic.
pub const C_BAD_MAGIC: &str = "hql_c_bad_magic";
/// C fixture: a working scorer built for ABI 1.0 with exactly the 1.0
/// descriptor (`fixtures/c/abi_1_0.c`), as an old plugin meets a newer host.
pub const C_ABI_1_0: &str = "hql_c_abi_1_0";
/// C fixture: a working scorer of the host's ABI version whose descriptor is
/// larger than the host's, with fields appended.
pub const C_LARGER_DESCRIPTOR: &str = "hql_c_larger_descriptor";
/// C fixture: built against ABI minor `HQL_ABI_MINOR + 1`, with the larger
/// descriptor that minor would have.
pub const C_NEWER_MINOR: &str = "hql_c_newer_minor";

/// The workspace root (the directory holding the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().expect("the tests crate lives inside the workspace").to_path_buf()
}

/// `policies/default.toml` of the workspace: the policy HQL ships with.
pub fn default_policy() -> PathBuf {
    workspace_root().join("policies").join("default.toml")
}

/// Cargo's output directory for the profile the tests were built with,
/// `<target-dir>[/<triple>]/<profile>`: where `hqld` and `lib*.so` land.
///
/// Derived from the running test executable, which cargo puts in
/// `<that dir>/deps/` (or `examples/`), so it follows `CARGO_TARGET_DIR`,
/// `--target-dir`, `--target` and `--release`/`--profile` without
/// configuration. Panics when run from anywhere else (e.g. a doctest).
pub fn artifact_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("the path of the running test executable");
        let parent = exe.parent().expect("the test executable has a directory");
        match parent.file_name().and_then(OsStr::to_str) {
            Some("deps" | "examples") => parent.parent().expect("deps/ has a parent").to_path_buf(),
            _ => panic!(
                "cannot find cargo's output directory: {} is not in <profile>/deps/; \
                 run this through `cargo test`",
                exe.display()
            ),
        }
    })
    .clone()
}

/// Builds every library and binary of the workspace (`hqld`, the bundled
/// plugins, the test fixtures) into [`artifact_dir`], once per test process.
///
/// `cargo test -p hql-tests` only builds what the test targets link, which
/// excludes `hqld` and the `cdylib`s; running this first is what lets a plain
/// `cargo test` work on a fresh clone, and keeps a stale `hqld` from being
/// tested after an edit. It runs the same `cargo` that runs the tests (the
/// `CARGO` variable), with the same profile, target and target directory;
/// when nothing changed it is a no-op costing well under a second.
///
/// Panics with cargo's output if the build fails (in every test that asks,
/// not only the first).
pub fn ensure_built() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(message) = BUILT.get_or_init(build_workspace) {
        panic!("{message}");
    }
}

fn build_workspace() -> Result<(), String> {
    let dir = artifact_dir();
    let profile = dir.file_name().and_then(OsStr::to_str).unwrap_or("debug").to_string();
    let mut target_dir = dir.parent().expect("the profile dir has a parent").to_path_buf();

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command.current_dir(workspace_root()).args(["build", "--workspace", "--lib", "--bins"]);
    // Built with `--target <triple>`: artifacts are in <target-dir>/<triple>/<profile>.
    let triple = env!("HQL_TESTS_TARGET");
    if target_dir.file_name() == Some(OsStr::new(triple)) {
        command.args(["--target", triple]);
        target_dir = target_dir.parent().expect("the triple dir has a parent").to_path_buf();
    }
    // Explicit, so a `--target-dir` given to `cargo test` is honoured too.
    command.arg("--target-dir").arg(&target_dir);
    match profile.as_str() {
        "debug" => {}
        "release" => {
            command.arg("--release");
        }
        other => {
            command.args(["--profile", other]);
        }
    }

    let output = command
        .output()
        .map_err(|e| format!("could not run {command:?} to build hqld and the plugins: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "building the workspace for the integration tests failed ({}):\n{command:?}\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        ))
    }
}

/// The `hqld` binary in [`artifact_dir`], built if needed.
pub fn hqld_path() -> PathBuf {
    ensure_built();
    let path = artifact_dir().join(format!("hqld{}", std::env::consts::EXE_SUFFIX));
    assert!(path.is_file(), "the workspace build produced no {}", path.display());
    path
}

/// The shared library of the workspace crate whose `[lib] name` is
/// `lib_name` (e.g. `hql_bant`, [`PANICKING_PLUGIN`]), built if needed.
pub fn plugin_path(lib_name: &str) -> PathBuf {
    ensure_built();
    let path = artifact_dir().join(libloading::library_filename(lib_name));
    assert!(
        path.is_file(),
        "no plugin library {}: is `{lib_name}` the [lib] name of a workspace cdylib?",
        path.display()
    );
    path
}

/// Where `build.rs` put the C fixture libraries.
pub fn c_fixtures_dir() -> PathBuf {
    PathBuf::from(env!("HQL_C_FIXTURES_DIR"))
}

/// The C fixture library `name` (one of the `C_*` constants), compiled by
/// this crate's `build.rs`; no workspace build needed.
pub fn c_fixture(name: &str) -> PathBuf {
    let path = c_fixtures_dir().join(libloading::library_filename(name));
    assert!(path.is_file(), "no C fixture {}: is `{name}` listed in build.rs?", path.display());
    path
}

/// A temporary plugin directory holding copies of chosen libraries, deleted
/// on drop.
///
/// The directory is `tempfile`'s, mode 0700. Libraries keep their file names
/// and get mode 0755 (readable and executable by all, writable by the owner
/// only), whatever the source's mode and the umask: `hqld` refuses a library
/// or plugin directory that group or others may write. Each copy is written
/// to a temporary name and renamed into place, so replacing a library a
/// running server has mapped creates a new file instead of rewriting the
/// mapped one under it, which is also how a deployment should do it.
#[derive(Debug)]
pub struct PluginDir {
    dir: TempDir,
}

impl PluginDir {
    /// An empty plugin directory.
    pub fn new() -> PluginDir {
        let dir = tempfile::Builder::new()
            .prefix("hql-plugins-")
            .tempdir()
            .expect("create a temporary plugin directory");
        PluginDir { dir }
    }

    /// A plugin directory holding copies of `libraries`.
    pub fn with<I>(libraries: I) -> PluginDir
    where
        I: IntoIterator,
        I::Item: AsRef<Path>,
    {
        let dir = PluginDir::new();
        for library in libraries {
            dir.add(library);
        }
        dir
    }

    /// A plugin directory holding every bundled plugin.
    pub fn bundled() -> PluginDir {
        PluginDir::with(BUNDLED_PLUGINS.iter().map(|name| plugin_path(name)))
    }

    /// Copies `library` in under its own file name; returns the copy's path.
    pub fn add(&self, library: impl AsRef<Path>) -> PathBuf {
        let library = library.as_ref();
        let name = library.file_name().unwrap_or_else(|| panic!("{} has no file name", library.display()));
        self.add_as(library, name)
    }

    /// Copies `library` in as `file_name` (e.g. to offer a new version of a
    /// plugin under a new name); returns the copy's path.
    pub fn add_as(&self, library: impl AsRef<Path>, file_name: impl AsRef<OsStr>) -> PathBuf {
        let library = library.as_ref();
        let destination = self.dir.path().join(file_name.as_ref());
        // The temporary name starts with a dot and has no library suffix, so
        // a host scanning the directory never mistakes it for a plugin.
        let staged = tempfile::Builder::new()
            .prefix(".staging-")
            .tempfile_in(self.dir.path())
            .expect("create a staging file in the plugin directory");
        fs::copy(library, staged.path())
            .unwrap_or_else(|e| panic!("copy {} into {}: {e}", library.display(), self.dir.path().display()));
        fs::set_permissions(staged.path(), fs::Permissions::from_mode(0o755))
            .expect("make the plugin copy 0755");
        staged
            .persist(&destination)
            .unwrap_or_else(|e| panic!("move the plugin copy to {}: {e}", destination.display()));
        destination
    }

    /// Deletes the library `file_name` from the directory.
    pub fn remove(&self, file_name: impl AsRef<OsStr>) {
        let path = self.dir.path().join(file_name.as_ref());
        fs::remove_file(&path).unwrap_or_else(|e| panic!("remove {}: {e}", path.display()));
    }

    /// The directory, for `--plugin-dir`.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// File names in the directory, sorted (staging files excluded).
    pub fn file_names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.dir.path())
            .expect("read the plugin directory")
            .map(|entry| entry.expect("read a plugin directory entry").file_name())
            .filter_map(|name| name.to_str().map(str::to_string))
            .filter(|name| !name.starts_with('.'))
            .collect();
        names.sort();
        names
    }
}

impl Default for PluginDir {
    fn default() -> PluginDir {
        PluginDir::new()
    }
}
