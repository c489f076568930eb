//! Owned lead data: what a lead *is*, independent of gRPC and of the ABI.
//!
//! The host converts each request into a [`LeadRecord`] once (moving the
//! strings out of the decoded protobuf), then lends scorers a borrowed
//! [`crate::view::LeadView`] of it. Plugin authors build records in tests with
//! the same types, so what they test is what the host hands them.
//!
//! Times are milliseconds since the Unix epoch (UTC). Empty strings mean "not
//! provided"; optional numbers are `Option`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::kinds::{Authority, BudgetStatus, Need, Response, Seniority, Source};

/// One lead, as the host received it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LeadRecord {
    /// The caller's identifier for the lead.
    pub lead_id: String,
    /// Who the contact is.
    pub contact: ContactRecord,
    /// The contact's company.
    pub company: CompanyRecord,
    /// BANT answers.
    pub bant: BantRecord,
    /// What the lead did, in the caller's order (all of them, including any
    /// after the decision's `as_of`; the view hides those).
    pub events: Vec<EventRecord>,
    /// Trial or freemium usage, if any.
    pub usage: Option<ProductUsageRecord>,
    /// Custom attributes for custom scorers, sorted by key.
    pub attributes: BTreeMap<String, AttributeValue>,
}

/// Who the contact is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactRecord {
    /// E-mail address.
    pub email: String,
    /// Free-text job title.
    pub job_title: String,
    /// Seniority level.
    pub seniority: Seniority,
    /// Department, lower-case (e.g. `marketing`, `it`).
    pub department: String,
    /// ISO 3166-1 alpha-2 country, upper-case.
    pub country: String,
}

/// The contact's company.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompanyRecord {
    /// Web domain, lower-case.
    pub domain: String,
    /// Display name.
    pub name: String,
    /// Industry, lower-case snake_case.
    pub industry: String,
    /// Number of employees.
    pub employee_count: Option<i64>,
    /// Annual revenue in USD.
    pub annual_revenue: Option<f64>,
    /// Sales region, upper-case (e.g. `NA`, `EMEA`).
    pub region: String,
    /// Tools in use, lower-case.
    pub technologies: Vec<String>,
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
pub struct EventRecord {
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
    pub campaign: String,
    /// Optional magnitude.
    pub value: Option<f64>,
}

impl EventRecord {
    /// A first-party event of `event_type` at `occurred_at` with nothing else set.
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
pub struct ProductUsageRecord {
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
    pub plan: String,
    /// Key features adopted.
    pub features_adopted: Vec<String>,
}

/// A custom attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValue {
    /// A number.
    Number(f64),
    /// A flag.
    Bool(bool),
    /// Text.
    Text(String),
}

/// Milliseconds in a day, for day arithmetic on ABI times.
pub const MS_PER_DAY: i64 = 86_400_000;
