//! The safe, borrowed reader scorers use: [`Lead`] and its parts.
//!
//! A `Lead<'a>` wraps the host's `hql_lead_t` for the duration of one score
//! call. Every accessor is a plain field read (no allocation, no decoding);
//! strings come back as `&'a str` and a string that is not valid UTF-8 reads
//! as empty rather than failing, because a scorer should degrade, not crash.

use crate::abi::{
    HQL_TIME_UNKNOWN, HQL_VALUE_BOOL, HQL_VALUE_NUMBER, HQL_VALUE_TEXT, hql_attribute_t, hql_event_t,
    hql_lead_t, hql_opt_f64_t, hql_opt_i64_t, hql_str_t,
};
use crate::kinds::{Authority, BudgetStatus, Need, Response, Seniority, Source};

fn text<'a>(s: hql_str_t) -> &'a str {
    // SAFETY: the host guarantees every hql_str_t in the view points to `len`
    // readable bytes for the life of the score call, which bounds 'a.
    let bytes = unsafe { s.as_bytes() };
    // The ABI makes every string of the view UTF-8 (the host builds them from
    // Rust strings), and the SDK trusts the host with its pointers already;
    // re-validating every string on every access cost 3-4 % of a decision.
    debug_assert!(std::str::from_utf8(bytes).is_ok(), "the host passed a string that is not UTF-8");
    // SAFETY: UTF-8 by the ABI contract above (checked in debug builds).
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

fn slice<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if ptr.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: the host guarantees `len` initialised elements at `ptr` for
        // the life of the score call, which bounds 'a.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

fn opt_i64(o: hql_opt_i64_t) -> Option<i64> {
    (o.present != 0).then_some(o.value)
}

fn opt_f64(o: hql_opt_f64_t) -> Option<f64> {
    (o.present != 0 && o.value.is_finite()).then_some(o.value)
}

fn opt_time(t: i64) -> Option<i64> {
    (t != HQL_TIME_UNKNOWN).then_some(t)
}

/// One lead, as a scorer sees it.
#[derive(Clone, Copy)]
pub struct Lead<'a> {
    raw: &'a hql_lead_t,
}

impl<'a> Lead<'a> {
    /// Wraps a host view.
    ///
    /// # Safety
    /// `raw` and everything it points to must follow the ownership rules of
    /// `hql_scorer.h` and stay valid for `'a`. Only the SDK's own shims and the
    /// host call this; scorer authors receive a ready `Lead`.
    pub unsafe fn from_raw(raw: &'a hql_lead_t) -> Lead<'a> {
        Lead { raw }
    }

    /// The caller's identifier.
    pub fn lead_id(&self) -> &'a str {
        text(self.raw.lead_id)
    }

    /// Who the contact is.
    pub fn contact(&self) -> Contact<'a> {
        Contact { raw: self.raw }
    }

    /// The contact's company.
    pub fn company(&self) -> Company<'a> {
        Company { raw: self.raw }
    }

    /// BANT answers.
    pub fn bant(&self) -> Bant<'a> {
        Bant { raw: self.raw }
    }

    /// Events at or before the decision's `as_of`, in request order.
    pub fn events(&self) -> impl ExactSizeIterator<Item = Event<'a>> + DoubleEndedIterator + Clone + 'a {
        slice(self.raw.events, self.raw.events_len).iter().map(|raw| Event { raw })
    }

    /// Number of visible events.
    pub fn event_count(&self) -> usize {
        self.raw.events_len
    }

    /// Trial / freemium usage, if the request had any.
    pub fn usage(&self) -> Option<ProductUsage<'a>> {
        (self.raw.usage.present != 0).then_some(ProductUsage { raw: self.raw })
    }

    /// Custom attributes, sorted by key.
    pub fn attributes(&self) -> impl ExactSizeIterator<Item = (&'a str, Attribute<'a>)> + Clone + 'a {
        slice(self.raw.attributes, self.raw.attributes_len)
            .iter()
            .map(|a| (text(a.key), Attribute::from_raw(a)))
    }

    /// One custom attribute by key (binary search: keys are sorted).
    pub fn attribute(&self, key: &str) -> Option<Attribute<'a>> {
        let attrs = slice(self.raw.attributes, self.raw.attributes_len);
        attrs.binary_search_by(|a| text(a.key).cmp(key)).ok().map(|i| Attribute::from_raw(&attrs[i]))
    }
}

/// Who the contact is. Empty strings mean "not provided".
#[derive(Clone, Copy)]
pub struct Contact<'a> {
    raw: &'a hql_lead_t,
}

impl<'a> Contact<'a> {
    /// E-mail address.
    pub fn email(&self) -> &'a str {
        text(self.raw.contact.email)
    }
    /// The domain part of the e-mail, lower-case as sent; empty if none.
    pub fn email_domain(&self) -> &'a str {
        self.email().rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
    /// Free-text job title.
    pub fn job_title(&self) -> &'a str {
        text(self.raw.contact.job_title)
    }
    /// Seniority.
    pub fn seniority(&self) -> Seniority {
        Seniority::from_raw(self.raw.contact.seniority)
    }
    /// Department, lower-case.
    pub fn department(&self) -> &'a str {
        text(self.raw.contact.department)
    }
    /// ISO country code, upper-case.
    pub fn country(&self) -> &'a str {
        text(self.raw.contact.country)
    }
}

/// The contact's company.
#[derive(Clone, Copy)]
pub struct Company<'a> {
    raw: &'a hql_lead_t,
}

