//! The built-in edge-case leads every plugin is scored on.
//!
//! Each lead is one `hqld` could really hand a plugin: it passes the server's
//! request rules (a non-empty lead id of at most 256 bytes, text fields of at
//! most 256 bytes and attribute texts of at most 1024, lists of at most 256
//! items, counts and amounts finite and not negative, active days 0 to 30,
//! times between 1970 and 9999, at most 10,000 events, custom event types in
//! `[a-z0-9_]{1,64}`) and is normalised the way the server normalises
//! (trimmed; e-mail, domain, industry, department and list items lower-case;
//! region and country upper-case). A plugin only has to cope with what the
//! server lets through, so anything beyond that would be noise.
//!
//! Within those rules the leads go to the edges: nothing at all, everything
//! at its largest, every event type, events after `as_of`, every script and
//! direction of text, the extremes of every number. None of them is tailored
//! to a particular plugin: a plugin either copes with all of them or is not
//! ready for real traffic, where all of them occur.

use std::borrow::Cow;
use std::collections::BTreeMap;

use hql_plugin_api::record::{
    AttributeValue, BantRecord, CompanyRecord, ContactRecord, EventRecord, LeadRecord, MS_PER_DAY,
    ProductUsageRecord,
};
use hql_plugin_api::{Authority, BudgetStatus, Need, Response, Seniority, Source};

/// The `as_of` of most leads: 2023-11-14T22:13:20Z.
pub const AS_OF_MS: i64 = 1_700_000_000_000;
/// The latest time the server accepts: 9999-12-31T23:59:59.999Z.
pub const MAX_TIME_MS: i64 = 253_402_300_799_999;
/// Most events the server accepts in one lead (its default limit).
pub const MAX_EVENTS: usize = 10_000;
/// Most bytes of an ordinary text field and of a lead id.
const MAX_TEXT: usize = 256;
/// Most bytes of a custom attribute's text.
const MAX_ATTRIBUTE_TEXT: usize = 1024;
/// Most bytes of a custom attribute key.
const MAX_ATTRIBUTE_KEY: usize = 128;
/// Most bytes of a custom event type.
const MAX_CUSTOM_TYPE: usize = 64;
/// Most items of a list (technologies, features, attributes).
const MAX_ITEMS: usize = 256;

/// Every built-in event type, by the name scorers see.
pub const EVENT_TYPES: &[&str] = &[
    "blog_view",
    "newsletter_signup",
    "ebook_download",
    "whitepaper_download",
    "webinar_registration",
    "webinar_attendance",
    "social_engagement",
    "ad_click",
    "website_visit",
    "form_submission",
    "case_study_view",
    "product_page_view",
    "email_open",
    "email_click",
    "event_attendance",
    "pricing_page_view",
    "demo_request",
    "contact_sales",
    "free_trial_signup",
    "quote_request",
    "sales_meeting",
    "email_reply",
    "inbound_question",
    "campaign_response",
    "keyword_research",
    "competitor_site_visit",
    "review_site_visit",
    "unsubscribe",
    "hard_bounce",
    "spam_complaint",
];

/// Every channel name, and "not said".
const CHANNELS: &[&str] = &[
    "",
    "email",
    "web",
    "social",
    "phone",
    "event",
    "chat",
    "paid_ads",
    "partner",
    "direct_mail",
    "product",
    "community",
    "referral",
];

const SOURCES: &[Source] = &[Source::Unknown, Source::FirstParty, Source::ThirdParty];
const RESPONSES: &[Response] =
    &[Response::Unknown, Response::Positive, Response::Neutral, Response::Negative];

/// One edge case: a lead, the time it is scored at, and what it probes.
#[derive(Clone, Debug)]
pub struct EdgeLead {
    /// Short name used in the report (also the start of its lead id).
    pub name: &'static str,
    /// What it probes, for people.
    pub probes: &'static str,
    /// The lead, as the server would hold it.
    pub record: LeadRecord,
    /// "Now" for this lead.
    pub as_of_ms: i64,
}

