//! Loading scorer libraries: find, hash, `dlopen`, check, describe.
//!
//! Loading a library runs its code, so the checks come in the order that
//! fails safest, and everything about trust is settled before `dlopen`:
//! the file must resolve inside the plugin directory (no `..`, no symlink
//! escaping it); neither the directory nor the file may be writable by group
//! or others (whoever can write them chooses the code `hqld` runs); the file
//! is hashed (the hash names the exact bytes a decision came from) and, when
//! the policy pins a `sha256`, must match it. Only then is it opened, and the
//! descriptor is validated field by field before any hook is called: magic,
//! ABI major (refused if different), ABI minor (refused if newer than the
//! host), struct size, then names and hooks. Every refusal names the file
//! and, once readable, the plugin and both ABI versions.
//!
//! Libraries are never unloaded: `dlclose` with thread-local destructors is
//! unsound on glibc, and a request may still hold a scorer from the library.
//! A loaded library is leaked on purpose and shared by every later load of
//! the same file (a policy reload). A *different* file at the same path is
//! refused: `dlopen` would return the code it already has.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use hql_plugin_api::FactKind;
use hql_plugin_api::abi::{
    HQL_ABI_MAJOR, HQL_ABI_MINOR, HQL_DESCRIPTOR_MIN_SIZE_V1, HQL_SCORER_ENTRY_SYMBOL, HQL_SCORER_MAGIC,
    hql_scorer_descriptor_t, hql_scorer_entry_fn, hql_str_t,
};
use hql_plugin_api::host::ReadOnlyImage;

use crate::digest::sha256_hex;
use crate::error::{LoadError, PluginLoadError, PluginTrustError};

/// What a plugin declares about itself, copied out of its descriptor.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginSpec {
    /// Plugin name.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// Default dimension.
    pub dimension: String,
    /// Description.
    pub description: String,
    /// ABI major the plugin was built against.
    pub abi_major: u16,
    /// ABI minor the plugin was built against.
    pub abi_minor: u16,
    /// Declared facts.
    pub facts: Vec<(String, FactKind)>,
    /// Declared disqualifier codes.
    pub disqualifiers: Vec<String>,
}

/// A loaded, validated library.
#[derive(Clone)]
pub struct LoadedLibrary {
    /// Resolved path.
    pub path: PathBuf,
    /// File name.
    pub file_name: String,
    /// sha256 of the file, hex.
    pub sha256: String,
    /// The descriptor (static: the library is never unloaded).
    pub descriptor: &'static hql_scorer_descriptor_t,
    /// What it declares.
    pub spec: PluginSpec,
    /// Its read-only memory, where the host keeps the plugin's literals
    /// instead of copying them (see `image`).
    pub image: ReadOnlyImage,
}

/// The platform file name of library `name` (`libhql_bant.so` on Linux).
pub fn library_file_name(name: &str) -> String {
    libloading::library_filename(name).to_string_lossy().into_owned()
}

