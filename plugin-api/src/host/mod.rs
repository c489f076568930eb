//! The host side of the ABI: the callback table and safe wrappers around a
//! descriptor's hooks.
//!
//! The server (`hql-qualifier`) and the test harness both drive plugins
//! through this module, so there is exactly one implementation of "call a
//! plugin and collect what it says". What a call returns is copied into a
//! [`ScoreCopy`] (one flat record per call, not the SDK's [`Score`]: see its
//! docs for why), which the pipeline reads as it reads a linked scorer's
//! `Score`, and which [`ScoreCopy::into_score`] turns into one for tests and
//! tools.
//!
//! Callbacks never unwind: each body runs under `catch_unwind`, because a
//! panic here would cross back into plugin code compiled with who knows what.

use std::borrow::Cow;
use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::abi::{
    HQL_ABI_MAJOR, HQL_ABI_MINOR, HQL_ALL_FACTS, HQL_OK, fact_wanted, hql_error_t, hql_fact_t,
    hql_host_api_t, hql_host_t, hql_reason_t, hql_result_t, hql_scorer_descriptor_t, hql_str_t,
};
use crate::config::ConfigError;
use crate::log::{Level, LogSink};
use crate::score::{FactKind, FactValue, Score};
use crate::scorer::ReasonBar;
use crate::text::utf8;
use crate::view::LeadView;

mod copy;

use copy::Text;
pub use copy::{CopiedFields, CopiedReason, ScoreCopy};

/// A plugin's string as an owned `String` (lossily when it is not UTF-8).
fn owned(s: hql_str_t) -> String {
    let mut out = String::new();
    push_text(&mut out, s);
    out
}

/// Appends a plugin's text to `out` (lossily when it is not UTF-8).
fn push_text(out: &mut String, s: hql_str_t) {
    // SAFETY: the ABI requires plugin strings to be valid during the
    // callback; they are only read here. Untrusted, so they are checked.
    crate::text::push_lossy(out, unsafe { s.as_bytes() });
}

/// `s` as a `'static` string when it is a literal of the plugin's library:
/// it lies in the library's read-only image, and is UTF-8.
#[inline]
fn literal(image: &ReadOnlyImage, s: hql_str_t) -> Option<&'static str> {
    if !image.holds(s) {
        return None;
    }
    // SAFETY: `holds` checked that the bytes lie in memory that stays mapped
    // and unchanged for the rest of the process (the contract of
    // `ReadOnlyImage::new`); the ABI makes them readable now.
    let bytes: &'static [u8] = unsafe { s.as_bytes() };
    utf8(bytes)
}

/// A reason's string as the call's copy keeps it: where it lies when it is
/// a literal (most codes and field paths), else appended to the copy's
/// text.
#[inline(always)]
fn kept(copy: &mut ScoreCopy, image: &ReadOnlyImage, s: hql_str_t) -> Text {
    match literal(image, s) {
        Some(text) => Text::Literal(text),
        // SAFETY: as in `push_text`.
        None => copy.copied(unsafe { s.as_bytes() }),
    }
}

/// A fact's or disqualifier's string: borrowed when it is a literal, else
/// copied into a buffer from this thread's pool (given back when the copy is
/// recycled).
fn kept_cow(image: &ReadOnlyImage, s: hql_str_t) -> Cow<'static, str> {
    match literal(image, s) {
        Some(text) => Cow::Borrowed(text),
        None => {
            let mut out = crate::pool::string();
            push_text(&mut out, s);
            Cow::Owned(out)
        }
    }
}

/// The read-only memory of one plugin library: its segments that are mapped
/// without write permission. A string a plugin passes that lies wholly in one
/// of them is a literal of the library; as long as the library stays loaded
/// its bytes cannot change, so the host keeps a reference instead of a copy.
/// Empty (the default): every string is copied.
#[derive(Clone, Debug, Default)]
pub struct ReadOnlyImage {
    /// `(start, length)` of each segment.
    segments: Vec<(usize, usize)>,
}

