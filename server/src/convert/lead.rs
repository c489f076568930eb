//! `hql.v1.Lead`, as [`wire`] read it → [`LeadRecord`]: validated,
//! normalised, and borrowing the request's text wherever it needed no change
//! (trimming is a narrower slice; only text that must change case, and a
//! custom event type, is copied).
//!
//! Every message is destructured field by field with no `..`, so a field
//! added to the wire types stops this file from compiling until someone
//! decides how it is checked and where it goes (and a field added to
//! `lead.proto` stops `wire`'s tests from compiling until it is read there).
//! Conversion and validation happen in
//! one pass: each rule from [`crate::validate`] returns the normalised value
//! and records what is wrong, so a request reports all its problems at once.
//!
//! Normalisation makes the scorers' matching case-insensitive without each
//! plugin redoing it: strings are trimmed; e-mail, domain, industry,
//! department, technologies and features are lower-cased; region and country
//! are upper-cased. Enums become the domain vocabularies; unknown numbers
//! (proto3 enums are open) are refused with their path rather than read as
//! "unspecified", since a client sending them means something we do not know.

use std::borrow::Cow;
use std::collections::BTreeMap;

use hql_plugin_api::kinds::{Authority, BudgetStatus, Need, Response, Seniority, Source};
use hql_plugin_api::record::{
    AttributeValue, BantRecord, CompanyRecord, ContactRecord, EventRecord, LeadRecord, ProductUsageRecord,
};
use hql_proto::pb;
use prost_types::Timestamp;

use crate::config::Limits;
use crate::convert::time;
use crate::convert::wire;
use crate::validate::{
    self, MAX_ATTRIBUTE_KEY_BYTES, MAX_ATTRIBUTE_TEXT_BYTES, MAX_LIST_ITEMS, MAX_TEXT_BYTES, Path,
    Violations, lower, upper,
};

/// A lead record whose text borrows the request's bytes where it needed
/// no change (see [`wire`]).
pub(crate) type Record<'a> = LeadRecord<Cow<'a, str>>;

/// The lead and `as_of` of a single-lead request (Qualify, Explain, one
/// QualifyStream message): paths start at `lead` and `as_of`.
pub(crate) fn lead_and_as_of<'a>(
    lead: Option<wire::Lead<'a>>,
    as_of: Option<Timestamp>,
    limits: &Limits,
) -> Result<(Record<'a>, i64), Violations> {
    let mut v = Violations::default();
    let as_of_ms = time::as_of_ms(&mut v, Path::Root("as_of"), as_of);
    let at = Path::Root("lead");
    let record = match lead {
        Some(lead) => lead_record(&mut v, at, lead, limits),
        None => {
            v.push(at, "is required");
            LeadRecord::default()
        }
    };
    v.into_result((record, as_of_ms))
}

/// Lead `index` of a QualifyBatch request: paths start at `leads[index]`.
pub(crate) fn batch_lead<'a>(
    index: usize,
    lead: wire::Lead<'a>,
    limits: &Limits,
) -> Result<Record<'a>, Violations> {
    let mut v = Violations::default();
    let leads = Path::Root("leads");
    let record = lead_record(&mut v, leads.index(index), lead, limits);
    v.into_result(record)
}

/// Converts `lead`, recording every violation under `at`.
fn lead_record<'a>(v: &mut Violations, at: Path<'_>, lead: wire::Lead<'a>, limits: &Limits) -> Record<'a> {
    let wire::Lead { lead_id, contact, company, bant, events, product_usage, attributes, caps: _ } = lead;
    let events_at = at.field("events");
    // Counted in full, kept up to the limit (`wire::Caps`).
    let wire::Capped { kept: events, count: event_count, .. } = events;
    if event_count > limits.max_events_per_lead {
        v.push(
            events_at,
            format!("must have at most {} events, got {event_count}", limits.max_events_per_lead),
        );
    }
    LeadRecord {
        lead_id: Cow::Borrowed(validate::lead_id(v, at.field("lead_id"), lead_id)),
        contact: contact.map(|c| contact_record(v, at.field("contact"), c)).unwrap_or_default(),
        company: company.map(|c| company_record(v, at.field("company"), c)).unwrap_or_default(),
        bant: bant.map(|b| bant_record(v, at.field("bant"), b)).unwrap_or_default(),
        events: events
            .into_iter()
            .enumerate()
            .map(|(i, event)| event_record(v, events_at.index(i), event))
            .collect(),
        usage: product_usage.map(|u| usage_record(v, at.field("product_usage"), u)),
        attributes: attribute_map(v, at.field("attributes"), attributes),
    }
}

