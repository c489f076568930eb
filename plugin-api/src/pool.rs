//! Per-thread reuse of the buffers a score is made of.
//!
//! A decision builds a few dozen short strings and vectors (reason messages,
//! evidence lists, the score's own lists) and drops them all microseconds
//! later. With glibc's malloc, whose per-thread cache keeps seven blocks of a
//! size, that churn cost about a third of a decision's CPU. The SDK keeps the
//! buffers instead: [`crate::Score::recycle`] hands a finished score's buffers
//! to the calling thread's pool, and [`crate::text::Line::new`],
//! [`crate::Score::new`], [`crate::Score::reason`] (and the sink where a
//! limited score drops the evidence of a reason it leaves out) and the text
//! of the facts the host copies from a plugin take from it (the host's copy
//! of a plugin's reasons is a record of its own, shelved whole:
//! `host::ScoreCopy`).
//!
//! The pool is bounded (`MAX_ENTRIES` buffers of each kind, one sink, none
//! larger than `MAX_STRING_BYTES` / `MAX_VEC_LEN`), so a thread keeps at
//! most a few tens of KiB however large one decision was. A plugin and the host each
//! have their own pool (each links its own copy of this SDK); nothing is ever
//! handed across the ABI, so whoever allocates still frees. While a thread is
//! being torn down the pool is gone and buffers are simply allocated and
//! freed.
//!
//! A plugin's pool is a thread-local with a destructor, which glibc runs from
//! the plugin's own code when the thread exits; it therefore keeps a library
//! mapped while any thread still holds its pool, even after `dlclose`. A
//! library replaced by a reload stays in memory until the decision threads
//! that called it exit (hqld's idle ones do after ten seconds), never less.

use std::borrow::Cow;
use std::cell::RefCell;

use crate::score::{Fact, Reason};

/// Buffers of each kind kept per thread.
pub(crate) const MAX_ENTRIES: usize = 256;
/// Strings with more capacity than this are freed, not kept.
pub(crate) const MAX_STRING_BYTES: usize = 512;
/// Vectors with room for more elements than this are freed, not kept.
pub(crate) const MAX_VEC_LEN: usize = 256;

/// Room a fresh message gets: most bundled reasons fit.
const STRING_START: usize = 64;

#[derive(Default)]
struct Pool {
    strings: Vec<String>,
    indexes: Vec<Vec<u32>>,
    paths: Vec<Vec<Cow<'static, str>>>,
    reasons: Vec<Vec<Reason>>,
    facts: Vec<Vec<Fact>>,
    /// A score's sink for the evidence of reasons it left out (one is
    /// enough: a thread builds one score at a time).
    sink: Option<Box<Reason>>,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
}

#[inline]
fn take<T>(pick: impl FnOnce(&mut Pool) -> Option<T>) -> Option<T> {
    POOL.try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| pick(&mut p))).ok().flatten()
}

#[inline]
fn keep(put: impl FnOnce(&mut Pool)) {
    let _ = POOL.try_with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            put(&mut p);
        }
    });
}

fn push_bounded<T>(list: &mut Vec<T>, item: T) {
    if list.len() < MAX_ENTRIES {
        list.push(item);
    }
}

/// An empty string with room for a message.
#[inline]
pub(crate) fn string() -> String {
    take(|p| p.strings.pop()).unwrap_or_else(|| String::with_capacity(STRING_START))
}

/// An empty list of event indexes (no allocation when the pool is empty).
#[inline]
pub(crate) fn indexes() -> Vec<u32> {
    take(|p| p.indexes.pop()).unwrap_or_default()
}

/// A list of event indexes whose buffer comes from this thread's pool and
/// goes back to it when dropped: a scorer's per-lead lists (the events of
/// a group, of a time window) then cost no allocation once the thread has
/// scored a lead or two. It is a `Vec<u32>` otherwise (`Deref`), and
/// `Reason::events(list.iter().copied())` takes it as evidence.
///
/// ```
/// use hql_plugin_api::pool::EventIndexes;
///
/// let mut recent = EventIndexes::new();
/// recent.push(3);
/// recent.push(7);
/// assert_eq!(recent.as_slice(), &[3, 7]);
/// ```
#[derive(Debug, PartialEq, Eq)]
pub struct EventIndexes(Vec<u32>);

