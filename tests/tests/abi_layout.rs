//! The C header and its Rust mirror describe the same ABI.
//!
//! `plugin-api/include/hql_scorer.h` is the contract; `hql_plugin_api::abi`
//! is a hand-written `#[repr(C)]` copy of it. A difference between the two
//! would not fail to compile anywhere: it would make the host and C plugins
//! read each other's memory at the wrong offsets. So this test checks, three
//! ways, that they agree:
//!
//! 1. every struct and field the header declares is in the C probe
//!    (`fixtures/c/layout_probe.c`), so a field added to the header cannot
//!    skip the comparison;
//! 2. every probed struct and field has a Rust counterpart with the same
//!    size, alignment and offset (and vice versa);
//! 3. every integer constant has the same value on both sides.

use std::collections::{BTreeMap, BTreeSet};
use std::mem::{align_of, offset_of, size_of};

use hql_plugin_api::abi;
use hql_tests::layout_probe::{LayoutRow, c_constants, c_entry_symbol, c_layout};

const HEADER: &str = include_str!("../../plugin-api/include/hql_scorer.h");

/// `size_of` a field's type, from a projection closure (no value needed).
fn field_size<T, F>(_project: fn(&T) -> &F) -> usize {
    size_of::<F>()
}

/// `r#type` is spelled `type` in C.
fn c_name(rust_field: &str) -> String {
    rust_field.trim_start_matches("r#").to_string()
}

/// The Rust side of the table: one struct row and one row per field, for
/// every ABI struct, computed from the actual Rust definitions.
macro_rules! rust_layout {
    ($($ty:ident { $($field:ident),* $(,)? })*) => {{
        let mut rows = Vec::new();
        $(
            rows.push(LayoutRow {
                type_name: stringify!($ty).to_string(),
                field: String::new(),
                size: size_of::<abi::$ty>(),
                align: align_of::<abi::$ty>(),
                offset: 0,
            });
            $(
                rows.push(LayoutRow {
                    type_name: stringify!($ty).to_string(),
                    field: c_name(stringify!($field)),
                    size: field_size(|s: &abi::$ty| &s.$field),
                    align: 0,
                    offset: offset_of!(abi::$ty, $field),
                });
            )*
        )*
        rows
    }};
}

