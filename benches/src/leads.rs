//! Deterministic, realistic leads for benchmarks and load tests.
//!
//! A fixed seed gives the same leads on every machine, so runs compare. The
//! mix follows the domain ([`Persona`]): most leads are top-of-funnel
//! readers, some evaluate, some ask for demos or pricing, some are in a
//! trial, a few have been nurtured for weeks and a few must never be worked
//! (free-mail, competitor, student, unsubscribed); 10 to 40 events each,
//! spread over up to 120 days.

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

/// Who a generated lead is, in funnel terms. The mix follows the domain
/// articles: most leads only read, fewer evaluate, fewer still ask for sales
/// or try the product, a few have been nurtured for weeks, some should never
/// be worked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persona {
    /// Top-of-funnel content only (blog, newsletter, e-mail opens, social).
    Reader,
    /// Mid-funnel: webinars, case studies, product pages, some pricing views.
    Evaluator,
    /// Asked for sales: demo, contact-sales, quote; BANT partly known.
    Buyer,
    /// Signed up for a trial or freemium plan and uses the product.
    TrialUser,
    /// Engaged over many weeks on several channels, replies, answers campaigns.
    Nurtured,
    /// Competitor, free-mail, student or unsubscribed: must not be worked.
    Excluded,
}

impl Persona {
    /// Picks a persona with the mix above: 45/20/12/10/5/8 %.
    fn pick(rng: &mut Rng) -> Persona {
        match rng.range(0, 100) {
            0..45 => Persona::Reader,
            45..65 => Persona::Evaluator,
            65..77 => Persona::Buyer,
            77..87 => Persona::TrialUser,
            87..92 => Persona::Nurtured,
            _ => Persona::Excluded,
        }
    }

    /// Event types this persona produces, most common first (repeats weigh).
    fn event_types(self) -> &'static [&'static str] {
        const TOP: &[&str] = &[
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
            "social_engagement",
            "ad_click",
        ];
        const MID: &[&str] = &[
            "blog_view",
            "website_visit",
            "email_open",
            "email_click",
            "webinar_registration",
            "webinar_attendance",
            "case_study_view",
            "product_page_view",
            "product_page_view",
            "whitepaper_download",
            "pricing_page_view",
            "keyword_research",
            "review_site_visit",
        ];
        const BUY: &[&str] = &[
            "website_visit",
            "product_page_view",
            "case_study_view",
            "pricing_page_view",
            "pricing_page_view",
            "demo_request",
            "contact_sales",
            "email_open",
            "email_reply",
            "sales_meeting",
            "quote_request",
            "competitor_site_visit",
        ];
        const TRIAL: &[&str] = &[
            "free_trial_signup",
            "website_visit",
            "product_page_view",
            "pricing_page_view",
            "email_open",
            "email_click",
            "blog_view",
            "inbound_question",
        ];
        const NURTURE: &[&str] = &[
            "email_open",
            "email_click",
            "email_reply",
            "campaign_response",
            "campaign_response",
            "webinar_attendance",
            "event_attendance",
            "inbound_question",
            "case_study_view",
            "pricing_page_view",
            "demo_request",
            "review_site_visit",
            "blog_view",
        ];
        match self {
            Persona::Reader | Persona::Excluded => TOP,
            Persona::Evaluator => MID,
            Persona::Buyer => BUY,
            Persona::TrialUser => TRIAL,
            Persona::Nurtured => NURTURE,
        }
    }

    /// Days back over which this persona's events spread.
    fn span_days(self) -> i64 {
        match self {
            Persona::Nurtured => 120,
            Persona::Buyer | Persona::TrialUser => 45,
            _ => 90,
        }
    }
}

