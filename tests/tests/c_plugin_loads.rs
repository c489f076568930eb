//! A scorer written in plain C against `hql_scorer.h` works through the
//! host's own ABI wrappers, and the C fixtures are built the way they claim.
//!
//! This is the ABI's proof of sufficiency: `plugins/example-c/example_scorer.c`
//! knows nothing but the header, yet the host creates it from a config,
//! scores a lead through it and reads back score, reasons with evidence,
//! facts, disqualifiers and logs. The other fixtures are only inspected here:
//! each broken one must be wrong in one respect and right in every other, so
//! the server's refusal of it, tested end to end, is attributable to that one
//! check; the ABI-minor ones (`abi_1_0`, `larger_descriptor`, `newer_minor`)
//! must declare the version and descriptor size they stand for, which
//! `tests/abi_minor.rs` then puts through the server's loader.

use std::sync::Arc;

use hql_plugin_api::abi::{
    HQL_ABI_MAJOR, HQL_ABI_MINOR, HQL_DESCRIPTOR_MIN_SIZE_V1, HQL_SCORER_ENTRY_SYMBOL, HQL_SCORER_MAGIC,
    HQL_VALUE_NUMBER, hql_scorer_descriptor_t, hql_scorer_entry_fn, hql_str_t,
};
use hql_plugin_api::host::AbiInstance;
use hql_plugin_api::record::{EventRecord, LeadRecord};
use hql_plugin_api::testing::CapturedLogs;
use hql_plugin_api::view::LeadView;
use hql_plugin_api::{Disqualifier, FactValue, Level};
use hql_tests::{
    AS_OF_MS, C_ABI_1_0, C_BAD_MAGIC, C_EXAMPLE, C_LARGER_DESCRIPTOR, C_NEWER_MINOR, C_NO_ENTRY,
    C_SMALL_DESCRIPTOR, C_WRONG_MAJOR, c_fixture, days_before,
};
use libloading::Library;

/// Loads a fixture and keeps it loaded for the rest of the process, as the
/// host does (libraries are never unloaded), which is what makes the
/// descriptor `'static`.
fn library(name: &str) -> &'static Library {
    let path = c_fixture(name);
    // SAFETY: our own fixtures; their initialisers do nothing.
    let library = unsafe { Library::new(&path) }.unwrap_or_else(|e| panic!("dlopen {}: {e}", path.display()));
    Box::leak(Box::new(library))
}

/// Calls `hql_scorer_entry` of a fixture.
fn descriptor(name: &str) -> &'static hql_scorer_descriptor_t {
    let library = library(name);
    // SAFETY: the symbol has the header's `hql_scorer_entry_fn` type.
    let entry = unsafe { library.get::<hql_scorer_entry_fn>(HQL_SCORER_ENTRY_SYMBOL.as_bytes()) }
        .unwrap_or_else(|e| panic!("{name} exports no {HQL_SCORER_ENTRY_SYMBOL}: {e}"));
    // SAFETY: the entry takes nothing and returns a static descriptor.
    let ptr = unsafe { entry() };
    // SAFETY: non-null descriptors are static while the library is loaded
    // (for ever, see `library`).
    unsafe { ptr.as_ref() }.unwrap_or_else(|| panic!("{name}: the entry returned NULL"))
}

fn text(s: hql_str_t) -> &'static str {
    // SAFETY: descriptor strings are static in a library we never unload.
    unsafe { s.as_str() }.expect("descriptor strings are UTF-8")
}

fn create(config: &str) -> (AbiInstance, Arc<CapturedLogs>) {
    let logs = Arc::new(CapturedLogs::default());
    // SAFETY: the fixture honours the ABI; that is what this file tests.
    let instance = unsafe { AbiInstance::create(descriptor(C_EXAMPLE), config, logs.clone()) }
        .unwrap_or_else(|errors| panic!("c_example refused {config}: {errors:?}"));
    (instance, logs)
}

