//! The deciding requests' bytes read in place: every text field of a lead
//! borrows the request's buffer.
//!
//! prost decodes a lead of about 1.5 kB into some fifty owned strings, a
//! vector grown event by event and a map, and frees them all once the lead
//! is decided: 4.1 µs of the 23.8 a Qualify call costs in-process, more
//! than validating and converting the lead and about a quarter of what the
//! pipeline itself takes. Here the request's bytes are read once into the
//! mirror types below, whose text is `&str` into those bytes (checked as
//! UTF-8, as prost checks it), and [`super::lead`] validates and normalises
//! them into a record that keeps borrowing whatever needs no change.
//!
//! What a message means is prost's, to the error: scalars and enumerations
//! are read by prost's own field functions (`prost::encoding`), unknown
//! fields are skipped by its `skip_field`, the last value of a scalar wins,
//! a message field sent twice is merged, repeated fields append, and an
//! error names the messages and fields it occurred in as prost's generated
//! code names them. Map entries are kept as a list in arrival order; the
//! conversion keeps the last entry of each key, as prost's map does. The
//! tests compare this reader with prost on generated leads and on their
//! bytes cut short and corrupted. One difference is kept: prost counts
//! nested messages towards its recursion limit of 100 and this reader does
//! not, so a group nested that deep inside an unknown field is skipped here
//! where prost refuses it (the lead's own messages nest four deep at most).
//!
//! The mirror types name fields as `lead.proto` does; adding a field there
//! without reading it here is caught by a test that encodes every field.
//!
//! What a request can make the reader hold is bounded by the server's
//! limits, not by the request's size ([`Caps`]). Every element of a list is
//! still read (so errors stay prost's), but only the first `limit` are kept
//! and the rest counted, which is all the refusal ("must have at most 10000
//! events, got 8000000") needs. Without this a 16 MiB request of empty
//! events or empty leads (two bytes each) was read into 0.7-3.6 GB before
//! it was refused. A batch's leads are not read up front at all: the
//! request is scanned for where each lead starts ([`LeadBytes`]), and each
//! is read when it is decided, so a batch holds one decoded lead at a time
//! and leads beyond `max_batch_size` are never read.

use hql_plugin_api::text::utf8;
use prost::DecodeError;
use prost::encoding::{
    DecodeContext, WireType, bool as pb_bool, check_wire_type, decode_key, decode_varint, double, int32,
    int64, merge_loop, skip_field, string,
};
use prost_types::Timestamp;

use crate::config::Limits;
use crate::validate::MAX_LIST_ITEMS;

/// The unread rest of a request's bytes.
type Buf<'a> = &'a [u8];

/// A request carrying one lead and `as_of` (`QualifyRequest`,
/// `ExplainRequest`, `QualifyStreamRequest`: the same two fields).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Single<'a> {
    pub(crate) lead: Option<Lead<'a>>,
    pub(crate) as_of: Option<Timestamp>,
}

/// A `QualifyBatchRequest`, its leads not read yet.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Batch<'a> {
    /// The first `max_leads` leads, in order.
    pub(crate) leads: Vec<LeadBytes<'a>>,
    /// How many leads the request holds, kept or not.
    pub(crate) lead_count: usize,
    pub(crate) as_of: Option<Timestamp>,
}

/// One lead of a batch, found but not read: the request's bytes from the
/// lead's length prefix on. [`LeadBytes::read`] reads it as prost reads an
/// element of `leads`, to the same value or the same error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct LeadBytes<'a>(Buf<'a>);

impl<'a> LeadBytes<'a> {
    /// The lead, holding at most what `caps` allow.
    pub(crate) fn read(self, caps: Caps) -> Result<Lead<'a>, DecodeError> {
        let mut buf = self.0;
        let mut lead = Lead::new(caps);
        nested(WireType::LengthDelimited, &mut lead, &mut buf, lead_field)
            .map_err(at("QualifyBatchRequest", "leads"))?;
        Ok(lead)
    }
}

/// How much of a lead's lists the reader keeps; the rest is read and
/// counted only. [`Caps::NONE`] keeps everything, as prost does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Caps {
    /// Events kept (`limits.max_events_per_lead`).
    pub(crate) events: usize,
    /// Entries kept of `technologies` and `features_adopted`.
    pub(crate) items: usize,
    /// Distinct attribute keys: past this many the map is refused whatever
    /// follows, so later entries are not kept ([`Attributes`]).
    pub(crate) attribute_keys: usize,
}