impl EdgeLead {
    /// Indexes of the events the plugin sees (at or before `as_of`), which
    /// are the only ones its reasons may cite.
    pub fn visible_events(&self) -> Vec<u32> {
        self.record
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.occurred_at <= self.as_of_ms)
            .filter_map(|(i, _)| u32::try_from(i).ok())
            .collect()
    }

    /// How many events the host withholds because they are after `as_of`.
    pub fn hidden_events(&self) -> usize {
        self.record.events.iter().filter(|e| e.occurred_at > self.as_of_ms).count()
    }

    /// The same lead without its events after `as_of`: a plugin must decide
    /// it exactly as it decides the lead itself, since it cannot see them.
    pub fn without_future(&self) -> LeadRecord {
        let mut record = self.record.clone();
        record.events.retain(|e| e.occurred_at <= self.as_of_ms);
        record
    }
}

/// The built-in edge cases, in report order.
pub fn edge_cases() -> Vec<EdgeLead> {
    vec![
        empty(),
        missing_fields(),
        every_event_type(),
        huge(),
        future_events(),
        unicode(),
        max_lengths(),
        extreme_large(),
        extreme_zero(),
        extreme_small(),
        custom_attributes(),
        strong(),
        negative(),
        duplicates(),
        reverse_order(),
        trial_expired(),
    ]
}

fn lead(name: &'static str, probes: &'static str, record: LeadRecord) -> EdgeLead {
    EdgeLead { name, probes, record, as_of_ms: AS_OF_MS }
}

fn days_ago(days: i64) -> i64 {
    AS_OF_MS - days * MS_PER_DAY
}

fn event(event_type: &str, occurred_at: i64) -> EventRecord {
    EventRecord::new(Cow::Owned(event_type.to_string()), occurred_at)
}

/// `text` repeated, then padded with `pad`, to exactly `bytes` bytes.
fn fill(text: &str, pad: char, bytes: usize) -> String {
    let mut out = String::with_capacity(bytes);
    while out.len() + text.len() <= bytes && !text.is_empty() {
        out.push_str(text);
    }
    while out.len() + pad.len_utf8() <= bytes {
        out.push(pad);
    }
    out
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

fn attributes(items: Vec<(&str, AttributeValue)>) -> BTreeMap<String, AttributeValue> {
    items.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Nothing but the lead id the server requires.
fn empty() -> EdgeLead {
    lead("empty", "nothing but a lead id", LeadRecord { lead_id: "empty".into(), ..LeadRecord::default() })
}

/// Sections present with most of their fields missing.
fn missing_fields() -> EdgeLead {
    let mut e = event("website_visit", days_ago(3));
    e.source = Source::Unknown;
    lead(
        "missing-fields",
        "sections present but half empty: e-mail without '@', budget confirmed without an amount, \
         usage present with nothing known",
        LeadRecord {
            lead_id: "missing-fields".into(),
            contact: ContactRecord { email: "no-at-sign".into(), ..ContactRecord::default() },
            company: CompanyRecord { name: "Nameless Inc".into(), ..CompanyRecord::default() },
            bant: BantRecord { budget_status: BudgetStatus::Confirmed, ..BantRecord::default() },
            events: vec![e],
            usage: Some(ProductUsageRecord::default()),
            attributes: BTreeMap::new(),
        },
    )
}

/// One event of every built-in type and two custom types, with every
/// channel, source and response.
fn every_event_type() -> EdgeLead {
    let mut events: Vec<EventRecord> = EVENT_TYPES
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut e = event(t, days_ago(i as i64 % 60));
            e.channel = Cow::Borrowed(CHANNELS[i % CHANNELS.len()]);
            e.source = SOURCES[i % SOURCES.len()];
            e.response = RESPONSES[i % RESPONSES.len()];
            e.campaign = if i % 2 == 0 { format!("campaign {i}") } else { String::new() };
            e.value = (i % 3 == 0).then_some(i as f64);
            e
        })
        .collect();
    events.push(event("custom_signal", days_ago(1)));
    events.push(event(&fill("x", 'x', MAX_CUSTOM_TYPE), days_ago(2)));
    lead(
        "every-event-type",
        "one event of each of the 30 built-in types and two custom ones",
        LeadRecord { lead_id: "every-event-type".into(), events, ..LeadRecord::default() },
    )
}