fn lead_with(events: &[(&'static str, i64)]) -> LeadRecord {
    LeadRecord {
        lead_id: "c-lead-1".into(),
        events: events.iter().map(|(kind, at)| EventRecord::new(*kind, *at)).collect(),
        ..LeadRecord::default()
    }
}

fn day(n: i64) -> i64 {
    days_before(AS_OF_MS, n)
}

#[test]
fn the_entry_returns_a_complete_descriptor() {
    let d = descriptor(C_EXAMPLE);
    assert_eq!(d.magic, HQL_SCORER_MAGIC);
    assert_eq!((d.abi_major, d.abi_minor), (HQL_ABI_MAJOR, HQL_ABI_MINOR));
    assert_eq!(d.struct_size as usize, size_of::<hql_scorer_descriptor_t>());
    assert_eq!(text(d.name), "c_example");
    assert_eq!(text(d.version), "1.0.0");
    assert_eq!(text(d.dimension), "engagement");
    assert!(!text(d.description).is_empty());
    assert!(d.create.is_some() && d.score.is_some() && d.destroy.is_some());

    // SAFETY: (ptr, len) tables of static data in the loaded library.
    let facts = unsafe { std::slice::from_raw_parts(d.facts, d.facts_len) };
    assert_eq!(facts.len(), 1);
    assert_eq!(text(facts[0].name), "demo_requests");
    assert_eq!(facts[0].kind, HQL_VALUE_NUMBER);
    // SAFETY: as above.
    let codes = unsafe { std::slice::from_raw_parts(d.disqualifiers, d.disqualifiers_len) };
    assert_eq!(codes.len(), 1);
    assert_eq!(text(codes[0].code), "c_example.spam");
}

#[test]
fn scores_demo_requests_with_evidence_fact_and_disqualifier() {
    let (instance, _) = create(r#"{"points_per_demo": 30}"#);
    let lead = lead_with(&[
        ("website_visit", day(9)),
        ("demo_request", day(5)),
        ("spam_complaint", day(4)),
        ("demo_request", day(1)),
        // After as_of: the host's view hides it, so it is not counted.
        ("demo_request", AS_OF_MS + 1),
    ]);
    let view = LeadView::new(&lead, AS_OF_MS);
    let score = instance.score(&view).expect("c_example scores");

    assert_eq!(score.value(), 60.0);
    let reasons = score.reasons();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    for (reason, event_index) in reasons.iter().zip([1u32, 3]) {
        assert_eq!(reason.code, "c_example.demo_request");
        assert_eq!(reason.message, "Requested a demo");
        assert_eq!(reason.points, 30.0);
        assert_eq!(reason.events, vec![event_index], "evidence is the event's request index");
        assert!(reason.fields.is_empty());
    }
    assert_eq!(score.fact_value("demo_requests"), Some(&FactValue::Number(2.0)));
    assert_eq!(
        score.disqualifiers(),
        [Disqualifier {
            code: "c_example.spam".into(),
            message: "The lead marked our e-mail as spam".into(),
        }]
    );
}

#[test]
fn the_score_is_capped_at_100_and_reasons_add_up_to_it() {
    let (instance, _) = create("{}"); // default: 40 points per demo
    let lead = lead_with(&[("demo_request", day(3)), ("demo_request", day(2)), ("demo_request", day(1))]);
    let score = instance.score(&LeadView::new(&lead, AS_OF_MS)).expect("scores");
    assert_eq!(score.value(), 100.0);
    let points: Vec<f64> = score.reasons().iter().map(|r| r.points).collect();
    assert_eq!(points, vec![40.0, 40.0, 20.0]);
    assert_eq!(score.total_points(), score.value());
    assert_eq!(score.fact_value("demo_requests"), Some(&FactValue::Number(3.0)));
    assert!(score.disqualifiers().is_empty());
}

#[test]
fn a_lead_without_demos_scores_zero_with_the_fact_still_set() {
    let (instance, _) = create("");
    let lead = lead_with(&[("blog_view", day(1))]);
    let score = instance.score(&LeadView::new(&lead, AS_OF_MS)).expect("scores");
    assert_eq!(score.value(), 0.0);
    assert!(score.reasons().is_empty());
    assert_eq!(score.fact_value("demo_requests"), Some(&FactValue::Number(0.0)));
}

#[test]
fn create_logs_one_debug_line_through_the_host() {
    let (_instance, logs) = create(r#"{ "points_per_demo" : 25 }"#);
    assert_eq!(logs.lines(), vec![(Level::Debug, "c_example configured: 25 points per demo".to_string())]);
}

#[test]
fn negative_points_are_refused_naming_the_key() {
    let logs = Arc::new(CapturedLogs::default());
    // SAFETY: as in `create`.
    let refused =
        unsafe { AbiInstance::create(descriptor(C_EXAMPLE), r#"{"points_per_demo": -5}"#, logs.clone()) };
    let errors = refused.err().expect("negative points are refused");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].key, "points_per_demo");
    assert!(errors[0].message.contains("negative"), "{}", errors[0].message);
    assert!(logs.lines().is_empty(), "a refused create logs nothing");
}

#[test]
fn non_integer_points_are_refused_naming_the_key() {
    for config in [r#"{"points_per_demo": "ten"}"#, r#"{"points_per_demo": 2.5}"#] {
        let logs = Arc::new(CapturedLogs::default());
        // SAFETY: as in `create`.
        let refused = unsafe { AbiInstance::create(descriptor(C_EXAMPLE), config, logs) };
        let errors = refused.err().unwrap_or_else(|| panic!("{config} is refused"));
        assert_eq!(errors[0].key, "points_per_demo", "{config}");
    }
}

#[test]
fn one_instance_scores_concurrently_from_many_threads() {
    // The header promises `score` may run concurrently on one instance; the
    // C example keeps its instance read-only after create to honour that.
    let (instance, _) = create(r#"{"points_per_demo": 10}"#);
    let lead = lead_with(&[("demo_request", day(2)), ("demo_request", day(1))]);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    let view = LeadView::new(&lead, AS_OF_MS);
                    (0..200).map(|_| instance.score(&view).expect("scores").value()).sum::<f64>()
                })
            })
            .collect();
        for worker in workers {
            assert_eq!(worker.join().expect("worker"), 200.0 * 20.0);
        }
    });
}

