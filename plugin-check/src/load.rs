//! Loading the library exactly as the server does, and reading its
//! descriptor for the checker's own, finer-grained rules.
//!
//! The verdict on loading comes from `hqld`'s own loader,
//! [`hql_qualifier::plugin::load_file`]: the same hashing, `dlopen`, entry
//! symbol, magic, ABI and size checks and the same error messages, so "loads
//! here" means "loads in the server". The loader stops at the first problem
//! and returns only an error, though, and one of its errors
//! (`BadDescriptor`) covers many different mistakes (a bad name, a missing
//! hook, a bad fact...). For that case (and a too-small descriptor, whose
//! name and versions are still worth showing) the checker fetches the
//! descriptor itself, from the library the loader already mapped, and copies
//! every field it may read so each rule can say precisely what is wrong.
//!
//! Copying follows the header's guarantees: the first six fields (magic, ABI
//! major and minor, size, name, version) never move, so they are read
//! whenever `struct_size` covers them; everything after is read only when
//! the magic is right, the major is this host's and the size covers ABI 1.0.
//! Libraries are never unloaded, as in the server.

use std::path::Path;

use hql_plugin_api::abi::{
    HQL_ABI_MAJOR, HQL_DESCRIPTOR_MIN_SIZE_V1, HQL_SCORER_ENTRY_SYMBOL, HQL_SCORER_MAGIC,
    hql_scorer_descriptor_t, hql_scorer_entry_fn, hql_str_t,
};
use hql_qualifier::PluginLoadError;
use hql_qualifier::plugin::{self, LoadedLibrary};

/// Longest descriptor string the checker copies; longer ones are reported,
/// not read (a garbage length would otherwise read far out of bounds).
const MAX_STRING_BYTES: usize = 1 << 20;
/// Most facts or codes the checker copies, for the same reason.
const MAX_DECLARATIONS: usize = 100_000;

/// What loading produced: the server loader's verdict, and the descriptor
/// copied out when there is one to read.
pub(crate) struct Loaded {
    /// The server loader's result.
    pub(crate) outcome: Result<LoadedLibrary, PluginLoadError>,
    /// The descriptor's fields, when the loader got as far as a descriptor
    /// worth reading (success, or a refusal for its size or contents).
    pub(crate) raw: Option<RawDescriptor>,
}

/// Loads `path` with the server's loader.
pub(crate) fn load(path: &Path) -> Loaded {
    let outcome = plugin::load_file(path);
    let raw = match &outcome {
        // SAFETY: the loader validated this descriptor; it is static.
        Ok(library) => Some(unsafe { RawDescriptor::read(library.descriptor) }),
        // Refusals after the magic check: the prefix can be read, and
        // tells which field (and, for a bad descriptor, which part) is wrong.
        Err(
            PluginLoadError::BadDescriptor { file, .. } | PluginLoadError::DescriptorTooSmall { file, .. },
        ) => fetch_descriptor(file),
        Err(_) => None,
    };
    Loaded { outcome, raw }
}

/// The descriptor of the library at `path`, which the loader has already
/// opened (so `dlopen` returns the same mapping and runs no initialiser
/// again) and whose entry symbol it already called once.
fn fetch_descriptor(path: &Path) -> Option<RawDescriptor> {
    // SAFETY: the server's loader just loaded this very file; plugins are
    // trusted code (see the header's Trust section).
    let library = unsafe { libloading::Library::new(path) }.ok()?;
    // Never unloaded, like every plugin library (dlclose is unsound here).
    let library: &'static libloading::Library = Box::leak(Box::new(library));
    let symbol = format!("{HQL_SCORER_ENTRY_SYMBOL}\0");
    // SAFETY: the symbol's type is fixed by the ABI.
    let entry: hql_scorer_entry_fn =
        *unsafe { library.get::<hql_scorer_entry_fn>(symbol.as_bytes()) }.ok()?;
    // SAFETY: the ABI says the entry takes nothing and returns a static
    // descriptor (or null); it has already been called once by the loader.
    let descriptor = unsafe { entry().as_ref() }?;
    // SAFETY: a descriptor the entry symbol returned, static for ever.
    Some(unsafe { RawDescriptor::read(descriptor) })
}

