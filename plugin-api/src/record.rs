//! Owned lead data: what a lead *is*, independent of gRPC and of the ABI.
//!
//! The host converts each request into a [`LeadRecord`] once (moving the
//! strings out of the decoded protobuf), then lends scorers a borrowed
//! [`crate::view::LeadView`] of it. Plugin authors build records in tests with
//! the same types, so what they test is what the host hands them.
//!
//! Times are milliseconds since the Unix epoch (UTC). Empty strings mean "not
//! provided"; optional numbers are `Option`.
//!
//! # Why the records are generic over their text
//!
//! Every record takes the type of its text as a parameter `T`, which defaults
//! to `String`: `LeadRecord` is `LeadRecord<String>`, and SDK users (scorer
//! tests, the harness, benchmarks) keep writing and building records exactly as
//! before. The server instead fills a `LeadRecord<Cow<'a, str>>` whose text
//! borrows the request's bytes, so decoding a lead allocates nothing for text
//! that is already normalised (only text it has to rewrite, such as a
//! lower-cased domain, becomes `Cow::Owned`). Everything that reads a record
//! (the ABI view, the decision id, the engine) takes any `T: AsRef<str>`, and
//! sees the same characters, so it decides a borrowed lead exactly as the
//! owned one. Event types and channels stay `Cow<'static, str>` either way:
//! the known ones are static names, whatever the record borrows.
//!
//! A default type parameter does not steer inference: `LeadRecord::default()`
//! or `"l-1".into()` alone leave `T` open. The SDK entry points that take a
//! record from a scorer author's test ([`crate::view::LeadView::new`],
//! [`crate::testing::Harness`]) therefore take `LeadRecord<String>` only, so
//! such records keep meaning `String`; [`crate::view::LeadView::of`] is the
//! generic one.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::kinds::{Authority, BudgetStatus, Need, Response, Seniority, Source};

/// One lead, as the host received it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LeadRecord<T = String> {
    /// The caller's identifier for the lead.
    pub lead_id: T,
    /// Who the contact is.
    pub contact: ContactRecord<T>,
    /// The contact's company.
    pub company: CompanyRecord<T>,
    /// BANT answers.
    pub bant: BantRecord,
    /// What the lead did, in the caller's order (all of them, including any
    /// after the decision's `as_of`; the view hides those).
    pub events: Vec<EventRecord<T>>,
    /// Trial or freemium usage, if any.
    pub usage: Option<ProductUsageRecord<T>>,
    /// Custom attributes for custom scorers, sorted by key.
    pub attributes: BTreeMap<T, AttributeValue<T>>,
}

/// Who the contact is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactRecord<T = String> {
    /// E-mail address.
    pub email: T,
    /// Free-text job title.
    pub job_title: T,
    /// Seniority level.
    pub seniority: Seniority,
    /// Department, lower-case (e.g. `marketing`, `it`).
    pub department: T,
    /// ISO 3166-1 alpha-2 country, upper-case.
    pub country: T,
}

/// The contact's company.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompanyRecord<T = String> {
    /// Web domain, lower-case.
    pub domain: T,
    /// Display name.
    pub name: T,
    /// Industry, lower-case snake_case.
    pub industry: T,
    /// Number of employees.
    pub employee_count: Option<i64>,
    /// Annual revenue in USD.
    pub annual_revenue: Option<f64>,
    /// Sales region, upper-case (e.g. `NA`, `EMEA`).
    pub region: T,
    /// Tools in use, lower-case.
    pub technologies: Vec<T>,
}

/// BANT answers.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BantRecord {
    /// Budget status.
    pub budget_status: BudgetStatus,
    /// Budget amount in USD.
    pub budget_amount: Option<f64>,
    /// Role in the purchase.
    pub authority: Authority,
    /// Need.
    pub need: Need,
    /// Days until the purchase decision.
    pub timeline_days: Option<i64>,
}

/// One thing the lead did.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRecord<T = String> {
    /// snake_case type, e.g. `demo_request`, or a custom type.
    pub event_type: Cow<'static, str>,
    /// When it happened, ms since the epoch.
    pub occurred_at: i64,
    /// First- or third-party observation.
    pub source: Source,
    /// Campaign response, if this was a response.
    pub response: Response,
    /// snake_case channel, e.g. `email`; empty if unknown.
    pub channel: Cow<'static, str>,
    /// Campaign name; empty if none.
    pub campaign: T,
    /// Optional magnitude.
    pub value: Option<f64>,
}

