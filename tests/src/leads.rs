//! Compact builders for `hql.v1` request messages.
//!
//! Tests talk to the server through the generated protobuf types, which are
//! verbose to fill in (`Option`s, `i32` enums, `Timestamp`s). These helpers
//! keep a test's lead readable as data while still producing exactly the
//! messages a real client sends. Times are milliseconds since the Unix epoch
//! relative to a fixed [`AS_OF_MS`], never the clock, so decisions replay
//! identically.

use hql_proto::pb;
use prost_types::Timestamp;

/// A fixed "now" for tests: 2023-11-14T22:13:20Z.
pub const AS_OF_MS: i64 = 1_700_000_000_000;

/// Milliseconds in a day.
pub const MS_PER_DAY: i64 = 86_400_000;

/// `days` days before `as_of_ms`, in ms.
pub fn days_before(as_of_ms: i64, days: i64) -> i64 {
    as_of_ms - days * MS_PER_DAY
}

/// A protobuf timestamp for `ms` milliseconds since the epoch (negative
/// values included: seconds round down, nanos stay in `0..1e9`).
pub fn ts(ms: i64) -> Timestamp {
    let nanos = ms.rem_euclid(1000) * 1_000_000;
    Timestamp { seconds: ms.div_euclid(1000), nanos: i32::try_from(nanos).expect("below 1e9") }
}

/// An event of a known type at `at_ms`, everything else unset.
pub fn event(event_type: pb::EventType, at_ms: i64) -> pb::Event {
    pb::Event { r#type: event_type as i32, occurred_at: Some(ts(at_ms)), ..pb::Event::default() }
}

/// A custom event (`EVENT_TYPE_CUSTOM` with `custom_type`) at `at_ms`.
pub fn custom_event(custom_type: &str, at_ms: i64) -> pb::Event {
    pb::Event { custom_type: custom_type.to_string(), ..event(pb::EventType::Custom, at_ms) }
}

/// Starts a lead with id `lead_id`.
pub fn lead(lead_id: &str) -> LeadBuilder {
    LeadBuilder::new(lead_id)
}

/// Builds a [`pb::Lead`] field group by field group.
///
/// ```
/// use hql_tests::{AS_OF_MS, days_before, event, lead, pb};
///
/// let lead = lead("l-1")
///     .email("ada@acme.com")
///     .seniority(pb::Seniority::Vp)
///     .company_domain("acme.com")
///     .employees(500)
///     .event(event(pb::EventType::DemoRequest, days_before(AS_OF_MS, 2)))
///     .build();
/// assert_eq!(lead.events.len(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct LeadBuilder {
    lead: pb::Lead,
}

impl LeadBuilder {
    /// A lead with only its id set.
    pub fn new(lead_id: &str) -> LeadBuilder {
        LeadBuilder { lead: pb::Lead { lead_id: lead_id.to_string(), ..pb::Lead::default() } }
    }

    fn contact_mut(&mut self) -> &mut pb::Contact {
        self.lead.contact.get_or_insert_with(pb::Contact::default)
    }

    fn company_mut(&mut self) -> &mut pb::Company {
        self.lead.company.get_or_insert_with(pb::Company::default)
    }

    /// Replaces the whole contact.
    pub fn contact(mut self, contact: pb::Contact) -> LeadBuilder {
        self.lead.contact = Some(contact);
        self
    }

    /// Sets the contact's e-mail.
    pub fn email(mut self, email: &str) -> LeadBuilder {
        self.contact_mut().email = email.to_string();
        self
    }

    /// Sets the contact's job title.
    pub fn job_title(mut self, title: &str) -> LeadBuilder {
        self.contact_mut().job_title = title.to_string();
        self
    }

    /// Sets the contact's seniority.
    pub fn seniority(mut self, seniority: pb::Seniority) -> LeadBuilder {
        self.contact_mut().seniority = seniority as i32;
        self
    }

    /// Sets the contact's department.
    pub fn department(mut self, department: &str) -> LeadBuilder {
        self.contact_mut().department = department.to_string();
        self
    }

    /// Sets the contact's country (ISO 3166-1 alpha-2).
    pub fn country(mut self, country: &str) -> LeadBuilder {
        self.contact_mut().country = country.to_string();
        self
    }

    /// Replaces the whole company.
    pub fn company(mut self, company: pb::Company) -> LeadBuilder {
        self.lead.company = Some(company);
        self
    }