impl ReadOnlyImage {
    /// The image made of `segments`, `(start address, length)` each.
    ///
    /// # Safety
    /// Every byte of every segment must stay mapped, readable and unchanged
    /// for the rest of the process: read-only segments of a library that is
    /// never unloaded.
    pub unsafe fn new(segments: Vec<(usize, usize)>) -> ReadOnlyImage {
        ReadOnlyImage { segments }
    }

    /// Whether all of `s` lies within one segment.
    #[inline]
    fn holds(&self, s: hql_str_t) -> bool {
        let (at, len) = (s.ptr as usize, s.len);
        !s.ptr.is_null()
            && self
                .segments
                .iter()
                .any(|&(start, size)| at >= start && at - start <= size && len <= size - (at - start))
    }
}

fn slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: the ABI requires `len` readable elements during the callback.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// What one `score` call produced, as collected by the host.
#[derive(Debug)]
pub struct Collected<'i> {
    /// The score with reasons, facts and disqualifiers.
    pub copy: ScoreCopy,
    /// Whether `set_score` was called at all.
    pub score_set: bool,
    /// The message passed to `fail`, if any.
    pub failure: Option<String>,
    /// Reasons kept at most (0: all), from the call's `reason_limit`.
    pub reason_limit: usize,
    /// What the host will use of this call (see [`Wanted`]).
    pub wanted: Wanted,
    /// The fact names the plugin declared, borrowed from its descriptor: a
    /// fact set under one of them is stored under the declared name instead
    /// of a copy (most facts of every call).
    pub declared_facts: &'i [&'static str],
    /// The plugin library's read-only memory: strings there are kept, not
    /// copied.
    pub image: &'i ReadOnlyImage,
    /// The declared fact looked at first for the next `set_fact`: the one
    /// after the last found (plugins mostly set their facts in declaration
    /// order).
    pub next_fact: usize,
}

impl Default for Collected<'_> {
    fn default() -> Self {
        Collected::new()
    }
}

impl<'i> Collected<'i> {
    /// Empty, in a copy from this thread's shelf.
    pub fn new() -> Collected<'i> {
        Collected {
            copy: ScoreCopy::take(),
            score_set: false,
            failure: None,
            reason_limit: 0,
            wanted: Wanted::ALL,
            declared_facts: &[],
            image: &NO_IMAGE,
            next_fact: 0,
        }
    }
}

/// No read-only image: every string is copied.
static NO_IMAGE: ReadOnlyImage = ReadOnlyImage { segments: Vec::new() };

struct CreateErrors {
    errors: Vec<ConfigError>,
}

/// The per-instance host state a plugin keeps (`hql_host_t`): where its logs go.
pub struct HostHandle {
    sink: Arc<dyn LogSink>,
}

impl HostHandle {
    /// A handle that routes logs to `sink`. Box it: its address is handed to
    /// the plugin and must stay put until `destroy`.
    pub fn new(sink: Arc<dyn LogSink>) -> HostHandle {
        HostHandle { sink }
    }

    fn as_raw(&self) -> *const hql_host_t {
        self as *const HostHandle as *const hql_host_t
    }
}

unsafe extern "C" fn set_score(result: *mut hql_result_t, score: f64) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `result` is the &mut Collected we passed into this score call.
        if let Some(c) = unsafe { (result as *mut Collected).as_mut() } {
            c.copy.set_value(score);
            c.score_set = true;
        }
    }));
}