impl EventRecord {
    /// A first-party event of `event_type` at `occurred_at` with nothing else set.
    ///
    /// Only for `String` text, so that `EventRecord::new(..)` keeps fixing a
    /// record's text type to `String` where nothing else names it.
    pub fn new(event_type: impl Into<Cow<'static, str>>, occurred_at: i64) -> EventRecord {
        EventRecord {
            event_type: event_type.into(),
            occurred_at,
            source: Source::FirstParty,
            response: Response::Unknown,
            channel: Cow::Borrowed(""),
            campaign: String::new(),
            value: None,
        }
    }
}

/// Trial or freemium usage.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProductUsageRecord<T = String> {
    /// When the account was created, ms since the epoch.
    pub signed_up_at: Option<i64>,
    /// When the trial ends, ms since the epoch.
    pub trial_ends_at: Option<i64>,
    /// Reached activation.
    pub activated: bool,
    /// Active days in the last 30.
    pub active_days_last_30: Option<i64>,
    /// Active days in the 30 before those.
    pub active_days_prev_30: Option<i64>,
    /// Seats in use.
    pub seats: Option<i64>,
    /// Teammates invited.
    pub invited_teammates: Option<i64>,
    /// Times a plan limit was hit.
    pub plan_limit_hits: Option<i64>,
    /// Plan name, e.g. `free`, `trial`.
    pub plan: T,
    /// Key features adopted.
    pub features_adopted: Vec<T>,
}

/// A custom attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValue<T = String> {
    /// A number.
    Number(f64),
    /// A flag.
    Bool(bool),
    /// Text.
    Text(T),
}

impl LeadRecord<Cow<'_, str>> {
    /// The same lead with its text owned (`LeadRecord<String>`), e.g. to keep
    /// a lead the server decoded past the request it borrows from.
    pub fn into_owned(self) -> LeadRecord {
        self.map_text(&mut Cow::into_owned)
    }
}

impl<T> LeadRecord<T> {
    /// The same lead with every text put through `f`.
    fn map_text<U: Ord>(self, f: &mut impl FnMut(T) -> U) -> LeadRecord<U> {
        let LeadRecord { lead_id, contact, company, bant, events, usage, attributes } = self;
        let ContactRecord { email, job_title, seniority, department, country } = contact;
        let CompanyRecord { domain, name, industry, employee_count, annual_revenue, region, technologies } =
            company;
        LeadRecord {
            lead_id: f(lead_id),
            contact: ContactRecord {
                email: f(email),
                job_title: f(job_title),
                seniority,
                department: f(department),
                country: f(country),
            },
            company: CompanyRecord {
                domain: f(domain),
                name: f(name),
                industry: f(industry),
                employee_count,
                annual_revenue,
                region: f(region),
                technologies: technologies.into_iter().map(&mut *f).collect(),
            },
            bant,
            events: events
                .into_iter()
                .map(|e| {
                    let EventRecord { event_type, occurred_at, source, response, channel, campaign, value } =
                        e;
                    EventRecord {
                        event_type,
                        occurred_at,
                        source,
                        response,
                        channel,
                        campaign: f(campaign),
                        value,
                    }
                })
                .collect(),
            usage: usage.map(|u| {
                let ProductUsageRecord {
                    signed_up_at,
                    trial_ends_at,
                    activated,
                    active_days_last_30,
                    active_days_prev_30,
                    seats,
                    invited_teammates,
                    plan_limit_hits,
                    plan,
                    features_adopted,
                } = u;
                ProductUsageRecord {
                    signed_up_at,
                    trial_ends_at,
                    activated,
                    active_days_last_30,
                    active_days_prev_30,
                    seats,
                    invited_teammates,
                    plan_limit_hits,
                    plan: f(plan),
                    features_adopted: features_adopted.into_iter().map(&mut *f).collect(),
                }
            }),
            attributes: attributes
                .into_iter()
                .map(|(key, value)| {
                    let value = match value {
                        AttributeValue::Number(n) => AttributeValue::Number(n),
                        AttributeValue::Bool(b) => AttributeValue::Bool(b),
                        AttributeValue::Text(t) => AttributeValue::Text(f(t)),
                    };
                    (f(key), value)
                })
                .collect(),
        }
    }
}

/// Milliseconds in a day, for day arithmetic on ABI times.
pub const MS_PER_DAY: i64 = 86_400_000;