/// As big as the server lets a lead be.
fn huge() -> EdgeLead {
    let span = 730 * MS_PER_DAY;
    let n = MAX_EVENTS as i64;
    let events = (0..MAX_EVENTS)
        .map(|i| {
            let mut e = event(EVENT_TYPES[i % EVENT_TYPES.len()], AS_OF_MS - span + span * i as i64 / n);
            e.channel = Cow::Borrowed(CHANNELS[i % CHANNELS.len()]);
            e.source = SOURCES[i % SOURCES.len()];
            e.response = RESPONSES[(i / 7) % RESPONSES.len()];
            e.value = (i % 5 == 0).then_some((i % 120) as f64);
            if i % 11 == 0 {
                e.campaign = format!("campaign-{}", i % 40);
            }
            e
        })
        .collect();
    let attributes = (0..MAX_ITEMS)
        .map(|i| {
            let value = match i % 3 {
                0 => AttributeValue::Number(i as f64),
                1 => AttributeValue::Bool(i % 2 == 0),
                _ => AttributeValue::Text(format!("value {i}")),
            };
            (format!("attr_{i:03}"), value)
        })
        .collect();
    lead(
        "huge",
        "10,000 events over two years, 256 technologies, features and attributes",
        LeadRecord {
            lead_id: "huge".into(),
            contact: ContactRecord {
                email: "big@bigcorp.example".into(),
                seniority: Seniority::Director,
                ..ContactRecord::default()
            },
            company: CompanyRecord {
                domain: "bigcorp.example".into(),
                employee_count: Some(50_000),
                technologies: (0..MAX_ITEMS).map(|i| format!("tech{i}")).collect(),
                ..CompanyRecord::default()
            },
            events,
            usage: Some(ProductUsageRecord {
                features_adopted: (0..MAX_ITEMS).map(|i| format!("feature{i}")).collect(),
                active_days_last_30: Some(30),
                ..ProductUsageRecord::default()
            }),
            attributes,
            ..LeadRecord::default()
        },
    )
}

/// Events after `as_of`, interleaved with visible ones: the host hides them,
/// and nothing the plugin says may depend on them.
fn future_events() -> EdgeLead {
    let events = vec![
        event("website_visit", days_ago(10)),
        event("demo_request", AS_OF_MS + 1),
        event("pricing_page_view", days_ago(1)),
        event("spam_complaint", AS_OF_MS + MS_PER_DAY),
        event("email_reply", AS_OF_MS),
        event("unsubscribe", MAX_TIME_MS),
        event("contact_sales", AS_OF_MS + 30 * MS_PER_DAY),
        event("blog_view", days_ago(100)),
        event("hard_bounce", AS_OF_MS + 2 * MS_PER_DAY),
        event("quote_request", AS_OF_MS + 5 * MS_PER_DAY),
    ];
    lead(
        "future-events",
        "six events after as_of (hidden by the host) interleaved with four visible ones, one exactly at as_of",
        LeadRecord {
            lead_id: "future-events".into(),
            contact: ContactRecord { email: "later@future.example".into(), ..ContactRecord::default() },
            events,
            ..LeadRecord::default()
        },
    )
}

