//! Where a loaded plugin library's read-only memory lies.
//!
//! A plugin's reason codes, evidence paths and many of its fact values are
//! string literals: bytes in its library's read-only segments, which the
//! loader maps once and nothing writes while the library is loaded. `hqld`
//! never unloads a library (see `plugin`), so such bytes outlive every
//! decision, and the host can keep a reference to them instead of copying
//! them on every call (`hql_plugin_api::host::ReadOnlyImage`). This module
//! finds those segments: the `PT_LOAD` program headers without the write
//! flag of the object that contains a given address (the plugin's entry
//! function), as the dynamic loader reports them (`dl_iterate_phdr`).
//!
//! On a platform without `dl_iterate_phdr` nothing is found and every string
//! is copied, as before.

/// The read-only segments, `(start, length)`, of the loaded object holding
/// `address`; empty when there is none or they cannot be listed.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
pub(crate) fn read_only_segments(address: usize) -> Vec<(usize, usize)> {
    use std::ffi::{c_int, c_void};

    struct Search {
        address: usize,
        found: Vec<(usize, usize)>,
    }

    unsafe extern "C" fn visit(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: the loader passes a valid `info` for this call, and `data`
        // is the `Search` handed to `dl_iterate_phdr` below.
        let (info, search) = unsafe { (&*info, &mut *(data as *mut Search)) };
        let headers: &[libc::Elf64_Phdr] = if info.dlpi_phdr.is_null() {
            &[]
        } else {
            // SAFETY: `dlpi_phnum` headers at `dlpi_phdr`, valid for this call.
            unsafe { std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)) }
        };
        let base = info.dlpi_addr as usize;
        let loaded = headers.iter().filter(|h| h.p_type == libc::PT_LOAD);
        let segment = |h: &libc::Elf64_Phdr| (base.wrapping_add(h.p_vaddr as usize), h.p_memsz as usize);
        let holds = |h: &libc::Elf64_Phdr| {
            let (start, len) = segment(h);
            search.address >= start && search.address - start < len
        };
        if !loaded.clone().any(holds) {
            return 0;
        }
        let mut segments: Vec<(usize, usize, bool)> = loaded
            .map(|h| {
                let (start, len) = segment(h);
                (start, len, h.p_flags & libc::PF_W != 0)
            })
            .collect();
        search.found = read_only_spans(&mut segments);
        // Found: stop iterating.
        1
    }

    let mut search = Search { address, found: Vec::new() };
    // SAFETY: `visit` only reads what the loader passes and writes `search`,
    // which outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(visit), &mut search as *mut Search as *mut c_void) };
    search.found
}

/// The spans of `segments` (`(start, length, writable)` each, one object's
/// loadable segments) that hold no writable byte: each run of read-only
/// segments with no writable one between them becomes one span, from the
/// first's start to the last's end.
///
/// One span instead of several is one range check per string instead of
/// several (a plugin library's literals and its code are usually two
/// adjacent read-only segments). What lies between two segments of a run is
/// the tail of the first's last page, mapped as it is, or a hole the loader
/// maps with no access at all (glibc makes the gaps between an object's
/// segments `PROT_NONE`): never anything writable.
#[cfg_attr(not(all(target_os = "linux", target_pointer_width = "64")), allow(dead_code))]
fn read_only_spans(segments: &mut [(usize, usize, bool)]) -> Vec<(usize, usize)> {
    segments.sort_unstable_by_key(|&(start, _, _)| start);
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut extend_last = false;
    for &(start, len, writable) in segments.iter() {
        if writable {
            extend_last = false;
            continue;
        }
        let end = start.saturating_add(len);
        match spans.last_mut() {
            Some((first, span)) if extend_last => *span = (*span).max(end - *first),
            _ => spans.push((start, len)),
        }
        extend_last = true;
    }
    spans
}

/// The read-only segments of the loaded object holding `address`: none on
/// this platform.
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
pub(crate) fn read_only_segments(_address: usize) -> Vec<(usize, usize)> {
    Vec::new()
}

#[cfg(all(test, target_os = "linux", target_pointer_width = "64"))]
mod tests {
    use super::*;

    static LITERAL: &str = "a string literal of this test binary";
    static mut WRITABLE: [u8; 4] = *b"data";

    fn inside(segments: &[(usize, usize)], address: usize) -> bool {
        segments.iter().any(|&(start, len)| address >= start && address - start < len)
    }

    #[test]
    fn a_literal_lies_in_a_read_only_segment_of_its_object_and_writable_data_does_not() {
        let segments = read_only_segments(read_only_segments as *const () as usize);
        assert!(!segments.is_empty(), "this function's own object is found");
        assert!(inside(&segments, LITERAL.as_ptr() as usize));
        assert!(!inside(&segments, std::ptr::addr_of!(WRITABLE) as usize));
        let on_heap = String::from("heap");
        assert!(!inside(&segments, on_heap.as_ptr() as usize));
    }