impl EventIndexes {
    /// An empty list, with a buffer from this thread's pool if it has one.
    #[inline]
    pub fn new() -> EventIndexes {
        EventIndexes(indexes())
    }
}

/// The same as [`EventIndexes::new`], so a `#[derive(Default)]` struct of
/// lists draws every one of them from the pool.
impl Default for EventIndexes {
    fn default() -> EventIndexes {
        EventIndexes::new()
    }
}

impl Clone for EventIndexes {
    fn clone(&self) -> EventIndexes {
        let mut list = EventIndexes::new();
        list.0.extend_from_slice(&self.0);
        list
    }
}

impl std::ops::Deref for EventIndexes {
    type Target = Vec<u32>;
    fn deref(&self) -> &Vec<u32> {
        &self.0
    }
}

impl std::ops::DerefMut for EventIndexes {
    fn deref_mut(&mut self) -> &mut Vec<u32> {
        &mut self.0
    }
}

impl Drop for EventIndexes {
    fn drop(&mut self) {
        // A list that never took a buffer has nothing to give back.
        if self.0.capacity() > 0 {
            let list = std::mem::take(&mut self.0);
            keep(move |p| shelve(&mut p.indexes, list));
        }
    }
}

/// Empty lists of reasons and facts for a new score, with room for at least
/// `reasons` and `facts` (one look at the pool for both).
#[inline]
pub(crate) fn score_lists(reasons: usize, facts: usize) -> (Vec<Reason>, Vec<Fact>) {
    let (r, f) = take(|p| Some((p.reasons.pop(), p.facts.pop()))).unwrap_or((None, None));
    (r.unwrap_or_else(|| Vec::with_capacity(reasons)), f.unwrap_or_else(|| Vec::with_capacity(facts)))
}

/// Empty lists of field paths and event indexes for a new reason (one look
/// at the pool for both; no allocation when it is empty).
#[inline]
pub(crate) fn evidence() -> (Vec<Cow<'static, str>>, Vec<u32>) {
    let (fields, events) = take(|p| Some((p.paths.pop(), p.indexes.pop()))).unwrap_or((None, None));
    (fields.unwrap_or_default(), events.unwrap_or_default())
}

/// The sink for the evidence of reasons a score leaves out, empty.
pub(crate) fn sink() -> Box<Reason> {
    take(|p| p.sink.take()).unwrap_or_else(|| {
        Box::new(Reason {
            code: Cow::Borrowed(""),
            message: Cow::Borrowed(""),
            points: 0.0,
            fields: Vec::new(),
            events: Vec::new(),
        })
    })
}

/// Keeps a finished score's buffers for reuse (one pool borrow for all;
/// without a pool, during thread teardown, they are simply dropped).
pub(crate) fn give_score(reasons: Vec<Reason>, facts: Vec<Fact>, sink: Option<Box<Reason>>) {
    keep(move |p| {
        p.score(reasons, facts);
        if let Some(sink) = sink {
            p.shelve_sink(sink);
        }
    });
}

/// Keeps a string a score did not keep (a message or code of a reason left
/// out under a reason limit). A literal, or a string with no buffer, has
/// nothing to give: the pool is not touched (in a plugin library each touch
/// is a call to look up the thread's pool).
#[inline]
pub(crate) fn give_text(text: Cow<'static, str>) {
    if matches!(&text, Cow::Owned(s) if s.capacity() > 0) {
        keep(move |p| p.text(text));
    }
}

/// Keeps the buffers of one reason dropped from a score.
pub(crate) fn give_reason(reason: Reason) {
    keep(move |p| p.reason(reason));
}

/// Shelves an emptied vector for reuse unless it is unused or oversized.
fn shelve<T>(shelf: &mut Vec<Vec<T>>, mut list: Vec<T>) {
    if list.capacity() > 0 && list.capacity() <= MAX_VEC_LEN {
        list.clear();
        push_bounded(shelf, list);
    }
}

impl Pool {
    fn text(&mut self, text: Cow<'static, str>) {
        if let Cow::Owned(mut s) = text
            && s.capacity() > 0
            && s.capacity() <= MAX_STRING_BYTES
        {
            s.clear();
            push_bounded(&mut self.strings, s);
        }
    }

