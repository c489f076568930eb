//! The host's copy of what one plugin call returned: [`ScoreCopy`].
//!
//! Why not a [`Score`], the SDK's own type, as before: a `Score` is a list of
//! reasons that each own their code, message and two evidence lists. Filling
//! one from a plugin took two lists from the thread's pool per reason and
//! gave them back one by one when the decision was done; counted, that and
//! the checks around it were about half of what loading a scorer from a
//! library costs over linking it in (the performance issue's "dynamic
//! overhead"). A copy is instead one flat record per call: the strings a
//! plugin passes are appended to one buffer (its library's literals are
//! kept where they lie, as before), a reason's evidence is a range of two
//! lists shared by the call's reasons, and the record is taken from and
//! given back to this thread's shelf whole. Refilling it allocates nothing
//! once the thread has decided a lead or two, and emptying it is a few
//! `clear`s.
//!
//! Facts and disqualifiers stay [`Fact`]s and [`Disqualifier`]s: a decision
//! copies only the few facts its gates read (ABI 1.3), disqualifiers are
//! rare, and the pipeline reads both as it reads a linked scorer's.
//!
//! Readers see a copied reason as a [`CopiedReason`], its strings borrowed
//! from the record.

use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::Range;

use crate::score::{Disqualifier, Fact, FactValue, Reason, Score};

/// A string of a copy: a literal of the plugin's library, or a range of the
/// copy's text buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Text {
    /// Kept where it lies (see `host::ReadOnlyImage`).
    Literal(&'static str),
    /// `text[start..end]`.
    Copied { start: usize, end: usize },
}

/// One reason of a copy; its evidence is a range of the copy's lists.
#[derive(Clone, Debug)]
struct ReasonCopy {
    code: Text,
    message: Text,
    points: f64,
    fields: Range<usize>,
    events: Range<usize>,
}

/// The record behind a [`ScoreCopy`].
#[derive(Debug, Default)]
struct Record {
    value: f64,
    /// Every copied string, one after the other.
    text: String,
    reasons: Vec<ReasonCopy>,
    /// The reasons' cited field paths.
    fields: Vec<Text>,
    /// The reasons' cited event indexes.
    events: Vec<u32>,
    facts: Vec<Fact>,
    disqualifiers: Vec<Disqualifier>,
}

/// Records kept per thread: a decision holds one per scorer.
const SHELF_RECORDS: usize = 16;
/// A record whose text buffer grew past this is freed, not shelved, so one
/// plugin's outsized output does not stay on the thread (an explanation's
/// copy of a bundled scorer holds under 1 KiB).
const SHELF_TEXT_BYTES: usize = 4 * 1024;
/// The same for its lists (in elements). With the two limits above, a
/// thread's shelf holds at most about 300 KiB, whatever the leads were.
const SHELF_LIST_LEN: usize = 256;

thread_local! {
    // Boxed on purpose: a `ScoreCopy` is its record's box, one word, so an
    // outcome that holds one moves no more bytes than a linked `Score`'s,
    // and the shelf hands the box over as it is.
    #[allow(clippy::vec_box)]
    static SHELF: RefCell<Vec<Box<Record>>> = const { RefCell::new(Vec::new()) };
}

/// What the host copied of one plugin call: its score, the reasons the call
/// was asked for, the facts a decision reads and the disqualifiers.
///
/// One flat record: the strings the plugin passed in one buffer (its
/// library's literals kept where they lie), each reason's evidence a range
/// of two lists its reasons share. Filling a [`Score`] instead took two
/// lists from the thread's pool for every reason and gave them back one by
/// one; a copy is refilled whole and emptied with a few `clear`s.
///
/// Give it back with [`ScoreCopy::recycle`] once read (dropping it is
/// correct too, only slower for the next one). For tests and tools,
/// [`ScoreCopy::into_score`] turns it into the SDK's [`Score`].
#[derive(Debug)]
pub struct ScoreCopy(Box<Record>);

impl ScoreCopy {
    /// An empty copy (score 0), from this thread's shelf when it has one.
    pub(crate) fn take() -> ScoreCopy {
        let record = SHELF.try_with(|s| s.try_borrow_mut().ok().and_then(|mut s| s.pop())).ok().flatten();
        ScoreCopy(record.unwrap_or_default())
    }

