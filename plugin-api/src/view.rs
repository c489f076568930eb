//! Building the ABI view of a lead: one conversion per request.
//!
//! [`LeadView::new`] borrows a [`LeadRecord`] and lays out the flat C structs
//! of `hql_scorer.h` that every scorer then reads without copying or decoding
//! anything. Events after `as_of` are left out here, in one place, so no
//! scorer can see the future; their count travels in the score context.
//!
//! The view owns a few small arrays (events, attribute and string tables); the
//! `hql_lead_t` points into them and into the record's text, which is why the
//! view borrows the record for its whole life and is never mutated after `new`.
//! Any record will do whose text is `AsRef<str>` (`LeadRecord<String>`, or the
//! server's `LeadRecord<Cow<str>>` borrowing a request, through
//! [`LeadView::of`]): the view reads only the `&str`s the record lends it, so
//! its type does not name the text type.
//!
//! The event array is the one large allocation of a decision (about 90 B an
//! event, kilobytes a lead), and with glibc a block that size is not cached
//! per thread: each one cost a trip through the shared heap and, often, a
//! consolidation of its free lists (2.5 % of `hqld`'s CPU under load). A
//! dropped view therefore hands its array back to its thread, and the next
//! view built there reuses it, up to `SPARE_EVENTS_MAX` events of room.

use crate::abi::{
    HQL_ALL_FACTS, HQL_TIME_UNKNOWN, HQL_VALUE_BOOL, HQL_VALUE_NUMBER, HQL_VALUE_TEXT, hql_attribute_t,
    hql_bant_t, hql_company_t, hql_contact_t, hql_event_t, hql_lead_t, hql_product_usage_t,
    hql_score_context_t, hql_str_t,
};
use crate::record::{AttributeValue, LeadRecord};
use std::cell::Cell;
use std::marker::PhantomData;

/// The most events of room a thread keeps for the next view (about 45 KiB).
const SPARE_EVENTS_MAX: usize = 512;

thread_local! {
    /// The event array of the last view dropped on this thread, empty.
    static SPARE_EVENTS: Cell<Vec<hql_event_t>> = const { Cell::new(Vec::new()) };
}

/// An empty event array with room for `n`, the thread's spare if it has one.
fn event_array(n: usize) -> Vec<hql_event_t> {
    let mut events = SPARE_EVENTS.try_with(Cell::take).unwrap_or_default();
    events.reserve(n);
    events
}

/// Keeps `events`' buffer for the next view on this thread, unless it is
/// larger than [`SPARE_EVENTS_MAX`].
fn spare(mut events: Vec<hql_event_t>) {
    if events.capacity() <= SPARE_EVENTS_MAX {
        events.clear();
        // Fails only while the thread is being torn down: the buffer is freed.
        let _ = SPARE_EVENTS.try_with(|spare| spare.set(events));
    }
}

/// A lead laid out for scorers, borrowing the record it was built from.
pub struct LeadView<'a> {
    raw: hql_lead_t,
    ctx: hql_score_context_t,
    // The arrays `raw` points into. Never touched after construction: moving
    // the Vec headers (when the view moves) does not move their heap buffers.
    events: Vec<hql_event_t>,
    _technologies: Vec<hql_str_t>,
    _features: Vec<hql_str_t>,
    _attributes: Vec<hql_attribute_t>,
    /// The record's text, borrowed for 'a: every pointer into the record is
    /// one of the `&'a str`s its fields lend through `AsRef<str>`.
    _record: PhantomData<&'a str>,
}

// SAFETY: the view only holds pointers into data it owns or into `&'a str`s
// immutably borrowed from the record for 'a (shared `str`s are Send and Sync,
// whatever owns them); nothing is ever written through them.
unsafe impl Send for LeadView<'_> {}
// SAFETY: as above; shared reads are fine.
unsafe impl Sync for LeadView<'_> {}

fn s<T: AsRef<str> + ?Sized>(text: &T) -> hql_str_t {
    hql_str_t::from_str(text.as_ref())
}

fn time(t: Option<i64>) -> i64 {
    t.unwrap_or(HQL_TIME_UNKNOWN)
}

