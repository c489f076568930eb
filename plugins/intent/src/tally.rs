//! One pass over the events: decay, source multiplier, grouping per type, and
//! the counters behind the facts.
//!
//! Why each rule (articles 000, 002, 003):
//! - **Decay**: "old signals fade"; an event counts `0.5^(age / half_life)`,
//!   so one half-life ago is worth half, and events beyond `max_age_days` are
//!   ignored altogether (with a reason).
//! - **Third-party multiplier**: bought intent data (keyword research,
//!   competitor and review sites) counts "with less confidence than
//!   first-party behaviour" (article 001: HQLs usually come from first-party
//!   data). An event whose source is unknown is third-party when its type is
//!   a third-party type, first-party otherwise.
//! - **Negative responses**: an event the lead answered negatively is not
//!   interest; it subtracts `negative_response_points` (decayed) instead.
//! - **Negative types** (unsubscribe, bounce, complaint) do not decay and do
//!   not expire: an unsubscribe must be honoured however old it is.
//! - **Bottom-funnel window**: a buying action older than
//!   `bottom_funnel_window_days` keeps its (small) decayed points but is not
//!   counted in `bottom_funnel_events`, the fact policies gate SQL and HQL on:
//!   "asked for sales" means asked recently, not once last spring.
//!
//! Grouping is by type ([`Groups`]); negative types are put in type order
//! and `explain` sorts the others by an order of its own, so the output
//! order never depends on hashing or on the order events came in; ages come
//! from `Context::days_since`, never from a clock.

use hql_plugin_api::pool::EventIndexes;
use hql_plugin_api::{Context, Event, Lead, Response, Source};

use crate::config::{Rules, Stage, TypeRule};

/// Window of the `recent_events_30d` fact and the frequency reason, days.
pub(crate) const RECENT_WINDOW_DAYS: f64 = 30.0;

/// Distinct event types a lead's list is sized for at first; more still fit.
///
/// Twelve groups (768 bytes; 960 when each group had a list of its own)
/// stay within glibc's per-thread cache, whose largest blocks are 1,032
/// bytes; a list that outgrew it went to the shared heap and consolidated
/// its free lists on every lead. The funnel personas of the domain notes use
/// nine to twelve types.
const TYPES_RESERVED: usize = 12;

/// Events of one type (or one kind of negative signal), aggregated.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Group<'a> {
    /// The event type as sent.
    pub(crate) event_type: &'a str,
    /// How it is scored; `None` for an unknown type.
    pub(crate) rule: Option<&'a TypeRule>,
    /// Events in the group.
    pub(crate) count: usize,
    /// Of which third-party.
    pub(crate) third_party: usize,
    /// Sum of decayed, multiplied points, before any cap.
    pub(crate) decayed: f64,
    /// Age of the most recent event, days.
    pub(crate) latest_age: f64,
    /// Where the group's first and last events are in the tally's
    /// [`Members`] ([`NONE`] while it has none).
    first: u32,
    last: u32,
}

impl<'a> Group<'a> {
    fn new(event_type: &'a str, rule: Option<&'a TypeRule>) -> Group<'a> {
        Group {
            event_type,
            rule,
            count: 0,
            third_party: 0,
            decayed: 0.0,
            latest_age: f64::INFINITY,
            first: NONE,
            last: NONE,
        }
    }

    fn add(&mut self, members: &mut Members, event: &Event<'_>, age: f64, points: f64, third_party: bool) {
        self.count += 1;
        self.third_party += usize::from(third_party);
        self.decayed += points;
        self.latest_age = self.latest_age.min(age);
        members.add(self, event.index());
    }
}

/// No position: the end of a group's chain of events.
const NONE: u32 = u32::MAX;

/// The events of every group of a tally, in two lists the groups share:
/// each event's index in the order it was grouped, and the position of the
/// next event of the same group. A group is a chain through them from its
/// `first` event.
///
/// One list per group, as before, took a buffer from the thread's pool for
/// each type a lead had (nine to twelve) and gave each back when the lead
/// was done: in a plugin library each of those is a call to find the
/// thread's pool. Two lists cost two, however many types there are.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Members {
    events: EventIndexes,
    next: EventIndexes,
}

impl Members {
    /// Room for `n` events.
    fn reserve(&mut self, n: usize) {
        self.events.reserve(n);
        self.next.reserve(n);
    }