fn registry() -> &'static Mutex<HashMap<(PathBuf, String), &'static libloading::Library>> {
    static LOADED: OnceLock<Mutex<HashMap<(PathBuf, String), &'static libloading::Library>>> =
        OnceLock::new();
    LOADED.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Reads a descriptor string, which must be valid UTF-8.
///
/// # Safety
/// `s` must point into the loaded library's static data.
unsafe fn read_str(file: &Path, what: &str, s: hql_str_t) -> Result<String, PluginLoadError> {
    // SAFETY: guaranteed by the caller.
    match unsafe { s.as_str() } {
        Some(t) => Ok(t.to_string()),
        None => Err(PluginLoadError::BadDescriptor {
            file: file.to_path_buf(),
            message: format!("`{what}` is not valid UTF-8"),
        }),
    }
}

fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// Loads library `library` (bare name) from `dir` for scorer `scorer`, as
/// the server does; `sha256` is the policy's pin (lower-case hex), if any.
///
/// Before the library is opened: it must resolve inside `dir`
/// ([`PluginLoadError::OutsidePluginDir`]); `dir` and the file must not be
/// writable by group or others ([`PluginTrustError::WritablePluginDir`],
/// [`PluginTrustError::WritableLibrary`]; Unix only); and its sha256 must
/// equal the pin ([`PluginTrustError::HashMismatch`]). Then every check of
/// [`load_file`].
pub fn load(
    dir: &Path,
    library: &str,
    scorer: &str,
    sha256: Option<&str>,
) -> Result<LoadedLibrary, LoadError> {
    let file_name = library_file_name(library);
    let candidate = dir.join(&file_name);
    if !candidate.exists() {
        return Err(PluginLoadError::NotFound { file: candidate, scorer: scorer.to_string() }.into());
    }
    let canonical_dir =
        dir.canonicalize().map_err(|source| PluginLoadError::Read { file: dir.to_path_buf(), source })?;
    let path = candidate
        .canonicalize()
        .map_err(|source| PluginLoadError::Read { file: candidate.clone(), source })?;
    if path.parent() != Some(canonical_dir.as_path()) {
        return Err(PluginLoadError::OutsidePluginDir {
            requested: candidate,
            file: path,
            dir: canonical_dir,
            scorer: scorer.to_string(),
        }
        .into());
    }
    if let Some(mode) = writable_by_others(&canonical_dir)? {
        return Err(PluginTrustError::WritablePluginDir {
            dir: canonical_dir,
            scorer: scorer.to_string(),
            mode,
        }
        .into());
    }
    if let Some(mode) = writable_by_others(&path)? {
        return Err(PluginTrustError::WritableLibrary { file: path, scorer: scorer.to_string(), mode }.into());
    }
    let actual = hash_file(&path)?;
    if let Some(expected) = sha256
        && !expected.eq_ignore_ascii_case(&actual)
    {
        return Err(PluginTrustError::HashMismatch {
            file: path,
            scorer: scorer.to_string(),
            expected: expected.to_ascii_lowercase(),
            actual,
        }
        .into());
    }
    Ok(open_hashed(path, file_name, actual)?)
}

/// The permission bits of `path` when its group or others may write it.
#[cfg(unix)]
fn writable_by_others(path: &Path) -> Result<Option<u32>, PluginLoadError> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(path)
        .map_err(|source| PluginLoadError::Read { file: path.to_path_buf(), source })?;
    let mode = metadata.permissions().mode() & 0o7777;
    Ok((mode & 0o022 != 0).then_some(mode))
}

/// Elsewhere the directory's access control is the operator's business.
#[cfg(not(unix))]
fn writable_by_others(_path: &Path) -> Result<Option<u32>, PluginLoadError> {
    Ok(None)
}

/// Loads the library at `path` with every check [`load`] applies after its
/// location and trust checks: hash, `dlopen`, entry symbol, magic, ABI major
/// and minor, descriptor size, names and hooks, declarations. Errors are the
/// ones the server reports for the same file.
///
/// For tools that examine one file a plugin author points them at (the
/// `hql-plugin check` conformance checker), where there is no plugin
/// directory to confine the file to, no policy pin, and the file is usually
/// fresh out of the author's build. The server itself never calls this: it
/// loads only through [`load`], from its configured directory.
pub fn load_file(path: &Path) -> Result<LoadedLibrary, PluginLoadError> {
    let resolved =
        path.canonicalize().map_err(|source| PluginLoadError::Read { file: path.to_path_buf(), source })?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let sha256 = hash_file(&resolved)?;
    open_hashed(resolved, file_name, sha256)
}

/// The sha256 of the file at `path`, lower-case hex.
fn hash_file(path: &Path) -> Result<String, PluginLoadError> {
    let bytes =
        std::fs::read(path).map_err(|source| PluginLoadError::Read { file: path.to_path_buf(), source })?;
    Ok(sha256_hex(&bytes))
}

