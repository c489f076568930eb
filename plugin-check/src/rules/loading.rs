//! Loading rules: the library opens, exports the entry symbol, and its
//! descriptor has the right magic, ABI major and minor, and size.
//!
//! These come straight from the server's loader, which checks them in this
//! order and stops at the first failure, exactly as `hqld` does at start-up;
//! the rules after a failure are reported as skipped, not guessed. The
//! failure keeps the loader's own words (the file, the plugin, both ABI
//! versions) and adds what to do about it.

use hql_plugin_api::abi::{HQL_ABI_MAJOR, HQL_ABI_MINOR, HQL_DESCRIPTOR_MIN_SIZE_V1, HQL_SCORER_MAGIC};
use hql_qualifier::PluginLoadError;

use crate::load::{Loaded, RawDescriptor};
use crate::report::{RuleResult, Status};
use crate::rules::{Rule, skip_all};

/// The rules of this stage, in order.
pub(crate) const RULES: [Rule; 6] =
    [Rule::Open, Rule::Entry, Rule::Magic, Rule::AbiMajor, Rule::AbiMinor, Rule::DescriptorSize];

const SKIPPED: &str = "not checked: the server stops loading at the first failed check";

/// One result per rule of this stage.
pub(crate) fn evaluate(loaded: &Loaded) -> Vec<RuleResult> {
    let mut results = Vec::with_capacity(RULES.len());
    match &loaded.outcome {
        Ok(_)
        | Err(PluginLoadError::BadDescriptor { .. })
        | Err(PluginLoadError::DescriptorTooSmall { .. })
            if loaded.raw.is_some() =>
        {
            results.push(opened());
            results.push(entry_found());
            if let Some(raw) = &loaded.raw {
                results.extend(from_descriptor(raw));
            }
        }
        Err(PluginLoadError::MissingEntry { symbol, .. }) => {
            results.push(opened());
            results.push(RuleResult::fail(
                Rule::Entry,
                format!("the library does not export `{symbol}`: it is not an HQL scorer plugin"),
                vec![error_text(&loaded.outcome)],
                format!(
                    "Rust: add `hql_plugin_api::export_scorer!(YourScorer);` to lib.rs and build with \
                     `crate-type = [\"cdylib\"]`. C/C++: define `const hql_scorer_descriptor_t *{symbol}(void)` \
                     with default visibility (not `static`, `extern \"C\"` in C++). `nm -D --defined-only` on \
                     the library must list `{symbol}`."
                ),
            ));
        }
        Err(PluginLoadError::NullDescriptor { .. }) => {
            results.push(opened());
            results.push(RuleResult::fail(
                Rule::Entry,
                "`hql_scorer_entry` returned a null descriptor",
                vec![error_text(&loaded.outcome)],
                "Return a pointer to a descriptor with static storage duration (a `static const` object \
                 in C); the entry must never fail. Rust: export_scorer! does this for you.",
            ));
        }
        Err(PluginLoadError::BadMagic { found, expected, .. }) => {
            results.push(opened());
            results.push(entry_found());
            results.push(magic(*found, *expected));
        }
        Err(PluginLoadError::AbiMismatch { plugin, plugin_version, plugin_major, plugin_minor, .. }) => {
            results.push(opened());
            results.push(entry_found());
            results.push(magic(HQL_SCORER_MAGIC, HQL_SCORER_MAGIC));
            let who = plugin_label(plugin, plugin_version);
            results.extend(abi(&who, *plugin_major, *plugin_minor));
        }
        Ok(_) => {
            // Never happens: a loaded library's descriptor is always copied.
            results.push(opened());
            results.push(entry_found());
        }
        Err(PluginLoadError::BadDescriptor { .. }) => {
            // The loader refused the contents, but the descriptor could not
            // be fetched again to say which part: the descriptor rules
            // report the loader's message.
            results.push(opened());
            results.push(entry_found());
            results.push(magic(HQL_SCORER_MAGIC, HQL_SCORER_MAGIC));
        }
        Err(PluginLoadError::DescriptorTooSmall { found, min, .. }) => {
            results.push(opened());
            results.push(entry_found());
            results.push(magic(HQL_SCORER_MAGIC, HQL_SCORER_MAGIC));
            results.push(RuleResult::pass(
                Rule::AbiMajor,
                format!("built for ABI {HQL_ABI_MAJOR}.x, this host speaks {HQL_ABI_MAJOR}.{HQL_ABI_MINOR}"),
            ));
            results.push(RuleResult::pass(
                Rule::AbiMinor,
                format!("not newer than this host's {HQL_ABI_MINOR}"),
            ));
            results.push(size(*found, *min));
        }
        Err(
            e @ (PluginLoadError::Read { .. }
            | PluginLoadError::Open { .. }
            | PluginLoadError::ChangedSinceLoaded { .. }
            | PluginLoadError::NotFound { .. }
            | PluginLoadError::OutsidePluginDir { .. }),
        ) => {
            results.push(RuleResult::fail(
                Rule::Open,
                "the file cannot be loaded as a shared library",
                vec![e.to_string()],
                format!(
                    "Build a shared library for this platform ({}-{}): Rust `crate-type = [\"cdylib\"]`, C \
                     `cc -shared -fPIC`. `file` on it shows what it is; `ldd` shows a missing dependency.",
                    std::env::consts::ARCH,
                    std::env::consts::OS
                ),
            ));
        }
    }
    // The server's own words go with the failure they explain.
    if let Err(e) = &loaded.outcome
        && let Some(failed) = results.iter_mut().find(|r| r.status == Status::Fail)
        && failed.problems.is_empty()
    {
        failed.problems.push(format!("hqld would refuse it: {e}"));
    }
    let done = results.len();
    results.extend(skip_all(&RULES[done..], SKIPPED));
    results
}