impl Caps {
    /// Keep everything (the tests' comparisons with prost).
    pub(crate) const NONE: Caps = Caps { events: usize::MAX, items: usize::MAX, attribute_keys: usize::MAX };

    /// What the server accepts: one more than that would be refused anyway.
    pub(crate) fn of(limits: &Limits) -> Caps {
        Caps { events: limits.max_events_per_lead, items: MAX_LIST_ITEMS, attribute_keys: MAX_LIST_ITEMS }
    }
}

impl Default for Caps {
    fn default() -> Caps {
        Caps::NONE
    }
}

/// A repeated field read in full and kept up to a limit.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Capped<T> {
    /// The first `limit` values, in order.
    pub(crate) kept: Vec<T>,
    /// How many values were read, kept or not.
    pub(crate) count: usize,
    limit: usize,
}

/// Room a list gets with its first value (never more than its cap): a
/// lead's events number 10 to 40 in the workloads measured, and growing
/// through 4, 8 and 16 cost three reallocations and copies of the events
/// read so far. At most 2.8 KB of events or 512 bytes of a string list,
/// for one lead at a time.
const FIRST_ROOM: usize = 32;

impl<T> Capped<T> {
    fn new(limit: usize) -> Capped<T> {
        Capped { kept: Vec::new(), count: 0, limit }
    }

    /// Counts `value`, and keeps it while fewer than `limit` are kept.
    fn push_read(&mut self, value: T) {
        self.count += 1;
        if self.kept.len() < self.limit {
            if self.kept.capacity() == 0 {
                self.kept.reserve_exact(self.limit.min(FIRST_ROOM));
            }
            self.kept.push(value);
        }
    }
}

impl<T> Default for Capped<T> {
    fn default() -> Capped<T> {
        Capped::new(usize::MAX)
    }
}

/// The `attributes` map's entries as they arrived.
///
/// A map keeps the last entry of each key, so the entries cannot simply be
/// cut at a limit. Instead, each time `4 x attribute_keys` entries are
/// held they are reduced to the latest of each key ([`latest_per_key`]);
/// once more than `attribute_keys` distinct keys remain, the map will be
/// refused whatever follows, and later entries are read but not kept (so
/// the kept entries' own violations may name a value a later entry would
/// have replaced; the count is what the caller must fix first).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Attributes<'a> {
    /// Entries in arrival order, repeated keys included (or, after a
    /// reduction, the latest of each key in key order, then later arrivals).
    pub(crate) entries: Vec<(&'a str, AttributeValue<'a>)>,
    /// More than `attribute_keys` distinct keys were found, and entries
    /// read after that were not kept.
    pub(crate) over: bool,
    keys: usize,
}

impl<'a> Attributes<'a> {
    fn new(keys: usize) -> Attributes<'a> {
        Attributes { entries: Vec::new(), over: false, keys }
    }

    fn push(&mut self, entry: (&'a str, AttributeValue<'a>)) {
        if self.over {
            return;
        }
        if self.entries.len() >= self.keys.saturating_mul(4) {
            latest_per_key(&mut self.entries);
            if self.entries.len() > self.keys {
                self.over = true;
                return;
            }
        }
        self.entries.push(entry);
    }
}

impl Default for Attributes<'_> {
    fn default() -> Self {
        Attributes::new(usize::MAX)
    }
}

/// Map entries in arrival order, reduced to the last entry of each key, in
/// key order, as protobuf's map keeps them.
pub(crate) fn latest_per_key<V>(entries: &mut Vec<(&str, V)>) {
    // Most clients write a map in key order (prost does): then there is
    // nothing to sort or drop. Otherwise newest first, then a stable sort
    // by key: each key's first entry is the one that arrived last, and the
    // only one kept.
    if !entries.windows(2).all(|pair| pair[0].0 < pair[1].0) {
        entries.reverse();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries.dedup_by(|later, kept| later.0 == kept.0);
    }
}

/// `hql.v1.Lead`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Lead<'a> {
    pub(crate) lead_id: &'a str,
    pub(crate) contact: Option<Contact<'a>>,
    pub(crate) company: Option<Company<'a>>,
    pub(crate) bant: Option<Bant>,
    pub(crate) events: Capped<Event<'a>>,
    pub(crate) product_usage: Option<ProductUsage<'a>>,
    pub(crate) attributes: Attributes<'a>,
    /// What the lists may keep (and the company's and product usage's).
    pub(crate) caps: Caps,
}

