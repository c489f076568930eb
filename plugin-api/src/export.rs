//! The plugin side of the ABI: the `extern "C"` shims behind
//! [`crate::export_scorer!`].
//!
//! Every hook is a generic function instantiated for the author's scorer, so
//! the macro only has to emit the entry symbol. Each shim null-checks its
//! pointers, wraps the safe call in `catch_unwind` (a panic crossing
//! `extern "C"` aborts the whole server since Rust 1.81) and turns a panic into
//! an ordinary failure the host records as a FAILED scorer.

use std::any::Any;
use std::cell::Cell;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use crate::abi::{
    HQL_ABI_MAJOR, HQL_ABI_MINOR, HQL_ALL_FACTS, HQL_ERROR, HQL_OK, HQL_SCORER_MAGIC, fact_wanted,
    hql_code_spec_t, hql_error_t, hql_fact_spec_t, hql_fact_t, hql_host_api_t, hql_host_t, hql_lead_t,
    hql_reason_t, hql_result_t, hql_score_context_t, hql_scorer_descriptor_t, hql_status_t, hql_str_t,
};
use crate::config::Config;
use crate::lead::Lead;
use crate::log::Logger;
use crate::score::{FactValue, Score};
use crate::scorer::{Context, FactSpec, Scorer};

/// A descriptor and the tables it points to, built once per library.
pub struct Exported {
    descriptor: hql_scorer_descriptor_t,
    _facts: Vec<hql_fact_spec_t>,
    _codes: Vec<hql_code_spec_t>,
}

// SAFETY: immutable after construction; points only to 'static data and to
// its own vectors, which never change.
unsafe impl Sync for Exported {}
// SAFETY: as above.
unsafe impl Send for Exported {}

/// The descriptor of `S`, built on first use and kept in `cell`.
pub fn descriptor<S: Scorer>(cell: &'static OnceLock<Exported>) -> *const hql_scorer_descriptor_t {
    let exported = cell.get_or_init(|| {
        let facts: Vec<hql_fact_spec_t> = S::FACTS
            .iter()
            .map(|f| hql_fact_spec_t {
                name: hql_str_t::from_str(f.name),
                kind: f.kind.to_raw(),
                description: hql_str_t::from_str(f.description),
            })
            .collect();
        let codes: Vec<hql_code_spec_t> = S::DISQUALIFIERS
            .iter()
            .map(|c| hql_code_spec_t {
                code: hql_str_t::from_str(c.code),
                description: hql_str_t::from_str(c.description),
            })
            .collect();
        let descriptor = hql_scorer_descriptor_t {
            magic: HQL_SCORER_MAGIC,
            abi_major: HQL_ABI_MAJOR,
            abi_minor: HQL_ABI_MINOR,
            struct_size: std::mem::size_of::<hql_scorer_descriptor_t>() as u32,
            name: hql_str_t::from_str(S::NAME),
            version: hql_str_t::from_str(S::VERSION),
            dimension: hql_str_t::from_str(S::DIMENSION),
            description: hql_str_t::from_str(S::DESCRIPTION),
            facts: facts.as_ptr(),
            facts_len: facts.len(),
            disqualifiers: codes.as_ptr(),
            disqualifiers_len: codes.len(),
            create: Some(create::<S>),
            score: Some(score::<S>),
            destroy: Some(destroy::<S>),
        };
        Exported { descriptor, _facts: facts, _codes: codes }
    });
    &exported.descriptor
}

/// Wraps the descriptor lookup for the exported entry symbol: never unwinds.
pub fn entry<S: Scorer>(cell: &'static OnceLock<Exported>) -> *const hql_scorer_descriptor_t {
    catch_unwind(|| descriptor::<S>(cell)).unwrap_or(std::ptr::null())
}

struct Instance<S> {
    scorer: S,
    api: *const hql_host_api_t,
    logger: Logger,
}

/// The text of a panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