unsafe extern "C" fn add_reason(result: *mut hql_result_t, reason: *const hql_reason_t) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in `set_score`; `reason` is plugin-owned for this call.
        let (Some(c), Some(r)) = (unsafe { (result as *mut Collected).as_mut() }, unsafe { reason.as_ref() })
        else {
            return;
        };
        // Every string is copied (the plugin's memory is only borrowed for
        // this callback) into the call's copy, but for the literals of the
        // plugin's library, which are kept where they lie (see
        // `ReadOnlyImage`).
        // Under a reason limit (Qualify) only what the decision can show is
        // copied; a plugin that sends more is held to the limit here. A
        // reason that cannot beat the top reasons of the scorers already run
        // is not copied either.
        let beats = ReasonBar { weight: c.wanted.weight, beat: c.wanted.beat }.clears(r.points);
        if c.reason_limit > 0 && !beats {
            return;
        }
        let image = c.image;
        c.copy.offer_reason(c.reason_limit, r.points, |copy| {
            let (code, message) = (kept(copy, image, r.code), kept(copy, image, r.message));
            for field in slice(r.evidence_fields, r.evidence_fields_len) {
                let path = kept(copy, image, *field);
                copy.cite_field(path);
            }
            copy.cite_events(slice(r.evidence_events, r.evidence_events_len));
            (code, message)
        });
    }));
}

unsafe extern "C" fn add_disqualifier(result: *mut hql_result_t, code: hql_str_t, message: hql_str_t) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in `set_score`.
        if let Some(c) = unsafe { (result as *mut Collected).as_mut() } {
            c.copy.disqualify(kept_cow(c.image, code), kept_cow(c.image, message));
        }
    }));
}

unsafe extern "C" fn set_fact(result: *mut hql_result_t, fact: *const hql_fact_t) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in `add_reason`.
        let (Some(c), Some(f)) = (unsafe { (result as *mut Collected).as_mut() }, unsafe { fact.as_ref() })
        else {
            return;
        };
        // SAFETY: plugin-owned for this call (see `push_text`).
        let bytes = unsafe { f.name.as_bytes() };
        let declared = crate::export::declared_index(c.declared_facts, |d| d, c.next_fact, bytes);
        c.next_fact = declared.map_or(c.next_fact, |i| next_wanted(c.wanted.facts, i + 1));
        // A fact no gate reads is dropped before anything is copied (a 1.3
        // plugin does not send it; an older one, or one that ignores the
        // mask, still may).
        if c.wanted.facts != HQL_ALL_FACTS && !declared.is_some_and(|i| fact_wanted(c.wanted.facts, i)) {
            return;
        }
        let value = match FactKind::from_raw(f.kind) {
            Some(FactKind::Number) => FactValue::Number(f.number),
            Some(FactKind::Bool) => FactValue::Bool(f.boolean != 0),
            Some(FactKind::Text) => FactValue::Text(kept_cow(c.image, f.text)),
            None => return,
        };
        let name = match declared {
            Some(i) => Cow::Borrowed(c.declared_facts[i]),
            None => kept_cow(c.image, f.name),
        };
        c.copy.fact(name, value);
    }));
}

/// The first declared fact from `from` on that `mask` wants: where the next
/// fact a plugin sends most likely is, since an SDK built for ABI 1.3 sends
/// only the wanted ones, in the order they are declared (`from` itself
/// past the 64th, or when none is left).
#[inline]
fn next_wanted(mask: u64, from: usize) -> usize {
    match mask.checked_shr(u32::try_from(from).unwrap_or(u32::MAX)) {
        Some(rest) if rest != 0 => from + rest.trailing_zeros() as usize,
        _ => from,
    }
}

unsafe extern "C" fn fail(result: *mut hql_result_t, message: hql_str_t) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in `set_score`.
        if let Some(c) = unsafe { (result as *mut Collected).as_mut() } {
            c.failure = Some(owned(message));
        }
    }));
}

unsafe extern "C" fn config_error(error: *mut hql_error_t, key: hql_str_t, message: hql_str_t) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `error` is the &mut CreateErrors we passed into this create call.
        if let Some(e) = unsafe { (error as *mut CreateErrors).as_mut() } {
            e.errors.push(ConfigError { key: owned(key), message: owned(message) });
        }
    }));
}