/// Trimmed and capped text, borrowed.
fn text<'a>(v: &mut Violations, at: Path<'_>, value: &'a str) -> Cow<'a, str> {
    Cow::Borrowed(validate::text(v, at, value, MAX_TEXT_BYTES))
}

fn contact_record<'a>(
    v: &mut Violations,
    at: Path<'_>,
    contact: wire::Contact<'a>,
) -> ContactRecord<Cow<'a, str>> {
    let wire::Contact { email, job_title, seniority, department, country } = contact;
    ContactRecord {
        email: lower(validate::text(v, at.field("email"), email, MAX_TEXT_BYTES)),
        job_title: text(v, at.field("job_title"), job_title),
        seniority: known(v, at.field("seniority"), seniority).map_or(Seniority::Unknown, seniority_kind),
        department: lower(validate::text(v, at.field("department"), department, MAX_TEXT_BYTES)),
        country: upper(validate::text(v, at.field("country"), country, MAX_TEXT_BYTES)),
    }
}

fn company_record<'a>(
    v: &mut Violations,
    at: Path<'_>,
    company: wire::Company<'a>,
) -> CompanyRecord<Cow<'a, str>> {
    let wire::Company { domain, name, industry, employee_count, annual_revenue, region, technologies } =
        company;
    CompanyRecord {
        domain: lower(validate::text(v, at.field("domain"), domain, MAX_TEXT_BYTES)),
        name: text(v, at.field("name"), name),
        industry: lower(validate::text(v, at.field("industry"), industry, MAX_TEXT_BYTES)),
        employee_count: validate::non_negative(v, at.field("employee_count"), employee_count),
        annual_revenue: validate::amount(v, at.field("annual_revenue"), annual_revenue),
        region: upper(validate::text(v, at.field("region"), region, MAX_TEXT_BYTES)),
        technologies: validate::lowercase_list(
            v,
            at.field("technologies"),
            technologies.kept,
            technologies.count,
        ),
    }
}

fn bant_record(v: &mut Violations, at: Path<'_>, bant: wire::Bant) -> BantRecord {
    let wire::Bant { budget_status, budget_amount, authority, need, timeline_days } = bant;
    BantRecord {
        budget_status: known(v, at.field("budget_status"), budget_status)
            .map_or(BudgetStatus::Unknown, budget_kind),
        budget_amount: validate::amount(v, at.field("budget_amount"), budget_amount),
        authority: known(v, at.field("authority"), authority).map_or(Authority::Unknown, authority_kind),
        need: known(v, at.field("need"), need).map_or(Need::Unknown, need_kind),
        timeline_days: validate::non_negative(v, at.field("timeline_days"), timeline_days),
    }
}