    /// Empties the copy onto this thread's shelf, for the next call's copy.
    pub fn recycle(self) {
        let mut record = self.0;
        if record.text.capacity() > SHELF_TEXT_BYTES
            || record.reasons.capacity() > SHELF_LIST_LEN
            || record.fields.capacity() > SHELF_LIST_LEN
            || record.events.capacity() > SHELF_LIST_LEN
            || record.facts.capacity() > SHELF_LIST_LEN
            || record.disqualifiers.capacity() > SHELF_LIST_LEN
        {
            return;
        }
        record.value = 0.0;
        record.text.clear();
        record.reasons.clear();
        record.fields.clear();
        record.events.clear();
        // Most facts hold only literals (declared names, kept values):
        // then there is nothing to give back, and no call to make per fact.
        let owns =
            |f: &Fact| matches!(f.name, Cow::Owned(_)) || matches!(f.value, FactValue::Text(Cow::Owned(_)));
        if record.facts.iter().any(owns) {
            for fact in record.facts.drain(..) {
                crate::pool::give_text(fact.name);
                if let FactValue::Text(text) = fact.value {
                    crate::pool::give_text(text);
                }
            }
        } else {
            record.facts.clear();
        }
        record.disqualifiers.clear();
        let _ = SHELF.try_with(|s| {
            if let Ok(mut s) = s.try_borrow_mut()
                && s.len() < SHELF_RECORDS
            {
                s.push(record);
            }
        });
    }

    /// The score as the plugin set it.
    pub fn value(&self) -> f64 {
        self.0.value
    }

    /// Replaces the score (the host clamps it).
    pub fn set_value(&mut self, value: f64) {
        self.0.value = value;
    }

    /// How many reasons were copied.
    pub fn reason_count(&self) -> usize {
        self.0.reasons.len()
    }

    /// The `i`-th reason copied (in the order the plugin added them, less
    /// those a reason limit replaced).
    pub fn reason(&self, i: usize) -> Option<CopiedReason<'_>> {
        self.0.reasons.get(i).map(|r| self.0.read(r))
    }

    /// The reasons, in order.
    pub fn reasons(&self) -> impl ExactSizeIterator<Item = CopiedReason<'_>> + '_ {
        self.0.reasons.iter().map(|r| self.0.read(r))
    }

    /// The points of each reason, in order (what ranking needs, without the
    /// strings).
    pub fn reason_points(&self) -> impl ExactSizeIterator<Item = f64> + '_ {
        self.0.reasons.iter().map(|r| r.points)
    }

    /// Keeps only the reasons `keep` accepts, given their code and points,
    /// in order. What the others cited stays in the record's buffers,
    /// unread, until it is recycled.
    pub fn retain_reasons(&mut self, mut keep: impl FnMut(&str, f64) -> bool) {
        let record = &mut *self.0;
        let text = &record.text;
        record.reasons.retain(|r| keep(str_of(text, r.code), r.points));
    }

    /// Facts in the order they were first set.
    pub fn facts(&self) -> &[Fact] {
        &self.0.facts
    }

    /// A fact by name.
    pub fn fact_value(&self, name: &str) -> Option<&FactValue> {
        self.0.facts.iter().find(|f| f.name == name).map(|f| &f.value)
    }

    /// Keeps only the facts `keep` accepts, in order.
    pub fn retain_facts(&mut self, keep: impl FnMut(&Fact) -> bool) {
        self.0.facts.retain(keep);
    }

    /// Disqualifiers in the order they were reported.
    pub fn disqualifiers(&self) -> &[Disqualifier] {
        &self.0.disqualifiers
    }

    /// Keeps only the disqualifiers `keep` accepts, in order.
    pub fn retain_disqualifiers(&mut self, keep: impl FnMut(&Disqualifier) -> bool) {
        self.0.disqualifiers.retain(keep);
    }

    /// The same output as the SDK's [`Score`] (what a test harness or a
    /// checker compares), the plugin's literals still borrowed; the copy is
    /// recycled.
    pub fn into_score(self) -> Score {
        let mut score = Score::new(self.0.value);
        for r in &self.0.reasons {
            let fields = self.0.fields.get(r.fields.clone()).unwrap_or(&[]);
            score.push_reason(Reason {
                code: self.owned(r.code),
                message: self.owned(r.message),
                points: r.points,
                fields: fields.iter().map(|f| self.owned(*f)).collect(),
                events: self.0.events.get(r.events.clone()).unwrap_or(&[]).to_vec(),
            });
        }
        for fact in self.facts() {
            score.fact(fact.name.clone(), fact.value.clone());
        }
        for d in self.disqualifiers() {
            score.disqualify(d.code.clone(), d.message.clone());
        }
        self.recycle();
        score
    }

    /// Appends `bytes` (a plugin's text, lossily when it is not UTF-8) to
    /// the copy's buffer.
    pub(crate) fn copied(&mut self, bytes: &[u8]) -> Text {
        let text = &mut self.0.text;
        let start = text.len();
        crate::text::push_lossy(text, bytes);
        Text::Copied { start, end: text.len() }
    }

    /// Adds a reason under `limit` (0: none; see `limit`): `copy` runs only
    /// when it is kept, cites its evidence ([`ScoreCopy::cite_field`],
    /// [`ScoreCopy::cite_events`]) and returns its code and message.
    pub(crate) fn offer_reason(
        &mut self,
        limit: usize,
        points: f64,
        copy: impl FnOnce(&mut ScoreCopy) -> (Text, Text),
    ) {
        let reasons = &self.0.reasons;
        match crate::limit::offer(limit, reasons.len(), |i| reasons[i].points.abs(), points) {
            crate::limit::Offer::Keep => {}
            crate::limit::Offer::Replace(i) => {
                self.0.reasons.remove(i);
            }
            crate::limit::Offer::Skip => return,
        }
        let (fields_start, events_start) = (self.0.fields.len(), self.0.events.len());
        let (code, message) = copy(self);
        let record = &mut *self.0;
        record.reasons.push(ReasonCopy {
            code,
            message,
            points,
            fields: fields_start..record.fields.len(),
            events: events_start..record.events.len(),
        });
    }

    /// Cites a field path for the reason being copied.
    pub(crate) fn cite_field(&mut self, path: Text) {
        self.0.fields.push(path);
    }

    /// Cites event indexes for the reason being copied.
    pub(crate) fn cite_events(&mut self, events: &[u32]) {
        self.0.events.extend_from_slice(events);
    }

    /// Sets a fact (the same name again keeps the last value).
    pub(crate) fn fact(&mut self, name: Cow<'static, str>, value: FactValue) {
        crate::score::set_fact(&mut self.0.facts, name, value);
    }

    /// Adds a disqualifier.
    pub(crate) fn disqualify(&mut self, code: Cow<'static, str>, message: Cow<'static, str>) {
        self.0.disqualifiers.push(Disqualifier { code, message });
    }

    /// A copied or kept string as a `Cow`, as the SDK's [`Score`] holds it.
    fn owned(&self, text: Text) -> Cow<'static, str> {
        match text {
            Text::Literal(s) => Cow::Borrowed(s),
            Text::Copied { .. } => {
                let mut out = crate::pool::string();
                out.push_str(self.0.str(text));
                Cow::Owned(out)
            }
        }
    }
}

