//! One pass over the lead's events, sorting each into what it says about
//! trust. The scoring rules then only read this summary.
//!
//! Classes, checked in this order (an event lands in exactly one):
//! 1. **negative**: a type in `negative_types` (unsubscribe, spam complaint,
//!    hard bounce), or any event whose `response` is negative. Article 004's
//!    measure is trust; these are the lead withdrawing it.
//! 2. **analogous interest**: a type in `analogous_types`, or any
//!    third-party event. It shows the lead is looking at "analogous
//!    solutions" (004, criterion 3), but it is not an interaction with us, so
//!    it never counts towards regularity, channels or the content-only test.
//! 3. **engagement**: everything else — the lead interacting with us.
//!    Engagement is *content* when its type is in `content_types`, and
//!    *reciprocal* when its type is in `reciprocal_types` or it is a
//!    `campaign_response` with a positive response.
//!
//! Independently of the class, every event with a positive `response` counts
//! as a positive response (criterion 4: "respond to your campaigns
//! positively"), so a positive reply is evidence for both reciprocity and
//! responsiveness, which the article treats as separate qualities.
//!
//! The classes are configured lists, and every lead has dozens of events:
//! [`EventTypes`] is built once at start-up and gives each event type's
//! classes in one look-up, instead of comparing the type with every list.

use hql_plugin_api::pool::EventIndexes;
use hql_plugin_api::{Context, Event, Lead, Response, Source};
use smallvec::SmallVec;

use crate::config::NurtureConfig;
use crate::weeks::Weeks;

/// The event type that is reciprocal when its response is positive.
const CAMPAIGN_RESPONSE: &str = "campaign_response";

/// What the configured lists say about one event type.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct TypeClass {
    /// Its index in [`EventTypes::negative`] when it is a negative type.
    negative: Option<usize>,
    /// In `analogous_types`.
    analogous: bool,
    /// In `content_types`.
    content: bool,
    /// Its index in [`EventTypes::reciprocal_kinds`] when it can be reciprocal.
    reciprocal: Option<usize>,
    /// Reciprocal only with a positive response (`campaign_response`).
    reciprocal_if_positive: bool,
}

/// A configured negative type.
#[derive(Clone, Debug)]
pub(crate) struct NegativeType {
    /// Its name, e.g. `unsubscribe`.
    pub(crate) name: String,
    /// Its reason code, `trust_nurture.negative.<name>`.
    pub(crate) code: String,
    /// Points each occurrence takes away.
    pub(crate) penalty: f64,
}

/// The configured event-type lists as one table.
#[derive(Clone, Debug)]
pub(crate) struct EventTypes {
    /// Every configured type (and `campaign_response`) with its classes,
    /// bucketed by name length: a look-up compares with a name or two.
    by_len: Vec<Vec<(String, TypeClass)>>,
    /// The negative types, by name (the order of their reasons).
    pub(crate) negative: Vec<NegativeType>,
    /// The types that can be reciprocal, by name (the order of the
    /// reciprocal breakdown).
    pub(crate) reciprocal_kinds: Vec<String>,
}

impl EventTypes {
    /// Builds the table from a validated config (whose lists are disjoint).
    pub(crate) fn new(cfg: &NurtureConfig) -> EventTypes {
        // `negative_types` is a BTreeMap: already by name.
        let negative: Vec<NegativeType> = cfg
            .negative_types
            .iter()
            .map(|(name, penalty)| NegativeType {
                name: name.clone(),
                code: format!("trust_nurture.negative.{name}"),
                penalty: *penalty,
            })
            .collect();
        let mut reciprocal_kinds = cfg.reciprocal_types.clone();
        if !reciprocal_kinds.iter().any(|k| k == CAMPAIGN_RESPONSE) {
            reciprocal_kinds.push(CAMPAIGN_RESPONSE.to_string());
        }
        reciprocal_kinds.sort();

        let mut types = EventTypes { by_len: Vec::new(), negative, reciprocal_kinds };
        let names = cfg
            .negative_types
            .keys()
            .chain(&cfg.analogous_types)
            .chain(&cfg.content_types)
            .chain(&types.reciprocal_kinds);
        let mut table: Vec<(String, TypeClass)> = Vec::new();
        for name in names {
            if table.iter().any(|(n, _)| n == name) {
                continue;
            }
            let class = TypeClass {
                negative: types.negative.iter().position(|n| n.name == *name),
                analogous: cfg.analogous_types.contains(name),
                content: cfg.content_types.contains(name),
                reciprocal: types.reciprocal_kinds.iter().position(|k| k == name),
                reciprocal_if_positive: name == CAMPAIGN_RESPONSE && !cfg.reciprocal_types.contains(name),
            };
            table.push((name.clone(), class));
        }
        for (name, class) in table {
            let len = name.len();
            if types.by_len.len() <= len {
                types.by_len.resize_with(len + 1, Vec::new);
            }
            types.by_len[len].push((name, class));
        }
        types
    }