    /// Adds the event `index` at the end of `group`'s chain.
    fn add(&mut self, group: &mut Group<'_>, index: u32) {
        // A lead has far fewer events than positions (the host caps them).
        let Ok(at) = u32::try_from(self.events.len()) else { return };
        self.events.push(index);
        self.next.push(NONE);
        match self.next.get_mut(group.last as usize) {
            Some(link) => *link = at,
            None => group.first = at,
        }
        group.last = at;
    }

    /// The indexes of `group`'s events, in request order.
    pub(crate) fn of<'t>(&'t self, group: &Group<'_>) -> GroupEvents<'t> {
        GroupEvents { members: self, at: group.first, left: group.count }
    }
}

/// The indexes of one group's events (see [`Members::of`]).
#[derive(Clone, Debug)]
pub(crate) struct GroupEvents<'t> {
    members: &'t Members,
    at: u32,
    left: usize,
}

impl Iterator for GroupEvents<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let at = self.at as usize;
        let index = *self.members.events.get(at)?;
        self.at = self.members.next.get(at).copied().unwrap_or(NONE);
        self.left = self.left.saturating_sub(1);
        Some(index)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

/// Scored types with a rank below this are found by it directly; others
/// (a policy with more custom types than this) by a search.
const RANKS_INDEXED: usize = 64;

/// Groups by event type, in the order each type's first event came until
/// [`Groups::order`] puts them in type order.
///
/// A vector rather than a `BTreeMap`: a lead has a handful of types, and a
/// map's node (eleven groups) is too large for glibc's per-thread cache, so
/// each lead's first insert was a trip through the shared heap, often with a
/// consolidation of its free lists. Groups are added in the order their
/// first event comes and found again by the type's rank, one look per event
/// (a search and an insert in a sorted vector cost about 130 instructions
/// an event); the negative types' groups are sorted once, at the end of the
/// pass, and the others are ranked by `explain`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Groups<'a> {
    list: Vec<Group<'a>>,
    /// Position + 1 in `list` of the group of each rank below
    /// [`RANKS_INDEXED`]; 0 when the lead has none of that type yet.
    by_rank: [u16; RANKS_INDEXED],
}

impl Default for Groups<'_> {
    fn default() -> Self {
        Groups { list: Vec::new(), by_rank: [0; RANKS_INDEXED] }
    }
}

impl<'a> Groups<'a> {
    /// The group of `event_type`, added (scored by `rule`) if it is new.
    fn of(&mut self, event_type: &'a str, rule: Option<&'a TypeRule>) -> &mut Group<'a> {
        let indexed = rule.and_then(|r| self.by_rank.get(usize::from(r.rank)).map(|&p| (r.rank, p)));
        let found = match indexed {
            Some((_, position)) => usize::from(position).checked_sub(1),
            // Unscored, or ranked past the index: searched (types without
            // points are rare, and so are policies with that many types).
            None => self.list.iter().position(|g| match (g.rule, rule) {
                (Some(a), Some(b)) => a.rank == b.rank,
                (None, None) => g.event_type == event_type,
                _ => false,
            }),
        };
        let at = match found {
            Some(at) => at,
            None => {
                let at = self.list.len();
                if let Some((rank, _)) = indexed
                    && let Ok(position) = u16::try_from(at + 1)
                {
                    self.by_rank[usize::from(rank)] = position;
                }
                self.list.push(Group::new(event_type, rule));
                at
            }
        };
        &mut self.list[at]
    }

    /// Sorts the groups into type order: scored types by rank (their names'
    /// order), then unscored ones by name. Each type has one group, so the
    /// order is total.
    fn order(&mut self) {
        let rank = |g: &Group<'_>| g.rule.map_or(u16::MAX, |r| r.rank);
        self.list.sort_unstable_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.event_type.cmp(b.event_type)));
        self.by_rank = [0; RANKS_INDEXED];
        for (at, g) in self.list.iter().enumerate() {
            if let Some(r) = g.rule
                && let (Some(slot), Ok(position)) =
                    (self.by_rank.get_mut(usize::from(r.rank)), u16::try_from(at + 1))
            {
                *slot = position;
            }
        }
    }

    /// The groups: in type order once [`Groups::order`] has run.
    pub(crate) fn values(&self) -> std::slice::Iter<'_, Group<'a>> {
        self.list.iter()
    }

    /// No events were grouped.
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// The most recent bottom-funnel event.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Latest<'a> {
    /// Its age, days.
    pub(crate) age: f64,
    /// Its type.
    pub(crate) event_type: &'a str,
    /// Its index.
    pub(crate) index: u32,
}