impl Lead<'_> {
    fn new(caps: Caps) -> Self {
        Lead {
            events: Capped::new(caps.events),
            attributes: Attributes::new(caps.attribute_keys),
            caps,
            ..Lead::default()
        }
    }
}

/// `hql.v1.Contact`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Contact<'a> {
    pub(crate) email: &'a str,
    pub(crate) job_title: &'a str,
    pub(crate) seniority: i32,
    pub(crate) department: &'a str,
    pub(crate) country: &'a str,
}

/// `hql.v1.Company`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Company<'a> {
    pub(crate) domain: &'a str,
    pub(crate) name: &'a str,
    pub(crate) industry: &'a str,
    pub(crate) employee_count: Option<i64>,
    pub(crate) annual_revenue: Option<f64>,
    pub(crate) region: &'a str,
    pub(crate) technologies: Capped<&'a str>,
}

/// `hql.v1.Bant` (no text).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Bant {
    pub(crate) budget_status: i32,
    pub(crate) budget_amount: Option<f64>,
    pub(crate) authority: i32,
    pub(crate) need: i32,
    pub(crate) timeline_days: Option<i32>,
}

/// `hql.v1.Event`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Event<'a> {
    pub(crate) r#type: i32,
    pub(crate) custom_type: &'a str,
    pub(crate) occurred_at: Option<Timestamp>,
    pub(crate) source: i32,
    pub(crate) channel: i32,
    pub(crate) campaign: &'a str,
    pub(crate) response: i32,
    pub(crate) value: Option<f64>,
}

/// `hql.v1.ProductUsage`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ProductUsage<'a> {
    pub(crate) signed_up_at: Option<Timestamp>,
    pub(crate) activated: bool,
    pub(crate) active_days_last_30: Option<i32>,
    pub(crate) active_days_prev_30: Option<i32>,
    pub(crate) seats: Option<i32>,
    pub(crate) invited_teammates: Option<i32>,
    pub(crate) features_adopted: Capped<&'a str>,
    pub(crate) plan_limit_hits: Option<i32>,
    pub(crate) plan: &'a str,
    pub(crate) trial_ends_at: Option<Timestamp>,
}

/// `hql.v1.AttributeValue`: its `kind`, if one is set.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) enum AttributeValue<'a> {
    /// No `kind` was sent (or an entry came without a value).
    #[default]
    Unset,
    Text(&'a str),
    Number(f64),
    Bool(bool),
}

/// Reads a request of one lead; `name` is its message's name, for errors.
pub(crate) fn single<'a>(bytes: &'a [u8], name: &'static str, caps: Caps) -> Result<Single<'a>, DecodeError> {
    let mut request = Single::default();
    top_level(bytes, &mut request, |request, tag, wire_type, buf| match tag {
        1 => nested(wire_type, request.lead.get_or_insert_with(|| Lead::new(caps)), buf, lead_field)
            .map_err(at(name, "lead")),
        2 => timestamp(wire_type, &mut request.as_of, buf).map_err(at(name, "as_of")),
        _ => skip(wire_type, tag, buf),
    })?;
    Ok(request)
}

/// Scans a `QualifyBatchRequest`: where each of its first `max_leads`
/// leads starts, how many it holds, and its `as_of`.
///
/// The scan checks the request's own framing, not its leads' contents;
/// [`LeadBytes::read`] reads each lead later. When the scan finds the
/// request malformed, the request is read in full, lead by lead (each
/// dropped once read, the lists held to `caps`), so the error is the one
/// prost would give: the first in the bytes. When it does not, the first
/// lead that fails to read is the first error in the bytes, so reading
/// them in order later gives prost's error too; only leads past
/// `max_leads`, which are never read, can hide one.
pub(crate) fn batch(bytes: &[u8], max_leads: usize, caps: Caps) -> Result<Batch<'_>, DecodeError> {
    let mut request = Batch::default();
    let scanned = top_level(bytes, &mut request, |request, tag, wire_type, buf| match tag {
        1 => {
            check_wire_type(WireType::LengthDelimited, wire_type)?;
            let lead_starts: Buf<'_> = *buf;
            skip(wire_type, tag, buf)?;
            request.lead_count += 1;
            if request.leads.len() < max_leads {
                request.leads.push(LeadBytes(lead_starts));
            }
            Ok(())
        }
        2 => timestamp(wire_type, &mut request.as_of, buf).map_err(at("QualifyBatchRequest", "as_of")),
        _ => skip(wire_type, tag, buf),
    });
    match scanned {
        Ok(()) => Ok(request),
        Err(scan_error) => Err(first_error(bytes, caps).unwrap_or(scan_error)),
    }
}