unsafe extern "C" fn log_enabled(host: *const hql_host_t, level: u32) -> u8 {
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `host` is the HostHandle we passed to create; it outlives the instance.
        match unsafe { (host as *const HostHandle).as_ref() } {
            Some(h) => u8::from(h.sink.enabled(Level::from_raw(level))),
            None => 0,
        }
    }))
    .unwrap_or(0)
}

unsafe extern "C" fn log(host: *const hql_host_t, level: u32, message: hql_str_t) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: as in `log_enabled`.
        if let Some(h) = unsafe { (host as *const HostHandle).as_ref() } {
            h.sink.log(Level::from_raw(level), &owned(message));
        }
    }));
}

/// The callback table handed to every plugin. Static: valid for ever.
pub static HOST_API: hql_host_api_t = hql_host_api_t {
    struct_size: std::mem::size_of::<hql_host_api_t>() as u32,
    abi_major: HQL_ABI_MAJOR,
    abi_minor: HQL_ABI_MINOR,
    set_score,
    add_reason,
    add_disqualifier,
    set_fact,
    fail,
    config_error,
    log_enabled,
    log,
};

/// A scorer instance created through a descriptor's hooks. Dropping it calls
/// `destroy`; the owner must make sure no `score` call is running by then
/// (owning it in an `Arc` shared with requests does exactly that).
pub struct AbiInstance {
    descriptor: &'static hql_scorer_descriptor_t,
    /// The descriptor's fact names (valid UTF-8 ones), for [`Collected`].
    declared_facts: Box<[&'static str]>,
    /// The library's read-only memory (empty unless the loader says).
    image: ReadOnlyImage,
    instance: *mut c_void,
    // Boxed: its address was given to the plugin and must not move.
    _host: Box<HostHandle>,
}

// SAFETY: the ABI requires `score` to be callable concurrently on one instance
// from any thread, and `destroy` to be callable from any (single) thread.
unsafe impl Send for AbiInstance {}
// SAFETY: as above.
unsafe impl Sync for AbiInstance {}

/// Why a plugin call failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CallError {
    /// The descriptor has no such hook.
    #[error("the descriptor has no `{0}` hook")]
    MissingHook(&'static str),
    /// The plugin returned an error status.
    #[error("{0}")]
    Failed(String),
    /// The plugin reported success without setting a score.
    #[error("the scorer returned without setting a score")]
    NoScore,
}

/// What a decision will use of one scorer call, beyond the view's reason
/// limit, so the host copies nothing else (Qualify; Explain uses all).
#[derive(Clone, Copy, Debug)]
pub struct Wanted {
    /// With `beat`: under a reason limit, a reason is copied only when its
    /// |points| × `weight` is above `beat`. The host ranks a decision's
    /// reasons by |points| × the scorer's weight, and between equal products
    /// prefers the scorer that ran first; so once the scorers run before
    /// this one have given the `limit` best products, a reason of this one
    /// makes the decision's top reasons only if its product beats the last
    /// of them. The pipeline passes that product (below zero while fewer
    /// are known: every reason passes).
    pub weight: f64,
    /// See `weight`.
    pub beat: f64,
    /// The declared facts the policy's gates read, as the context's
    /// `wanted_facts` carries them (bit i: the descriptor's fact i; past
    /// the 64th, every fact is read): a decision needs no other, only an
    /// explanation lists them. [`HQL_ALL_FACTS`]: all of them.
    pub facts: u64,
}

impl Wanted {
    /// `wanted_facts` for a scorer that declares `declared` (in order)
    /// when only the facts named in `read` are used; a name in `read` that
    /// is not declared, or declared past the 64th, needs no bit.
    pub fn facts_read<D: AsRef<str>, R: AsRef<str>>(declared: &[D], read: &[R]) -> u64 {
        declared
            .iter()
            .take(64)
            .enumerate()
            .filter(|(_, d)| read.iter().any(|r| r.as_ref() == d.as_ref()))
            .fold(0, |mask, (i, _)| mask | (1u64 << i))
    }

