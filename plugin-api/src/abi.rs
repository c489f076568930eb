//! The C ABI, mirrored from `include/hql_scorer.h`.
//!
//! This module is the Rust face of the one contract between host and plugin.
//! The header is the source of truth: every type here is `#[repr(C)]` and
//! matches it field for field, and the `tests` crate compiles a C probe that
//! checks every size and offset against these definitions. Read the header for
//! the ownership note of each pointer; the short version is: whatever the host
//! passes is borrowed for the duration of the call, and whoever allocates
//! frees.
//!
//! Plugin authors never touch this module: [`crate::export_scorer!`] generates
//! every `extern "C"` item. The host (`hql-qualifier`) uses it directly.

#![allow(non_camel_case_types, missing_docs)]

use std::ffi::c_void;

/// Incompatible changes bump the major; the host refuses any other major.
pub const HQL_ABI_MAJOR: u16 = 1;
/// Appends bump the minor; the host loads plugins with a minor ≤ its own.
pub const HQL_ABI_MINOR: u16 = 3;
/// `"HQLS"` read as a big-endian integer.
pub const HQL_SCORER_MAGIC: u32 = 0x4851_4C53;
/// The one symbol a plugin exports.
pub const HQL_SCORER_ENTRY_SYMBOL: &str = "hql_scorer_entry";

pub type hql_status_t = i32;
pub const HQL_OK: hql_status_t = 0;
pub const HQL_ERROR: hql_status_t = 1;

pub const HQL_TIME_UNKNOWN: i64 = i64::MIN;

pub const HQL_SENIORITY_UNKNOWN: u32 = 0;
pub const HQL_SENIORITY_INTERN: u32 = 1;
pub const HQL_SENIORITY_ENTRY: u32 = 2;
pub const HQL_SENIORITY_SENIOR: u32 = 3;
pub const HQL_SENIORITY_MANAGER: u32 = 4;
pub const HQL_SENIORITY_DIRECTOR: u32 = 5;
pub const HQL_SENIORITY_VP: u32 = 6;
pub const HQL_SENIORITY_C_LEVEL: u32 = 7;
pub const HQL_SENIORITY_OWNER: u32 = 8;

pub const HQL_BUDGET_UNKNOWN: u32 = 0;
pub const HQL_BUDGET_NONE: u32 = 1;
pub const HQL_BUDGET_ESTIMATED: u32 = 2;
pub const HQL_BUDGET_CONFIRMED: u32 = 3;

pub const HQL_AUTHORITY_UNKNOWN: u32 = 0;
pub const HQL_AUTHORITY_USER: u32 = 1;
pub const HQL_AUTHORITY_INFLUENCER: u32 = 2;
pub const HQL_AUTHORITY_DECISION_MAKER: u32 = 3;
pub const HQL_AUTHORITY_ECONOMIC_BUYER: u32 = 4;

pub const HQL_NEED_UNKNOWN: u32 = 0;
pub const HQL_NEED_NONE: u32 = 1;
pub const HQL_NEED_STATED: u32 = 2;
pub const HQL_NEED_CONFIRMED: u32 = 3;

pub const HQL_SOURCE_UNKNOWN: u32 = 0;
pub const HQL_SOURCE_FIRST_PARTY: u32 = 1;
pub const HQL_SOURCE_THIRD_PARTY: u32 = 2;

pub const HQL_RESPONSE_UNKNOWN: u32 = 0;
pub const HQL_RESPONSE_POSITIVE: u32 = 1;
pub const HQL_RESPONSE_NEUTRAL: u32 = 2;
pub const HQL_RESPONSE_NEGATIVE: u32 = 3;

pub const HQL_VALUE_NUMBER: u32 = 1;
pub const HQL_VALUE_BOOL: u32 = 2;
pub const HQL_VALUE_TEXT: u32 = 3;

pub const HQL_LOG_ERROR: u32 = 1;
pub const HQL_LOG_WARN: u32 = 2;
pub const HQL_LOG_INFO: u32 = 3;
pub const HQL_LOG_DEBUG: u32 = 4;
pub const HQL_LOG_TRACE: u32 = 5;

/// UTF-8 slice, not NUL-terminated; `ptr` may be null only when `len == 0`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hql_str_t {
    pub ptr: *const u8,
    pub len: usize,
}

impl hql_str_t {
    /// The empty string (null pointer, zero length).
    pub const EMPTY: hql_str_t = hql_str_t { ptr: std::ptr::null(), len: 0 };