impl Record {
    #[inline]
    fn str(&self, text: Text) -> &str {
        str_of(&self.text, text)
    }

    fn read<'a>(&'a self, r: &'a ReasonCopy) -> CopiedReason<'a> {
        CopiedReason {
            code: self.str(r.code),
            message: self.str(r.message),
            points: r.points,
            fields: CopiedFields { record: self, paths: narrow(&r.fields) },
            events: self.events.get(r.events.clone()).unwrap_or(&[]),
        }
    }
}

/// A range of a record's lists as two `u32`s, which keeps a
/// [`CopiedFields`] (and the answers that hold one) two words wide. No list
/// holds 2^32 entries (one of paths would take 96 GiB); a range past that
/// reads as empty.
fn narrow(range: &Range<usize>) -> (u32, u32) {
    match (u32::try_from(range.start), u32::try_from(range.end)) {
        (Ok(start), Ok(end)) => (start, end),
        _ => (0, 0),
    }
}

#[inline]
fn str_of(buffer: &str, text: Text) -> &str {
    match text {
        Text::Literal(s) => s,
        Text::Copied { start, end } => {
            debug_assert!(buffer.is_char_boundary(start) && buffer.is_char_boundary(end) && start <= end);
            // SAFETY: a `Copied` range is only made by `ScoreCopy::copied`,
            // around a whole `str` it appended to this buffer, and is only
            // read with the buffer it was made for: the buffer is cleared
            // only with the reasons, facts and disqualifiers that hold its
            // ranges (`ScoreCopy::recycle`), and nothing else removes text.
            // So it lies within the buffer, at character boundaries.
            unsafe { buffer.get_unchecked(start..end) }
        }
    }
}

/// A reason of a [`ScoreCopy`], its strings borrowed from the copy.
#[derive(Clone, Copy, Debug)]
pub struct CopiedReason<'a> {
    /// Stable dotted code.
    pub code: &'a str,
    /// One short human sentence.
    pub message: &'a str,
    /// Signed points.
    pub points: f64,
    /// Lead field paths cited.
    pub fields: CopiedFields<'a>,
    /// Event indexes cited.
    pub events: &'a [u32],
}

/// The field paths a [`CopiedReason`] cites.
#[derive(Clone, Copy)]
pub struct CopiedFields<'a> {
    record: &'a Record,
    /// `record.fields[paths.0..paths.1]`.
    paths: (u32, u32),
}