/// Everything [`load`] and [`load_file`] share, from `dlopen` on: `path` is
/// canonical, already passed whatever location and trust checks the caller
/// makes, and hashes to `sha256`.
fn open_hashed(path: PathBuf, file_name: String, sha256: String) -> Result<LoadedLibrary, PluginLoadError> {
    let library = {
        let mut loaded = registry().lock().unwrap_or_else(|p| p.into_inner());
        match loaded.get(&(path.clone(), sha256.clone())) {
            Some(lib) => *lib,
            None => {
                // `dlopen` of a path it already opened returns the library it
                // already has, whatever is in the file now.
                if let Some(((_, earlier), _)) = loaded.iter().find(|((p, _), _)| *p == path) {
                    return Err(PluginLoadError::ChangedSinceLoaded {
                        file: path.clone(),
                        loaded: earlier.clone(),
                        found: sha256,
                    });
                }
                // SAFETY: loading runs the library's initialisers; the policy
                // names this file and it passed the caller's location and
                // trust checks. Plugins are trusted code (see the header's
                // Trust section and docs/plugins.md).
                let lib = unsafe { libloading::Library::new(&path) }
                    .map_err(|e| PluginLoadError::Open { file: path.clone(), message: e.to_string() })?;
                let lib: &'static libloading::Library = Box::leak(Box::new(lib));
                loaded.insert((path.clone(), sha256.clone()), lib);
                lib
            }
        }
    };

    let symbol = format!("{HQL_SCORER_ENTRY_SYMBOL}\0");
    // SAFETY: the symbol's type is fixed by the ABI.
    let entry: hql_scorer_entry_fn = match unsafe { library.get::<hql_scorer_entry_fn>(symbol.as_bytes()) } {
        Ok(sym) => *sym,
        Err(_) => return Err(PluginLoadError::MissingEntry { file: path, symbol: HQL_SCORER_ENTRY_SYMBOL }),
    };
    // SAFETY: the ABI says the entry takes nothing and returns a static descriptor.
    let raw = unsafe { entry() };
    if raw.is_null() {
        return Err(PluginLoadError::NullDescriptor { file: path });
    }
    // The first fields (magic, versions, size, name, version) are frozen
    // across ABI majors, so they can be read to name what is refused.
    // SAFETY: non-null, static for the life of the process (never unloaded).
    let descriptor: &'static hql_scorer_descriptor_t = unsafe { &*raw };
    if descriptor.magic != HQL_SCORER_MAGIC {
        return Err(PluginLoadError::BadMagic {
            file: path,
            found: descriptor.magic,
            expected: HQL_SCORER_MAGIC,
        });
    }
    let name_readable =
        descriptor.struct_size as usize >= std::mem::offset_of!(hql_scorer_descriptor_t, dimension);
    // SAFETY: within the frozen prefix when `name_readable`.
    let (name, version) = if name_readable {
        unsafe {
            (read_str(&path, "name", descriptor.name)?, read_str(&path, "version", descriptor.version)?)
        }
    } else {
        (String::new(), String::new())
    };
    if descriptor.abi_major != HQL_ABI_MAJOR || descriptor.abi_minor > HQL_ABI_MINOR {
        let hint = if descriptor.abi_major > HQL_ABI_MAJOR
            || (descriptor.abi_major == HQL_ABI_MAJOR && descriptor.abi_minor > HQL_ABI_MINOR)
        {
            "upgrade hqld, or rebuild the plugin against this host's hql_scorer.h"
        } else {
            "rebuild the plugin against this host's hql_scorer.h (a major version change is incompatible)"
        };
        return Err(PluginLoadError::AbiMismatch {
            file: path,
            plugin: name,
            plugin_version: version,
            plugin_major: descriptor.abi_major,
            plugin_minor: descriptor.abi_minor,
            host_major: HQL_ABI_MAJOR,
            host_minor: HQL_ABI_MINOR,
            hint,
        });
    }
    if (descriptor.struct_size as usize) < HQL_DESCRIPTOR_MIN_SIZE_V1 {
        return Err(PluginLoadError::DescriptorTooSmall {
            file: path,
            plugin: name,
            found: descriptor.struct_size,
            min: HQL_DESCRIPTOR_MIN_SIZE_V1,
            host_major: HQL_ABI_MAJOR,
            host_minor: HQL_ABI_MINOR,
        });
    }
    let bad = |message: String| PluginLoadError::BadDescriptor { file: path.clone(), message };
    if !valid_name(&name) {
        return Err(bad(format!("plugin name `{name}` must be 1 to 64 characters of [a-z0-9_]")));
    }
    if descriptor.create.is_none() || descriptor.score.is_none() || descriptor.destroy.is_none() {
        return Err(bad(format!("plugin `{name}` lacks a create, score or destroy hook")));
    }
    // SAFETY: full v1 descriptor (size checked); its pointers are static.
    let spec = unsafe { read_spec(&path, descriptor, name, version)? };
    // SAFETY: read-only segments of a library that is never unloaded (it is
    // leaked into the registry above): mapped and unchanged for ever.
    let image = unsafe { ReadOnlyImage::new(crate::image::read_only_segments(entry as usize)) };
    Ok(LoadedLibrary { path, file_name, sha256, descriptor, spec, image })
}