fn error_text(outcome: &Result<hql_qualifier::plugin::LoadedLibrary, PluginLoadError>) -> String {
    outcome.as_ref().err().map(ToString::to_string).unwrap_or_default()
}

fn opened() -> RuleResult {
    RuleResult::pass(Rule::Open, "opened as a shared library")
}

fn entry_found() -> RuleResult {
    RuleResult::pass(Rule::Entry, "`hql_scorer_entry` returns a descriptor")
}

fn plugin_label(name: &str, version: &str) -> String {
    match (name.is_empty(), version.is_empty()) {
        (true, _) => "the plugin".to_string(),
        (false, true) => format!("plugin `{name}`"),
        (false, false) => format!("plugin `{name}` {version}"),
    }
}

/// Magic, ABI and size from a descriptor that could be read, stopping at
/// the first failure as the loader does.
fn from_descriptor(raw: &RawDescriptor) -> Vec<RuleResult> {
    let mut results = vec![magic(raw.magic, HQL_SCORER_MAGIC)];
    if raw.magic != HQL_SCORER_MAGIC {
        return results;
    }
    let version = raw.version.as_ref().and_then(|v| v.text().ok()).unwrap_or("");
    let who = plugin_label(&raw.display_name(), version);
    results.extend(abi(&who, raw.abi_major, raw.abi_minor));
    if results.iter().all(|r| r.status == Status::Pass) {
        results.push(size(raw.struct_size, HQL_DESCRIPTOR_MIN_SIZE_V1));
    }
    results
}

fn magic(found: u32, expected: u32) -> RuleResult {
    if found == expected {
        return RuleResult::pass(Rule::Magic, format!("0x{found:08x} (\"HQLS\")"));
    }
    let hint = if found == expected.swap_bytes() {
        " The value is byte-swapped: assign the constant as an integer rather than writing its bytes."
    } else {
        ""
    };
    RuleResult::fail(
        Rule::Magic,
        format!("magic is 0x{found:08x}, expected 0x{expected:08x}: not an HQL scorer descriptor"),
        Vec::new(),
        format!(
            "Set the descriptor's first field to HQL_SCORER_MAGIC (0x{expected:08x}) from hql_scorer.h, and make \
             sure `hql_scorer_entry` returns the descriptor itself.{hint}"
        ),
    )
}