const CHANNELS: &[&str] = &["email", "web", "social", "event", "phone", "paid_ads", "community", ""];
const INDUSTRIES: &[&str] = &[
    "software",
    "saas",
    "fintech",
    "healthcare_technology",
    "retail",
    "manufacturing",
    "education",
    "financial_services",
];
/// Sales regions and a country in each, weighted like a company selling in
/// North America and EMEA that still hears from the rest of the world.
const REGIONS: &[(&str, &str)] = &[
    ("NA", "US"),
    ("NA", "US"),
    ("NA", "US"),
    ("NA", "US"),
    ("NA", "CA"),
    ("EMEA", "DE"),
    ("EMEA", "GB"),
    ("EMEA", "GB"),
    ("EMEA", "FR"),
    ("APAC", "JP"),
    ("LATAM", "BR"),
];
const DEPARTMENTS: &[&str] = &["marketing", "sales", "it", "engineering", "finance", "operations"];
const TECH: &[&str] = &["salesforce", "hubspot", "segment", "snowflake", "slack", "marketo", "zendesk"];
const FEATURES: &[&str] = &["integrations", "api", "sso", "reporting", "automation", "dashboards", "export"];
const TITLES: &[(&str, Seniority)] = &[
    ("Marketing Specialist", Seniority::Entry),
    ("Software Engineer", Seniority::Senior),
    ("Marketing Manager", Seniority::Manager),
    ("Head of Sales Ops", Seniority::Director),
    ("Director of IT", Seniority::Director),
    ("VP Marketing", Seniority::Vp),
    ("VP Revenue Operations", Seniority::Vp),
    ("CFO", Seniority::CLevel),
];

/// One realistic lead number `i` from `rng`.
pub fn lead(rng: &mut Rng, i: usize) -> LeadRecord {
    persona_lead(rng, i).1
}