/// Copies the declarations out of a validated descriptor.
///
/// # Safety
/// `d` must be a complete v1 descriptor of a loaded library.
unsafe fn read_spec(
    path: &Path,
    d: &hql_scorer_descriptor_t,
    name: String,
    version: String,
) -> Result<PluginSpec, PluginLoadError> {
    let bad = |message: String| PluginLoadError::BadDescriptor { file: path.to_path_buf(), message };
    // SAFETY (all reads): static data of the loaded library, per the ABI.
    let dimension = unsafe { read_str(path, "dimension", d.dimension)? };
    if !valid_name(&dimension) {
        return Err(bad(format!("plugin `{name}`: dimension `{dimension}` must be [a-z0-9_]")));
    }
    let description = unsafe { read_str(path, "description", d.description)? };
    let facts_raw = if d.facts.is_null() || d.facts_len == 0 {
        &[][..]
    } else {
        unsafe { std::slice::from_raw_parts(d.facts, d.facts_len) }
    };
    let mut facts = Vec::with_capacity(facts_raw.len());
    for f in facts_raw {
        let fname = unsafe { read_str(path, "fact name", f.name)? };
        if !valid_name(&fname) || fname == "score" {
            return Err(bad(format!(
                "plugin `{name}`: fact name `{fname}` must be [a-z0-9_] and not `score`"
            )));
        }
        let kind = FactKind::from_raw(f.kind)
            .ok_or_else(|| bad(format!("plugin `{name}`: fact `{fname}` has unknown kind {}", f.kind)))?;
        if facts.iter().any(|(n, _)| *n == fname) {
            return Err(bad(format!("plugin `{name}`: fact `{fname}` declared twice")));
        }
        facts.push((fname, kind));
    }
    let codes_raw = if d.disqualifiers.is_null() || d.disqualifiers_len == 0 {
        &[][..]
    } else {
        unsafe { std::slice::from_raw_parts(d.disqualifiers, d.disqualifiers_len) }
    };
    let mut disqualifiers = Vec::with_capacity(codes_raw.len());
    for c in codes_raw {
        let code = unsafe { read_str(path, "disqualifier code", c.code)? };
        if code.is_empty() {
            return Err(bad(format!("plugin `{name}`: empty disqualifier code")));
        }
        disqualifiers.push(code);
    }
    Ok(PluginSpec {
        name,
        version,
        dimension,
        description,
        abi_major: d.abi_major,
        abi_minor: d.abi_minor,
        facts,
        disqualifiers,
    })
}

#[cfg(all(test, unix))]
mod tests {
    //! The location and trust checks, which all run before a library is
    //! opened: a file that is not a library at all shows how far a load got
    //! (refused by a check, or on to `dlopen`, which then fails to open it).