/// Every script and direction, emoji with joiners, combining marks, an RTL
/// override, a zero-width space and a NUL inside text.
fn unicode() -> EdgeLead {
    let mut events = vec![
        event("webinar_attendance", days_ago(2)),
        event("demo_request", days_ago(1)),
        event("campaign_response", days_ago(4)),
    ];
    events[0].campaign = "Black Friday 🛍️ — حملة الجمعة".into();
    events[1].campaign = "デモ 👩🏽‍💻 \u{202e}edirrevo".into();
    events[2].campaign = "שלום עולם".into();
    events[2].response = Response::Positive;
    lead(
        "unicode",
        "Arabic, Hebrew (right-to-left), Japanese, Cyrillic, Greek, emoji with joiners, combining marks, \
         an RTL override, a zero-width space and a NUL in every text field",
        LeadRecord {
            lead_id: "unicode-🚀-שלום-مرحبا".into(),
            contact: ContactRecord {
                email: "زبون@مثال.مصر".into(),
                job_title: "Directrice générale 👩‍💼 — المدير التنفيذي".into(),
                seniority: Seniority::CLevel,
                department: "مبيعات".into(),
                country: "ΕΛ".into(),
            },
            company: CompanyRecord {
                domain: "bücher.例え.jp".into(),
                name: "株式会社テスト \u{202e}lanoitanretni\u{202c}".into(),
                industry: "ソフトウェア".into(),
                employee_count: Some(120),
                annual_revenue: Some(1.5e7),
                region: "ЕМЕА".into(),
                technologies: strings(&["🦀rust", "הדרכה", "e\u{301}clair", "zero\u{200b}width"]),
            },
            bant: BantRecord {
                budget_status: BudgetStatus::Estimated,
                budget_amount: Some(30_000.0),
                authority: Authority::DecisionMaker,
                need: Need::Stated,
                timeline_days: Some(45),
            },
            events,
            usage: Some(ProductUsageRecord {
                plan: "プロ 🚀".into(),
                features_adopted: strings(&["📊 dashboards", "تقارير", "𝔲𝔫𝔦𝔠𝔬𝔡𝔢"]),
                active_days_last_30: Some(12),
                ..ProductUsageRecord::default()
            }),
            attributes: attributes(vec![
                ("🏷️", AttributeValue::Text("👨‍👩‍👧‍👦 family".into())),
                ("مستوى", AttributeValue::Text("ذهبي".into())),
                ("ключ", AttributeValue::Number(7.0)),
                ("nul", AttributeValue::Text("before\u{0}after".into())),
                ("rtl", AttributeValue::Bool(true)),
            ]),
        },
    )
}

/// Every text field, list and key at the largest size the server accepts.
fn max_lengths() -> EdgeLead {
    let text = |pattern: &str| fill(pattern, 'x', MAX_TEXT);
    let events = (0..20)
        .map(|i| {
            let mut e = event(&fill("custom", 'z', MAX_CUSTOM_TYPE), days_ago(i));
            if i % 2 == 0 {
                e = event(EVENT_TYPES[i as usize % EVENT_TYPES.len()], days_ago(i));
            }
            e.campaign = text("Größe ");
            e
        })
        .collect();
    let attributes = (0..MAX_ITEMS)
        .map(|i| {
            let key = format!("{i:03}{}", fill("k", 'k', MAX_ATTRIBUTE_KEY - 3));
            (key, AttributeValue::Text(fill("ÿ", 'y', MAX_ATTRIBUTE_TEXT)))
        })
        .collect();
    lead(
        "max-lengths",
        "every text at its 256-byte limit (multi-byte characters), 256-item lists, 128-byte attribute \
         keys with 1024-byte values",
        LeadRecord {
            lead_id: fill("max-lengths-", 'x', MAX_TEXT),
            contact: ContactRecord {
                email: format!("{}@example.com", "a".repeat(MAX_TEXT - "@example.com".len())),
                job_title: text("Vice President of Everything "),
                seniority: Seniority::Vp,
                department: text("département "),
                country: fill("ÜK", 'X', MAX_TEXT),
            },
            company: CompanyRecord {
                domain: format!("{}.com", fill("sub-", 'x', MAX_TEXT - 4)),
                name: text("Ünïcödé Größe "),
                industry: text("software_"),
                employee_count: Some(1000),
                annual_revenue: Some(1e8),
                region: fill("EMEA", 'X', MAX_TEXT),
                technologies: (0..MAX_ITEMS)
                    .map(|i| format!("{i:03}{}", fill("é", 'e', MAX_TEXT - 3)))
                    .collect(),
            },
            bant: BantRecord::default(),
            events,
            usage: Some(ProductUsageRecord {
                plan: text("enterprise "),
                features_adopted: (0..MAX_ITEMS)
                    .map(|i| format!("{i:03}{}", fill("f", 'f', MAX_TEXT - 3)))
                    .collect(),
                ..ProductUsageRecord::default()
            }),
            attributes,
        },
    )
}