/// ABI major, then minor (skipped when the major fails).
fn abi(who: &str, major: u16, minor: u16) -> Vec<RuleResult> {
    let built = format!(
        "{who} was built for scorer ABI {major}.{minor}, this host speaks {HQL_ABI_MAJOR}.{HQL_ABI_MINOR}"
    );
    if major != HQL_ABI_MAJOR {
        let fix = if major > HQL_ABI_MAJOR {
            format!(
                "The plugin needs a newer hqld (ABI {major}.x): upgrade hqld, or rebuild the plugin against \
                 this host's hql_scorer.h / hql-plugin-api (ABI {HQL_ABI_MAJOR}.{HQL_ABI_MINOR})."
            )
        } else {
            format!(
                "Rebuild the plugin against this host's hql_scorer.h / hql-plugin-api (ABI \
                 {HQL_ABI_MAJOR}.{HQL_ABI_MINOR}); a major change is incompatible, so read what changed in the \
                 header first."
            )
        };
        return vec![
            RuleResult::fail(Rule::AbiMajor, built, Vec::new(), fix),
            RuleResult::skip(Rule::AbiMinor, "not checked: the major version is incompatible"),
        ];
    }
    let major_ok = RuleResult::pass(Rule::AbiMajor, built);
    if minor > HQL_ABI_MINOR {
        return vec![
            major_ok,
            RuleResult::fail(
                Rule::AbiMinor,
                format!(
                    "built against ABI {major}.{minor}, newer than this host's {HQL_ABI_MAJOR}.{HQL_ABI_MINOR}: \
                     it may call callbacks this host lacks"
                ),
                Vec::new(),
                format!(
                    "Upgrade hqld to one with ABI {major}.{minor} or later, or rebuild the plugin against the \
                     hql_scorer.h / hql-plugin-api of this host (ABI {HQL_ABI_MAJOR}.{HQL_ABI_MINOR})."
                ),
            ),
        ];
    }
    vec![
        major_ok,
        RuleResult::pass(
            Rule::AbiMinor,
            format!("minor {minor} is not newer than this host's {HQL_ABI_MINOR}"),
        ),
    ]
}