/// A descriptor string, copied: bytes, because it may not be UTF-8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RawText {
    /// The bytes.
    Bytes(Vec<u8>),
    /// `len` is non-zero but `ptr` is null.
    NullWithLength(usize),
    /// `len` is implausibly large; not read.
    TooLong(usize),
}

impl RawText {
    /// # Safety
    /// `s` must be readable as the ABI promises (or null / too long, which
    /// are detected and not read).
    unsafe fn read(s: hql_str_t) -> RawText {
        if s.len > MAX_STRING_BYTES {
            RawText::TooLong(s.len)
        } else if s.ptr.is_null() && s.len > 0 {
            RawText::NullWithLength(s.len)
        } else {
            // SAFETY: guaranteed by the caller.
            RawText::Bytes(unsafe { s.as_bytes() }.to_vec())
        }
    }

    /// A string with no problem, for tests and for building expectations.
    #[cfg(test)]
    pub(crate) fn of(s: &str) -> RawText {
        RawText::Bytes(s.as_bytes().to_vec())
    }

    /// The text, or why it cannot be read as text.
    pub(crate) fn text(&self) -> Result<&str, String> {
        match self {
            RawText::Bytes(bytes) => {
                std::str::from_utf8(bytes).map_err(|e| format!("is not valid UTF-8 ({e})"))
            }
            RawText::NullWithLength(len) => Err(format!("has a null pointer with length {len}")),
            RawText::TooLong(len) => {
                Err(format!("claims {len} bytes, which is implausible (garbage length?)"))
            }
        }
    }
}

/// A declared fact, copied.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RawFact {
    pub(crate) name: RawText,
    pub(crate) kind: u32,
    pub(crate) description: RawText,
}

/// A declared disqualification code, copied.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RawCode {
    pub(crate) code: RawText,
    pub(crate) description: RawText,
}

/// Everything after the frozen prefix of an ABI 1.x descriptor.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RawBody {
    pub(crate) dimension: RawText,
    pub(crate) description: RawText,
    /// `Err(len)` when the array cannot be read (null with a length, or too long).
    pub(crate) facts: Result<Vec<RawFact>, String>,
    pub(crate) disqualifiers: Result<Vec<RawCode>, String>,
    pub(crate) has_create: bool,
    pub(crate) has_score: bool,
    pub(crate) has_destroy: bool,
}

/// A descriptor's fields, copied out of the plugin's memory.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RawDescriptor {
    pub(crate) magic: u32,
    pub(crate) abi_major: u16,
    pub(crate) abi_minor: u16,
    pub(crate) struct_size: u32,
    /// `None` when the magic is wrong or `struct_size` does not cover it.
    pub(crate) name: Option<RawText>,
    /// As `name`.
    pub(crate) version: Option<RawText>,
    /// `None` unless magic, major and size allow reading ABI 1.0's fields.
    pub(crate) body: Option<RawBody>,
}