    /// Everything: what an explanation, the checker and tests use.
    pub const ALL: Wanted = Wanted { weight: 1.0, beat: -1.0, facts: HQL_ALL_FACTS };
}

impl Default for Wanted {
    fn default() -> Self {
        Wanted::ALL
    }
}

/// The fact names a descriptor declares, as `'static` strings borrowed from
/// the plugin: its descriptor and what it points to are static and valid
/// while the library is loaded, which is for ever (the host never unloads a
/// library; see the header's OWNERSHIP note).
///
/// # Safety
/// `descriptor` must come from a loaded plugin that honours the ABI.
unsafe fn declared_facts(descriptor: &'static hql_scorer_descriptor_t) -> Box<[&'static str]> {
    let specs = slice(descriptor.facts, descriptor.facts_len);
    // SAFETY: plugin-owned static strings, valid for ever (above).
    // Index for index (the context's `wanted_facts` counts in declaration
    // order): a name that is not UTF-8, which loading refuses anyway, is
    // kept as one no fact can have.
    specs.iter().map(|f| unsafe { f.name.as_str() }.unwrap_or("\u{0}")).collect()
}

impl AbiInstance {
    /// Calls `create` with `config_json`. On refusal, returns every error the
    /// plugin reported (at least one).
    ///
    /// # Safety
    /// `descriptor` must come from a loaded plugin that honours the ABI.
    pub unsafe fn create(
        descriptor: &'static hql_scorer_descriptor_t,
        config_json: &str,
        sink: Arc<dyn LogSink>,
    ) -> Result<AbiInstance, Vec<ConfigError>> {
        let Some(create) = descriptor.create else {
            return Err(vec![ConfigError::new("", "the descriptor has no `create` hook")]);
        };
        if descriptor.score.is_none() || descriptor.destroy.is_none() {
            return Err(vec![ConfigError::new("", "the descriptor lacks a `score` or `destroy` hook")]);
        }
        let host = Box::new(HostHandle::new(sink));
        let mut errors = CreateErrors { errors: Vec::new() };
        let mut instance: *mut c_void = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call; `host` outlives the instance.
        let status = unsafe {
            create(
                &HOST_API,
                host.as_raw(),
                hql_str_t::from_str(config_json),
                &mut instance,
                &mut errors as *mut CreateErrors as *mut hql_error_t,
            )
        };
        if status == HQL_OK {
            // SAFETY: the caller vouches for the descriptor.
            let declared_facts = unsafe { declared_facts(descriptor) };
            Ok(AbiInstance {
                descriptor,
                declared_facts,
                image: ReadOnlyImage::default(),
                instance,
                _host: host,
            })
        } else {
            if errors.errors.is_empty() {
                errors.errors.push(ConfigError::new("", "the scorer refused its config without saying why"));
            }
            Err(errors.errors)
        }
    }

    /// The same instance, keeping a plugin's strings that lie in `image`
    /// (its library's read-only memory) instead of copying them.
    pub fn with_image(mut self, image: ReadOnlyImage) -> AbiInstance {
        self.image = image;
        self
    }

    /// Scores one lead through the ABI.
    pub fn score(&self, view: &LeadView<'_>) -> Result<Score, CallError> {
        self.score_wanted(view, &Wanted::ALL)
    }

    /// Scores one lead through the ABI, copying only what `wanted` says the
    /// host will use (see [`Wanted`]), as the SDK's [`Score`].
    pub fn score_wanted(&self, view: &LeadView<'_>, wanted: &Wanted) -> Result<Score, CallError> {
        self.copy_wanted(view, wanted).map(ScoreCopy::into_score)
    }

