//! Deterministic, realistic leads for benchmarks and load tests.
//!
//! A fixed seed gives the same leads on every machine, so runs compare. The
//! mix follows the domain: most leads are top-of-funnel readers, some ask for
//! demos or pricing, some are in a trial, a few are disqualified (free-mail,
//! competitor, unsubscribed); 10 to 40 events each, spread over 120 days.

use std::collections::BTreeMap;

use hql_plugin_api::record::{
    AttributeValue, BantRecord, CompanyRecord, ContactRecord, EventRecord, LeadRecord, ProductUsageRecord,
};
use hql_plugin_api::{Authority, BudgetStatus, Need, Response, Seniority, Source};

/// The `as_of` the generated leads are built around (2026-11-23T08:00:00Z).
pub const AS_OF_MS: i64 = 1_795_420_800_000;
const DAY: i64 = 86_400_000;

/// A small deterministic PRNG (splitmix64): no dependency, same stream everywhere.
pub struct Rng(u64);

impl Rng {
    /// Seeds the generator.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..hi` (`hi > lo`).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo).max(1) as u64) as i64
    }
    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64) as usize]
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() % 10_000) as f64 / 10_000.0 < p
    }
}

const EVENT_TYPES: &[&str] = &[
    "blog_view",
    "blog_view",
    "blog_view",
    "website_visit",
    "email_open",
    "email_open",
    "email_click",
    "newsletter_signup",
    "ebook_download",
    "whitepaper_download",
    "webinar_registration",
    "webinar_attendance",
    "case_study_view",
    "product_page_view",
    "pricing_page_view",
    "demo_request",
    "contact_sales",
    "free_trial_signup",
    "email_reply",
    "inbound_question",
    "campaign_response",
    "keyword_research",
    "competitor_site_visit",
    "review_site_visit",
    "social_engagement",
];
const CHANNELS: &[&str] = &["email", "web", "social", "event", "phone", "paid_ads", "community", ""];
const INDUSTRIES: &[&str] =
    &["software", "saas", "fintech", "healthcare_technology", "retail", "manufacturing", "education"];
const REGIONS: &[&str] = &["NA", "EMEA", "APAC", "LATAM"];
const DEPARTMENTS: &[&str] = &["marketing", "sales", "it", "engineering", "finance", "operations"];
const TECH: &[&str] = &["salesforce", "hubspot", "segment", "snowflake", "slack", "marketo", "zendesk"];
const FEATURES: &[&str] = &["integrations", "api", "sso", "reporting", "automation", "dashboards", "export"];

/// One realistic lead number `i` from `rng`.
pub fn lead(rng: &mut Rng, i: usize) -> LeadRecord {
    let company = format!("company{}", rng.range(0, 5000));
    let domain = if rng.chance(0.06) { "gmail.com".to_string() } else { format!("{company}.com") };
    let n_events = rng.range(10, 41) as usize;
    let mut events = Vec::with_capacity(n_events);
    for _ in 0..n_events {
        let t = *rng.pick(EVENT_TYPES);
        let mut e = EventRecord::new(t, AS_OF_MS - rng.range(0, 120) * DAY - rng.range(0, DAY));
        e.channel = (*rng.pick(CHANNELS)).into();
        if matches!(t, "keyword_research" | "competitor_site_visit" | "review_site_visit") {
            e.source = Source::ThirdParty;
        }
        if t == "campaign_response" {
            e.response = if rng.chance(0.8) { Response::Positive } else { Response::Negative };
            e.campaign = format!("q{}-nurture", rng.range(1, 5));
        }
        if matches!(t, "webinar_attendance") {
            e.value = Some(rng.range(5, 60) as f64);
        }
        events.push(e);
    }
    if rng.chance(0.02) {
        events.push(EventRecord::new("unsubscribe", AS_OF_MS - rng.range(0, 30) * DAY));
    }
    let usage = rng.chance(0.3).then(|| ProductUsageRecord {
        signed_up_at: Some(AS_OF_MS - rng.range(3, 60) * DAY),
        trial_ends_at: Some(AS_OF_MS + rng.range(-5, 14) * DAY),
        activated: rng.chance(0.6),
        active_days_last_30: Some(rng.range(0, 31)),
        active_days_prev_30: Some(rng.range(0, 31)),
        seats: Some(rng.range(1, 25)),
        invited_teammates: Some(rng.range(0, 10)),
        plan_limit_hits: Some(rng.range(0, 6)),
        plan: (*rng.pick(&["trial", "free", "team"])).to_string(),
        features_adopted: (0..rng.range(0, 5)).map(|_| (*rng.pick(FEATURES)).to_string()).collect(),
    });
    let mut attributes = BTreeMap::new();
    attributes.insert(
        "lead_source".to_string(),
        AttributeValue::Text((*rng.pick(&["organic", "paid", "partner"])).to_string()),
    );
    attributes.insert("crm_score".to_string(), AttributeValue::Number(rng.range(0, 100) as f64));
    LeadRecord {
        lead_id: format!("bench-{i:06}"),
        contact: ContactRecord {
            email: format!("person{i}@{domain}"),
            job_title: (*rng.pick(&[
                "VP Marketing",
                "Head of Sales Ops",
                "Software Engineer",
                "CFO",
                "Marketing Manager",
                "Director of IT",
            ]))
            .to_string(),
            seniority: *rng.pick(&[
                Seniority::Entry,
                Seniority::Senior,
                Seniority::Manager,
                Seniority::Director,
                Seniority::Vp,
                Seniority::CLevel,
            ]),
            department: (*rng.pick(DEPARTMENTS)).to_string(),
            country: (*rng.pick(&["US", "DE", "GB", "FR", "BR", "JP"])).to_string(),
        },
        company: CompanyRecord {
            domain,
            name: company,
            industry: (*rng.pick(INDUSTRIES)).to_string(),
            employee_count: rng.chance(0.9).then(|| rng.range(5, 20_000)),
            annual_revenue: rng.chance(0.7).then(|| rng.range(1, 2_000) as f64 * 1_000_000.0),
            region: (*rng.pick(REGIONS)).to_string(),
            technologies: (0..rng.range(0, 5)).map(|_| (*rng.pick(TECH)).to_string()).collect(),
        },
        bant: BantRecord {
            budget_status: *rng.pick(&[
                BudgetStatus::Unknown,
                BudgetStatus::None,
                BudgetStatus::Estimated,
                BudgetStatus::Confirmed,
            ]),
            budget_amount: rng.chance(0.5).then(|| rng.range(5, 100) as f64 * 1000.0),
            authority: *rng.pick(&[
                Authority::Unknown,
                Authority::User,
                Authority::Influencer,
                Authority::DecisionMaker,
                Authority::EconomicBuyer,
            ]),
            need: *rng.pick(&[Need::Unknown, Need::Stated, Need::Confirmed]),
            timeline_days: rng.chance(0.5).then(|| rng.range(7, 365)),
        },
        events,
        usage,
        attributes,
    }
}

/// `n` leads from `seed`.
pub fn generate(seed: u64, n: usize) -> Vec<LeadRecord> {
    let mut rng = Rng::new(seed);
    (0..n).map(|i| lead(&mut rng, i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_realistic() {
        let a = generate(7, 50);
        assert_eq!(a, generate(7, 50));
        assert_ne!(a, generate(8, 50));
        assert!(a.iter().all(|l| (10..=41).contains(&l.events.len())));
        assert!(a.iter().all(|l| l.events.iter().all(|e| e.occurred_at <= AS_OF_MS)));
    }
}
