//! What a C compiler says about the ABI types: the other half of
//! `tests/abi_layout.rs`.
//!
//! `fixtures/c/layout_probe.c` is compiled against `hql_scorer.h` by this
//! crate's `build.rs` and linked in statically. It tabulates `sizeof`,
//! `_Alignof` and `offsetof` for every struct and field, and the value of
//! every integer constant; this module copies those tables into owned Rust
//! values so the test can compare them with `plugin-api/src/abi.rs`. The C
//! side is the one that counts: it reads the header the way every C plugin
//! author's compiler will.

use std::ffi::{CStr, c_char};

/// One row of the probe: a struct (`field` empty) or one of its fields.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LayoutRow {
    /// The C typedef name, e.g. `hql_lead_t`.
    pub type_name: String,
    /// The field name as in the header, or empty for the struct itself.
    pub field: String,
    /// `sizeof` the struct or the field.
    pub size: usize,
    /// `_Alignof` the struct; 0 for fields (C11 cannot ask for a field's).
    pub align: usize,
    /// `offsetof` the field; 0 for the struct itself.
    pub offset: usize,
}

#[repr(C)]
struct RawRow {
    type_name: *const c_char,
    field: *const c_char,
    size: usize,
    align: usize,
    offset: usize,
}

#[repr(C)]
struct RawConstant {
    name: *const c_char,
    value: i64,
}

unsafe extern "C" {
    fn hql_probe_layout(len: *mut usize) -> *const RawRow;
    fn hql_probe_constants(len: *mut usize) -> *const RawConstant;
    fn hql_probe_entry_symbol() -> *const c_char;
}

fn text(ptr: *const c_char) -> String {
    // SAFETY: every string in the probe is a C string literal (static,
    // NUL-terminated).
    unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned()
}

/// Every struct and field of `hql_scorer.h` as laid out by the C compiler,
/// in header order.
pub fn c_layout() -> Vec<LayoutRow> {
    let mut len = 0usize;
    // SAFETY: the probe writes `len` and returns its static table of that
    // many rows.
    let rows = unsafe { std::slice::from_raw_parts(hql_probe_layout(&mut len), len) };
    rows.iter()
        .map(|r| LayoutRow {
            type_name: text(r.type_name),
            field: text(r.field),
            size: r.size,
            align: r.align,
            offset: r.offset,
        })
        .collect()
}

/// Every integer `#define` of `hql_scorer.h` with its value, as
/// `(name, value)` in header order.
pub fn c_constants() -> Vec<(String, i64)> {
    let mut len = 0usize;
    // SAFETY: as in `c_layout`.
    let constants = unsafe { std::slice::from_raw_parts(hql_probe_constants(&mut len), len) };
    constants.iter().map(|c| (text(c.name), c.value)).collect()
}

/// `HQL_SCORER_ENTRY_SYMBOL` as the header spells it.
pub fn c_entry_symbol() -> String {
    // SAFETY: returns a static string literal.
    text(unsafe { hql_probe_entry_symbol() })
}