fn event_record<'a>(v: &mut Violations, at: Path<'_>, event: wire::Event<'a>) -> EventRecord<Cow<'a, str>> {
    let wire::Event { r#type, custom_type, occurred_at, source, channel, campaign, response, value } = event;
    EventRecord {
        event_type: event_type(v, at, r#type, custom_type),
        occurred_at: time::required_ms(v, at.field("occurred_at"), occurred_at).unwrap_or_default(),
        source: known(v, at.field("source"), source).map_or(Source::Unknown, source_kind),
        response: known(v, at.field("response"), response).map_or(Response::Unknown, response_kind),
        channel: Cow::Borrowed(known(v, at.field("channel"), channel).map_or("", channel_name)),
        campaign: text(v, at.field("campaign"), campaign),
        value: validate::amount(v, at.field("value"), value),
    }
}

/// The snake_case event type: the enum's name, or for EVENT_TYPE_CUSTOM the
/// caller's `custom_type`, which may not pose as a built-in type.
fn event_type(v: &mut Violations, at: Path<'_>, raw: i32, custom_type: &str) -> Cow<'static, str> {
    let custom_type = validate::trimmed(custom_type);
    let Some(kind) = known::<pb::EventType>(v, at.field("type"), raw) else {
        return Cow::Borrowed("");
    };
    if let Some(name) = event_type_name(kind) {
        if !custom_type.is_empty() {
            v.push(at.field("custom_type"), "must be empty unless type is EVENT_TYPE_CUSTOM");
        }
        return Cow::Borrowed(name);
    }
    match kind {
        pb::EventType::Custom => {
            if let Some(problem) = validate::custom_type_problem(custom_type) {
                v.push(at.field("custom_type"), problem);
            } else if let Some(builtin) = builtin_event_type(custom_type) {
                v.push(
                    at.field("custom_type"),
                    format!("names a built-in type: use {} instead", builtin.as_str_name()),
                );
            }
            // Event types outlive the request in the engine's tables of
            // names (`'static`): a custom one is copied.
            Cow::Owned(custom_type.to_owned())
        }
        _ => {
            v.push(at.field("type"), "is required (EVENT_TYPE_UNSPECIFIED is refused)");
            Cow::Borrowed("")
        }
    }
}

/// The built-in event type a snake_case name spells, if any.
fn builtin_event_type(name: &str) -> Option<pb::EventType> {
    pb::EventType::from_str_name(&format!("EVENT_TYPE_{}", name.to_ascii_uppercase()))
}

fn usage_record<'a>(
    v: &mut Violations,
    at: Path<'_>,
    usage: wire::ProductUsage<'a>,
) -> ProductUsageRecord<Cow<'a, str>> {
    let wire::ProductUsage {
        signed_up_at,
        activated,
        active_days_last_30,
        active_days_prev_30,
        seats,
        invited_teammates,
        features_adopted,
        plan_limit_hits,
        plan,
        trial_ends_at,
    } = usage;
    ProductUsageRecord {
        signed_up_at: time::optional_ms(v, at.field("signed_up_at"), signed_up_at),
        trial_ends_at: time::optional_ms(v, at.field("trial_ends_at"), trial_ends_at),
        activated,
        active_days_last_30: validate::active_days(v, at.field("active_days_last_30"), active_days_last_30),
        active_days_prev_30: validate::active_days(v, at.field("active_days_prev_30"), active_days_prev_30),
        seats: validate::non_negative(v, at.field("seats"), seats),
        invited_teammates: validate::non_negative(v, at.field("invited_teammates"), invited_teammates),
        plan_limit_hits: validate::non_negative(v, at.field("plan_limit_hits"), plan_limit_hits),
        plan: text(v, at.field("plan"), plan),
        features_adopted: validate::lowercase_list(
            v,
            at.field("features_adopted"),
            features_adopted.kept,
            features_adopted.count,
        ),
    }
}

/// The attributes by key. The wire keeps map entries in arrival order,
/// repeated keys included; as in protobuf's map, the last entry of a key
/// is the one that counts, and entries are checked in key order.
fn attribute_map<'a>(
    v: &mut Violations,
    at: Path<'_>,
    attributes: wire::Attributes<'a>,
) -> BTreeMap<Cow<'a, str>, AttributeValue<Cow<'a, str>>> {
    let wire::Attributes { mut entries, over, .. } = attributes;
    wire::latest_per_key(&mut entries);
    if over {
        // The reader stopped keeping entries once there were too many keys.
        v.push(at, format!("must have at most {MAX_LIST_ITEMS} entries, got at least {}", entries.len()));
    } else if entries.len() > MAX_LIST_ITEMS {
        v.push(at, format!("must have at most {MAX_LIST_ITEMS} entries, got {}", entries.len()));
    }
    entries
        .into_iter()
        .filter_map(|(key, value)| {
            let entry = at.key(key);
            if key.is_empty() || key.len() > MAX_ATTRIBUTE_KEY_BYTES {
                v.push(entry, format!("key must be 1 to {MAX_ATTRIBUTE_KEY_BYTES} bytes, got {}", key.len()));
            }
            Some((Cow::Borrowed(key), attribute_value(v, entry, value)?))
        })
        .collect()
}

fn attribute_value<'a>(
    v: &mut Violations,
    at: Path<'_>,
    value: wire::AttributeValue<'a>,
) -> Option<AttributeValue<Cow<'a, str>>> {
    match value {
        wire::AttributeValue::Text(text) => Some(AttributeValue::Text(Cow::Borrowed(validate::text(
            v,
            at.field("string_value"),
            text,
            MAX_ATTRIBUTE_TEXT_BYTES,
        )))),
        wire::AttributeValue::Number(n) => {
            if !n.is_finite() {
                v.push(at.field("number_value"), format!("must be a finite number, got {n}"));
            }
            Some(AttributeValue::Number(n))
        }
        wire::AttributeValue::Bool(b) => Some(AttributeValue::Bool(b)),
        wire::AttributeValue::Unset => {
            v.push(at, "must set one of string_value, number_value, bool_value");
            None
        }
    }
}

/// A proto enum from its wire number; unknown numbers are recorded.
fn known<E: TryFrom<i32>>(v: &mut Violations, at: Path<'_>, raw: i32) -> Option<E> {
    match E::try_from(raw) {
        Ok(value) => Some(value),
        Err(_) => {
            v.push(at, format!("unknown enum value {raw}"));
            None
        }
    }
}