    use std::fs;
    use std::os::unix::fs::{PermissionsExt, symlink};

    use super::*;

    const NOT_A_LIBRARY: &[u8] = b"not an ELF file, only bytes to hash";

    fn chmod(path: &Path, mode: u32) {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
    }

    /// A 0755 plugin directory holding a 0755 `libx.so` of [`NOT_A_LIBRARY`].
    fn plugin_dir() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        chmod(dir.path(), 0o755);
        let file = dir.path().join(library_file_name("x"));
        fs::write(&file, NOT_A_LIBRARY).expect("write");
        chmod(&file, 0o755);
        (dir, file)
    }

    fn canonical(path: &Path) -> PathBuf {
        path.canonicalize().expect("canonicalize")
    }

    fn load_x(dir: &Path, pin: Option<&str>) -> LoadError {
        match load(dir, "x", "crm", pin) {
            Ok(_) => panic!("loaded a file that is not a library"),
            Err(e) => e,
        }
    }

    /// The load passed every check before `dlopen`, which failed.
    fn assert_reached_dlopen(error: &LoadError) {
        assert!(matches!(error, LoadError::Plugin(PluginLoadError::Open { .. })), "{error}");
    }

    #[test]
    fn a_trusted_file_reaches_dlopen() {
        let (dir, _) = plugin_dir();
        assert_reached_dlopen(&load_x(dir.path(), None));
    }

    #[test]
    fn a_symlink_escaping_the_plugin_dir_is_refused_naming_both_ends() {
        let (dir, _) = plugin_dir();
        let elsewhere = tempfile::tempdir().expect("tempdir");
        let target = elsewhere.path().join("libx-evil.so");
        fs::write(&target, NOT_A_LIBRARY).expect("write");
        chmod(&target, 0o755);
        let link = dir.path().join(library_file_name("x"));
        fs::remove_file(&link).expect("remove");
        symlink(&target, &link).expect("symlink");

        let error = load_x(dir.path(), None);
        let LoadError::Plugin(PluginLoadError::OutsidePluginDir { requested, file, dir: plugin_dir, scorer }) =
            &error
        else {
            panic!("expected OutsidePluginDir, got {error}");
        };
        assert_eq!(requested, &link);
        assert_eq!(file, &canonical(&target));
        assert_eq!(plugin_dir, &canonical(dir.path()));
        assert_eq!(scorer, "crm");
        assert_eq!(
            error.to_string(),
            format!(
                "plugin library {} (scorer `crm`): resolves to {}, outside the plugin directory {}: \
                 put the library itself in the directory (a symlink must stay inside it)",
                link.display(),
                canonical(&target).display(),
                canonical(dir.path()).display()
            )
        );
    }

    #[test]
    fn a_symlink_within_the_plugin_dir_is_followed() {
        // The usual versioned deployment: libx.so -> libx-1.2.0.so.
        let (dir, file) = plugin_dir();
        let versioned = dir.path().join("libx-1.2.0.so");
        fs::rename(&file, &versioned).expect("rename");
        symlink(&versioned, &file).expect("symlink");
        assert_reached_dlopen(&load_x(dir.path(), None));
    }

    #[test]
    fn a_library_writable_by_group_or_others_is_refused_with_its_mode_and_the_fix() {
        for (mode, who) in [(0o775, "group"), (0o757, "others"), (0o666, "group and others")] {
            let (dir, file) = plugin_dir();
            chmod(&file, mode);
            let error = load_x(dir.path(), None);
            let LoadError::Trust(PluginTrustError::WritableLibrary { file: named, mode: found, .. }) = &error
            else {
                panic!("mode {mode:o}: expected WritableLibrary, got {error}");
            };
            assert_eq!(named, &canonical(&file));
            assert_eq!(*found, mode);
            let path = canonical(&file);
            assert_eq!(
                error.to_string(),
                format!(
                    "plugin library {} (scorer `crm`): writable by {who} (mode {mode:04o}): whoever can \
                     write it chooses the code hqld runs; run `chmod go-w {}`",
                    path.display(),
                    path.display()
                )
            );
        }
    }

    #[test]
    fn a_plugin_dir_writable_by_group_or_others_is_refused_with_its_mode_and_the_fix() {
        for (mode, who) in [(0o775, "group"), (0o1777, "group and others"), (0o703, "others")] {
            let (dir, _) = plugin_dir();
            chmod(dir.path(), mode);
            let error = load_x(dir.path(), None);
            let LoadError::Trust(PluginTrustError::WritablePluginDir { dir: named, mode: found, .. }) =
                &error
            else {
                panic!("mode {mode:o}: expected WritablePluginDir, got {error}");
            };
            let path = canonical(dir.path());
            assert_eq!(named, &path);
            assert_eq!(*found, mode);
            assert_eq!(
                error.to_string(),
                format!(
                    "plugin directory {} (scorer `crm`): writable by {who} (mode {mode:04o}): whoever can \
                     write it can replace a library with their own code; run `chmod go-w {}`",
                    path.display(),
                    path.display()
                )
            );
            chmod(dir.path(), 0o700);
        }
    }

    #[test]
    fn read_and_execute_bits_for_others_are_fine() {
        for mode in [0o500, 0o644, 0o755] {
            let (dir, file) = plugin_dir();
            chmod(&file, mode);
            assert_reached_dlopen(&load_x(dir.path(), None));
        }
    }

    #[test]
    fn a_wrong_pin_is_refused_before_dlopen_naming_the_file_and_both_hashes() {
        let (dir, file) = plugin_dir();
        let pin = "0".repeat(64);
        let error = load_x(dir.path(), Some(&pin));
        let actual = sha256_hex(NOT_A_LIBRARY);
        let LoadError::Trust(PluginTrustError::HashMismatch { file: named, expected, actual: found, scorer }) =
            &error
        else {
            panic!("expected HashMismatch, got {error}");
        };
        assert_eq!(named, &canonical(&file));
        assert_eq!(
            (expected.as_str(), found.as_str(), scorer.as_str()),
            (pin.as_str(), actual.as_str(), "crm")
        );
        assert_eq!(
            error.to_string(),
            format!(
                "plugin library {} (scorer `crm`): sha256 mismatch: the policy pins {pin}, the file is \
                 {actual}: deploy the library the pin names, or update the scorer's `sha256` in the \
                 policy if this file is the build you mean to run",
                canonical(&file).display()
            )
        );
    }

    #[test]
    fn a_matching_pin_in_either_case_passes_on_to_dlopen() {
        let (dir, _) = plugin_dir();
        let pin = sha256_hex(NOT_A_LIBRARY);
        assert_reached_dlopen(&load_x(dir.path(), Some(&pin)));
        assert_reached_dlopen(&load_x(dir.path(), Some(&pin.to_ascii_uppercase())));
    }

    #[test]
    fn location_comes_before_modes_and_modes_before_the_pin() {
        let (dir, file) = plugin_dir();
        chmod(&file, 0o777);
        let wrong_pin = "f".repeat(64);
        let error = load_x(dir.path(), Some(&wrong_pin));
        assert!(matches!(error, LoadError::Trust(PluginTrustError::WritableLibrary { .. })), "{error}");
        chmod(dir.path(), 0o777);
        let error = load_x(dir.path(), Some(&wrong_pin));
        assert!(matches!(error, LoadError::Trust(PluginTrustError::WritablePluginDir { .. })), "{error}");
        chmod(dir.path(), 0o700);
    }

    #[test]
    fn load_file_does_not_judge_modes() {
        // The conformance checker looks at an author's fresh build output,
        // which has whatever mode their umask gave it.
        let (_dir, file) = plugin_dir();
        chmod(&file, 0o666);
        assert!(matches!(load_file(&file), Err(PluginLoadError::Open { .. })));
    }
}