impl<'a> LeadView<'a> {
    /// Lays out `record` as seen at `as_of_ms`: events after it are withheld.
    ///
    /// For a `LeadRecord<String>`, the SDK's record; [`LeadView::of`] takes
    /// any text type. This one stays non-generic so that records written
    /// without a text type (`LeadRecord::default()`, `"l-1".into()`) still
    /// infer `String`: a default type parameter does not steer inference.
    #[inline]
    pub fn new(record: &'a LeadRecord, as_of_ms: i64) -> LeadView<'a> {
        LeadView::of(record, as_of_ms)
    }

    /// [`LeadView::new`] for a record with any text type, e.g. the server's
    /// `LeadRecord<Cow<str>>` borrowing a request: the view is the same for
    /// the same text.
    pub fn of<T: AsRef<str>>(record: &'a LeadRecord<T>, as_of_ms: i64) -> LeadView<'a> {
        let mut hidden = 0u32;
        let mut events = event_array(record.events.len());
        for (index, e) in record.events.iter().enumerate() {
            if e.occurred_at > as_of_ms {
                hidden = hidden.saturating_add(1);
                continue;
            }
            events.push(hql_event_t {
                r#type: s(&e.event_type),
                occurred_at: e.occurred_at,
                source: e.source.to_raw(),
                response: e.response.to_raw(),
                channel: s(&e.channel),
                campaign: s(&e.campaign),
                value: e.value.into(),
                index: u32::try_from(index).unwrap_or(u32::MAX),
            });
        }
        let technologies: Vec<hql_str_t> = record.company.technologies.iter().map(|t| s(t)).collect();
        let features: Vec<hql_str_t> = record
            .usage
            .as_ref()
            .map(|u| u.features_adopted.iter().map(|f| s(f)).collect())
            .unwrap_or_default();
        let attributes: Vec<hql_attribute_t> = record
            .attributes
            .iter()
            .map(|(key, value)| {
                let mut a =
                    hql_attribute_t { key: s(key), kind: 0, number: 0.0, boolean: 0, text: hql_str_t::EMPTY };
                match value {
                    AttributeValue::Number(n) => {
                        a.kind = HQL_VALUE_NUMBER;
                        a.number = *n;
                    }
                    AttributeValue::Bool(b) => {
                        a.kind = HQL_VALUE_BOOL;
                        a.boolean = u8::from(*b);
                    }
                    AttributeValue::Text(t) => {
                        a.kind = HQL_VALUE_TEXT;
                        a.text = s(t);
                    }
                }
                a
            })
            .collect();

        let c = &record.contact;
        let co = &record.company;
        let b = &record.bant;
        let usage = match &record.usage {
            Some(u) => hql_product_usage_t {
                present: 1,
                activated: u8::from(u.activated),
                signed_up_at: time(u.signed_up_at),
                trial_ends_at: time(u.trial_ends_at),
                active_days_last_30: u.active_days_last_30.into(),
                active_days_prev_30: u.active_days_prev_30.into(),
                seats: u.seats.into(),
                invited_teammates: u.invited_teammates.into(),
                plan_limit_hits: u.plan_limit_hits.into(),
                plan: s(&u.plan),
                features_adopted: features.as_ptr(),
                features_adopted_len: features.len(),
            },
            None => hql_product_usage_t {
                present: 0,
                activated: 0,
                signed_up_at: HQL_TIME_UNKNOWN,
                trial_ends_at: HQL_TIME_UNKNOWN,
                active_days_last_30: None.into(),
                active_days_prev_30: None.into(),
                seats: None.into(),
                invited_teammates: None.into(),
                plan_limit_hits: None.into(),
                plan: hql_str_t::EMPTY,
                features_adopted: features.as_ptr(),
                features_adopted_len: 0,
            },
        };
        let raw = hql_lead_t {
            struct_size: std::mem::size_of::<hql_lead_t>() as u32,
            lead_id: s(&record.lead_id),
            contact: hql_contact_t {
                email: s(&c.email),
                job_title: s(&c.job_title),
                seniority: c.seniority.to_raw(),
                department: s(&c.department),
                country: s(&c.country),
            },
            company: hql_company_t {
                domain: s(&co.domain),
                name: s(&co.name),
                industry: s(&co.industry),
                employee_count: co.employee_count.into(),
                annual_revenue: co.annual_revenue.into(),
                region: s(&co.region),
                technologies: technologies.as_ptr(),
                technologies_len: technologies.len(),
            },
            bant: hql_bant_t {
                budget_status: b.budget_status.to_raw(),
                budget_amount: b.budget_amount.into(),
                authority: b.authority.to_raw(),
                need: b.need.to_raw(),
                timeline_days: b.timeline_days.into(),
            },
            events: events.as_ptr(),
            events_len: events.len(),
            usage,
            attributes: attributes.as_ptr(),
            attributes_len: attributes.len(),
        };
        let ctx = hql_score_context_t {
            struct_size: std::mem::size_of::<hql_score_context_t>() as u32,
            as_of: as_of_ms,
            future_events_hidden: hidden,
            reason_limit: 0,
            reserved: 0,
            reason_weight: 1.0,
            reason_beat: -1.0,
            wanted_facts: HQL_ALL_FACTS,
        };
        LeadView {
            raw,
            ctx,
            events,
            _technologies: technologies,
            _features: features,
            _attributes: attributes,
            _record: PhantomData,
        }
    }

    /// The C view, valid while `self` lives.
    pub fn raw(&self) -> &hql_lead_t {
        &self.raw
    }

    /// The score context for this view (as_of, hidden future events).
    pub fn raw_context(&self) -> &hql_score_context_t {
        &self.ctx
    }

    /// Asks scorers for at most `limit` reasons (0: all of them), the ones
    /// a decision can show: Qualify sets the policy's number of top
    /// reasons, Explain leaves it at 0 (ABI 1.1 `reason_limit`).
    pub fn set_reason_limit(&mut self, limit: u32) {
        self.ctx.reason_limit = limit;
    }

    /// The reason limit scorers are given (0: none).
    pub fn reason_limit(&self) -> u32 {
        self.ctx.reason_limit
    }

    /// The safe reader over this view, as scorers see it.
    pub fn lead(&self) -> crate::lead::Lead<'_> {
        // SAFETY: `raw` and everything it points to live as long as `self`.
        unsafe { crate::lead::Lead::from_raw(&self.raw) }
    }

    /// Events after `as_of` that were withheld.
    pub fn future_events_hidden(&self) -> u32 {
        self.ctx.future_events_hidden
    }
}

impl Drop for LeadView<'_> {
    fn drop(&mut self) {
        // Nothing points into the array once the view is gone.
        spare(std::mem::take(&mut self.events));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::EventRecord;

    fn lead(types: &[&'static str]) -> LeadRecord {
        LeadRecord {
            events: types.iter().enumerate().map(|(i, t)| EventRecord::new(*t, i as i64 * 10)).collect(),
            ..LeadRecord::default()
        }
    }

    fn types(view: &LeadView<'_>) -> Vec<String> {
        view.lead().events().map(|e| e.event_type().to_owned()).collect()
    }

    #[test]
    fn a_view_built_on_a_reused_array_shows_only_its_own_events() {
        let (long, short) = (lead(&["a", "b", "c", "d"]), lead(&["x"]));
        drop(LeadView::new(&long, 100));
        let view = LeadView::new(&short, 100);
        assert_eq!(types(&view), ["x"]);
        // A second view while the first holds the spare gets its own array.
        let other = LeadView::new(&long, 25);
        assert_eq!(types(&other), ["a", "b", "c"]);
        assert_eq!(other.future_events_hidden(), 1);
        assert_eq!(types(&view), ["x"]);
    }

    #[test]
    fn an_array_with_room_for_more_than_the_limit_is_freed_not_kept() {
        let huge: Vec<&'static str> = vec!["e"; SPARE_EVENTS_MAX + 1];
        drop(LeadView::new(&lead(&huge), i64::MAX));
        assert_eq!(spare_capacity(), 0);
        drop(LeadView::new(&lead(&["a", "b"]), i64::MAX));
        assert!(spare_capacity() >= 2);
    }

    fn spare_capacity() -> usize {
        SPARE_EVENTS.with(|spare| {
            let events = spare.take();
            let capacity = events.capacity();
            spare.set(events);
            capacity
        })
    }
}