fn s(text: &str) -> hql_str_t {
    hql_str_t::from_str(text)
}

unsafe extern "C" fn create<S: Scorer>(
    api: *const hql_host_api_t,
    host: *const hql_host_t,
    config_json: hql_str_t,
    instance_out: *mut *mut c_void,
    error: *mut hql_error_t,
) -> hql_status_t {
    if api.is_null() || instance_out.is_null() {
        return HQL_ERROR;
    }
    let report = |key: &str, message: &str| {
        // SAFETY: `api` checked above; `error` is host-owned for this call.
        unsafe { ((*api).config_error)(error, s(key), s(message)) }
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the host passes pointers valid as documented in the header.
        let logger = unsafe { Logger::abi(api, host) };
        // SAFETY: config_json is host-owned and valid during this call.
        let json = match unsafe { config_json.as_str() } {
            Some(j) => j,
            None => return Err(("".to_string(), "config is not valid UTF-8".to_string())),
        };
        let config = Config::new(json, logger.clone());
        S::configure(&config).map(|scorer| Instance { scorer, api, logger }).map_err(|e| (e.key, e.message))
    }));
    match outcome {
        Ok(Ok(instance)) => {
            let boxed = Box::into_raw(Box::new(instance)) as *mut c_void;
            // SAFETY: checked non-null above; host-owned slot for this call.
            unsafe { *instance_out = boxed };
            HQL_OK
        }
        Ok(Err((key, message))) => {
            report(&key, &message);
            HQL_ERROR
        }
        Err(panic) => {
            report("", &format!("scorer panicked while configuring: {}", panic_message(&*panic)));
            HQL_ERROR
        }
    }
}

unsafe extern "C" fn score<S: Scorer>(
    instance: *mut c_void,
    lead: *const hql_lead_t,
    ctx: *const hql_score_context_t,
    result: *mut hql_result_t,
) -> hql_status_t {
    if instance.is_null() || lead.is_null() || ctx.is_null() {
        return HQL_ERROR;
    }
    // SAFETY: `instance` came from our `create` and lives until `destroy`;
    // score only reads it (shared across threads, `S: Sync`).
    let inst = unsafe { &*(instance as *const Instance<S>) };
    let api = inst.api;
    // One unwind guard for the whole call, which says how far it got: the
    // score is built, handed over and recycled where it was made, never
    // moved out of the guard and back (it is about 200 bytes).
    let step = Cell::new(Step::Scoring);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: host-owned views valid for this call.
        let (lead, raw_ctx) = unsafe { (Lead::from_raw(&*lead), &*ctx) };
        let reason_limit = raw_ctx.reason_limit() as usize;
        let wanted_facts = raw_ctx.wanted_facts();
        let ctx = Context::new(raw_ctx.as_of, raw_ctx.future_events_hidden, &inst.logger)
            .with_reason_limit(reason_limit)
            .with_reason_bar(raw_ctx.reason_bar())
            .with_wanted_facts(wanted_facts, S::FACTS);
        let score = inst.scorer.score(&lead, &ctx)?;
        // Emitting only copies plain data through host callbacks; a panic
        // there is caught all the same, so no unwind can ever escape.
        step.set(Step::Emitting);
        // SAFETY: api is the host's static table; result is valid for this call.
        unsafe { emit(&*api, result, &score, reason_limit, (S::FACTS, wanted_facts)) };
        // The host has copied everything it keeps: the buffers go back to
        // this thread's pool for the next call.
        step.set(Step::Recycling);
        score.recycle();
        Ok::<(), crate::ScoreError>(())
    }));
    let failure = match outcome {
        Ok(Ok(())) => return HQL_OK,
        Ok(Err(e)) => e.message,
        Err(panic) => match step.get() {
            Step::Scoring => format!("scorer panicked: {}", panic_message(&*panic)),
            Step::Emitting => panic_message(&*panic),
            // Everything was handed over; only the buffers are lost.
            Step::Recycling => return HQL_OK,
        },
    };
    // SAFETY: as above.
    unsafe { ((*api).fail)(result, s(&failure)) };
    HQL_ERROR
}