fn seniority_kind(s: pb::Seniority) -> Seniority {
    match s {
        pb::Seniority::Unspecified => Seniority::Unknown,
        pb::Seniority::Intern => Seniority::Intern,
        pb::Seniority::Entry => Seniority::Entry,
        pb::Seniority::Senior => Seniority::Senior,
        pb::Seniority::Manager => Seniority::Manager,
        pb::Seniority::Director => Seniority::Director,
        pb::Seniority::Vp => Seniority::Vp,
        pb::Seniority::CLevel => Seniority::CLevel,
        pb::Seniority::Owner => Seniority::Owner,
    }
}

fn budget_kind(b: pb::BudgetStatus) -> BudgetStatus {
    match b {
        pb::BudgetStatus::Unspecified => BudgetStatus::Unknown,
        pb::BudgetStatus::None => BudgetStatus::None,
        pb::BudgetStatus::Estimated => BudgetStatus::Estimated,
        pb::BudgetStatus::Confirmed => BudgetStatus::Confirmed,
    }
}

fn authority_kind(a: pb::Authority) -> Authority {
    match a {
        pb::Authority::Unspecified => Authority::Unknown,
        pb::Authority::User => Authority::User,
        pb::Authority::Influencer => Authority::Influencer,
        pb::Authority::DecisionMaker => Authority::DecisionMaker,
        pb::Authority::EconomicBuyer => Authority::EconomicBuyer,
    }
}

fn need_kind(n: pb::Need) -> Need {
    match n {
        pb::Need::Unspecified => Need::Unknown,
        pb::Need::None => Need::None,
        pb::Need::Stated => Need::Stated,
        pb::Need::Confirmed => Need::Confirmed,
    }
}

fn source_kind(s: pb::EventSource) -> Source {
    match s {
        pb::EventSource::Unspecified => Source::Unknown,
        pb::EventSource::FirstParty => Source::FirstParty,
        pb::EventSource::ThirdParty => Source::ThirdParty,
    }
}

fn response_kind(r: pb::ResponseSentiment) -> Response {
    match r {
        pb::ResponseSentiment::Unspecified => Response::Unknown,
        pb::ResponseSentiment::Positive => Response::Positive,
        pb::ResponseSentiment::Neutral => Response::Neutral,
        pb::ResponseSentiment::Negative => Response::Negative,
    }
}

/// The snake_case name scorers and policies use for a built-in event type;
/// `None` for UNSPECIFIED and CUSTOM, which have no name of their own.
fn event_type_name(t: pb::EventType) -> Option<&'static str> {
    use pb::EventType as T;
    Some(match t {
        T::Unspecified | T::Custom => return None,
        T::BlogView => "blog_view",
        T::NewsletterSignup => "newsletter_signup",
        T::EbookDownload => "ebook_download",
        T::WhitepaperDownload => "whitepaper_download",
        T::WebinarRegistration => "webinar_registration",
        T::WebinarAttendance => "webinar_attendance",
        T::SocialEngagement => "social_engagement",
        T::AdClick => "ad_click",
        T::WebsiteVisit => "website_visit",
        T::FormSubmission => "form_submission",
        T::CaseStudyView => "case_study_view",
        T::ProductPageView => "product_page_view",
        T::EmailOpen => "email_open",
        T::EmailClick => "email_click",
        T::EventAttendance => "event_attendance",
        T::PricingPageView => "pricing_page_view",
        T::DemoRequest => "demo_request",
        T::ContactSales => "contact_sales",
        T::FreeTrialSignup => "free_trial_signup",
        T::QuoteRequest => "quote_request",
        T::SalesMeeting => "sales_meeting",
        T::EmailReply => "email_reply",
        T::InboundQuestion => "inbound_question",
        T::CampaignResponse => "campaign_response",
        T::KeywordResearch => "keyword_research",
        T::CompetitorSiteVisit => "competitor_site_visit",
        T::ReviewSiteVisit => "review_site_visit",
        T::Unsubscribe => "unsubscribe",
        T::HardBounce => "hard_bounce",
        T::SpamComplaint => "spam_complaint",
    })
}

/// The snake_case channel name; empty when unspecified.
fn channel_name(c: pb::Channel) -> &'static str {
    use pb::Channel as C;
    match c {
        C::Unspecified => "",
        C::Email => "email",
        C::Web => "web",
        C::Social => "social",
        C::Phone => "phone",
        C::Event => "event",
        C::Chat => "chat",
        C::PaidAds => "paid_ads",
        C::Partner => "partner",
        C::DirectMail => "direct_mail",
        C::Product => "product",
        C::Community => "community",
        C::Referral => "referral",
    }
}

#[cfg(test)]
mod tests;