    /// Sets the company's domain.
    pub fn company_domain(mut self, domain: &str) -> LeadBuilder {
        self.company_mut().domain = domain.to_string();
        self
    }

    /// Sets the company's industry.
    pub fn industry(mut self, industry: &str) -> LeadBuilder {
        self.company_mut().industry = industry.to_string();
        self
    }

    /// Sets the company's employee count.
    pub fn employees(mut self, count: i64) -> LeadBuilder {
        self.company_mut().employee_count = Some(count);
        self
    }

    /// Sets the company's annual revenue in USD.
    pub fn revenue(mut self, usd: f64) -> LeadBuilder {
        self.company_mut().annual_revenue = Some(usd);
        self
    }

    /// Sets the company's sales region.
    pub fn region(mut self, region: &str) -> LeadBuilder {
        self.company_mut().region = region.to_string();
        self
    }

    /// Adds a technology the company uses.
    pub fn technology(mut self, technology: &str) -> LeadBuilder {
        self.company_mut().technologies.push(technology.to_string());
        self
    }

    /// Replaces the BANT answers.
    pub fn bant(mut self, bant: pb::Bant) -> LeadBuilder {
        self.lead.bant = Some(bant);
        self
    }

    /// Appends an event (see [`event`], [`custom_event`]).
    pub fn event(mut self, event: pb::Event) -> LeadBuilder {
        self.lead.events.push(event);
        self
    }

    /// Appends events in order.
    pub fn events(mut self, events: impl IntoIterator<Item = pb::Event>) -> LeadBuilder {
        self.lead.events.extend(events);
        self
    }

    /// Sets the product usage.
    pub fn product_usage(mut self, usage: pb::ProductUsage) -> LeadBuilder {
        self.lead.product_usage = Some(usage);
        self
    }

    /// Sets a custom attribute.
    pub fn attribute(mut self, key: &str, value: pb::attribute_value::Kind) -> LeadBuilder {
        self.lead.attributes.insert(key.to_string(), pb::AttributeValue { kind: Some(value) });
        self
    }

    /// The lead.
    pub fn build(self) -> pb::Lead {
        self.lead
    }

    /// A `Qualify` request for the lead as of `as_of_ms`.
    pub fn qualify_request(self, as_of_ms: i64) -> pb::QualifyRequest {
        pb::QualifyRequest { lead: Some(self.lead), as_of: Some(ts(as_of_ms)) }
    }

    /// An `Explain` request for the lead as of `as_of_ms`.
    pub fn explain_request(self, as_of_ms: i64) -> pb::ExplainRequest {
        pb::ExplainRequest { lead: Some(self.lead), as_of: Some(ts(as_of_ms)) }
    }
}

impl From<LeadBuilder> for pb::Lead {
    fn from(builder: LeadBuilder) -> pb::Lead {
        builder.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_split_milliseconds_and_round_down() {
        assert_eq!(ts(1_500), Timestamp { seconds: 1, nanos: 500_000_000 });
        assert_eq!(ts(-1), Timestamp { seconds: -1, nanos: 999_000_000 });
        assert_eq!(ts(0), Timestamp { seconds: 0, nanos: 0 });
    }

    #[test]
    fn the_builder_fills_nested_messages() {
        let lead = lead("l-1")
            .email("a@b.com")
            .seniority(pb::Seniority::Director)
            .company_domain("b.com")
            .employees(40)
            .technology("hubspot")
            .event(event(pb::EventType::DemoRequest, AS_OF_MS))
            .event(custom_event("partner_referral", AS_OF_MS - 1))
            .attribute("tier", pb::attribute_value::Kind::StringValue("gold".into()))
            .build();
        let contact = lead.contact.expect("contact");
        assert_eq!(contact.email, "a@b.com");
        assert_eq!(contact.seniority, pb::Seniority::Director as i32);
        let company = lead.company.expect("company");
        assert_eq!(company.employee_count, Some(40));
        assert_eq!(company.technologies, vec!["hubspot"]);
        assert_eq!(lead.events[0].r#type, pb::EventType::DemoRequest as i32);
        assert_eq!(lead.events[1].r#type, pb::EventType::Custom as i32);
        assert_eq!(lead.events[1].custom_type, "partner_referral");
        assert!(lead.attributes.contains_key("tier"));
    }
}