    /// The classes of `kind`; none for a type no list names.
    fn class(&self, kind: &str) -> TypeClass {
        let Some(bucket) = self.by_len.get(kind.len()) else {
            return TypeClass::default();
        };
        // Comparing the last byte first skips most same-length names
        // without a call to memcmp.
        let last = kind.as_bytes().last();
        bucket
            .iter()
            .find(|(name, _)| name.as_bytes().last() == last && name == kind)
            .map(|(_, class)| *class)
            .unwrap_or_default()
    }
}

/// Entries the summary's short lists (channels, negative-typed events,
/// reciprocal interactions) hold without allocating: a lead of the domain
/// notes has a few of each, and each list was an allocation a lead, through
/// the library's own allocator, freed microseconds later.
const LIST_INLINE: usize = 8;

/// What the lead's events say, ready for the rules.
pub(crate) struct Summary<'a> {
    /// Events the lead had at or before `as_of`.
    pub(crate) visible: usize,
    /// Engagement events (class 3).
    pub(crate) engagement: usize,
    /// Engagement events whose type is a content type.
    pub(crate) content: EventIndexes,
    /// Active weeks within the lookback.
    pub(crate) weeks: Weeks,
    /// Distinct known channels of engagement, with the first event on each,
    /// by name.
    pub(crate) channels: SmallVec<[(&'a str, u32); LIST_INLINE]>,
    /// Events with a positive response.
    pub(crate) positive: EventIndexes,
    /// Events of a configured negative type: the type (its index in
    /// [`EventTypes::negative`]) and the event.
    pub(crate) negative_typed: SmallVec<[(usize, u32); LIST_INLINE]>,
    /// Other events with a negative response.
    pub(crate) negative_responses: EventIndexes,
    /// Reciprocal interactions: the event and its type (an index in
    /// [`EventTypes::reciprocal_kinds`]).
    pub(crate) reciprocal: SmallVec<[(u32, usize); LIST_INLINE]>,
    /// Analogous-interest events.
    pub(crate) analogous: EventIndexes,
    /// The earliest visible event: time and index.
    pub(crate) first_event: Option<(i64, u32)>,
}

impl<'a> Summary<'a> {
    pub(crate) fn read(
        cfg: &NurtureConfig,
        types: &EventTypes,
        lead: &Lead<'a>,
        ctx: &Context<'_>,
    ) -> Summary<'a> {
        let as_of = ctx.as_of_ms();
        let mut s = Summary {
            visible: 0,
            engagement: 0,
            // Most events are usually content: one allocation up front.
            content: EventIndexes::new(),
            weeks: Weeks::new(cfg.lookback_weeks as usize),
            channels: SmallVec::new(),
            positive: EventIndexes::new(),
            negative_typed: SmallVec::new(),
            negative_responses: EventIndexes::new(),
            reciprocal: SmallVec::new(),
            analogous: EventIndexes::new(),
            first_event: None,
        };
        // The host never passes events after as_of; checking again costs
        // nothing and keeps a misbehaving host from leaking the future.
        for e in lead.events().filter(|e| e.occurred_at() <= as_of) {
            s.add(types, &e, as_of);
        }
        // Names are distinct, so an unstable sort gives the map order.
        s.channels.sort_unstable_by(|a, b| a.0.cmp(b.0));
        s
    }

    fn add(&mut self, types: &EventTypes, e: &Event<'a>, as_of: i64) {
        let (kind, index, at) = (e.event_type(), e.index(), e.occurred_at());
        self.visible += 1;
        if self.first_event.is_none_or(|(t, _)| at < t) {
            self.first_event = Some((at, index));
        }
        let class = types.class(kind);
        if let Some(negative) = class.negative {
            self.negative_typed.push((negative, index));
            return;
        }
        match e.response() {
            Response::Negative => {
                self.negative_responses.push(index);
                return;
            }
            Response::Positive => self.positive.push(index),
            Response::Neutral | Response::Unknown => {}
        }
        if e.source() == Source::ThirdParty || class.analogous {
            self.analogous.push(index);
            return;
        }
        self.engagement += 1;
        if class.content {
            self.content.push(index);
        }
        if let Some(kind) = class.reciprocal
            && (!class.reciprocal_if_positive || e.response() == Response::Positive)
        {
            self.reciprocal.push((index, kind));
        }
        let channel = e.channel();
        let last = channel.as_bytes().last();
        if !channel.is_empty()
            && !self.channels.iter().any(|(c, _)| c.as_bytes().last() == last && *c == channel)
        {
            self.channels.push((channel, index));
        }
        self.weeks.record(as_of, at, index);
    }

    /// Every engagement event is content: the article's "download → lead
    /// packaging → hand-off" lead. False when there is no engagement at all
    /// (nothing to judge).
    pub(crate) fn content_only(&self) -> bool {
        self.engagement > 0 && self.content.len() == self.engagement
    }

    /// Negative events of every kind.
    pub(crate) fn negative_count(&self) -> usize {
        self.negative_typed.len() + self.negative_responses.len()
    }
}