/// How far a `score` call got, for what a panic caught there means.
#[derive(Clone, Copy)]
enum Step {
    /// In the scorer's own code: the scorer panicked.
    Scoring,
    /// Handing the score over: the SDK's own fault, reported as it is.
    Emitting,
    /// Giving its buffers back to the pool, after the host has all of it.
    Recycling,
}

/// Evidence fields of one reason passed from a stack buffer (more: a vector).
const FIELDS_ON_STACK: usize = 8;

/// Copies a [`Score`] into the host through its callbacks; under a
/// `reason_limit` (Qualify), only the reasons the host will use, and under
/// a context's `wanted_facts` (ABI 1.3) only the declared facts it will use.
///
/// # Safety
/// `result` must be the handle of the current score call.
unsafe fn emit(
    api: &hql_host_api_t,
    result: *mut hql_result_t,
    score: &Score,
    reason_limit: usize,
    (declared, wanted_facts): (&[FactSpec], u64),
) {
    // SAFETY (all calls below): `result` is valid for this call and every
    // pointer we pass lives until the callback returns; the host copies.
    unsafe { (api.set_score)(result, score.value()) };
    // A reason cites a few fields: their views go in a buffer on the stack,
    // and only a longer list takes the heap (this library's allocator,
    // usually glibc's, once per call that needs it).
    let mut on_stack = [hql_str_t::EMPTY; FIELDS_ON_STACK];
    let mut on_heap: Vec<hql_str_t> = Vec::new();
    let reasons = score.reasons();
    let mut send = |r: &crate::score::Reason| {
        let fields: &[hql_str_t] = if r.fields.len() <= FIELDS_ON_STACK {
            for (slot, f) in on_stack.iter_mut().zip(&r.fields) {
                *slot = s(f);
            }
            &on_stack[..r.fields.len()]
        } else {
            on_heap.clear();
            on_heap.extend(r.fields.iter().map(|f| s(f)));
            &on_heap
        };
        let raw = hql_reason_t {
            code: s(&r.code),
            message: s(&r.message),
            points: r.points,
            evidence_fields: fields.as_ptr(),
            evidence_fields_len: fields.len(),
            evidence_events: r.events.as_ptr(),
            evidence_events_len: r.events.len(),
        };
        unsafe { (api.add_reason)(result, &raw) };
    };
    // A score built for this call (`Score::for_call`) has kept only what
    // the limit allows already: every reason is sent, with no ranking.
    let within_limit =
        || reasons.len() <= reason_limit && reasons.iter().all(|r| crate::limit::counts(r.points));
    if reason_limit == 0 || within_limit() {
        reasons.iter().for_each(&mut send);
    } else {
        score.top_reason_positions(reason_limit).into_iter().for_each(|i| send(&reasons[i]));
    }
    // Qualify reads a few of a scorer's facts (its policy's gates) and
    // sends a mask of them; each fact skipped is a callback and a copy
    // saved. A score built for this call (`Score::for_call`) has dropped
    // them already, as they were set; only another is sorted here.
    let sorted = wanted_facts == HQL_ALL_FACTS || score.kept_facts_under(wanted_facts);
    let unwanted = |position: usize, name: &str| {
        !sorted
            && declared_index(declared, |d| d.name, position, name.as_bytes())
                .is_some_and(|i| !fact_wanted(wanted_facts, i))
    };
    for (position, f) in score.facts().iter().enumerate() {
        if unwanted(position, &f.name) {
            continue;
        }
        let mut raw = hql_fact_t {
            name: s(&f.name),
            kind: f.value.kind().to_raw(),
            number: 0.0,
            boolean: 0,
            text: hql_str_t::EMPTY,
        };
        match &f.value {
            FactValue::Number(n) => raw.number = *n,
            FactValue::Bool(b) => raw.boolean = u8::from(*b),
            FactValue::Text(t) => raw.text = s(t),
        }
        unsafe { (api.set_fact)(result, &raw) };
    }
    for d in score.disqualifiers() {
        unsafe { (api.add_disqualifier)(result, s(&d.code), s(&d.message)) };
    }
}

