//! Loading scorer libraries: find, hash, `dlopen`, check, describe.
//!
//! Loading a library runs its code, so the checks come in the order that
//! fails safest: the file must resolve inside the plugin directory (no `..`,
//! no symlink escaping it), it is hashed before it is opened (the hash names
//! the exact bytes a decision came from), and the descriptor is validated
//! field by field before any hook is called: magic, ABI major (refused if
//! different), ABI minor (refused if newer than the host), struct size, then
//! names and hooks. Every refusal names the file and, once readable, the
//! plugin and both ABI versions.
//!
//! Libraries are never unloaded: `dlclose` with thread-local destructors is
//! unsound on glibc, and a request may still hold a scorer from the library.
//! A loaded library is leaked on purpose and shared by every later load of
//! the same file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use hql_plugin_api::FactKind;
use hql_plugin_api::abi::{
    HQL_ABI_MAJOR, HQL_ABI_MINOR, HQL_DESCRIPTOR_MIN_SIZE_V1, HQL_SCORER_ENTRY_SYMBOL, HQL_SCORER_MAGIC,
    hql_scorer_descriptor_t, hql_scorer_entry_fn, hql_str_t,
};

use crate::digest::sha256_hex;
use crate::error::PluginLoadError;

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

/// Loads library `library` (bare name) from `dir` for scorer `scorer`.
pub fn load(dir: &Path, library: &str, scorer: &str) -> Result<LoadedLibrary, PluginLoadError> {
    let file_name = library_file_name(library);
    let candidate = dir.join(&file_name);
    if !candidate.exists() {
        return Err(PluginLoadError::NotFound { file: candidate, scorer: scorer.to_string() });
    }
    let canonical_dir =
        dir.canonicalize().map_err(|source| PluginLoadError::Read { file: dir.to_path_buf(), source })?;
    let path = candidate
        .canonicalize()
        .map_err(|source| PluginLoadError::Read { file: candidate.clone(), source })?;
    if path.parent() != Some(canonical_dir.as_path()) {
        return Err(PluginLoadError::OutsidePluginDir {
            file: path,
            dir: canonical_dir,
            scorer: scorer.to_string(),
        });
    }
    load_resolved(path, file_name)
}

/// Loads the library at `path` with every check [`load`] applies after its
/// directory check: hash, `dlopen`, entry symbol, magic, ABI major and minor,
/// descriptor size, names and hooks, declarations. Errors are the ones the
/// server reports for the same file.
///
/// For tools that examine one file a plugin author points them at (the
/// `hql-plugin check` conformance checker), where there is no plugin
/// directory to confine the file to. The server itself never calls this: it
/// loads only through [`load`], from its configured directory.
pub fn load_file(path: &Path) -> Result<LoadedLibrary, PluginLoadError> {
    let resolved =
        path.canonicalize().map_err(|source| PluginLoadError::Read { file: path.to_path_buf(), source })?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    load_resolved(resolved, file_name)
}

/// Everything [`load`] and [`load_file`] share, from hashing on: `path` is
/// canonical and already passed whatever location checks the caller makes.
fn load_resolved(path: PathBuf, file_name: String) -> Result<LoadedLibrary, PluginLoadError> {
    let bytes =
        std::fs::read(&path).map_err(|source| PluginLoadError::Read { file: path.clone(), source })?;
    let sha256 = sha256_hex(&bytes);
    drop(bytes);

    let library = {
        let mut loaded = registry().lock().unwrap_or_else(|p| p.into_inner());
        match loaded.get(&(path.clone(), sha256.clone())) {
            Some(lib) => *lib,
            None => {
                // SAFETY: loading runs the library's initialisers; the policy
                // names this file and it passed the directory check above.
                // Plugins are trusted code (see the header's Trust section).
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
    Ok(LoadedLibrary { path, file_name, sha256, descriptor, spec })
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