/// The first error in a `QualifyBatchRequest`, read in full as prost reads
/// it, each lead dropped once read.
#[cold]
fn first_error(bytes: &[u8], caps: Caps) -> Option<DecodeError> {
    let mut as_of = None;
    top_level(bytes, &mut as_of, |as_of, tag, wire_type, buf| match tag {
        1 => nested(wire_type, &mut Lead::new(caps), buf, lead_field)
            .map_err(at("QualifyBatchRequest", "leads")),
        2 => timestamp(wire_type, as_of, buf).map_err(at("QualifyBatchRequest", "as_of")),
        _ => skip(wire_type, tag, buf),
    })
    .err()
}

/// Reads one field of a message into `T`: its tag and wire type are read,
/// the rest of the buffer starts at its value. Generic rather than a
/// function pointer, so each message's field reader is called directly.
trait Field<'a, T>: Fn(&mut T, u32, WireType, &mut Buf<'a>) -> Result<(), DecodeError> {}

impl<'a, T, F: Fn(&mut T, u32, WireType, &mut Buf<'a>) -> Result<(), DecodeError>> Field<'a, T> for F {}

/// Every field of a top-level message, up to the end of `bytes`.
fn top_level<'a, T>(bytes: &'a [u8], value: &mut T, field: impl Field<'a, T>) -> Result<(), DecodeError> {
    let mut buf: Buf<'a> = bytes;
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf)?;
        field(value, tag, wire_type, &mut buf)?;
    }
    Ok(())
}

/// A length-delimited message merged into `value`, as prost's
/// `message::merge` does it.
fn nested<'a, T>(
    wire_type: WireType,
    value: &mut T,
    buf: &mut Buf<'a>,
    field: impl Field<'a, T>,
) -> Result<(), DecodeError> {
    check_wire_type(WireType::LengthDelimited, wire_type)?;
    merge_loop(value, buf, DecodeContext::default(), |value, buf, _| {
        let (tag, wire_type) = decode_key(buf)?;
        field(value, tag, wire_type, buf)
    })
}

/// One more element of a repeated message field.
fn repeated<'a, T: Default>(
    wire_type: WireType,
    values: &mut Capped<T>,
    buf: &mut Buf<'a>,
    field: impl Field<'a, T>,
) -> Result<(), DecodeError> {
    let mut value = T::default();
    nested(wire_type, &mut value, buf, field)?;
    values.push_read(value);
    Ok(())
}

/// A field this reader does not know, skipped.
fn skip(wire_type: WireType, tag: u32, buf: &mut Buf<'_>) -> Result<(), DecodeError> {
    skip_field(wire_type, tag, buf, DecodeContext::default())
}

/// A `google.protobuf.Timestamp`, read as prost-types' generated code reads
/// it (its fields by prost's functions, its errors named as it names them)
/// through [`nested`], which the compiler can inline where prost's generic
/// `message::merge` stays a call: a lead has one per event.
///
/// The usual timestamp (a length, then `seconds` and `nanos` as short
/// varints) is read first without prost's loop ([`timestamp_in_place`]);
/// anything else is read the general way.
fn timestamp(
    wire_type: WireType,
    value: &mut Option<Timestamp>,
    buf: &mut Buf<'_>,
) -> Result<(), DecodeError> {
    const NAME: &str = "Timestamp";
    if wire_type == WireType::LengthDelimited
        && let Some(after) = timestamp_in_place(value, buf)
    {
        *buf = after;
        return Ok(());
    }
    nested(
        wire_type,
        value.get_or_insert_with(Timestamp::default),
        buf,
        |t: &mut Timestamp, tag, wire_type, buf| match tag {
            1 => int64::merge(wire_type, &mut t.seconds, buf, DecodeContext::default())
                .map_err(at(NAME, "seconds")),
            2 => int32::merge(wire_type, &mut t.nanos, buf, DecodeContext::default())
                .map_err(at(NAME, "nanos")),
            _ => skip(wire_type, tag, buf),
        },
    )
}