#[test]
fn wrong_major_is_well_formed_but_built_for_the_next_major() {
    let d = descriptor(C_WRONG_MAJOR);
    assert_eq!(d.magic, HQL_SCORER_MAGIC);
    assert_eq!(d.abi_major, HQL_ABI_MAJOR + 1);
    assert_eq!(d.struct_size as usize, size_of::<hql_scorer_descriptor_t>());
    assert_eq!(text(d.name), "wrong_major");
    assert_eq!(text(d.version), "9.0.0");
    assert!(d.create.is_some() && d.score.is_some() && d.destroy.is_some());
}

#[test]
fn no_entry_loads_but_lacks_the_entry_symbol() {
    let library = library(C_NO_ENTRY);
    // SAFETY: only looked up, never called with a wrong type.
    let entry = unsafe { library.get::<hql_scorer_entry_fn>(HQL_SCORER_ENTRY_SYMBOL.as_bytes()) };
    assert!(entry.is_err(), "no_entry must not export {HQL_SCORER_ENTRY_SYMBOL}");
    // It is a working library that exports something else.
    // SAFETY: declared in no_entry.c as `const char *(void)`.
    let other = unsafe {
        library.get::<unsafe extern "C" fn() -> *const std::ffi::c_char>(b"hql_scorer_entry_point")
    }
    .expect("no_entry exports hql_scorer_entry_point");
    // SAFETY: returns a static C string.
    let returned = unsafe { std::ffi::CStr::from_ptr(other()) };
    assert_eq!(returned.to_str(), Ok("not a scorer"));
}