fn rust_layout() -> Vec<LayoutRow> {
    rust_layout! {
        hql_str_t { ptr, len }
        hql_opt_i64_t { value, present }
        hql_opt_f64_t { value, present }
        hql_contact_t { email, job_title, seniority, department, country }
        hql_company_t {
            domain, name, industry, employee_count, annual_revenue, region, technologies,
            technologies_len,
        }
        hql_bant_t { budget_status, budget_amount, authority, need, timeline_days }
        hql_event_t { r#type, occurred_at, source, response, channel, campaign, value, index }
        hql_product_usage_t {
            present, activated, signed_up_at, trial_ends_at, active_days_last_30,
            active_days_prev_30, seats, invited_teammates, plan_limit_hits, plan,
            features_adopted, features_adopted_len,
        }
        hql_attribute_t { key, kind, number, boolean, text }
        hql_lead_t {
            struct_size, lead_id, contact, company, bant, events, events_len, usage, attributes,
            attributes_len,
        }
        hql_score_context_t {
            struct_size, as_of, future_events_hidden, reason_limit, reserved, reason_weight, reason_beat,
            wanted_facts,
        }
        hql_reason_t {
            code, message, points, evidence_fields, evidence_fields_len, evidence_events,
            evidence_events_len,
        }
        hql_fact_t { name, kind, number, boolean, text }
        hql_host_api_t {
            struct_size, abi_major, abi_minor, set_score, add_reason, add_disqualifier, set_fact,
            fail, config_error, log_enabled, log,
        }
        hql_fact_spec_t { name, kind, description }
        hql_code_spec_t { code, description }
        hql_scorer_descriptor_t {
            magic, abi_major, abi_minor, struct_size, name, version, dimension, description, facts,
            facts_len, disqualifiers, disqualifiers_len, create, score, destroy,
        }
    }
}

/// Every integer constant of the Rust mirror, by its C name.
macro_rules! rust_constants {
    ($($name:ident),* $(,)?) => {
        vec![$((stringify!($name).to_string(), i64::from(abi::$name))),*]
    };
}

fn rust_constants() -> Vec<(String, i64)> {
    rust_constants![
        HQL_ABI_MAJOR,
        HQL_ABI_MINOR,
        HQL_SCORER_MAGIC,
        HQL_OK,
        HQL_ERROR,
        HQL_TIME_UNKNOWN,
        HQL_SENIORITY_UNKNOWN,
        HQL_SENIORITY_INTERN,
        HQL_SENIORITY_ENTRY,
        HQL_SENIORITY_SENIOR,
        HQL_SENIORITY_MANAGER,
        HQL_SENIORITY_DIRECTOR,
        HQL_SENIORITY_VP,
        HQL_SENIORITY_C_LEVEL,
        HQL_SENIORITY_OWNER,
        HQL_BUDGET_UNKNOWN,
        HQL_BUDGET_NONE,
        HQL_BUDGET_ESTIMATED,
        HQL_BUDGET_CONFIRMED,
        HQL_AUTHORITY_UNKNOWN,
        HQL_AUTHORITY_USER,
        HQL_AUTHORITY_INFLUENCER,
        HQL_AUTHORITY_DECISION_MAKER,
        HQL_AUTHORITY_ECONOMIC_BUYER,
        HQL_NEED_UNKNOWN,
        HQL_NEED_NONE,
        HQL_NEED_STATED,
        HQL_NEED_CONFIRMED,
        HQL_SOURCE_UNKNOWN,
        HQL_SOURCE_FIRST_PARTY,
        HQL_SOURCE_THIRD_PARTY,
        HQL_RESPONSE_UNKNOWN,
        HQL_RESPONSE_POSITIVE,
        HQL_RESPONSE_NEUTRAL,
        HQL_RESPONSE_NEGATIVE,
        HQL_VALUE_NUMBER,
        HQL_VALUE_BOOL,
        HQL_VALUE_TEXT,
        HQL_LOG_ERROR,
        HQL_LOG_WARN,
        HQL_LOG_INFO,
        HQL_LOG_DEBUG,
        HQL_LOG_TRACE,
        HQL_SCORE_CONTEXT_SIZE_V1_1,
        HQL_SCORE_CONTEXT_SIZE_V1_2,
        HQL_SCORE_CONTEXT_SIZE_V1_3,
    ]
}

/// The header without its comments (which mention struct and field names).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), Some(l)) if l < b => {
                out.push_str(&rest[..l]);
                rest = rest[l..].find('\n').map_or("", |n| &rest[l + n..]);
            }
            (Some(b), _) => {
                out.push_str(&rest[..b]);
                let end = rest[b..].find("*/").expect("unterminated comment in the header");
                rest = &rest[b + end + 2..];
            }
            (None, Some(l)) => {
                out.push_str(&rest[..l]);
                rest = rest[l..].find('\n').map_or("", |n| &rest[l + n..]);
            }
            (None, None) => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// The field name of one declaration: `(*name)(...)` for a function
/// pointer, otherwise the last identifier (`const hql_str_t *name`).
fn declared_name(declaration: &str) -> String {
    if let Some(at) = declaration.find("(*") {
        let after = &declaration[at + 2..];
        return after[..after.find(')').expect("closing paren")].trim().to_string();
    }
    declaration
        .trim()
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .expect("an identifier")
        .to_string()
}

/// `(typedef name, field names)` of every struct with a body in the header.
fn header_structs() -> Vec<(String, Vec<String>)> {
    let text = strip_comments(HEADER);
    let mut structs = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("typedef struct") {
        rest = &rest[at + "typedef struct".len()..];
        let semicolon = rest.find(';').expect("a typedef ends with `;`");
        let Some(open) = rest.find('{').filter(|open| *open < semicolon) else {
            continue; // an opaque handle: `typedef struct hql_result hql_result_t;`
        };
        let close = open + rest[open..].find('}').expect("a struct body ends");
        let fields =
            rest[open + 1..close].split(';').filter(|d| !d.trim().is_empty()).map(declared_name).collect();
        let after = &rest[close + 1..];
        let name = after[..after.find(';').expect("typedef name ends")].trim().to_string();
        structs.push((name, fields));
        rest = after;
    }
    structs
}

/// Names of the integer `#define`s (not the include guard, not the string).
fn header_constants() -> BTreeSet<String> {
    strip_comments(HEADER)
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("#define")).then_some(())?;
            let name = words.next()?;
            let value = words.next()?;
            (name.starts_with("HQL_") && !value.starts_with('"')).then(|| name.to_string())
        })
        .collect()
}

fn keyed(rows: Vec<LayoutRow>) -> BTreeMap<(String, String), LayoutRow> {
    rows.into_iter().map(|r| ((r.type_name.clone(), r.field.clone()), r)).collect()
}