impl<'a> Company<'a> {
    /// Web domain, lower-case.
    pub fn domain(&self) -> &'a str {
        text(self.raw.company.domain)
    }
    /// Display name.
    pub fn name(&self) -> &'a str {
        text(self.raw.company.name)
    }
    /// Industry, lower-case snake_case.
    pub fn industry(&self) -> &'a str {
        text(self.raw.company.industry)
    }
    /// Number of employees.
    pub fn employee_count(&self) -> Option<i64> {
        opt_i64(self.raw.company.employee_count)
    }
    /// Annual revenue in USD.
    pub fn annual_revenue(&self) -> Option<f64> {
        opt_f64(self.raw.company.annual_revenue)
    }
    /// Sales region, upper-case.
    pub fn region(&self) -> &'a str {
        text(self.raw.company.region)
    }
    /// Tools in use, lower-case.
    pub fn technologies(&self) -> impl ExactSizeIterator<Item = &'a str> + Clone + 'a {
        slice(self.raw.company.technologies, self.raw.company.technologies_len).iter().map(|s| text(*s))
    }
}

/// BANT answers.
#[derive(Clone, Copy)]
pub struct Bant<'a> {
    raw: &'a hql_lead_t,
}

impl Bant<'_> {
    /// Budget status.
    pub fn budget_status(&self) -> BudgetStatus {
        BudgetStatus::from_raw(self.raw.bant.budget_status)
    }
    /// Budget amount in USD.
    pub fn budget_amount(&self) -> Option<f64> {
        opt_f64(self.raw.bant.budget_amount)
    }
    /// Role in the purchase.
    pub fn authority(&self) -> Authority {
        Authority::from_raw(self.raw.bant.authority)
    }
    /// Need.
    pub fn need(&self) -> Need {
        Need::from_raw(self.raw.bant.need)
    }
    /// Days until the purchase decision.
    pub fn timeline_days(&self) -> Option<i64> {
        opt_i64(self.raw.bant.timeline_days)
    }
}

/// One event.
#[derive(Clone, Copy)]
pub struct Event<'a> {
    raw: &'a hql_event_t,
}

impl<'a> Event<'a> {
    /// snake_case type, e.g. `demo_request`.
    pub fn event_type(&self) -> &'a str {
        text(self.raw.r#type)
    }
    /// When it happened, ms since the epoch (never after `as_of`).
    pub fn occurred_at(&self) -> i64 {
        self.raw.occurred_at
    }
    /// First- or third-party.
    pub fn source(&self) -> Source {
        Source::from_raw(self.raw.source)
    }
    /// Campaign response.
    pub fn response(&self) -> Response {
        Response::from_raw(self.raw.response)
    }
    /// snake_case channel; empty if unknown.
    pub fn channel(&self) -> &'a str {
        text(self.raw.channel)
    }
    /// Campaign name; empty if none.
    pub fn campaign(&self) -> &'a str {
        text(self.raw.campaign)
    }
    /// Optional magnitude.
    pub fn value(&self) -> Option<f64> {
        opt_f64(self.raw.value)
    }
    /// Position in the request's `events`: cite it as evidence.
    pub fn index(&self) -> u32 {
        self.raw.index
    }
}

/// Trial / freemium usage.
#[derive(Clone, Copy)]
pub struct ProductUsage<'a> {
    raw: &'a hql_lead_t,
}

impl<'a> ProductUsage<'a> {
    /// Reached activation.
    pub fn activated(&self) -> bool {
        self.raw.usage.activated != 0
    }
    /// Sign-up time, ms since the epoch.
    pub fn signed_up_at(&self) -> Option<i64> {
        opt_time(self.raw.usage.signed_up_at)
    }
    /// Trial end, ms since the epoch.
    pub fn trial_ends_at(&self) -> Option<i64> {
        opt_time(self.raw.usage.trial_ends_at)
    }
    /// Active days in the last 30.
    pub fn active_days_last_30(&self) -> Option<i64> {
        opt_i64(self.raw.usage.active_days_last_30)
    }
    /// Active days in the 30 before those.
    pub fn active_days_prev_30(&self) -> Option<i64> {
        opt_i64(self.raw.usage.active_days_prev_30)
    }
    /// Seats in use.
    pub fn seats(&self) -> Option<i64> {
        opt_i64(self.raw.usage.seats)
    }
    /// Teammates invited.
    pub fn invited_teammates(&self) -> Option<i64> {
        opt_i64(self.raw.usage.invited_teammates)
    }
    /// Plan-limit hits.
    pub fn plan_limit_hits(&self) -> Option<i64> {
        opt_i64(self.raw.usage.plan_limit_hits)
    }
    /// Plan name.
    pub fn plan(&self) -> &'a str {
        text(self.raw.usage.plan)
    }
    /// Key features adopted.
    pub fn features_adopted(&self) -> impl ExactSizeIterator<Item = &'a str> + Clone + 'a {
        slice(self.raw.usage.features_adopted, self.raw.usage.features_adopted_len).iter().map(|s| text(*s))
    }
}

/// A custom attribute value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Attribute<'a> {
    /// A number.
    Number(f64),
    /// A flag.
    Bool(bool),
    /// Text.
    Text(&'a str),
    /// A kind this SDK does not know (sent by a newer host).
    Unsupported,
}

impl<'a> Attribute<'a> {
    fn from_raw(a: &'a hql_attribute_t) -> Attribute<'a> {
        match a.kind {
            HQL_VALUE_NUMBER => Attribute::Number(a.number),
            HQL_VALUE_BOOL => Attribute::Bool(a.boolean != 0),
            HQL_VALUE_TEXT => Attribute::Text(text(a.text)),
            _ => Attribute::Unsupported,
        }
    }
}