#[test]
fn small_descriptor_claims_less_than_a_1_0_descriptor() {
    let d = descriptor(C_SMALL_DESCRIPTOR);
    assert!(
        (d.struct_size as usize) < HQL_DESCRIPTOR_MIN_SIZE_V1,
        "struct_size {} must be below {HQL_DESCRIPTOR_MIN_SIZE_V1}",
        d.struct_size
    );
    assert_eq!(d.magic, HQL_SCORER_MAGIC);
    assert_eq!(d.abi_major, HQL_ABI_MAJOR);
    assert_eq!(text(d.name), "small_descriptor");
}

#[test]
fn bad_magic_is_right_in_everything_but_the_magic() {
    let d = descriptor(C_BAD_MAGIC);
    assert_ne!(d.magic, HQL_SCORER_MAGIC);
    assert_eq!(d.magic, HQL_SCORER_MAGIC.swap_bytes(), "a byte-swapped magic");
    assert_eq!(d.abi_major, HQL_ABI_MAJOR);
    assert_eq!(d.struct_size as usize, size_of::<hql_scorer_descriptor_t>());
    assert_eq!(text(d.name), "bad_magic");
}

#[test]
fn abi_1_0_declares_1_0_with_exactly_the_1_0_descriptor() {
    let d = descriptor(C_ABI_1_0);
    assert_eq!(d.magic, HQL_SCORER_MAGIC);
    assert_eq!((d.abi_major, d.abi_minor), (1, 0), "1.0 literally, whatever the header says now");
    assert_eq!(d.struct_size as usize, HQL_DESCRIPTOR_MIN_SIZE_V1, "exactly a 1.0 descriptor");
    assert_eq!(text(d.name), "abi_1_0");
    assert!(d.create.is_some() && d.score.is_some() && d.destroy.is_some());
}

/// The `hql_str_t` a fixture appended right after the host's descriptor
/// (`descriptor_with_additions_t::homepage` in `abi_minor.h`).
fn appended_homepage(d: &'static hql_scorer_descriptor_t) -> &'static str {
    assert!(d.struct_size as usize >= size_of::<hql_scorer_descriptor_t>() + size_of::<hql_str_t>());
    // SAFETY: `struct_size` says the object extends past the host's
    // descriptor; the first appended field is an `hql_str_t` at the host's
    // size (a multiple of its alignment), static like the descriptor.
    let appended = unsafe {
        std::ptr::from_ref(d)
            .cast::<u8>()
            .add(size_of::<hql_scorer_descriptor_t>())
            .cast::<hql_str_t>()
            .read()
    };
    text(appended)
}

#[test]
fn larger_descriptor_is_of_the_hosts_version_with_fields_appended() {
    let d = descriptor(C_LARGER_DESCRIPTOR);
    assert_eq!(d.magic, HQL_SCORER_MAGIC);
    assert_eq!((d.abi_major, d.abi_minor), (HQL_ABI_MAJOR, HQL_ABI_MINOR));
    assert!(d.struct_size as usize > HQL_DESCRIPTOR_MIN_SIZE_V1, "struct_size {}", d.struct_size);
    assert_eq!(appended_homepage(d), "https://example.com/larger_descriptor");
    assert_eq!(text(d.name), "larger_descriptor");
    assert!(d.create.is_some() && d.score.is_some() && d.destroy.is_some());
}

#[test]
fn newer_minor_is_built_for_the_next_minor_with_its_larger_descriptor() {
    let d = descriptor(C_NEWER_MINOR);
    assert_eq!(d.magic, HQL_SCORER_MAGIC);
    assert_eq!((d.abi_major, d.abi_minor), (HQL_ABI_MAJOR, HQL_ABI_MINOR + 1));
    assert!(d.struct_size as usize > HQL_DESCRIPTOR_MIN_SIZE_V1, "struct_size {}", d.struct_size);
    assert_eq!(appended_homepage(d), "https://example.com/newer_minor");
    assert_eq!(text(d.name), "newer_minor");
    assert!(d.create.is_some() && d.score.is_some() && d.destroy.is_some());
}