/// A timestamp's length-delimited bytes at the start of `buf`, merged into
/// `value` as prost merges them, and the bytes after them; `None`, with
/// `value` untouched, for anything but the usual shape: fields 1 and 2 only,
/// each a one-byte key and a varint of at most nine bytes, all within the
/// length. A lead has one timestamp per event, and prost's general loop
/// (a length, then a key, a wire-type check and a field call per field,
/// through its buffer trait) cost about 275 instructions each; what it
/// reads differently (other fields, longer varints, a field running past
/// the length, a cut) is left to it, so values and errors stay prost's.
#[inline]
fn timestamp_in_place<'a>(value: &mut Option<Timestamp>, buf: Buf<'a>) -> Option<Buf<'a>> {
    let (mut fields, after) = delimited_in_place(buf)?;
    let mut read = value.unwrap_or_default();
    while let Some((&key, rest)) = fields.split_first() {
        let (varint, rest) = short_varint(rest)?;
        // As prost's `int64::merge` and `int32::merge` take a varint.
        match key {
            0x08 => read.seconds = varint as i64,
            0x10 => read.nanos = varint as i32,
            _ => return None,
        }
        fields = rest;
    }
    *value = Some(read);
    Some(after)
}

/// A varint of at most nine bytes at the start of `buf`, and the bytes after
/// it; `None` for a longer one (left to prost, which knows which ten-byte
/// varints are valid) or a cut one.
///
/// Most of a lead's varints (lengths, enumerations) are one byte, returned
/// at once; a timestamp's are five, read as one little-endian word whose
/// seven-bit groups are packed together in three steps, not a byte at a
/// time.
#[inline(always)]
fn short_varint(buf: &[u8]) -> Option<(u64, &[u8])> {
    let (&first, rest) = buf.split_first()?;
    if first < 0x80 {
        return Some((u64::from(first), rest));
    }
    if let Some(word) = buf.first_chunk::<8>().map(|bytes| u64::from_le_bytes(*bytes)) {
        // The first byte without its continuation bit ends the varint.
        let ends = !word & 0x8080_8080_8080_8080;
        if ends != 0 {
            let len = (ends.trailing_zeros() as usize >> 3) + 1;
            let mut value = (word & (u64::MAX >> (64 - 8 * len))) & 0x7f7f_7f7f_7f7f_7f7f;
            value = (value & 0x007f_007f_007f_007f) | ((value & 0x7f00_7f00_7f00_7f00) >> 1);
            value = (value & 0x0000_3fff_0000_3fff) | ((value & 0x3fff_0000_3fff_0000) >> 2);
            value = (value & 0x0000_0000_0fff_ffff) | ((value & 0x0fff_ffff_0000_0000) >> 4);
            return buf.get(len..).map(|after| (value, after));
        }
    }
    let mut value = 0u64;
    for (i, &byte) in buf.iter().take(9).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte < 0x80 {
            return Some((value, &buf[i + 1..]));
        }
    }
    None
}

/// A string field's value, borrowed from the buffer.
fn text<'a>(wire_type: WireType, value: &mut &'a str, buf: &mut Buf<'a>) -> Result<(), DecodeError> {
    if wire_type == WireType::LengthDelimited {
        let mut rest = *buf;
        if let Ok(len) = decode_varint(&mut rest)
            && let Ok(len) = usize::try_from(len)
            && len <= rest.len()
        {
            let (bytes, after) = rest.split_at(len);
            if let Some(read) = utf8(bytes) {
                *value = read;
                *buf = after;
                return Ok(());
            }
        }
    }
    Err(text_error(wire_type, buf))
}

/// Why a string field could not be read: prost's own words, from prost's
/// own reading of the same bytes.
#[cold]
fn text_error(wire_type: WireType, buf: &mut Buf<'_>) -> DecodeError {
    match string::merge(wire_type, &mut String::new(), buf, DecodeContext::default()) {
        Err(error) => error,
        // prost makes the same three checks `text` made (wire type, length
        // within the buffer, UTF-8), so it refuses these bytes too.
        #[allow(deprecated)]
        Ok(()) => DecodeError::new("string field read by prost but not in place"),
    }
}

/// One more element of a repeated string field.
fn repeated_text<'a>(
    wire_type: WireType,
    values: &mut Capped<&'a str>,
    buf: &mut Buf<'a>,
) -> Result<(), DecodeError> {
    let mut value = "";
    text(wire_type, &mut value, buf)?;
    values.push_read(value);
    Ok(())
}