/// The largest value of every number, scored at the last instant the server
/// accepts.
fn extreme_large() -> EdgeLead {
    let mut first = event("demo_request", 0);
    first.value = Some(f64::MAX);
    let mut last = event("pricing_page_view", MAX_TIME_MS);
    last.value = Some(f64::MAX);
    let mut near_end = event("contact_sales", MAX_TIME_MS - 1);
    near_end.value = Some(1e300);
    EdgeLead {
        name: "extreme-large",
        probes: "i64::MAX employees, f64::MAX revenue, budget and event values, i32::MAX days, seats and \
                 teammates, events at 1970 and at 9999-12-31, scored at 9999-12-31",
        as_of_ms: MAX_TIME_MS,
        record: LeadRecord {
            lead_id: "extreme-large".into(),
            contact: ContactRecord {
                email: "max@max.example".into(),
                seniority: Seniority::Owner,
                ..ContactRecord::default()
            },
            company: CompanyRecord {
                domain: "max.example".into(),
                employee_count: Some(i64::MAX),
                annual_revenue: Some(f64::MAX),
                ..CompanyRecord::default()
            },
            bant: BantRecord {
                budget_status: BudgetStatus::Confirmed,
                budget_amount: Some(f64::MAX),
                authority: Authority::EconomicBuyer,
                need: Need::Confirmed,
                timeline_days: Some(i64::from(i32::MAX)),
            },
            events: vec![first, near_end, last],
            usage: Some(ProductUsageRecord {
                signed_up_at: Some(0),
                trial_ends_at: Some(MAX_TIME_MS),
                activated: true,
                active_days_last_30: Some(30),
                active_days_prev_30: Some(30),
                seats: Some(i64::from(i32::MAX)),
                invited_teammates: Some(i64::from(i32::MAX)),
                plan_limit_hits: Some(i64::from(i32::MAX)),
                plan: "enterprise".into(),
                features_adopted: strings(&["sso", "api"]),
            }),
            attributes: attributes(vec![
                ("big", AttributeValue::Number(f64::MAX)),
                ("negative_big", AttributeValue::Number(-f64::MAX)),
                ("beyond_i53", AttributeValue::Number(9_007_199_254_740_993.0)),
            ]),
        },
    }
}

/// Zero everywhere, scored at the Unix epoch.
fn extreme_zero() -> EdgeLead {
    let mut e = event("demo_request", 0);
    e.value = Some(0.0);
    EdgeLead {
        name: "extreme-zero",
        probes: "every count and amount 0, every time the Unix epoch, scored at the epoch (as_of = 0)",
        as_of_ms: 0,
        record: LeadRecord {
            lead_id: "extreme-zero".into(),
            company: CompanyRecord {
                employee_count: Some(0),
                annual_revenue: Some(0.0),
                ..CompanyRecord::default()
            },
            bant: BantRecord {
                budget_status: BudgetStatus::Confirmed,
                budget_amount: Some(0.0),
                timeline_days: Some(0),
                ..BantRecord::default()
            },
            events: vec![e, event("email_open", 0)],
            usage: Some(ProductUsageRecord {
                signed_up_at: Some(0),
                trial_ends_at: Some(0),
                active_days_last_30: Some(0),
                active_days_prev_30: Some(0),
                seats: Some(0),
                invited_teammates: Some(0),
                plan_limit_hits: Some(0),
                ..ProductUsageRecord::default()
            }),
            attributes: attributes(vec![
                ("zero", AttributeValue::Number(0.0)),
                ("negative_zero", AttributeValue::Number(-0.0)),
                ("empty_text", AttributeValue::Text(String::new())),
            ]),
            ..LeadRecord::default()
        },
    }
}