    /// Scores one lead through the ABI, copying only what `wanted` says the
    /// host will use (see [`Wanted`]) into a [`ScoreCopy`]: the server's
    /// way, which [`AbiInstance::score_wanted`] converts.
    pub fn copy_wanted(&self, view: &LeadView<'_>, wanted: &Wanted) -> Result<ScoreCopy, CallError> {
        let score_fn = self.descriptor.score.ok_or(CallError::MissingHook("score"))?;
        let mut collected = Collected::new();
        collected.reason_limit = view.reason_limit() as usize;
        collected.wanted = *wanted;
        collected.declared_facts = &self.declared_facts;
        collected.image = &self.image;
        // The bar travels with the call (ABI 1.2), so the plugin need not
        // build reasons this host would not copy.
        let mut ctx = *view.raw_context();
        ctx.reason_weight = wanted.weight;
        ctx.reason_beat = wanted.beat;
        // And the facts it will read (ABI 1.3), so the plugin need not send
        // the others.
        ctx.wanted_facts = wanted.facts;
        // SAFETY: the view, `ctx` and `collected` outlive the call; the instance is live.
        let status = unsafe {
            score_fn(self.instance, view.raw(), &ctx, &mut collected as *mut Collected as *mut hql_result_t)
        };
        if status != HQL_OK {
            collected.copy.recycle();
            return Err(CallError::Failed(
                collected.failure.unwrap_or_else(|| format!("the scorer returned status {status}")),
            ));
        }
        if !collected.score_set {
            collected.copy.recycle();
            return Err(CallError::NoScore);
        }
        Ok(collected.copy)
    }
}

impl Drop for AbiInstance {
    fn drop(&mut self) {
        if let Some(destroy) = self.descriptor.destroy {
            // SAFETY: created by this descriptor's `create`; dropped once, and
            // the owner guarantees no score call is in flight.
            unsafe { destroy(self.instance) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static LITERAL: &str = "0123456789";

    /// An image of exactly `LITERAL`'s bytes.
    fn literal_image() -> ReadOnlyImage {
        // SAFETY: a string literal: static, never written.
        unsafe { ReadOnlyImage::new(vec![(LITERAL.as_ptr() as usize, LITERAL.len())]) }
    }

    fn part(from: usize, len: usize) -> hql_str_t {
        hql_str_t { ptr: LITERAL.as_ptr().wrapping_add(from), len }
    }

    #[test]
    fn an_image_holds_only_strings_wholly_inside_one_of_its_segments() {
        let image = literal_image();
        assert!(image.holds(part(0, 10)) && image.holds(part(3, 4)) && image.holds(part(10, 0)));
        assert!(!image.holds(part(5, 6)), "runs past the end");
        assert!(!image.holds(part(11, 0)) && !image.holds(part(usize::MAX / 2, 1)));
        assert!(!image.holds(hql_str_t::EMPTY), "null is never held");
        assert!(!ReadOnlyImage::default().holds(part(0, 1)));
    }

    #[test]
    fn the_next_fact_looked_at_is_the_next_one_wanted() {
        assert_eq!(next_wanted(0b1010_0100, 3), 5);
        assert_eq!(next_wanted(0b1010_0100, 5), 5);
        assert_eq!(next_wanted(0b1010_0100, 6), 7);
        assert_eq!(next_wanted(0b1010_0100, 8), 8, "none left: where it was");
        assert_eq!(next_wanted(HQL_ALL_FACTS, 4), 4);
        assert_eq!(next_wanted(HQL_ALL_FACTS, 64), 64, "past the mask");
        assert_eq!(next_wanted(HQL_ALL_FACTS, usize::MAX), usize::MAX);
    }

    #[test]
    fn a_held_string_is_borrowed_and_any_other_copied() {
        let image = literal_image();
        let mut copy = ScoreCopy::take();
        assert!(matches!(kept(&mut copy, &image, part(2, 3)), Text::Literal("234")));
        let owned = String::from("234");
        assert!(matches!(kept_cow(&image, hql_str_t::from_str(&owned)), Cow::Owned(s) if s == "234"));
        assert!(matches!(kept_cow(&image, part(2, 3)), Cow::Borrowed("234")));
        assert!(matches!(kept(&mut copy, &image, hql_str_t::from_str(&owned)), Text::Copied { .. }));
    }
}