/// An `int32` or enumeration field.
fn i32_field(wire_type: WireType, value: &mut i32, buf: &mut Buf<'_>) -> Result<(), DecodeError> {
    int32::merge(wire_type, value, buf, DecodeContext::default())
}

/// An `optional int32` field.
fn optional_i32(wire_type: WireType, value: &mut Option<i32>, buf: &mut Buf<'_>) -> Result<(), DecodeError> {
    i32_field(wire_type, value.get_or_insert_with(i32::default), buf)
}

/// An `optional double` field.
fn optional_f64(wire_type: WireType, value: &mut Option<f64>, buf: &mut Buf<'_>) -> Result<(), DecodeError> {
    double::merge(wire_type, value.get_or_insert_with(f64::default), buf, DecodeContext::default())
}

/// Adds the message and field an error occurred in, as prost's generated
/// code does on its way out of each message.
fn at(message: &'static str, field: &'static str) -> impl FnOnce(DecodeError) -> DecodeError {
    move |mut error| {
        error.push(message, field);
        error
    }
}

fn lead_field<'a>(
    lead: &mut Lead<'a>,
    tag: u32,
    wire_type: WireType,
    buf: &mut Buf<'a>,
) -> Result<(), DecodeError> {
    const NAME: &str = "Lead";
    match tag {
        1 => text(wire_type, &mut lead.lead_id, buf).map_err(at(NAME, "lead_id")),
        2 => nested(wire_type, lead.contact.get_or_insert_with(Contact::default), buf, contact_field)
            .map_err(at(NAME, "contact")),
        3 => {
            let items = lead.caps.items;
            let company = lead
                .company
                .get_or_insert_with(|| Company { technologies: Capped::new(items), ..Company::default() });
            nested(wire_type, company, buf, company_field).map_err(at(NAME, "company"))
        }
        4 => nested(wire_type, lead.bant.get_or_insert_with(Bant::default), buf, bant_field)
            .map_err(at(NAME, "bant")),
        5 => event(wire_type, &mut lead.events, buf).map_err(at(NAME, "events")),
        6 => {
            let items = lead.caps.items;
            let usage = lead.product_usage.get_or_insert_with(|| ProductUsage {
                features_adopted: Capped::new(items),
                ..ProductUsage::default()
            });
            nested(wire_type, usage, buf, usage_field).map_err(at(NAME, "product_usage"))
        }
        7 => attribute_entry(wire_type, &mut lead.attributes, buf).map_err(at(NAME, "attributes")),
        _ => skip(wire_type, tag, buf),
    }
}

fn contact_field<'a>(
    contact: &mut Contact<'a>,
    tag: u32,
    wire_type: WireType,
    buf: &mut Buf<'a>,
) -> Result<(), DecodeError> {
    const NAME: &str = "Contact";
    match tag {
        1 => text(wire_type, &mut contact.email, buf).map_err(at(NAME, "email")),
        2 => text(wire_type, &mut contact.job_title, buf).map_err(at(NAME, "job_title")),
        3 => i32_field(wire_type, &mut contact.seniority, buf).map_err(at(NAME, "seniority")),
        4 => text(wire_type, &mut contact.department, buf).map_err(at(NAME, "department")),
        5 => text(wire_type, &mut contact.country, buf).map_err(at(NAME, "country")),
        _ => skip(wire_type, tag, buf),
    }
}

fn company_field<'a>(
    company: &mut Company<'a>,
    tag: u32,
    wire_type: WireType,
    buf: &mut Buf<'a>,
) -> Result<(), DecodeError> {
    const NAME: &str = "Company";
    match tag {
        1 => text(wire_type, &mut company.domain, buf).map_err(at(NAME, "domain")),
        2 => text(wire_type, &mut company.name, buf).map_err(at(NAME, "name")),
        3 => text(wire_type, &mut company.industry, buf).map_err(at(NAME, "industry")),
        4 => int64::merge(wire_type, company.employee_count.get_or_insert(0), buf, DecodeContext::default())
            .map_err(at(NAME, "employee_count")),
        5 => optional_f64(wire_type, &mut company.annual_revenue, buf).map_err(at(NAME, "annual_revenue")),
        6 => text(wire_type, &mut company.region, buf).map_err(at(NAME, "region")),
        7 => repeated_text(wire_type, &mut company.technologies, buf).map_err(at(NAME, "technologies")),
        _ => skip(wire_type, tag, buf),
    }
}