    #[test]
    fn read_only_segments_join_unless_a_writable_one_lies_between() {
        // Out of order, with a writable segment between two read-only ones.
        let mut library =
            [(0x2000, 0x800, false), (0x1000, 0x1000, true), (0x0, 0x800, false), (0x10000, 0x10, false)];
        // Sorted: R 0x0-0x800, RW 0x1000-0x2000, R 0x2000-0x2800, R 0x10000-0x10010.
        assert_eq!(read_only_spans(&mut library), [(0x0, 0x800), (0x2000, 0xe010)]);
        // As a bundled plugin library is laid out: read-only data, code, then data.
        let mut code_and_data = [(0x0, 0x21828, false), (0x22828, 0x6ceb8, false), (0x906e0, 0x3920, true)];
        assert_eq!(read_only_spans(&mut code_and_data), [(0x0, 0x22828 + 0x6ceb8)]);
        assert!(read_only_spans(&mut [(0x0, 0x10, true)]).is_empty());
    }

    #[test]
    fn an_address_in_no_loaded_object_finds_nothing() {
        assert!(read_only_segments(0).is_empty());
    }

    mod through_the_abi {
        use std::borrow::Cow;
        use std::sync::Arc;

        use hql_plugin_api::host::{AbiInstance, ReadOnlyImage};
        use hql_plugin_api::record::LeadRecord;
        use hql_plugin_api::view::LeadView;
        use hql_plugin_api::{
            CodeSpec, Config, ConfigError, Context, FactSpec, Lead, Level, LogSink, Score, ScoreError, Scorer,
        };

        struct Quiet;

        impl LogSink for Quiet {
            fn enabled(&self, _level: Level) -> bool {
                false
            }
            fn log(&self, _level: Level, _message: &str) {}
        }

        struct Literal;

        impl Scorer for Literal {
            const NAME: &'static str = "literal";
            const VERSION: &'static str = "1.0.0";
            const DIMENSION: &'static str = "fit";
            const FACTS: &'static [FactSpec] =
                &[FactSpec::text("tier", "a literal"), FactSpec::text("made", "made per call")];
            const DISQUALIFIERS: &'static [CodeSpec] = &[CodeSpec::new("literal.out", "always")];

            fn configure(_config: &Config<'_>) -> Result<Self, ConfigError> {
                Ok(Literal)
            }

            fn score(&self, _lead: &Lead<'_>, _ctx: &Context<'_>) -> Result<Score, ScoreError> {
                let mut score = Score::new(10.0);
                score.reason("literal.code", 10.0, format!("made {}", 10)).field("bant.need");
                score.fact("tier", "gold").fact("made", format!("{}-{}", "per", "call"));
                score.disqualify("literal.out", "a literal message");
                Ok(score)
            }
        }

        hql_plugin_api::export_scorer!(Literal);

        fn scored(image: ReadOnlyImage) -> Score {
            // SAFETY: generated by export_scorer! above; it honours the ABI.
            let descriptor = unsafe { hql_scorer_descriptor().as_ref() }.expect("a descriptor");
            // SAFETY: as above.
            let instance = unsafe { AbiInstance::create(descriptor, "{}", Arc::new(Quiet)) }
                .expect("created")
                .with_image(image);
            let lead = LeadRecord::default();
            instance.score(&LeadView::new(&lead, 0)).expect("scored")
        }

        fn borrowed(text: impl std::ops::Deref<Target = Cow<'static, str>>) -> bool {
            matches!(*text, Cow::Borrowed(_))
        }

        #[test]
        fn literals_in_the_read_only_image_are_kept_where_they_lie_and_the_rest_copied() {
            let segments = super::read_only_segments(hql_scorer_entry as *const () as usize);
            // SAFETY: read-only segments of this test binary, mapped for ever.
            let with = scored(unsafe { ReadOnlyImage::new(segments) });
            let r = &with.reasons()[0];
            assert!(borrowed(&r.code) && borrowed(&r.fields[0]), "literals: {r:?}");
            assert!(!borrowed(&r.message), "formatted per call: copied");
            let text = |score: &Score, name: &str| match score.fact_value(name) {
                Some(hql_plugin_api::FactValue::Text(t)) => t.clone(),
                other => panic!("{other:?}"),
            };
            assert!(borrowed(&text(&with, "tier")) && !borrowed(&text(&with, "made")));
            let d = &with.disqualifiers()[0];
            assert!(borrowed(&d.code) && borrowed(&d.message));
            // Without an image every string is a copy, and equal.
            let without = scored(ReadOnlyImage::default());
            assert!(!borrowed(&without.reasons()[0].code) && !borrowed(&text(&without, "tier")));
            assert_eq!(with, without);
        }
    }
}