/// Where `name` is among `declared` names (`name_of` reads one), the
/// `position`-th fact of a call first: scorers mostly set their facts in the
/// order they declare them, so that one is compared first, by pointer and
/// then by bytes. In a plugin library the names are mostly the declared
/// static strings themselves and the usual answer costs one pointer
/// comparison; a scorer linked into another binary may get its own copy of
/// each literal, and then the usual answer is one comparison of bytes.
/// Past that guess, every pointer is compared before any bytes are.
#[inline]
pub(crate) fn declared_index<D>(
    declared: &[D],
    name_of: impl Fn(&D) -> &str,
    position: usize,
    name: &[u8],
) -> Option<usize> {
    if declared.get(position).is_some_and(|d| same_place(name_of(d), name) || name_of(d).as_bytes() == name) {
        return Some(position);
    }
    declared_elsewhere(declared, name_of, name)
}

/// [`declared_index`] past its guess: out of line, so that the guess, which
/// is usually right, is all that is inlined where a fact is set.
#[inline(never)]
fn declared_elsewhere<D>(declared: &[D], name_of: impl Fn(&D) -> &str, name: &[u8]) -> Option<usize> {
    declared
        .iter()
        .position(|d| same_place(name_of(d), name))
        .or_else(|| declared.iter().position(|d| name_of(d).as_bytes() == name))
}

/// Whether `declared` and `name` are the same bytes in the same place (the
/// declared string itself, passed back).
#[inline(always)]
fn same_place(declared: &str, name: &[u8]) -> bool {
    std::ptr::eq(declared.as_ptr(), name.as_ptr()) && declared.len() == name.len()
}

unsafe extern "C" fn destroy<S: Scorer>(instance: *mut c_void) {
    if instance.is_null() {
        return;
    }
    // SAFETY: created by `Box::into_raw` in `create`; the host calls destroy
    // once, after every score call has returned.
    let boxed = unsafe { Box::from_raw(instance as *mut Instance<S>) };
    // A panicking Drop must not unwind into the host either.
    let _ = catch_unwind(AssertUnwindSafe(move || drop(boxed)));
}

/// Generates the exported entry symbol for a [`Scorer`] type: the only
/// `extern "C"` item a plugin crate needs. Also emits
/// `pub fn hql_scorer_descriptor()` so a host can link the crate statically.
///
/// ```ignore
/// hql_plugin_api::export_scorer!(MyScorer);
/// ```
#[macro_export]
macro_rules! export_scorer {
    ($scorer:ty) => {
        /// The scorer's ABI descriptor (for hosts linking this crate statically).
        #[doc(hidden)]
        pub fn hql_scorer_descriptor() -> *const $crate::abi::hql_scorer_descriptor_t {
            static EXPORTED: ::std::sync::OnceLock<$crate::__private::Exported> =
                ::std::sync::OnceLock::new();
            $crate::__private::entry::<$scorer>(&EXPORTED)
        }

        /// The plugin's entry symbol (see `hql_scorer.h`).
        #[doc(hidden)]
        #[unsafe(no_mangle)]
        pub extern "C" fn hql_scorer_entry() -> *const $crate::abi::hql_scorer_descriptor_t {
            hql_scorer_descriptor()
        }

        /// The scorer type, for static hosts and tests.
        #[doc(hidden)]
        pub fn hql_native_scorer() -> $crate::NativeScorer {
            $crate::NativeScorer::of::<$scorer>()
        }
    };
}
