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

use std::collections::BTreeMap;

use hql_plugin_api::{Context, Event, Lead, Response, Source};

use crate::config::NurtureConfig;
use crate::weeks::Weeks;

/// The event type that is reciprocal when its response is positive.
const CAMPAIGN_RESPONSE: &str = "campaign_response";

/// What the lead's events say, ready for the rules.
pub(crate) struct Summary<'a> {
    /// Events the lead had at or before `as_of`.
    pub(crate) visible: usize,
    /// Engagement events (class 3).
    pub(crate) engagement: usize,
    /// Engagement events whose type is a content type.
    pub(crate) content: Vec<u32>,
    /// Active weeks within the lookback.
    pub(crate) weeks: Weeks,
    /// Distinct known channels of engagement, with the first event on each.
    pub(crate) channels: BTreeMap<&'a str, u32>,
    /// Events with a positive response.
    pub(crate) positive: Vec<u32>,
    /// Events of a configured negative type, by type.
    pub(crate) negative_by_type: BTreeMap<&'a str, Vec<u32>>,
    /// Other events with a negative response.
    pub(crate) negative_responses: Vec<u32>,
    /// Reciprocal interactions, with their type.
    pub(crate) reciprocal: Vec<(u32, &'a str)>,
    /// Analogous-interest events.
    pub(crate) analogous: Vec<u32>,
    /// The earliest visible event: time and index.
    pub(crate) first_event: Option<(i64, u32)>,
}

impl<'a> Summary<'a> {
    pub(crate) fn read(cfg: &NurtureConfig, lead: &Lead<'a>, ctx: &Context<'_>) -> Summary<'a> {
        let as_of = ctx.as_of_ms();
        let mut s = Summary {
            visible: 0,
            engagement: 0,
            content: Vec::new(),
            weeks: Weeks::new(cfg.lookback_weeks as usize),
            channels: BTreeMap::new(),
            positive: Vec::new(),
            negative_by_type: BTreeMap::new(),
            negative_responses: Vec::new(),
            reciprocal: Vec::new(),
            analogous: Vec::new(),
            first_event: None,
        };
        // The host never passes events after as_of; checking again costs
        // nothing and keeps a misbehaving host from leaking the future.
        for e in lead.events().filter(|e| e.occurred_at() <= as_of) {
            s.add(cfg, &e, as_of);
        }
        s
    }

    fn add(&mut self, cfg: &NurtureConfig, e: &Event<'a>, as_of: i64) {
        let (kind, index, at) = (e.event_type(), e.index(), e.occurred_at());
        self.visible += 1;
        if self.first_event.is_none_or(|(t, _)| at < t) {
            self.first_event = Some((at, index));
        }
        if cfg.negative_types.contains_key(kind) {
            self.negative_by_type.entry(kind).or_default().push(index);
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
        if e.source() == Source::ThirdParty || is_in(&cfg.analogous_types, kind) {
            self.analogous.push(index);
            return;
        }
        self.engagement += 1;
        if is_in(&cfg.content_types, kind) {
            self.content.push(index);
        }
        if is_in(&cfg.reciprocal_types, kind)
            || (kind == CAMPAIGN_RESPONSE && e.response() == Response::Positive)
        {
            self.reciprocal.push((index, kind));
        }
        if !e.channel().is_empty() {
            self.channels.entry(e.channel()).or_insert(index);
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
        self.negative_by_type.values().map(Vec::len).sum::<usize>() + self.negative_responses.len()
    }
}

fn is_in(list: &[String], kind: &str) -> bool {
    list.iter().any(|t| t == kind)
}
