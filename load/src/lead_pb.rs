//! A generated [`LeadRecord`] as the `hql.v1.Lead` a client would send.
//!
//! The persona generator of `hql-benches` builds the engine's own record
//! type, so the criterion benches can call the engine without a server. A
//! load run must send the same leads over the wire, which means the inverse
//! of what `hqld` does on arrival (`server/src/convert/lead.rs`): snake_case
//! event types and channels back to their enum numbers, milliseconds back to
//! timestamps. Every value the generator produces has a wire form; one that
//! did not (a custom event type, say) would be sent as `EVENT_TYPE_CUSTOM`
//! with its name, exactly as a client would.

use hql_plugin_api::kinds::{Authority, BudgetStatus, Need, Response, Seniority, Source};
use hql_plugin_api::record::{
    AttributeValue, BantRecord, CompanyRecord, ContactRecord, EventRecord, LeadRecord, ProductUsageRecord,
};
use hql_proto::pb;
use prost_types::Timestamp;

/// `record` as a `hql.v1.Lead`.
pub fn to_pb(record: &LeadRecord) -> pb::Lead {
    let LeadRecord { lead_id, contact, company, bant, events, usage, attributes } = record;
    pb::Lead {
        lead_id: lead_id.clone(),
        contact: Some(contact_pb(contact)),
        company: Some(company_pb(company)),
        bant: (*bant != BantRecord::default()).then(|| bant_pb(bant)),
        events: events.iter().map(event_pb).collect(),
        product_usage: usage.as_ref().map(usage_pb),
        attributes: attributes.iter().map(|(key, value)| (key.clone(), attribute_pb(value))).collect(),
    }
}

/// A protobuf timestamp for `ms` milliseconds since the epoch.
pub fn timestamp(ms: i64) -> Timestamp {
    // `rem_euclid(1000)` is in 0..1000, so the nanos fit an i32.
    Timestamp { seconds: ms.div_euclid(1000), nanos: (ms.rem_euclid(1000) * 1_000_000) as i32 }
}

fn contact_pb(contact: &ContactRecord) -> pb::Contact {
    let ContactRecord { email, job_title, seniority, department, country } = contact;
    pb::Contact {
        email: email.clone(),
        job_title: job_title.clone(),
        seniority: seniority_pb(*seniority) as i32,
        department: department.clone(),
        country: country.clone(),
    }
}

fn company_pb(company: &CompanyRecord) -> pb::Company {
    let CompanyRecord { domain, name, industry, employee_count, annual_revenue, region, technologies } =
        company;
    pb::Company {
        domain: domain.clone(),
        name: name.clone(),
        industry: industry.clone(),
        employee_count: *employee_count,
        annual_revenue: *annual_revenue,
        region: region.clone(),
        technologies: technologies.clone(),
    }
}

fn bant_pb(bant: &BantRecord) -> pb::Bant {
    let BantRecord { budget_status, budget_amount, authority, need, timeline_days } = bant;
    pb::Bant {
        budget_status: budget_pb(*budget_status) as i32,
        budget_amount: *budget_amount,
        authority: authority_pb(*authority) as i32,
        need: need_pb(*need) as i32,
        timeline_days: timeline_days.map(|days| i32::try_from(days).unwrap_or(i32::MAX)),
    }
}

fn event_pb(event: &EventRecord) -> pb::Event {
    let EventRecord { event_type, occurred_at, source, response, channel, campaign, value } = event;
    let builtin = pb::EventType::from_str_name(&format!("EVENT_TYPE_{}", event_type.to_ascii_uppercase()))
        .filter(|t| !matches!(t, pb::EventType::Unspecified | pb::EventType::Custom));
    let (r#type, custom_type) = match builtin {
        Some(t) => (t, String::new()),
        None => (pb::EventType::Custom, event_type.to_string()),
    };
    let channel = if channel.is_empty() {
        pb::Channel::Unspecified
    } else {
        pb::Channel::from_str_name(&format!("CHANNEL_{}", channel.to_ascii_uppercase()))
            .unwrap_or(pb::Channel::Unspecified)
    };
    pb::Event {
        r#type: r#type as i32,
        custom_type,
        occurred_at: Some(timestamp(*occurred_at)),
        source: source_pb(*source) as i32,
        channel: channel as i32,
        campaign: campaign.clone(),
        response: response_pb(*response) as i32,
        value: *value,
    }
}