fn size(found: u32, min: usize) -> RuleResult {
    if found as usize >= min {
        return RuleResult::pass(
            Rule::DescriptorSize,
            format!("{found} bytes (ABI {HQL_ABI_MAJOR}.0 needs at least {min})"),
        );
    }
    RuleResult::fail(
        Rule::DescriptorSize,
        format!("struct_size is {found} bytes, ABI {HQL_ABI_MAJOR}.{HQL_ABI_MINOR} needs at least {min}"),
        Vec::new(),
        "Set `struct_size = sizeof(hql_scorer_descriptor_t)` from the hql_scorer.h you build against; never \
         hard-code it (Rust: export_scorer! does this).",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn statuses(results: &[RuleResult]) -> Vec<(Rule, Status)> {
        results.iter().map(|r| (r.rule, r.status)).collect()
    }

    fn failed(error: PluginLoadError) -> Vec<RuleResult> {
        evaluate(&Loaded { outcome: Err(error), raw: None })
    }

    fn file() -> PathBuf {
        PathBuf::from("/plugins/libx.so")
    }

    #[test]
    fn a_missing_entry_fails_that_rule_and_skips_the_rest() {
        let results = failed(PluginLoadError::MissingEntry { file: file(), symbol: "hql_scorer_entry" });
        assert_eq!(
            statuses(&results),
            vec![
                (Rule::Open, Status::Pass),
                (Rule::Entry, Status::Fail),
                (Rule::Magic, Status::Skip),
                (Rule::AbiMajor, Status::Skip),
                (Rule::AbiMinor, Status::Skip),
                (Rule::DescriptorSize, Status::Skip),
            ]
        );
        assert!(results[1].fix.as_deref().is_some_and(|f| f.contains("export_scorer!")));
    }

    #[test]
    fn an_unloadable_file_fails_open() {
        let results = failed(PluginLoadError::Open { file: file(), message: "invalid ELF header".into() });
        assert_eq!(results[0].status, Status::Fail);
        assert!(results[0].problems[0].contains("invalid ELF header"));
        assert!(results[1..].iter().all(|r| r.status == Status::Skip));
    }

    #[test]
    fn bad_magic_says_when_it_is_byte_swapped() {
        let results = failed(PluginLoadError::BadMagic {
            file: file(),
            found: HQL_SCORER_MAGIC.swap_bytes(),
            expected: HQL_SCORER_MAGIC,
        });
        assert_eq!(results[2].status, Status::Fail);
        assert!(results[2].fix.as_deref().is_some_and(|f| f.contains("byte-swapped")));
    }

    #[test]
    fn a_wrong_major_fails_major_and_skips_minor() {
        let results = failed(PluginLoadError::AbiMismatch {
            file: file(),
            plugin: "x".into(),
            plugin_version: "9.0.0".into(),
            plugin_major: HQL_ABI_MAJOR + 1,
            plugin_minor: 0,
            host_major: HQL_ABI_MAJOR,
            host_minor: HQL_ABI_MINOR,
            hint: "",
        });
        assert_eq!(results[3].status, Status::Fail);
        assert!(results[3].summary.contains("plugin `x` 9.0.0"), "{}", results[3].summary);
        assert!(results[3].summary.contains(&format!("ABI {}.0", HQL_ABI_MAJOR + 1)));
        assert!(results[3].fix.as_deref().is_some_and(|f| f.contains("newer hqld")));
        assert_eq!(results[4].status, Status::Skip);
    }

    #[test]
    fn a_newer_minor_passes_major_and_fails_minor() {
        let results = failed(PluginLoadError::AbiMismatch {
            file: file(),
            plugin: "x".into(),
            plugin_version: "1.0.0".into(),
            plugin_major: HQL_ABI_MAJOR,
            plugin_minor: HQL_ABI_MINOR + 1,
            host_major: HQL_ABI_MAJOR,
            host_minor: HQL_ABI_MINOR,
            hint: "",
        });
        assert_eq!((results[3].status, results[4].status), (Status::Pass, Status::Fail));
        assert_eq!(results[5].status, Status::Skip);
    }

    #[test]
    fn a_small_descriptor_fails_size() {
        let results = failed(PluginLoadError::DescriptorTooSmall {
            file: file(),
            plugin: "x".into(),
            found: 96,
            min: HQL_DESCRIPTOR_MIN_SIZE_V1,
            host_major: HQL_ABI_MAJOR,
            host_minor: HQL_ABI_MINOR,
        });
        assert_eq!(results[5].status, Status::Fail);
        assert!(results[5].summary.contains("96 bytes"));
        assert!(results[..5].iter().all(|r| r.status == Status::Pass));
    }

    #[test]
    fn a_readable_descriptor_is_judged_field_by_field() {
        // SAFETY: generated by export_scorer!, static; copied, not mutated.
        let d = unsafe { *hql_test_panicking::hql_scorer_descriptor() };
        // SAFETY: a complete descriptor.
        let raw = unsafe { RawDescriptor::read(&d) };
        let ok = from_descriptor(&raw);
        assert!(ok.iter().all(|r| r.status == Status::Pass), "{ok:?}");
        assert_eq!(ok.len(), 4);

        let mut small = d;
        small.struct_size = 8;
        // SAFETY: the object is complete; only its claimed size is small.
        let results = from_descriptor(&unsafe { RawDescriptor::read(&small) });
        assert_eq!(results.last().map(|r| (r.rule, r.status)), Some((Rule::DescriptorSize, Status::Fail)));
    }
}