/// The smallest positive numbers (subnormals) and negative attribute values.
fn extreme_small() -> EdgeLead {
    let mut e = event("webinar_attendance", days_ago(1));
    e.value = Some(5e-324);
    lead(
        "extreme-small",
        "subnormal amounts (5e-324), the smallest normal revenue, negative attribute numbers",
        LeadRecord {
            lead_id: "extreme-small".into(),
            company: CompanyRecord {
                employee_count: Some(1),
                annual_revenue: Some(f64::MIN_POSITIVE),
                ..CompanyRecord::default()
            },
            bant: BantRecord {
                budget_status: BudgetStatus::Estimated,
                budget_amount: Some(5e-324),
                timeline_days: Some(1),
                ..BantRecord::default()
            },
            events: vec![e],
            attributes: attributes(vec![
                ("tiny", AttributeValue::Number(5e-324)),
                ("negative_tiny", AttributeValue::Number(-5e-324)),
                ("negative", AttributeValue::Number(-42.5)),
            ]),
            ..LeadRecord::default()
        },
    )
}

/// Custom attributes of every kind, including keys that look like built-in
/// fields.
fn custom_attributes() -> EdgeLead {
    lead(
        "custom-attributes",
        "numbers, flags and texts as custom attributes, including empty text and keys named like \
         built-in fields",
        LeadRecord {
            lead_id: "custom-attributes".into(),
            events: vec![event("form_submission", days_ago(5))],
            attributes: attributes(vec![
                ("tier", AttributeValue::Text("gold".into())),
                ("segment", AttributeValue::Text(String::new())),
                ("is_customer", AttributeValue::Bool(true)),
                ("churned", AttributeValue::Bool(false)),
                ("nps", AttributeValue::Number(-100.0)),
                ("arr", AttributeValue::Number(123_456.789)),
                ("score", AttributeValue::Number(1e9)),
                ("lead_id", AttributeValue::Text("not the lead id".into())),
                ("bant.need", AttributeValue::Text("confirmed".into())),
                ("Mixed Case Key", AttributeValue::Text("kept as sent".into())),
            ]),
            ..LeadRecord::default()
        },
    )
}

/// A textbook hot lead: every positive signal.
fn strong() -> EdgeLead {
    let types = ["pricing_page_view", "demo_request", "contact_sales", "sales_meeting", "email_reply"];
    let mut events: Vec<EventRecord> =
        types.iter().enumerate().map(|(i, t)| event(t, days_ago(i as i64 + 1))).collect();
    for e in &mut events {
        e.response = Response::Positive;
        e.channel = Cow::Borrowed("web");
    }
    lead(
        "strong",
        "every positive signal: C-level economic buyer, confirmed budget and need, demo and pricing, \
         an active trial",
        LeadRecord {
            lead_id: "strong".into(),
            contact: ContactRecord {
                email: "ceo@acme.example".into(),
                job_title: "Chief Executive Officer".into(),
                seniority: Seniority::CLevel,
                department: "executive".into(),
                country: "US".into(),
            },
            company: CompanyRecord {
                domain: "acme.example".into(),
                name: "Acme".into(),
                industry: "software".into(),
                employee_count: Some(800),
                annual_revenue: Some(2e8),
                region: "NA".into(),
                technologies: strings(&["salesforce", "hubspot", "slack"]),
            },
            bant: BantRecord {
                budget_status: BudgetStatus::Confirmed,
                budget_amount: Some(250_000.0),
                authority: Authority::EconomicBuyer,
                need: Need::Confirmed,
                timeline_days: Some(30),
            },
            events,
            usage: Some(ProductUsageRecord {
                signed_up_at: Some(days_ago(10)),
                trial_ends_at: Some(AS_OF_MS + 4 * MS_PER_DAY),
                activated: true,
                active_days_last_30: Some(9),
                active_days_prev_30: Some(0),
                seats: Some(12),
                invited_teammates: Some(11),
                plan_limit_hits: Some(3),
                plan: "trial".into(),
                features_adopted: strings(&["sso", "api", "reporting"]),
            }),
            attributes: BTreeMap::new(),
        },
    )
}