fn usage_pb(usage: &ProductUsageRecord) -> pb::ProductUsage {
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
    } = usage;
    let small = |n: &Option<i64>| n.map(|n| i32::try_from(n).unwrap_or(i32::MAX));
    pb::ProductUsage {
        signed_up_at: signed_up_at.map(timestamp),
        activated: *activated,
        active_days_last_30: small(active_days_last_30),
        active_days_prev_30: small(active_days_prev_30),
        seats: small(seats),
        invited_teammates: small(invited_teammates),
        features_adopted: features_adopted.clone(),
        plan_limit_hits: small(plan_limit_hits),
        plan: plan.clone(),
        trial_ends_at: trial_ends_at.map(timestamp),
    }
}

fn attribute_pb(value: &AttributeValue) -> pb::AttributeValue {
    use pb::attribute_value::Kind;
    let kind = match value {
        AttributeValue::Number(n) => Kind::NumberValue(*n),
        AttributeValue::Bool(b) => Kind::BoolValue(*b),
        AttributeValue::Text(text) => Kind::StringValue(text.clone()),
    };
    pb::AttributeValue { kind: Some(kind) }
}

fn seniority_pb(s: Seniority) -> pb::Seniority {
    match s {
        Seniority::Unknown => pb::Seniority::Unspecified,
        Seniority::Intern => pb::Seniority::Intern,
        Seniority::Entry => pb::Seniority::Entry,
        Seniority::Senior => pb::Seniority::Senior,
        Seniority::Manager => pb::Seniority::Manager,
        Seniority::Director => pb::Seniority::Director,
        Seniority::Vp => pb::Seniority::Vp,
        Seniority::CLevel => pb::Seniority::CLevel,
        Seniority::Owner => pb::Seniority::Owner,
    }
}

fn budget_pb(b: BudgetStatus) -> pb::BudgetStatus {
    match b {
        BudgetStatus::Unknown => pb::BudgetStatus::Unspecified,
        BudgetStatus::None => pb::BudgetStatus::None,
        BudgetStatus::Estimated => pb::BudgetStatus::Estimated,
        BudgetStatus::Confirmed => pb::BudgetStatus::Confirmed,
    }
}

fn authority_pb(a: Authority) -> pb::Authority {
    match a {
        Authority::Unknown => pb::Authority::Unspecified,
        Authority::User => pb::Authority::User,
        Authority::Influencer => pb::Authority::Influencer,
        Authority::DecisionMaker => pb::Authority::DecisionMaker,
        Authority::EconomicBuyer => pb::Authority::EconomicBuyer,
    }
}

fn need_pb(n: Need) -> pb::Need {
    match n {
        Need::Unknown => pb::Need::Unspecified,
        Need::None => pb::Need::None,
        Need::Stated => pb::Need::Stated,
        Need::Confirmed => pb::Need::Confirmed,
    }
}

fn source_pb(s: Source) -> pb::EventSource {
    match s {
        Source::Unknown => pb::EventSource::Unspecified,
        Source::FirstParty => pb::EventSource::FirstParty,
        Source::ThirdParty => pb::EventSource::ThirdParty,
    }
}

fn response_pb(r: Response) -> pb::ResponseSentiment {
    match r {
        Response::Unknown => pb::ResponseSentiment::Unspecified,
        Response::Positive => pb::ResponseSentiment::Positive,
        Response::Neutral => pb::ResponseSentiment::Neutral,
        Response::Negative => pb::ResponseSentiment::Negative,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generated_event_maps_to_a_builtin_type_and_channel() {
        for record in hql_benches::leads::generate(42, 500) {
            let lead = to_pb(&record);
            assert_eq!(lead.events.len(), record.events.len());
            for (event, original) in lead.events.iter().zip(&record.events) {
                assert_ne!(event.r#type, pb::EventType::Custom as i32, "{}", original.event_type);
                assert!(original.channel.is_empty() || event.channel != pb::Channel::Unspecified as i32);
            }
        }
    }

    #[test]
    fn timestamps_keep_milliseconds() {
        assert_eq!(timestamp(1_500), Timestamp { seconds: 1, nanos: 500_000_000 });
        assert_eq!(timestamp(-1), Timestamp { seconds: -1, nanos: 999_000_000 });
    }
}