/// Everything `explain` needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Tally<'a> {
    /// Counted events (within max age, not negative) per type, in the
    /// order they came (`explain` ranks them by an order of its own; sorting
    /// them first was about 700 instructions a lead for nothing).
    pub(crate) types: Groups<'a>,
    /// Negative-type events per type, any age, in type order.
    pub(crate) negatives: Groups<'a>,
    /// Events answered negatively (within max age).
    pub(crate) negative_responses: Option<Group<'a>>,
    /// The events of every group above.
    pub(crate) members: Members,
    /// Indexes of events older than `max_age_days`.
    pub(crate) stale: EventIndexes,
    /// Counted bottom-funnel events within `bottom_funnel_window_days`.
    pub(crate) bottom_funnel: usize,
    /// Counted mid-funnel events.
    pub(crate) mid_funnel: usize,
    /// Counted top-funnel events.
    pub(crate) top_funnel: usize,
    /// Counted events treated as third-party.
    pub(crate) third_party: usize,
    /// Counted content downloads.
    pub(crate) content_downloads: usize,
    /// Counted events in the last 30 days, with their indexes.
    pub(crate) recent: EventIndexes,
    /// The most recent counted bottom-funnel event.
    pub(crate) latest_bottom: Option<Latest<'a>>,
}

impl Tally<'_> {
    /// Negative-type events plus negative responses.
    pub(crate) fn negative_events(&self) -> usize {
        self.negatives.values().map(|g| g.count).sum::<usize>()
            + self.negative_responses.as_ref().map_or(0, |g| g.count)
    }
}

/// `0.5^(age / half_life)`.
pub(crate) fn decay(age_days: f64, half_life_days: f64) -> f64 {
    0.5f64.powf(age_days / half_life_days)
}

/// Walks the lead's events once.
pub(crate) fn tally<'a>(rules: &'a Rules, lead: &Lead<'a>, ctx: &Context<'_>) -> Tally<'a> {
    let mut t = Tally::default();
    // One allocation for the usual number of types instead of a growing
    // list (three reallocations by the eighth type).
    if lead.event_count() > 0 {
        t.types.list.reserve(TYPES_RESERVED);
        t.members.reserve(lead.event_count());
    }
    for event in lead.events() {
        let event_type = event.event_type();
        let rule = rules.types.get(event_type);
        // The host never sends events after as_of; clamp anyway so a clock
        // skew in the data cannot inflate a weight above 1.
        let age = ctx.days_since(event.occurred_at()).max(0.0);

        if let Some(r) = rule.filter(|r| r.stage == Stage::Negative) {
            t.negatives.of(event_type, Some(r)).add(&mut t.members, &event, age, 0.0, false);
            continue;
        }
        if age > rules.max_age_days {
            t.stale.push(event.index());
            continue;
        }
        let weight = decay(age, rules.half_life_days);
        if event.response() == Response::Negative {
            t.negative_responses.get_or_insert_with(|| Group::new("negative_response", None)).add(
                &mut t.members,
                &event,
                age,
                rules.negative_response_points * weight,
                false,
            );
            continue;
        }

        let third_party = match event.source() {
            Source::ThirdParty => true,
            Source::FirstParty => false,
            Source::Unknown => rule.is_some_and(|r| r.third_party_type),
        };
        let multiplier = if third_party { rules.third_party_multiplier } else { 1.0 };
        let points = rule.map_or(0.0, |r| r.points) * multiplier * weight;
        t.types.of(event_type, rule).add(&mut t.members, &event, age, points, third_party);

        t.third_party += usize::from(third_party);
        if age <= RECENT_WINDOW_DAYS {
            t.recent.push(event.index());
        }
        let Some(r) = rule else { continue };
        t.content_downloads += usize::from(r.content);
        match r.stage {
            Stage::BottomFunnel => {
                t.bottom_funnel += usize::from(age <= rules.bottom_funnel_window_days);
                if t.latest_bottom.is_none_or(|l| age < l.age) {
                    t.latest_bottom = Some(Latest { age, event_type, index: event.index() });
                }
            }
            Stage::MidFunnel => t.mid_funnel += 1,
            Stage::TopFunnel => t.top_funnel += 1,
            Stage::ThirdParty | Stage::Other | Stage::Negative => {}
        }
    }
    t.negatives.order();
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserved_groups_fit_glibcs_per_thread_cache() {
        // A field added to `Group` that pushes this over moves every lead's
        // first allocation to the shared heap: lower TYPES_RESERVED with it.
        assert!(TYPES_RESERVED * std::mem::size_of::<Group<'_>>() <= 1032);
    }
}