impl std::fmt::Debug for CopiedFields<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> CopiedFields<'a> {
    #[inline]
    fn paths(&self) -> &'a [Text] {
        let (start, end) = (self.paths.0 as usize, self.paths.1 as usize);
        self.record.fields.get(start..end).unwrap_or(&[])
    }

    /// How many paths.
    pub fn len(&self) -> usize {
        self.paths().len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th path.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a str> {
        self.paths().get(i).map(|t| self.record.str(*t))
    }

    /// The paths, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a str> + use<'a> {
        let record = self.record;
        self.paths().iter().map(move |t| record.str(*t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(s: &'static str) -> Text {
        Text::Literal(s)
    }

    #[test]
    fn a_copy_reads_back_what_was_put_in_and_recycles_empty() {
        let mut copy = ScoreCopy::take();
        copy.set_value(42.5);
        copy.offer_reason(0, 10.0, |c| {
            let message = c.copied("ten points, ×2".as_bytes());
            c.cite_field(literal("bant.need"));
            c.cite_events(&[3, 7]);
            (literal("demo.code"), message)
        });
        copy.offer_reason(0, -5.0, |c| (c.copied(b"demo.other"), c.copied(b"caf\xc3")));
        copy.fact(Cow::Borrowed("tier"), FactValue::Text(Cow::Borrowed("a")));
        copy.fact(Cow::Borrowed("tier"), FactValue::Text(Cow::Borrowed("b")));
        assert_eq!(copy.value(), 42.5);
        let first = copy.reason(0).expect("first");
        assert_eq!((first.code, first.message, first.points), ("demo.code", "ten points, ×2", 10.0));
        assert_eq!(first.fields.iter().collect::<Vec<_>>(), ["bant.need"]);
        assert_eq!(first.events, [3, 7]);
        let second = copy.reason(1).expect("second");
        assert_eq!((second.code, second.message), ("demo.other", "caf\u{fffd}"), "lossy, never invalid");
        assert!(second.fields.is_empty() && second.events.is_empty());
        assert_eq!(copy.facts().len(), 1, "the same name keeps the last value");
        assert_eq!(copy.fact_value("tier"), Some(&FactValue::Text(Cow::Borrowed("b"))));
        copy.recycle();
        let again = ScoreCopy::take();
        assert_eq!((again.value(), again.reason_count(), again.facts().len()), (0.0, 0, 0));
        assert!(again.0.text.is_empty() && again.0.fields.is_empty() && again.0.events.is_empty());
    }

    #[test]
    fn under_a_limit_the_weakest_is_replaced_and_the_rest_read_the_same() {
        let mut copy = ScoreCopy::take();
        for (code, points) in [("a", 5.0), ("b", 1.0), ("c", 9.0)] {
            copy.offer_reason(2, points, |c| {
                let code = c.copied(code.as_bytes());
                c.cite_field(code);
                (code, literal("m"))
            });
        }
        let kept: Vec<_> = copy.reasons().map(|r| (r.code, r.fields.iter().next())).collect();
        assert_eq!(kept, [("a", Some("a")), ("c", Some("c"))]);
        copy.retain_reasons(|code, _| code != "a");
        assert_eq!(copy.reasons().map(|r| r.code).collect::<Vec<_>>(), ["c"]);
        let score = copy.into_score();
        assert_eq!(score.reasons().len(), 1);
        assert_eq!(score.reasons()[0].fields, [Cow::<str>::Borrowed("c")]);
    }

    #[test]
    fn an_outsized_copy_is_freed_not_shelved() {
        // Empty this thread's shelf, then give back one copy of each kind.
        while SHELF.with(|s| s.borrow_mut().pop()).is_some() {}
        let mut large = ScoreCopy::take();
        large.copied(&[b'x'; SHELF_TEXT_BYTES + 1]);
        large.recycle();
        assert_eq!(SHELF.with(|s| s.borrow().len()), 0, "over the text limit: freed");
        let mut usual = ScoreCopy::take();
        usual.copied(b"a message");
        usual.recycle();
        assert_eq!(SHELF.with(|s| s.borrow().len()), 1);
        let again = ScoreCopy::take();
        assert!(again.0.text.is_empty() && again.0.text.capacity() >= 9, "the shelved buffer, emptied");
    }

    #[test]
    fn fields_read_back_in_order() {
        let mut copy = ScoreCopy::take();
        copy.offer_reason(0, 1.0, |c| {
            c.cite_field(literal("a.b"));
            let copied = c.copied(b"c");
            c.cite_field(copied);
            (literal("x"), literal("y"))
        });
        let fields = copy.reason(0).expect("one").fields;
        assert_eq!(fields.iter().collect::<Vec<_>>(), ["a.b", "c"]);
        assert_eq!((fields.len(), format!("{fields:?}")), (2, r#"["a.b", "c"]"#.to_owned()));
    }
}