fn bant_field(bant: &mut Bant, tag: u32, wire_type: WireType, buf: &mut Buf<'_>) -> Result<(), DecodeError> {
    const NAME: &str = "Bant";
    match tag {
        1 => i32_field(wire_type, &mut bant.budget_status, buf).map_err(at(NAME, "budget_status")),
        2 => optional_f64(wire_type, &mut bant.budget_amount, buf).map_err(at(NAME, "budget_amount")),
        3 => i32_field(wire_type, &mut bant.authority, buf).map_err(at(NAME, "authority")),
        4 => i32_field(wire_type, &mut bant.need, buf).map_err(at(NAME, "need")),
        5 => optional_i32(wire_type, &mut bant.timeline_days, buf).map_err(at(NAME, "timeline_days")),
        _ => skip(wire_type, tag, buf),
    }
}

/// One more element of `events`: the usual event read in place
/// ([`event_in_place`]), any other the general way.
fn event<'a>(
    wire_type: WireType,
    events: &mut Capped<Event<'a>>,
    buf: &mut Buf<'a>,
) -> Result<(), DecodeError> {
    if wire_type == WireType::LengthDelimited
        && let Some((event, after)) = event_in_place(buf)
    {
        *buf = after;
        events.push_read(event);
        return Ok(());
    }
    repeated(wire_type, events, buf, event_field)
}

/// An event's length-delimited bytes at the start of `buf`, read as prost
/// reads them, and the bytes after them; `None` for anything but the usual
/// shape, which is then read the general way ([`event_field`]), to prost's
/// value or error: its own fields only, each with a one-byte key of the
/// right wire type, varints of at most nine bytes, text that is UTF-8, a
/// timestamp [`timestamp_in_place`] reads, everything within the length.
///
/// A lead's events are most of its fields, and prost's general loop cost
/// several hundred instructions an event: a key, a wire-type check and a
/// call per field, through its buffer trait, and a loop of its own for the
/// timestamp inside.
#[inline]
fn event_in_place<'a>(buf: Buf<'a>) -> Option<(Event<'a>, Buf<'a>)> {
    let (mut fields, after) = delimited_in_place(buf)?;
    let mut event = Event::default();
    while let Some((&key, rest)) = fields.split_first() {
        fields = match key {
            0x08 => i32_in_place(rest, &mut event.r#type)?,
            0x12 => text_in_place(rest, &mut event.custom_type)?,
            0x20 => i32_in_place(rest, &mut event.source)?,
            0x28 => i32_in_place(rest, &mut event.channel)?,
            0x32 => text_in_place(rest, &mut event.campaign)?,
            0x38 => i32_in_place(rest, &mut event.response)?,
            0x1a => timestamp_in_place(&mut event.occurred_at, rest)?,
            // `value`, a double: eight bytes, little-endian.
            0x41 => {
                let (bytes, rest) = rest.split_first_chunk::<8>()?;
                event.value = Some(f64::from_le_bytes(*bytes));
                rest
            }
            _ => return None,
        };
    }
    Some((event, after))
}

/// An `int32` field's varint at the start of `buf` into `value` (its low 32
/// bits, as prost's `int32::merge` takes them), and the bytes after it;
/// `None`, with `value` untouched, unless it is a short varint.
#[inline(always)]
fn i32_in_place<'a>(buf: &'a [u8], value: &mut i32) -> Option<&'a [u8]> {
    let (varint, after) = short_varint(buf)?;
    *value = varint as i32;
    Some(after)
}

/// A string's length and bytes at the start of `buf` into `value`, and the
/// bytes after it; `None`, with `value` untouched, when the length is not a
/// short varint, runs past `buf`, or the bytes are not UTF-8 (the general
/// reader says which).
#[inline(always)]
fn text_in_place<'a>(buf: &'a [u8], value: &mut &'a str) -> Option<&'a [u8]> {
    let (bytes, after) = delimited_in_place(buf)?;
    *value = utf8(bytes)?;
    Some(after)
}

/// A length-delimited value at the start of `buf`: its bytes and the bytes
/// after them; `None` when the length is not a short varint or runs past
/// `buf`.
#[inline(always)]
fn delimited_in_place(buf: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = short_varint(buf)?;
    let len = usize::try_from(len).ok().filter(|len| *len <= rest.len())?;
    Some(rest.split_at(len))
}