    fn reason(&mut self, r: Reason) {
        self.text(r.message);
        self.text(r.code);
        let mut paths = r.fields;
        for path in paths.drain(..) {
            self.text(path);
        }
        shelve(&mut self.paths, paths);
        shelve(&mut self.indexes, r.events);
    }

    /// Keeps `sink` emptied, unless its lists grew oversized (a cited
    /// path it owns goes back as a string).
    fn shelve_sink(&mut self, mut sink: Box<Reason>) {
        if sink.fields.capacity() > MAX_VEC_LEN || sink.events.capacity() > MAX_VEC_LEN {
            return;
        }
        for path in sink.fields.drain(..) {
            self.text(path);
        }
        sink.events.clear();
        self.sink = Some(sink);
    }

    fn score(&mut self, mut reasons: Vec<Reason>, mut facts: Vec<Fact>) {
        for r in reasons.drain(..) {
            self.reason(r);
        }
        for f in facts.drain(..) {
            self.text(f.name);
            if let crate::score::FactValue::Text(t) = f.value {
                self.text(t);
            }
        }
        shelve(&mut self.reasons, reasons);
        shelve(&mut self.facts, facts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Score;
    use crate::text::Line;

    #[test]
    fn a_recycled_score_lends_its_buffers_to_the_next() {
        std::thread::spawn(|| {
            let mut s = Score::new(10.0);
            s.reason("x.a", 5.0, Line::new().s("first ").int(1)).field("bant.need").events([1, 2]);
            s.fact("tier", String::from("gold"));
            let message_ptr = s.reasons()[0].message.as_ptr();
            s.recycle();
            // The newest buffers come back first, empty.
            let next = string();
            assert!(next.is_empty());
            let again = Line::new().s("second");
            assert!([next.as_ptr(), again.as_str().as_ptr()].contains(&message_ptr));
            let (paths, indexes) = evidence();
            assert!(indexes.capacity() >= 2);
            assert!(paths.capacity() >= 1);
        })
        .join()
        .expect("joins");
    }

    #[test]
    fn a_recycled_score_lends_its_sink_for_left_out_reasons_to_the_next() {
        std::thread::spawn(|| {
            let logger = crate::Logger::discard();
            let ctx = crate::Context::new(0, 0, &logger).with_reason_limit(1);
            let mut s = Score::for_call(&ctx);
            s.reason("x.kept", 9.0, "kept");
            s.reason("x.left_out", 1.0, "left out").field("bant.need").events([1, 2, 3]);
            assert_eq!(s.reasons().len(), 1);
            s.recycle();
            let sink = sink();
            assert!(sink.fields.is_empty() && sink.events.is_empty(), "handed back empty");
            assert!(sink.fields.capacity() >= 1 && sink.events.capacity() >= 3, "with its lists' room");
            assert!(POOL.with(|p| p.borrow().sink.is_none()), "taken, not copied");
        })
        .join()
        .expect("joins");
    }

    #[test]
    fn event_indexes_lend_their_buffer_to_the_next_list() {
        std::thread::spawn(|| {
            let mut first = EventIndexes::new();
            first.extend([1, 2, 3]);
            let buffer = first.as_ptr();
            let copy = first.clone();
            assert_eq!(copy.as_slice(), &[1, 2, 3]);
            drop(first);
            let next = EventIndexes::default();
            assert!(next.is_empty());
            assert_eq!(next.as_ptr(), buffer, "the dropped list's buffer comes back first, by default too");
        })
        .join()
        .expect("joins");
    }

    #[test]
    fn the_pool_is_bounded() {
        std::thread::spawn(|| {
            for _ in 0..MAX_ENTRIES + 10 {
                keep(|p| p.text(Cow::Owned(String::with_capacity(8))));
            }
            keep(|p| p.text(Cow::Owned(String::with_capacity(MAX_STRING_BYTES + 1))));
            let kept = POOL.with(|p| p.borrow().strings.len());
            assert_eq!(kept, MAX_ENTRIES);
            assert!(POOL.with(|p| p.borrow().strings.iter().all(|s| s.capacity() <= MAX_STRING_BYTES)));
        })
        .join()
        .expect("joins");
    }
}