/// Every negative signal.
fn negative() -> EdgeLead {
    let types = ["spam_complaint", "unsubscribe", "hard_bounce", "campaign_response", "email_open"];
    let mut events: Vec<EventRecord> =
        types.iter().enumerate().map(|(i, t)| event(t, days_ago(i as i64 * 3))).collect();
    for e in &mut events {
        e.response = Response::Negative;
        e.channel = Cow::Borrowed("email");
    }
    lead(
        "negative",
        "every negative signal: spam complaint, unsubscribe, hard bounce, negative responses, no budget, \
         no need, an intern at a free-mail address",
        LeadRecord {
            lead_id: "negative".into(),
            contact: ContactRecord {
                email: "student@gmail.com".into(),
                job_title: "Intern".into(),
                seniority: Seniority::Intern,
                ..ContactRecord::default()
            },
            company: CompanyRecord { domain: "gmail.com".into(), ..CompanyRecord::default() },
            bant: BantRecord {
                budget_status: BudgetStatus::None,
                budget_amount: Some(0.0),
                authority: Authority::User,
                need: Need::None,
                timeline_days: Some(3650),
            },
            events,
            ..LeadRecord::default()
        },
    )
}

/// The same event many times at the same instant, and repeated list items.
fn duplicates() -> EdgeLead {
    let at = days_ago(2);
    lead(
        "duplicates",
        "the same demo request 500 times at the same millisecond, repeated technologies and features",
        LeadRecord {
            lead_id: "duplicates".into(),
            company: CompanyRecord {
                technologies: strings(&["salesforce", "salesforce", "salesforce"]),
                ..CompanyRecord::default()
            },
            events: (0..500).map(|_| event("demo_request", at)).collect(),
            usage: Some(ProductUsageRecord {
                features_adopted: strings(&["api", "api"]),
                ..ProductUsageRecord::default()
            }),
            ..LeadRecord::default()
        },
    )
}

/// Events newest first, as some CRMs export them.
fn reverse_order() -> EdgeLead {
    let events = (0..60).map(|i| event(EVENT_TYPES[i % EVENT_TYPES.len()], days_ago(i as i64 * 2))).collect();
    lead(
        "reverse-order",
        "60 events newest first (request order is not time order), the first exactly at as_of",
        LeadRecord { lead_id: "reverse-order".into(), events, ..LeadRecord::default() },
    )
}