impl RawDescriptor {
    /// Copies `d` out, reading only what the header guarantees is there.
    ///
    /// # Safety
    /// `d` must be a descriptor returned by a plugin's entry symbol, in a
    /// library that stays loaded.
    pub(crate) unsafe fn read(d: &hql_scorer_descriptor_t) -> RawDescriptor {
        let size = d.struct_size as usize;
        let magic_ok = d.magic == HQL_SCORER_MAGIC;
        let names_readable = magic_ok && size >= std::mem::offset_of!(hql_scorer_descriptor_t, dimension);
        // SAFETY (all reads): the frozen prefix when `names_readable`, the
        // v1 body when `body_readable`; static data of a loaded library.
        let (name, version) = if names_readable {
            unsafe { (Some(RawText::read(d.name)), Some(RawText::read(d.version))) }
        } else {
            (None, None)
        };
        let body_readable = magic_ok && d.abi_major == HQL_ABI_MAJOR && size >= HQL_DESCRIPTOR_MIN_SIZE_V1;
        let body = body_readable.then(|| unsafe {
            RawBody {
                dimension: RawText::read(d.dimension),
                description: RawText::read(d.description),
                facts: read_array(d.facts, d.facts_len).map(|facts| {
                    facts
                        .iter()
                        .map(|f| RawFact {
                            name: RawText::read(f.name),
                            kind: f.kind,
                            description: RawText::read(f.description),
                        })
                        .collect()
                }),
                disqualifiers: read_array(d.disqualifiers, d.disqualifiers_len).map(|codes| {
                    codes
                        .iter()
                        .map(|c| RawCode {
                            code: RawText::read(c.code),
                            description: RawText::read(c.description),
                        })
                        .collect()
                }),
                has_create: d.create.is_some(),
                has_score: d.score.is_some(),
                has_destroy: d.destroy.is_some(),
            }
        });
        RawDescriptor {
            magic: d.magic,
            abi_major: d.abi_major,
            abi_minor: d.abi_minor,
            struct_size: d.struct_size,
            name,
            version,
            body,
        }
    }

    /// The plugin's name for messages: the text, or a placeholder.
    pub(crate) fn display_name(&self) -> String {
        match self.name.as_ref().map(RawText::text) {
            Some(Ok(name)) if !name.is_empty() => name.to_string(),
            _ => "(unnamed)".to_string(),
        }
    }
}

/// # Safety
/// `ptr` must point to `len` elements, or be null with `len == 0`.
unsafe fn read_array<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T], String> {
    if len == 0 {
        Ok(&[])
    } else if ptr.is_null() {
        Err(format!("the array pointer is null but its length is {len}"))
    } else if len > MAX_DECLARATIONS {
        Err(format!("the array claims {len} entries, which is implausible (garbage length?)"))
    } else {
        // SAFETY: guaranteed by the caller.
        Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_descriptor_is_copied_in_full() {
        let d = hql_test_panicking::hql_scorer_descriptor();
        // SAFETY: generated by export_scorer!, static.
        let raw = unsafe { RawDescriptor::read(&*d) };
        assert_eq!(raw.magic, HQL_SCORER_MAGIC);
        assert_eq!(raw.name, Some(RawText::of("panicking")));
        let body = raw.body.expect("a full v1 descriptor has a body");
        assert_eq!(body.dimension, RawText::of("engagement"));
        let facts = body.facts.expect("facts");
        assert_eq!(facts.len(), 1);
        assert_eq!(facts[0].name, RawText::of("calls_ok"));
        assert!(body.has_create && body.has_score && body.has_destroy);
    }

    #[test]
    fn only_the_frozen_prefix_is_read_from_a_foreign_major() {
        // SAFETY: generated by export_scorer!, static; copied, not mutated.
        let mut d = unsafe { *hql_test_panicking::hql_scorer_descriptor() };
        d.abi_major = HQL_ABI_MAJOR + 1;
        // SAFETY: a valid descriptor with a different major.
        let raw = unsafe { RawDescriptor::read(&d) };
        assert!(raw.name.is_some());
        assert!(raw.body.is_none());
        d.magic = 0;
        // SAFETY: as above.
        let raw = unsafe { RawDescriptor::read(&d) };
        assert!(raw.name.is_none());
    }

    #[test]
    fn bad_strings_are_reported_not_read() {
        let null = hql_str_t { ptr: std::ptr::null(), len: 3 };
        // SAFETY: null is detected before reading.
        assert!(matches!(unsafe { RawText::read(null) }, RawText::NullWithLength(3)));
        let huge = hql_str_t { ptr: b"x".as_ptr(), len: usize::MAX };
        // SAFETY: the length is checked before reading.
        assert!(matches!(unsafe { RawText::read(huge) }, RawText::TooLong(_)));
        assert!(RawText::Bytes(vec![0xff, 0xfe]).text().is_err());
        assert_eq!(RawText::of("ok").text(), Ok("ok"));
    }
}