/// One realistic lead number `i` from `rng`, with the persona it was drawn as.
pub fn persona_lead(rng: &mut Rng, i: usize) -> (Persona, LeadRecord) {
    let persona = Persona::pick(rng);
    let company = format!("company{}", rng.range(0, 5000));
    let mut domain = format!("{company}.com");
    let (mut title, mut seniority) = *rng.pick(TITLES);
    let mut unsubscribed = false;
    if persona == Persona::Excluded {
        match rng.range(0, 4) {
            0 => domain = "gmail.com".to_string(),
            1 => domain = "rivalscore.com".to_string(),
            2 => (title, seniority) = ("Graduate Student", Seniority::Intern),
            _ => unsubscribed = true,
        }
    }

    let n_events = rng.range(10, 41) as usize;
    let kinds = persona.event_types();
    let span = persona.span_days();
    let mut events = Vec::with_capacity(n_events + 1);
    for _ in 0..n_events {
        let t = *rng.pick(kinds);
        let mut e = EventRecord::new(t, AS_OF_MS - rng.range(0, span) * DAY - rng.range(0, DAY));
        e.channel = (*rng.pick(CHANNELS)).into();
        if matches!(t, "keyword_research" | "competitor_site_visit" | "review_site_visit") {
            e.source = Source::ThirdParty;
        }
        if t == "campaign_response" {
            e.response = if rng.chance(0.85) { Response::Positive } else { Response::Negative };
            e.campaign = format!("q{}-nurture", rng.range(1, 5));
        }
        if t == "webinar_attendance" {
            e.value = Some(rng.range(5, 60) as f64);
        }
        events.push(e);
    }
    if unsubscribed {
        events.push(EventRecord::new("unsubscribe", AS_OF_MS - rng.range(0, 30) * DAY));
    }

    let usage = (persona == Persona::TrialUser || rng.chance(0.05)).then(|| ProductUsageRecord {
        signed_up_at: Some(AS_OF_MS - rng.range(3, 45) * DAY),
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

    // Sales learns BANT in conversations: mostly unknown before one.
    let bant_known = match persona {
        Persona::Buyer | Persona::Nurtured => 0.85,
        Persona::TrialUser | Persona::Evaluator => 0.3,
        Persona::Reader | Persona::Excluded => 0.05,
    };
    let bant = if rng.chance(bant_known) {
        BantRecord {
            budget_status: *rng.pick(&[
                BudgetStatus::Unknown,
                BudgetStatus::None,
                BudgetStatus::Estimated,
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
            timeline_days: rng.chance(0.6).then(|| rng.range(7, 365)),
        }
    } else {
        BantRecord::default()
    };

    let mut attributes = BTreeMap::new();
    attributes.insert(
        "lead_source".to_string(),
        AttributeValue::Text((*rng.pick(&["organic", "paid", "partner"])).to_string()),
    );
    attributes.insert("crm_score".to_string(), AttributeValue::Number(rng.range(0, 100) as f64));
    let (region, country) = *rng.pick(REGIONS);
    let lead = LeadRecord {
        lead_id: format!("bench-{i:06}"),
        contact: ContactRecord {
            email: format!("person{i}@{domain}"),
            job_title: title.to_string(),
            seniority,
            department: (*rng.pick(DEPARTMENTS)).to_string(),
            country: country.to_string(),
        },
        company: CompanyRecord {
            domain,
            name: company,
            industry: (*rng.pick(INDUSTRIES)).to_string(),
            employee_count: rng.chance(0.9).then(|| rng.range(5, 20_000)),
            annual_revenue: rng.chance(0.7).then(|| rng.range(1, 2_000) as f64 * 1_000_000.0),
            region: region.to_string(),
            technologies: (0..rng.range(0, 5)).map(|_| (*rng.pick(TECH)).to_string()).collect(),
        },
        bant,
        events,
        usage,
        attributes,
    };
    (persona, lead)
}

/// `n` leads from `seed`.
pub fn generate(seed: u64, n: usize) -> Vec<LeadRecord> {
    let mut rng = Rng::new(seed);
    (0..n).map(|i| lead(&mut rng, i)).collect()
}

/// `n` leads from `seed` as a CRM sends them: the leads of [`generate`]
/// (same personas, events and decisions) plus the attribution every real
/// lead record carries and no bundled scorer reads ([`attribute`]). About
/// 1.5 KB encoded each instead of about 0.75 KB: what a load run sends.
pub fn generate_attributed(seed: u64, n: usize) -> Vec<LeadRecord> {
    let mut leads = generate(seed, n);
    // A stream of its own, so the base leads stay those of `generate`.
    let mut rng = Rng::new(seed ^ 0x9e37_79b9_7f4a_7c15);
    for lead in &mut leads {
        attribute(&mut rng, lead);
    }
    leads
}

const PROGRAMS: &[&str] = &["webinar", "ebook", "nurture", "abm", "paid-social", "field-event", "newsletter"];
const TOPICS: &[&str] = &[
    "revenue-operations-benchmarks",
    "pipeline-forecasting-playbook",
    "data-quality-for-marketing-ops",
    "sales-and-marketing-alignment",
    "buyer-intent-signals-101",
    "customer-onboarding-at-scale",
];
const UTM_SOURCES: &[&str] = &["google", "linkedin", "newsletter", "g2", "partner-referral", "bing"];
const UTM_MEDIUMS: &[&str] = &["cpc", "email", "paid_social", "referral", "organic"];
const LIFECYCLE: &[&str] =
    &["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity"];

/// Adds what a CRM or marketing-automation export attaches to a lead and
/// its events: campaign names on marketing touches, UTM parameters, the
/// landing page, record and form ids, owner, lifecycle stage. Scores do not
/// change (no bundled scorer reads these), the bytes on the wire do: they
/// are decoded, validated and converted on every call like the rest.
pub fn attribute(rng: &mut Rng, lead: &mut LeadRecord) {
    let campaign =
        |rng: &mut Rng| format!("2026-q{}-{}-{}", rng.range(1, 5), rng.pick(PROGRAMS), rng.pick(TOPICS));
    for e in &mut lead.events {
        let marketing = matches!(
            e.event_type.as_ref(),
            "email_open"
                | "email_click"
                | "ebook_download"
                | "whitepaper_download"
                | "webinar_registration"
                | "webinar_attendance"
                | "event_attendance"
                | "ad_click"
                | "newsletter_signup"
                | "social_engagement"
        );
        // Half of the marketing touches come through a named campaign;
        // the rest are organic or untracked.
        if marketing && e.campaign.is_empty() && rng.chance(0.5) {
            e.campaign = campaign(rng);
        }
    }
    let text = |s: String| AttributeValue::Text(s);
    let hex = |rng: &mut Rng, n: usize| {
        let mut s = String::with_capacity(n);
        while s.len() < n {
            s.push_str(&format!("{:016x}", rng.next_u64()));
        }
        s.truncate(n);
        s
    };
    let first_campaign = campaign(rng);
    let a = &mut lead.attributes;
    a.insert("utm_source".into(), text((*rng.pick(UTM_SOURCES)).into()));
    a.insert("utm_medium".into(), text((*rng.pick(UTM_MEDIUMS)).into()));
    a.insert("utm_campaign".into(), text(first_campaign));
    a.insert(
        "landing_page".into(),
        text(format!(
            "https://www.example.com/resources/{}?utm_content=v{}&gclid={}",
            rng.pick(TOPICS),
            rng.range(1, 9),
            hex(rng, 24)
        )),
    );
    a.insert("crm_record_id".into(), text(format!("00Q{}", hex(rng, 15).to_uppercase())));
    let form = hex(rng, 32);
    a.insert(
        "form_id".into(),
        text(format!("{}-{}-{}-{}-{}", &form[..8], &form[8..12], &form[12..16], &form[16..20], &form[20..])),
    );
    a.insert("owner_email".into(), text(format!("rep{}@sales.example.com", rng.range(1, 40))));
    a.insert("lifecycle_stage".into(), text((*rng.pick(LIFECYCLE)).into()));
    a.insert("page_views_total".into(), AttributeValue::Number(rng.range(1, 400) as f64));
    a.insert("email_opt_in".into(), AttributeValue::Bool(rng.chance(0.8)));
}

/// `n` leads from `seed` with their personas (the same leads as [`generate`]).
pub fn generate_with_personas(seed: u64, n: usize) -> Vec<(Persona, LeadRecord)> {
    let mut rng = Rng::new(seed);
    (0..n).map(|i| persona_lead(&mut rng, i)).collect()
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
        let with: Vec<LeadRecord> = generate_with_personas(7, 50).into_iter().map(|(_, l)| l).collect();
        assert_eq!(a, with);
    }

    #[test]
    fn attribution_keeps_the_base_leads_and_adds_to_them() {
        let base = generate(7, 50);
        let attributed = generate_attributed(7, 50);
        assert_eq!(attributed, generate_attributed(7, 50));
        for (b, a) in base.iter().zip(&attributed) {
            assert_eq!(
                (&b.contact, &b.company, &b.bant, &b.usage),
                (&a.contact, &a.company, &a.bant, &a.usage)
            );
            assert_eq!(b.events.len(), a.events.len());
            assert!(b.events.iter().zip(&a.events).all(|(x, y)| x.event_type == y.event_type
                && x.occurred_at == y.occurred_at
                && (x.campaign == y.campaign || x.campaign.is_empty())));
            assert!(a.attributes.len() >= b.attributes.len() + 10);
        }
    }

    #[test]
    fn the_persona_mix_follows_the_funnel() {
        let leads = generate_with_personas(42, 10_000);
        let share = |p: Persona| leads.iter().filter(|(q, _)| *q == p).count() as f64 / 100.0;
        assert!((40.0..50.0).contains(&share(Persona::Reader)), "readers {}", share(Persona::Reader));
        assert!((3.0..7.0).contains(&share(Persona::Nurtured)), "nurtured {}", share(Persona::Nurtured));
        assert!(share(Persona::Reader) > share(Persona::Evaluator));
        assert!(share(Persona::Evaluator) > share(Persona::Buyer));
        // Readers never ask for sales.
        let asked = |l: &LeadRecord| {
            l.events
                .iter()
                .any(|e| matches!(e.event_type.as_ref(), "demo_request" | "contact_sales" | "quote_request"))
        };
        assert!(leads.iter().filter(|(p, _)| *p == Persona::Reader).all(|(_, l)| !asked(l)));
    }
}