/// Product usage that does not add up: a trial that ended before sign-up,
/// activity falling, limits hit without seats.
fn trial_expired() -> EdgeLead {
    lead(
        "trial-expired",
        "a trial that ended a year ago and before the sign-up date, falling activity, limits hit with \
         no seats",
        LeadRecord {
            lead_id: "trial-expired".into(),
            events: vec![event("free_trial_signup", days_ago(400))],
            usage: Some(ProductUsageRecord {
                signed_up_at: Some(days_ago(300)),
                trial_ends_at: Some(days_ago(365)),
                activated: false,
                active_days_last_30: Some(0),
                active_days_prev_30: Some(30),
                seats: Some(0),
                invited_teammates: Some(0),
                plan_limit_hits: Some(1000),
                plan: "free".into(),
                features_adopted: Vec::new(),
            }),
            ..LeadRecord::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The leads stay inside what the server accepts; otherwise a plugin
    /// could fail on input it never receives.
    #[test]
    fn every_lead_is_one_the_server_accepts() {
        for lead in edge_cases() {
            let r = &lead.record;
            let name = lead.name;
            assert!(!r.lead_id.trim().is_empty() && r.lead_id.len() <= MAX_TEXT, "{name}: lead id");
            assert!(r.events.len() <= MAX_EVENTS, "{name}: events");
            assert!((0..=MAX_TIME_MS).contains(&lead.as_of_ms), "{name}: as_of");
            let texts = [
                &r.contact.email,
                &r.contact.job_title,
                &r.contact.department,
                &r.contact.country,
                &r.company.domain,
                &r.company.name,
                &r.company.industry,
                &r.company.region,
            ];
            for t in texts {
                assert!(t.len() <= MAX_TEXT, "{name}: {t}");
                assert_eq!(t.trim(), t.as_str(), "{name}: untrimmed {t:?}");
            }
            for t in [&r.contact.email, &r.company.domain, &r.company.industry, &r.contact.department] {
                assert_eq!(&t.to_lowercase(), t, "{name}: not lower-case");
            }
            for t in [&r.contact.country, &r.company.region] {
                assert_eq!(&t.to_uppercase(), t, "{name}: not upper-case");
            }
            let technologies = &r.company.technologies;
            assert!(technologies.len() <= MAX_ITEMS);
            assert!(
                technologies.iter().all(|t| !t.is_empty() && t.len() <= MAX_TEXT && t.to_lowercase() == *t)
            );
            for n in [r.company.employee_count, r.bant.timeline_days].into_iter().flatten() {
                assert!(n >= 0, "{name}: negative count");
            }
            for x in [r.company.annual_revenue, r.bant.budget_amount].into_iter().flatten() {
                assert!(x.is_finite() && x >= 0.0, "{name}: amount {x}");
            }
            for e in &r.events {
                assert!((0..=MAX_TIME_MS).contains(&e.occurred_at), "{name}: event time");
                let t = e.event_type.as_ref();
                assert!(!t.is_empty() && t.len() <= MAX_CUSTOM_TYPE, "{name}: type {t}");
                assert!(t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
                assert!(e.campaign.len() <= MAX_TEXT);
                assert!(e.value.is_none_or(|v| v.is_finite() && v >= 0.0), "{name}: value");
            }
            if let Some(u) = &r.usage {
                for d in [u.active_days_last_30, u.active_days_prev_30].into_iter().flatten() {
                    assert!((0..=30).contains(&d), "{name}: active days");
                }
                for n in [u.seats, u.invited_teammates, u.plan_limit_hits].into_iter().flatten() {
                    assert!((0..=i64::from(i32::MAX)).contains(&n), "{name}: usage count");
                }
                assert!(u.features_adopted.len() <= MAX_ITEMS);
                assert!(u.features_adopted.iter().all(|f| !f.is_empty() && f.to_lowercase() == *f));
                assert!(u.plan.len() <= MAX_TEXT);
            }
            assert!(r.attributes.len() <= MAX_ITEMS);
            for (k, v) in &r.attributes {
                assert!(!k.is_empty() && k.len() <= MAX_ATTRIBUTE_KEY, "{name}: key {k}");
                match v {
                    AttributeValue::Number(n) => assert!(n.is_finite()),
                    AttributeValue::Text(t) => assert!(t.len() <= MAX_ATTRIBUTE_TEXT),
                    AttributeValue::Bool(_) => {}
                }
            }
        }
    }

    #[test]
    fn names_are_unique_and_the_set_covers_what_it_promises() {
        let leads = edge_cases();
        let mut names: Vec<&str> = leads.iter().map(|l| l.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), leads.len());

        let huge = leads.iter().find(|l| l.name == "huge").expect("huge");
        assert_eq!(huge.record.events.len(), MAX_EVENTS);

        let all_types: Vec<&str> = leads
            .iter()
            .find(|l| l.name == "every-event-type")
            .expect("every-event-type")
            .record
            .events
            .iter()
            .map(|e| e.event_type.as_ref())
            .collect();
        assert!(EVENT_TYPES.iter().all(|t| all_types.contains(t)));

        let future = leads.iter().find(|l| l.name == "future-events").expect("future-events");
        assert_eq!(future.hidden_events(), 6);
        assert_eq!(future.visible_events(), vec![0, 2, 4, 7]);
        assert_eq!(future.without_future().events.len(), 4);

        let max = leads.iter().find(|l| l.name == "max-lengths").expect("max-lengths");
        assert_eq!(max.record.lead_id.len(), MAX_TEXT);
        assert_eq!(max.record.contact.email.len(), MAX_TEXT);
        assert_eq!(max.record.company.name.len(), MAX_TEXT);
    }

    #[test]
    fn fill_hits_the_byte_count_exactly() {
        assert_eq!(fill("é", 'x', 5), "ééx");
        assert_eq!(fill("ab", 'x', 5).len(), 5);
        assert_eq!(fill("", 'x', 3), "xxx");
    }
}