#[test]
fn the_header_parser_sees_what_the_header_declares() {
    // Guards the guard: if parsing broke, the completeness test would pass
    // vacuously.
    let structs = header_structs();
    // 17 structs with bodies in ABI 1.0; minors may only add.
    assert!(structs.len() >= 17, "{structs:?}");
    let api = structs.iter().find(|(n, _)| n == "hql_host_api_t").expect("host api");
    assert!(api.1.len() >= 11, "{api:?}");
    assert!(api.1.contains(&"add_disqualifier".to_string()));
    let event = structs.iter().find(|(n, _)| n == "hql_event_t").expect("event");
    assert_eq!(event.1[0], "type");
    assert!(header_constants().contains("HQL_TIME_UNKNOWN"));
    assert!(!header_constants().contains("HQL_SCORER_H"));
}

#[test]
fn every_struct_and_field_of_the_header_is_probed() {
    let from_header: BTreeSet<(String, String)> = header_structs()
        .into_iter()
        .flat_map(|(name, fields)| {
            std::iter::once((name.clone(), String::new()))
                .chain(fields.into_iter().map(move |f| (name.clone(), f)))
        })
        .collect();
    let probed: BTreeSet<(String, String)> = c_layout().into_iter().map(|r| (r.type_name, r.field)).collect();
    let missing: Vec<_> = from_header.difference(&probed).collect();
    let extra: Vec<_> = probed.difference(&from_header).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "layout_probe.c is out of step with hql_scorer.h\n  not probed: {missing:?}\n  \
         not in the header: {extra:?}"
    );
}

#[test]
fn rust_mirror_has_the_c_layout_of_every_struct_and_field() {
    let c = keyed(c_layout());
    let rust = keyed(rust_layout());
    let mut problems = Vec::new();
    for (key, c_row) in &c {
        match rust.get(key) {
            None => problems.push(format!("{}.{}: missing in abi.rs", key.0, key.1)),
            Some(r) if r != c_row => problems.push(format!(
                "{}.{}: C size {} align {} offset {}, Rust size {} align {} offset {}",
                key.0, key.1, c_row.size, c_row.align, c_row.offset, r.size, r.align, r.offset
            )),
            Some(_) => {}
        }
    }
    for key in rust.keys().filter(|k| !c.contains_key(*k)) {
        problems.push(format!("{}.{}: in abi.rs but not probed", key.0, key.1));
    }
    assert!(problems.is_empty(), "hql_scorer.h and abi.rs disagree:\n{}", problems.join("\n"));
}

#[test]
fn every_constant_has_the_same_value() {
    let c: BTreeMap<String, i64> = c_constants().into_iter().collect();
    let rust: BTreeMap<String, i64> = rust_constants().into_iter().collect();
    let from_header = header_constants();
    let probed: BTreeSet<String> = c.keys().cloned().collect();
    assert_eq!(from_header, probed, "layout_probe.c must list every integer #define");
    assert_eq!(c, rust, "constant values differ between hql_scorer.h and abi.rs");
    assert_eq!(c_entry_symbol(), abi::HQL_SCORER_ENTRY_SYMBOL);
}

#[test]
fn the_sizes_the_host_announces_are_the_c_sizes() {
    let c = keyed(c_layout());
    let size_of_c = |t: &str| c[&(t.to_string(), String::new())].size;
    // The host's callback table says how big it is; C plugins compare that
    // with their own sizeof before using callbacks added after 1.0.
    assert_eq!(hql_plugin_api::host::HOST_API.struct_size as usize, size_of_c("hql_host_api_t"));
    // The host refuses descriptors smaller than a 1.0 one.
    assert_eq!(abi::HQL_DESCRIPTOR_MIN_SIZE_V1, size_of_c("hql_scorer_descriptor_t"));
    // A 1.3 context carries `reason_limit` (1.1), the reason bar (1.2) and
    // the wanted facts (1.3): plugins read each only when the context's
    // struct_size says so, and the host's contexts do.
    assert_eq!(abi::HQL_SCORE_CONTEXT_SIZE_V1_3 as usize, size_of_c("hql_score_context_t"));
    assert_eq!(
        abi::HQL_SCORE_CONTEXT_SIZE_V1_1 as usize,
        c[&("hql_score_context_t".to_string(), "reason_weight".to_string())].offset
    );
    assert_eq!(
        abi::HQL_SCORE_CONTEXT_SIZE_V1_2 as usize,
        c[&("hql_score_context_t".to_string(), "wanted_facts".to_string())].offset
    );
    let lead = hql_plugin_api::record::LeadRecord::default();
    let view = hql_plugin_api::view::LeadView::new(&lead, 0);
    assert_eq!(view.raw_context().struct_size, abi::HQL_SCORE_CONTEXT_SIZE_V1_3);
    assert_eq!(view.raw_context().wanted_facts, abi::HQL_ALL_FACTS);
}