fn event_field<'a>(
    event: &mut Event<'a>,
    tag: u32,
    wire_type: WireType,
    buf: &mut Buf<'a>,
) -> Result<(), DecodeError> {
    const NAME: &str = "Event";
    match tag {
        // prost's generated code names the field as written in Rust.
        1 => i32_field(wire_type, &mut event.r#type, buf).map_err(at(NAME, "r#type")),
        2 => text(wire_type, &mut event.custom_type, buf).map_err(at(NAME, "custom_type")),
        3 => timestamp(wire_type, &mut event.occurred_at, buf).map_err(at(NAME, "occurred_at")),
        4 => i32_field(wire_type, &mut event.source, buf).map_err(at(NAME, "source")),
        5 => i32_field(wire_type, &mut event.channel, buf).map_err(at(NAME, "channel")),
        6 => text(wire_type, &mut event.campaign, buf).map_err(at(NAME, "campaign")),
        7 => i32_field(wire_type, &mut event.response, buf).map_err(at(NAME, "response")),
        8 => optional_f64(wire_type, &mut event.value, buf).map_err(at(NAME, "value")),
        _ => skip(wire_type, tag, buf),
    }
}

fn usage_field<'a>(
    usage: &mut ProductUsage<'a>,
    tag: u32,
    wire_type: WireType,
    buf: &mut Buf<'a>,
) -> Result<(), DecodeError> {
    const NAME: &str = "ProductUsage";
    match tag {
        1 => timestamp(wire_type, &mut usage.signed_up_at, buf).map_err(at(NAME, "signed_up_at")),
        2 => pb_bool::merge(wire_type, &mut usage.activated, buf, DecodeContext::default())
            .map_err(at(NAME, "activated")),
        3 => optional_i32(wire_type, &mut usage.active_days_last_30, buf)
            .map_err(at(NAME, "active_days_last_30")),
        4 => optional_i32(wire_type, &mut usage.active_days_prev_30, buf)
            .map_err(at(NAME, "active_days_prev_30")),
        5 => optional_i32(wire_type, &mut usage.seats, buf).map_err(at(NAME, "seats")),
        6 => {
            optional_i32(wire_type, &mut usage.invited_teammates, buf).map_err(at(NAME, "invited_teammates"))
        }
        7 => repeated_text(wire_type, &mut usage.features_adopted, buf).map_err(at(NAME, "features_adopted")),
        8 => optional_i32(wire_type, &mut usage.plan_limit_hits, buf).map_err(at(NAME, "plan_limit_hits")),
        9 => text(wire_type, &mut usage.plan, buf).map_err(at(NAME, "plan")),
        10 => timestamp(wire_type, &mut usage.trial_ends_at, buf).map_err(at(NAME, "trial_ends_at")),
        _ => skip(wire_type, tag, buf),
    }
}

/// One entry of `attributes`: a key (field 1) and a value (field 2), either
/// of which may be missing (then empty, or unset), as prost's map reads it.
fn attribute_entry<'a>(
    wire_type: WireType,
    entries: &mut Attributes<'a>,
    buf: &mut Buf<'a>,
) -> Result<(), DecodeError> {
    let mut entry = ("", AttributeValue::Unset);
    nested(wire_type, &mut entry, buf, |entry, tag, wire_type, buf| match tag {
        1 => text(wire_type, &mut entry.0, buf),
        2 => nested(wire_type, &mut entry.1, buf, attribute_field),
        _ => skip(wire_type, tag, buf),
    })?;
    entries.push(entry);
    Ok(())
}

/// The `kind` oneof of an `AttributeValue`: the last variant sent wins.
fn attribute_field<'a>(
    value: &mut AttributeValue<'a>,
    tag: u32,
    wire_type: WireType,
    buf: &mut Buf<'a>,
) -> Result<(), DecodeError> {
    const NAME: &str = "AttributeValue";
    match tag {
        1 => {
            let mut read = "";
            text(wire_type, &mut read, buf).map_err(at(NAME, "kind"))?;
            *value = AttributeValue::Text(read);
            Ok(())
        }
        2 => {
            let mut read = 0.0;
            double::merge(wire_type, &mut read, buf, DecodeContext::default()).map_err(at(NAME, "kind"))?;
            *value = AttributeValue::Number(read);
            Ok(())
        }
        3 => {
            let mut read = false;
            pb_bool::merge(wire_type, &mut read, buf, DecodeContext::default()).map_err(at(NAME, "kind"))?;
            *value = AttributeValue::Bool(read);
            Ok(())
        }
        _ => skip(wire_type, tag, buf),
    }
}

#[cfg(test)]
mod tests;