    /// Borrows a Rust string. The result is valid while `s` is.
    pub const fn from_str(s: &str) -> hql_str_t {
        hql_str_t { ptr: s.as_ptr(), len: s.len() }
    }

    /// Reads the slice back as bytes.
    ///
    /// # Safety
    /// `ptr` must point to `len` readable bytes that outlive `'a` (or be null
    /// with `len == 0`).
    pub unsafe fn as_bytes<'a>(self) -> &'a [u8] {
        if self.ptr.is_null() || self.len == 0 {
            &[]
        } else {
            // SAFETY: guaranteed by the caller.
            unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
        }
    }

    /// Reads the slice as UTF-8, replacing nothing: invalid UTF-8 yields `None`.
    ///
    /// # Safety
    /// As for [`hql_str_t::as_bytes`].
    pub unsafe fn as_str<'a>(self) -> Option<&'a str> {
        // SAFETY: guaranteed by the caller.
        std::str::from_utf8(unsafe { self.as_bytes() }).ok()
    }
}

// SAFETY: an hql_str_t is a borrowed, immutable byte slice; the ABI forbids
// writing through it. Descriptors holding them are static and shared.
unsafe impl Send for hql_str_t {}
// SAFETY: as above.
unsafe impl Sync for hql_str_t {}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct hql_opt_i64_t {
    pub value: i64,
    pub present: u8,
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct hql_opt_f64_t {
    pub value: f64,
    pub present: u8,
}

impl From<Option<i64>> for hql_opt_i64_t {
    fn from(v: Option<i64>) -> Self {
        match v {
            Some(value) => hql_opt_i64_t { value, present: 1 },
            None => hql_opt_i64_t::default(),
        }
    }
}

impl From<Option<f64>> for hql_opt_f64_t {
    fn from(v: Option<f64>) -> Self {
        match v {
            Some(value) => hql_opt_f64_t { value, present: 1 },
            None => hql_opt_f64_t::default(),
        }
    }
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hql_contact_t {
    pub email: hql_str_t,
    pub job_title: hql_str_t,
    pub seniority: u32,
    pub department: hql_str_t,
    pub country: hql_str_t,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hql_company_t {
    pub domain: hql_str_t,
    pub name: hql_str_t,
    pub industry: hql_str_t,
    pub employee_count: hql_opt_i64_t,
    pub annual_revenue: hql_opt_f64_t,
    pub region: hql_str_t,
    pub technologies: *const hql_str_t,
    pub technologies_len: usize,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hql_bant_t {
    pub budget_status: u32,
    pub budget_amount: hql_opt_f64_t,
    pub authority: u32,
    pub need: u32,
    pub timeline_days: hql_opt_i64_t,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hql_event_t {
    pub r#type: hql_str_t,
    pub occurred_at: i64,
    pub source: u32,
    pub response: u32,
    pub channel: hql_str_t,
    pub campaign: hql_str_t,
    pub value: hql_opt_f64_t,
    pub index: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hql_product_usage_t {
    pub present: u8,
    pub activated: u8,
    pub signed_up_at: i64,
    pub trial_ends_at: i64,
    pub active_days_last_30: hql_opt_i64_t,
    pub active_days_prev_30: hql_opt_i64_t,
    pub seats: hql_opt_i64_t,
    pub invited_teammates: hql_opt_i64_t,
    pub plan_limit_hits: hql_opt_i64_t,
    pub plan: hql_str_t,
    pub features_adopted: *const hql_str_t,
    pub features_adopted_len: usize,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hql_attribute_t {
    pub key: hql_str_t,
    pub kind: u32,
    pub number: f64,
    pub boolean: u8,
    pub text: hql_str_t,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hql_lead_t {
    pub struct_size: u32,
    pub lead_id: hql_str_t,
    pub contact: hql_contact_t,
    pub company: hql_company_t,
    pub bant: hql_bant_t,
    pub events: *const hql_event_t,
    pub events_len: usize,
    pub usage: hql_product_usage_t,
    pub attributes: *const hql_attribute_t,
    pub attributes_len: usize,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hql_score_context_t {
    pub struct_size: u32,
    pub as_of: i64,
    pub future_events_hidden: u32,
    /// Since 1.1: 0 = every reason is used; N = only the N with the largest
    /// |points| (finite, non-zero; ties to the earlier). See the header.
    pub reason_limit: u32,
    /// Since 1.1: 0.
    pub reserved: u32,
    /// Since 1.2, with `reason_beat`: under a reason limit, a reason is
    /// used only when |points| × `reason_weight` > `reason_beat`;
    /// `reason_beat` below zero: any reason. See the header.
    pub reason_weight: f64,
    /// See `reason_weight`.
    pub reason_beat: f64,
    /// Since 1.3: bit i (i < 64) set when the host will use the fact
    /// declared at `facts[i]` of the descriptor; a plugin may skip sending
    /// the others. See the header.
    pub wanted_facts: u64,
}

/// `struct_size` of a context that carries `reason_limit` (ABI 1.1).
pub const HQL_SCORE_CONTEXT_SIZE_V1_1: u32 = 32;
/// `struct_size` of a context that carries `reason_weight` and
/// `reason_beat` (ABI 1.2).
pub const HQL_SCORE_CONTEXT_SIZE_V1_2: u32 = 48;
/// `struct_size` of a context that carries `wanted_facts` (ABI 1.3).
pub const HQL_SCORE_CONTEXT_SIZE_V1_3: u32 = 56;
/// `wanted_facts` of a call that uses every fact (and what an older
/// host's context is read as).
pub const HQL_ALL_FACTS: u64 = u64::MAX;

impl hql_score_context_t {
    /// `reason_limit` when the context is large enough to carry it (a 1.0
    /// host's is not), else 0: every reason.
    pub fn reason_limit(&self) -> u32 {
        if self.struct_size >= HQL_SCORE_CONTEXT_SIZE_V1_1 { self.reason_limit } else { 0 }
    }

    /// What a reason must clear to be used, when the context carries it (a
    /// 1.2 host's, under a reason limit, with a bar set); else `None`: any
    /// reason may be used.
    pub fn reason_bar(&self) -> Option<crate::ReasonBar> {
        let carried = self.struct_size >= HQL_SCORE_CONTEXT_SIZE_V1_2 && self.reason_limit() > 0;
        // `>= 0.0` is false for NaN: a bar that cannot be compared is none.
        (carried && self.reason_beat >= 0.0)
            .then_some(crate::ReasonBar { weight: self.reason_weight, beat: self.reason_beat })
    }

    /// `wanted_facts` when the context is large enough to carry it (a 1.2
    /// host's is not), else every fact.
    pub fn wanted_facts(&self) -> u64 {
        if self.struct_size >= HQL_SCORE_CONTEXT_SIZE_V1_3 { self.wanted_facts } else { HQL_ALL_FACTS }
    }
}

/// Whether the fact declared at `index` is wanted under `mask` (a
/// context's `wanted_facts`): its bit, or yes past the 64th.
pub fn fact_wanted(mask: u64, index: usize) -> bool {
    index >= 64 || mask & (1u64 << index) != 0
}

/// Opaque host handle for one `score` call's output.
#[repr(C)]
pub struct hql_result_t {
    _private: [u8; 0],
}

/// Opaque host handle for one `create` call's errors.
#[repr(C)]
pub struct hql_error_t {
    _private: [u8; 0],
}

/// Opaque host handle for one instance (logging).
#[repr(C)]
pub struct hql_host_t {
    _private: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hql_reason_t {
    pub code: hql_str_t,
    pub message: hql_str_t,
    pub points: f64,
    pub evidence_fields: *const hql_str_t,
    pub evidence_fields_len: usize,
    pub evidence_events: *const u32,
    pub evidence_events_len: usize,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hql_fact_t {
    pub name: hql_str_t,
    pub kind: u32,
    pub number: f64,
    pub boolean: u8,
    pub text: hql_str_t,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct hql_host_api_t {
    pub struct_size: u32,
    pub abi_major: u16,
    pub abi_minor: u16,
    pub set_score: unsafe extern "C" fn(result: *mut hql_result_t, score: f64),
    pub add_reason: unsafe extern "C" fn(result: *mut hql_result_t, reason: *const hql_reason_t),
    pub add_disqualifier:
        unsafe extern "C" fn(result: *mut hql_result_t, code: hql_str_t, message: hql_str_t),
    pub set_fact: unsafe extern "C" fn(result: *mut hql_result_t, fact: *const hql_fact_t),
    pub fail: unsafe extern "C" fn(result: *mut hql_result_t, message: hql_str_t),
    pub config_error:
        unsafe extern "C" fn(error: *mut hql_error_t, config_key: hql_str_t, message: hql_str_t),
    pub log_enabled: unsafe extern "C" fn(host: *const hql_host_t, level: u32) -> u8,
    pub log: unsafe extern "C" fn(host: *const hql_host_t, level: u32, message: hql_str_t),
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hql_fact_spec_t {
    pub name: hql_str_t,
    pub kind: u32,
    pub description: hql_str_t,
}

#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct hql_code_spec_t {
    pub code: hql_str_t,
    pub description: hql_str_t,
}

pub type hql_create_fn = unsafe extern "C" fn(
    api: *const hql_host_api_t,
    host: *const hql_host_t,
    config_json: hql_str_t,
    instance_out: *mut *mut c_void,
    error: *mut hql_error_t,
) -> hql_status_t;

pub type hql_score_fn = unsafe extern "C" fn(
    instance: *mut c_void,
    lead: *const hql_lead_t,
    ctx: *const hql_score_context_t,
    result: *mut hql_result_t,
) -> hql_status_t;

pub type hql_destroy_fn = unsafe extern "C" fn(instance: *mut c_void);

#[repr(C)]
#[derive(Clone, Copy)]
pub struct hql_scorer_descriptor_t {
    pub magic: u32,
    pub abi_major: u16,
    pub abi_minor: u16,
    pub struct_size: u32,
    pub name: hql_str_t,
    pub version: hql_str_t,
    pub dimension: hql_str_t,
    pub description: hql_str_t,
    pub facts: *const hql_fact_spec_t,
    pub facts_len: usize,
    pub disqualifiers: *const hql_code_spec_t,
    pub disqualifiers_len: usize,
    pub create: Option<hql_create_fn>,
    pub score: Option<hql_score_fn>,
    pub destroy: Option<hql_destroy_fn>,
}

// SAFETY: a descriptor is immutable static data plus function pointers; the
// ABI requires it to stay valid and unchanged while the library is loaded.
unsafe impl Sync for hql_scorer_descriptor_t {}
// SAFETY: as above.
unsafe impl Send for hql_scorer_descriptor_t {}

pub type hql_scorer_entry_fn = unsafe extern "C" fn() -> *const hql_scorer_descriptor_t;

/// The smallest descriptor an ABI 1.x plugin can hand over: every field of
/// 1.0. A descriptor whose `struct_size` is below this is refused.
pub const HQL_DESCRIPTOR_MIN_SIZE_V1: usize = std::mem::size_of::<hql_scorer_descriptor_t>();

#[cfg(test)]
mod tests {
    use super::*;

    fn context(struct_size: u32, reason_limit: u32, reason_beat: f64) -> hql_score_context_t {
        hql_score_context_t {
            struct_size,
            as_of: 0,
            future_events_hidden: 0,
            reason_limit,
            reserved: 0,
            reason_weight: 0.5,
            reason_beat,
            wanted_facts: 0b101,
        }
    }

    #[test]
    fn wanted_facts_are_read_only_from_a_context_that_carries_them() {
        assert_eq!(context(HQL_SCORE_CONTEXT_SIZE_V1_3, 5, 3.0).wanted_facts(), 0b101);
        // A 1.2 host's context ends before the mask: every fact is wanted.
        assert_eq!(context(HQL_SCORE_CONTEXT_SIZE_V1_2, 5, 3.0).wanted_facts(), HQL_ALL_FACTS);
        assert!(fact_wanted(0b101, 0) && !fact_wanted(0b101, 1) && fact_wanted(0b101, 2));
        // Past the mask's 64 bits, every fact is wanted.
        assert!(fact_wanted(0, 64) && fact_wanted(0, 1000) && !fact_wanted(0, 63));
    }

    #[test]
    fn the_bar_is_read_only_from_a_context_that_carries_it() {
        let bar = Some(crate::ReasonBar { weight: 0.5, beat: 3.0 });
        assert_eq!(context(HQL_SCORE_CONTEXT_SIZE_V1_2, 5, 3.0).reason_bar(), bar);
        // A 1.1 host's context ends before the bar: whatever lies beyond it
        // is not the host's.
        assert_eq!(context(HQL_SCORE_CONTEXT_SIZE_V1_1, 5, 3.0).reason_bar(), None);
        assert_eq!(context(HQL_SCORE_CONTEXT_SIZE_V1_1, 5, 3.0).reason_limit(), 5);
        // No limit, nothing to beat yet, or a bar that cannot be compared.
        assert_eq!(context(HQL_SCORE_CONTEXT_SIZE_V1_2, 0, 3.0).reason_bar(), None);
        assert_eq!(context(HQL_SCORE_CONTEXT_SIZE_V1_2, 5, -1.0).reason_bar(), None);
        assert_eq!(context(HQL_SCORE_CONTEXT_SIZE_V1_2, 5, f64::NAN).reason_bar(), None);
    }
}
