//! Lead conversion: normalisation, every rule with its exact path, and the
//! enum tables.

use std::collections::{BTreeMap, HashSet};

use hql_plugin_api::kinds::{Authority, BudgetStatus, Need, Response, Seniority, Source};
use hql_plugin_api::record::{AttributeValue, LeadRecord};
use hql_proto::pb;
use prost::Message;
use prost_types::Timestamp;

use super::*;

/// `lead` and `as_of` as a client sends them: encoded, read in place,
/// converted, and the record made owned so it outlives the bytes.
fn lead_and_as_of(
    lead: Option<pb::Lead>,
    as_of: Option<Timestamp>,
    limits: &Limits,
) -> Result<(LeadRecord, i64), Violations> {
    let bytes = pb::QualifyRequest { lead, as_of }.encode_to_vec();
    let read = wire::single(&bytes, "QualifyRequest", wire::Caps::of(limits)).expect("the request reads");
    super::lead_and_as_of(read.lead, read.as_of, limits)
        .map(|(record, as_of_ms)| (record.into_owned(), as_of_ms))
}

/// Lead `index` of a batch, as a client sends it.
fn batch_lead(index: usize, lead: pb::Lead, limits: &Limits) -> Result<LeadRecord, Violations> {
    let bytes = pb::QualifyBatchRequest { leads: vec![lead], as_of: None }.encode_to_vec();
    let read = wire::batch(&bytes, limits.max_batch_size, wire::Caps::of(limits)).expect("the request reads");
    let lead = read.leads[0].read(wire::Caps::of(limits)).expect("the lead reads");
    super::batch_lead(index, lead, limits).map(LeadRecord::into_owned)
}

const T0: i64 = 1_764_000_000; // 2025-11-24, in seconds

fn at(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

fn event(kind: pb::EventType, seconds: i64) -> pb::Event {
    pb::Event { r#type: kind as i32, occurred_at: at(seconds), ..Default::default() }
}

/// A lead with every field set, in need of normalisation.
fn full_lead() -> pb::Lead {
    pb::Lead {
        lead_id: "lead-42".into(),
        contact: Some(pb::Contact {
            email: "  Ada@Example.COM ".into(),
            job_title: " VP Marketing ".into(),
            seniority: pb::Seniority::Vp as i32,
            department: "Marketing".into(),
            country: "de".into(),
        }),
        company: Some(pb::Company {
            domain: "Example.com".into(),
            name: " Example GmbH ".into(),
            industry: "Software".into(),
            employee_count: Some(250),
            annual_revenue: Some(12_500_000.0),
            region: "emea".into(),
            technologies: vec![" Salesforce".into(), "HubSpot".into()],
        }),
        bant: Some(pb::Bant {
            budget_status: pb::BudgetStatus::Confirmed as i32,
            budget_amount: Some(50_000.0),
            authority: pb::Authority::EconomicBuyer as i32,
            need: pb::Need::Confirmed as i32,
            timeline_days: Some(30),
        }),
        events: vec![
            pb::Event {
                r#type: pb::EventType::DemoRequest as i32,
                custom_type: String::new(),
                occurred_at: Some(Timestamp { seconds: T0, nanos: 123_456_789 }),
                source: pb::EventSource::FirstParty as i32,
                channel: pb::Channel::PaidAds as i32,
                campaign: " Q4 launch ".into(),
                response: pb::ResponseSentiment::Positive as i32,
                value: Some(3.5),
            },
            pb::Event {
                r#type: pb::EventType::Custom as i32,
                custom_type: "partner_referral".into(),
                occurred_at: at(T0 + 60),
                source: pb::EventSource::ThirdParty as i32,
                channel: pb::Channel::Unspecified as i32,
                campaign: String::new(),
                response: pb::ResponseSentiment::Unspecified as i32,
                value: None,
            },
        ],
        product_usage: Some(pb::ProductUsage {
            signed_up_at: at(T0 - 86_400),
            activated: true,
            active_days_last_30: Some(12),
            active_days_prev_30: Some(4),
            seats: Some(5),
            invited_teammates: Some(3),
            features_adopted: vec!["SSO".into(), " api ".into()],
            plan_limit_hits: Some(2),
            plan: " trial ".into(),
            trial_ends_at: at(T0 + 86_400 * 14),
        }),
        attributes: BTreeMap::from([
            ("tier".to_owned(), text_value(" gold ")),
            (
                "nps".to_owned(),
                pb::AttributeValue { kind: Some(pb::attribute_value::Kind::NumberValue(-20.0)) },
            ),
            ("vip".to_owned(), pb::AttributeValue { kind: Some(pb::attribute_value::Kind::BoolValue(true)) }),
        ]),
    }
}

fn text_value(s: &str) -> pb::AttributeValue {
    pb::AttributeValue { kind: Some(pb::attribute_value::Kind::StringValue(s.into())) }
}

fn convert(lead: pb::Lead) -> Result<LeadRecord, Violations> {
    lead_and_as_of(Some(lead), at(T0 + 3600), &Limits::default()).map(|(record, _)| record)
}

/// The violations of `lead` as `(path, description)` pairs.
fn violations_of(lead: pb::Lead) -> Vec<(String, String)> {
    violations_with(lead, &Limits::default())
}

fn violations_with(lead: pb::Lead, limits: &Limits) -> Vec<(String, String)> {
    match lead_and_as_of(Some(lead), at(T0), limits) {
        Ok(_) => Vec::new(),
        Err(v) => v.kept().iter().map(|x| (x.field.clone(), x.description.clone())).collect(),
    }
}

/// The paths of `lead`'s violations.
fn paths_of(lead: pb::Lead) -> Vec<String> {
    violations_of(lead).into_iter().map(|(p, _)| p).collect()
}

#[test]
fn a_full_lead_converts_with_normalisation() {
    let (record, as_of_ms) =
        lead_and_as_of(Some(full_lead()), at(T0 + 3600), &Limits::default()).expect("valid");
    assert_eq!(as_of_ms, (T0 + 3600) * 1000);
    assert_eq!(record.lead_id, "lead-42");

    let c = &record.contact;
    assert_eq!(c.email, "ada@example.com");
    assert_eq!(c.job_title, "VP Marketing");
    assert_eq!(c.seniority, Seniority::Vp);
    assert_eq!(c.department, "marketing");
    assert_eq!(c.country, "DE");

    let co = &record.company;
    assert_eq!(co.domain, "example.com");
    assert_eq!(co.name, "Example GmbH");
    assert_eq!(co.industry, "software");
    assert_eq!(co.employee_count, Some(250));
    assert_eq!(co.annual_revenue, Some(12_500_000.0));
    assert_eq!(co.region, "EMEA");
    assert_eq!(co.technologies, ["salesforce", "hubspot"]);

    let b = &record.bant;
    assert_eq!(b.budget_status, BudgetStatus::Confirmed);
    assert_eq!(b.budget_amount, Some(50_000.0));
    assert_eq!(b.authority, Authority::EconomicBuyer);
    assert_eq!(b.need, Need::Confirmed);
    assert_eq!(b.timeline_days, Some(30));

    let [demo, custom] = record.events.as_slice() else { panic!("two events") };
    assert_eq!(demo.event_type, "demo_request");
    assert_eq!(demo.occurred_at, T0 * 1000 + 123);
    assert_eq!(demo.source, Source::FirstParty);
    assert_eq!(demo.channel, "paid_ads");
    assert_eq!(demo.campaign, "Q4 launch");
    assert_eq!(demo.response, Response::Positive);
    assert_eq!(demo.value, Some(3.5));
    assert_eq!(custom.event_type, "partner_referral");
    assert_eq!(custom.source, Source::ThirdParty);
    assert_eq!(custom.channel, "");
    assert_eq!(custom.response, Response::Unknown);
    assert_eq!(custom.value, None);

    let u = record.usage.as_ref().expect("usage");
    assert_eq!(u.signed_up_at, Some((T0 - 86_400) * 1000));
    assert_eq!(u.trial_ends_at, Some((T0 + 86_400 * 14) * 1000));
    assert!(u.activated);
    assert_eq!(u.active_days_last_30, Some(12));
    assert_eq!(u.active_days_prev_30, Some(4));
    assert_eq!(u.seats, Some(5));
    assert_eq!(u.invited_teammates, Some(3));
    assert_eq!(u.features_adopted, ["sso", "api"]);
    assert_eq!(u.plan_limit_hits, Some(2));
    assert_eq!(u.plan, "trial");

    assert_eq!(record.attributes.len(), 3);
    assert_eq!(record.attributes["tier"], AttributeValue::Text("gold".into()));
    assert_eq!(record.attributes["nps"], AttributeValue::Number(-20.0));
    assert_eq!(record.attributes["vip"], AttributeValue::Bool(true));
}

#[test]
fn a_minimal_lead_is_all_unknown() {
    let record = convert(pb::Lead { lead_id: "x".into(), ..Default::default() }).expect("valid");
    assert_eq!(record, LeadRecord { lead_id: "x".into(), ..LeadRecord::default() });
}

#[test]
fn the_lead_id_is_kept_as_sent() {
    let record = convert(pb::Lead { lead_id: " a b ".into(), ..Default::default() }).expect("ok");
    assert_eq!(record.lead_id, " a b ");
}

#[test]
fn a_missing_as_of_is_the_server_clock() {
    let before = time::now_ms();
    let (_, as_of_ms) = lead_and_as_of(Some(full_lead()), None, &Limits::default()).expect("valid");
    assert!(as_of_ms >= before && as_of_ms <= time::now_ms());
}

#[test]
fn a_missing_lead_and_a_bad_as_of_are_both_reported() {
    let err = lead_and_as_of(None, Some(Timestamp { seconds: -1, nanos: 0 }), &Limits::default())
        .expect_err("invalid");
    let paths: Vec<_> = err.kept().iter().map(|v| v.field.as_str()).collect();
    assert_eq!(paths, ["as_of", "lead"]);
    assert_eq!(err.kept()[1].description, "is required");
}

/// Each rule, applied to an otherwise valid lead, with its exact path.
#[test]
fn every_rule_names_its_field() {
    type Mutation = fn(&mut pb::Lead);
    let cases: Vec<(&str, Mutation, &str)> = vec![
        ("lead.lead_id", |l| l.lead_id.clear(), "is required"),
        ("lead.lead_id", |l| l.lead_id = "   ".into(), "is required"),
        ("lead.lead_id", |l| l.lead_id = "x".repeat(257), "must be at most 256 bytes, got 257"),
        ("lead.contact.email", |l| contact(l).email = "e".repeat(257), "at most 256 bytes"),
        ("lead.contact.job_title", |l| contact(l).job_title = "j".repeat(300), "at most 256"),
        ("lead.contact.seniority", |l| contact(l).seniority = 99, "unknown enum value 99"),
        ("lead.contact.department", |l| contact(l).department = "d".repeat(257), "at most"),
        ("lead.contact.country", |l| contact(l).country = "c".repeat(257), "at most"),
        ("lead.company.domain", |l| company(l).domain = "d".repeat(257), "at most"),
        ("lead.company.name", |l| company(l).name = "n".repeat(257), "at most"),
        ("lead.company.industry", |l| company(l).industry = "i".repeat(257), "at most"),
        ("lead.company.employee_count", |l| company(l).employee_count = Some(-1), "negative"),
        ("lead.company.annual_revenue", |l| company(l).annual_revenue = Some(-0.5), "negative"),
        ("lead.company.annual_revenue", |l| company(l).annual_revenue = Some(f64::NAN), "finite"),
        ("lead.company.annual_revenue", |l| company(l).annual_revenue = Some(f64::INFINITY), "finite"),
        ("lead.company.region", |l| company(l).region = "r".repeat(257), "at most"),
        (
            "lead.company.technologies",
            |l| company(l).technologies = vec!["t".into(); 257],
            "at most 256 entries, got 257",
        ),
        (
            "lead.company.technologies[1]",
            |l| company(l).technologies[1] = "t".repeat(257),
            "at most 256 bytes",
        ),
        ("lead.company.technologies[0]", |l| company(l).technologies[0] = "  ".into(), "empty"),
        ("lead.bant.budget_status", |l| bant(l).budget_status = 7, "unknown enum value 7"),
        ("lead.bant.budget_amount", |l| bant(l).budget_amount = Some(-1.0), "negative"),
        ("lead.bant.budget_amount", |l| bant(l).budget_amount = Some(f64::NAN), "finite"),
        ("lead.bant.authority", |l| bant(l).authority = -3, "unknown enum value -3"),
        ("lead.bant.need", |l| bant(l).need = 4, "unknown enum value 4"),
        ("lead.bant.timeline_days", |l| bant(l).timeline_days = Some(-2), "negative, got -2"),
        ("lead.events[1].type", |l| l.events[1].r#type = 0, "EVENT_TYPE_UNSPECIFIED is refused"),
        ("lead.events[0].type", |l| l.events[0].r#type = 1000, "unknown enum value 1000"),
        ("lead.events[1].custom_type", |l| l.events[1].custom_type.clear(), "required when"),
        ("lead.events[1].custom_type", |l| l.events[1].custom_type = "Bad Name".into(), "snake"),
        ("lead.events[1].custom_type", |l| l.events[1].custom_type = "a".repeat(65), "at most 64 bytes"),
        (
            "lead.events[1].custom_type",
            |l| l.events[1].custom_type = "demo_request".into(),
            "use EVENT_TYPE_DEMO_REQUEST instead",
        ),
        (
            "lead.events[0].custom_type",
            |l| l.events[0].custom_type = "extra".into(),
            "must be empty unless type is EVENT_TYPE_CUSTOM",
        ),
        ("lead.events[0].occurred_at", |l| l.events[0].occurred_at = None, "is required"),
        (
            "lead.events[0].occurred_at",
            |l| l.events[0].occurred_at = Some(Timestamp { seconds: T0, nanos: -1 }),
            "nanos",
        ),
        (
            "lead.events[0].occurred_at",
            |l| l.events[0].occurred_at = Some(Timestamp { seconds: -10, nanos: 0 }),
            "1970",
        ),
        (
            "lead.events[0].occurred_at",
            |l| l.events[0].occurred_at = Some(Timestamp { seconds: 253_402_300_800, nanos: 0 }),
            "9999",
        ),
        ("lead.events[0].source", |l| l.events[0].source = 3, "unknown enum value 3"),
        ("lead.events[0].channel", |l| l.events[0].channel = 13, "unknown enum value 13"),
        ("lead.events[0].campaign", |l| l.events[0].campaign = "c".repeat(257), "at most"),
        ("lead.events[0].response", |l| l.events[0].response = 9, "unknown enum value 9"),
        ("lead.events[0].value", |l| l.events[0].value = Some(-1.0), "negative"),
        ("lead.events[0].value", |l| l.events[0].value = Some(f64::NEG_INFINITY), "finite"),
        (
            "lead.product_usage.signed_up_at",
            |l| usage(l).signed_up_at = Some(Timestamp { seconds: 0, nanos: 1_000_000_000 }),
            "nanos",
        ),
        (
            "lead.product_usage.trial_ends_at",
            |l| usage(l).trial_ends_at = Some(Timestamp { seconds: -1, nanos: 0 }),
            "1970",
        ),
        (
            "lead.product_usage.active_days_last_30",
            |l| usage(l).active_days_last_30 = Some(31),
            "between 0 and 30, got 31",
        ),
        (
            "lead.product_usage.active_days_prev_30",
            |l| usage(l).active_days_prev_30 = Some(-1),
            "between 0 and 30, got -1",
        ),
        ("lead.product_usage.seats", |l| usage(l).seats = Some(-1), "negative"),
        ("lead.product_usage.invited_teammates", |l| usage(l).invited_teammates = Some(-4), "negative"),
        ("lead.product_usage.plan_limit_hits", |l| usage(l).plan_limit_hits = Some(-1), "negative"),
        (
            "lead.product_usage.features_adopted",
            |l| usage(l).features_adopted = vec!["f".into(); 300],
            "at most 256 entries, got 300",
        ),
        ("lead.product_usage.features_adopted[0]", |l| usage(l).features_adopted[0] = String::new(), "empty"),
        ("lead.product_usage.plan", |l| usage(l).plan = "p".repeat(257), "at most"),
        (
            r#"lead.attributes["tier"]"#,
            |l| {
                l.attributes.insert("tier".into(), pb::AttributeValue { kind: None });
            },
            "must set one of string_value, number_value, bool_value",
        ),
        (
            r#"lead.attributes["tier"].string_value"#,
            |l| {
                l.attributes.insert("tier".into(), text_value(&"x".repeat(1025)));
            },
            "at most 1024 bytes, got 1025",
        ),
        (
            r#"lead.attributes["nps"].number_value"#,
            |l| {
                let v = pb::AttributeValue { kind: Some(pb::attribute_value::Kind::NumberValue(f64::NAN)) };
                l.attributes.insert("nps".into(), v);
            },
            "finite",
        ),
        (
            r#"lead.attributes[""]"#,
            |l| {
                l.attributes.insert(String::new(), text_value("x"));
            },
            "key must be 1 to 128 bytes, got 0",
        ),
        (
            "lead.attributes",
            |l| {
                for i in 0..257 {
                    l.attributes.insert(format!("k{i}"), text_value("v"));
                }
            },
            "at most 256 entries",
        ),
    ];
    for (path, mutate, description) in cases {
        let mut lead = full_lead();
        mutate(&mut lead);
        let found = violations_of(lead);
        assert_eq!(found.len(), 1, "{path}: expected one violation, got {found:?}");
        assert_eq!(found[0].0, path, "{found:?}");
        assert!(found[0].1.contains(description), "{path}: {:?} lacks {description:?}", found[0].1);
    }
}

#[test]
fn attribute_keys_are_capped_at_128_bytes() {
    let mut lead = full_lead();
    lead.attributes.insert("k".repeat(128), text_value("ok"));
    assert!(violations_of(lead.clone()).is_empty());
    lead.attributes.insert("k".repeat(129), text_value("too long"));
    let found = violations_of(lead);
    assert_eq!(found.len(), 1);
    assert!(found[0].0.starts_with(r#"lead.attributes["kkk"#), "{}", found[0].0);
    assert!(found[0].1.contains("got 129"));
}

#[test]
fn too_many_events_are_refused_against_the_limit() {
    let limits = Limits { max_events_per_lead: 2, ..Limits::default() };
    let mut lead = full_lead();
    assert!(violations_with(lead.clone(), &limits).is_empty());
    lead.events.push(event(pb::EventType::BlogView, T0));
    let found = violations_with(lead, &limits);
    assert_eq!(found, [("lead.events".to_owned(), "must have at most 2 events, got 3".to_owned())]);
}

#[test]
fn every_violation_is_collected_not_only_the_first() {
    let mut lead = full_lead();
    lead.lead_id.clear();
    lead.events[0].occurred_at = None;
    lead.events[1].r#type = 0;
    company(&mut lead).employee_count = Some(-5);
    usage(&mut lead).active_days_last_30 = Some(40);
    let mut paths = paths_of(lead);
    paths.sort();
    assert_eq!(
        paths,
        [
            "lead.company.employee_count",
            "lead.events[0].occurred_at",
            "lead.events[1].type",
            "lead.lead_id",
            "lead.product_usage.active_days_last_30",
        ]
    );
}

#[test]
fn batch_paths_start_at_the_leads_index() {
    let mut lead = full_lead();
    lead.lead_id.clear();
    lead.events[1].custom_type = "Nope".into();
    let err = batch_lead(3, lead, &Limits::default()).expect_err("invalid");
    let paths: Vec<_> = err.kept().iter().map(|v| v.field.as_str()).collect();
    assert_eq!(paths, ["leads[3].lead_id", "leads[3].events[1].custom_type"]);
    assert!(batch_lead(0, full_lead(), &Limits::default()).is_ok());
}

/// Every proto enum number, up to well past the last one defined.
fn numbers<E: TryFrom<i32>>() -> impl Iterator<Item = E> {
    (0..256).filter_map(|n| E::try_from(n).ok())
}

#[test]
fn every_event_type_maps_to_a_unique_snake_case_name() {
    let mut seen = HashSet::new();
    let mut count = 0;
    for t in numbers::<pb::EventType>() {
        let Some(name) = event_type_name(t) else {
            assert!(matches!(t, pb::EventType::Unspecified | pb::EventType::Custom), "{t:?}");
            continue;
        };
        let expected = t.as_str_name().strip_prefix("EVENT_TYPE_").expect("prefix").to_lowercase();
        assert_eq!(name, expected);
        assert!(validate::custom_type_problem(name).is_none(), "{name} is snake_case");
        assert!(seen.insert(name), "{name} is used twice");
        assert_eq!(builtin_event_type(name), Some(t));
        count += 1;
    }
    assert_eq!(count, 30);
    assert_eq!(event_type_name(pb::EventType::DemoRequest), Some("demo_request"));
}

#[test]
fn every_channel_maps_to_a_unique_snake_case_name() {
    let mut seen = HashSet::new();
    for c in numbers::<pb::Channel>() {
        let name = channel_name(c);
        if c == pb::Channel::Unspecified {
            assert_eq!(name, "");
            continue;
        }
        let expected = c.as_str_name().strip_prefix("CHANNEL_").expect("prefix").to_lowercase();
        assert_eq!(name, expected);
        assert!(seen.insert(name), "{name} is used twice");
    }
    assert_eq!(seen.len(), 12);
    assert_eq!(channel_name(pb::Channel::PaidAds), "paid_ads");
}

#[test]
fn every_vocabulary_enum_maps_to_its_domain_kind() {
    // Unspecified is Unknown; every other value is a distinct known kind
    // whose name matches the proto's.
    fn check<P: Copy + std::fmt::Debug, D: Copy + Eq + std::hash::Hash + std::fmt::Display>(
        values: impl Iterator<Item = P>,
        map: fn(P) -> D,
        proto_name: fn(&P) -> &'static str,
        prefix: &str,
        unknown: D,
        known: usize,
    ) {
        let mut seen = HashSet::new();
        for p in values {
            let d = map(p);
            let stripped = proto_name(&p).strip_prefix(prefix).expect("prefix").to_lowercase();
            if stripped == "unspecified" {
                assert!(d == unknown, "{p:?}");
            } else {
                assert_eq!(d.to_string(), stripped, "{p:?}");
                assert!(seen.insert(d), "{p:?} maps onto a kind already used");
            }
        }
        assert_eq!(seen.len(), known);
    }
    check(numbers(), seniority_kind, pb::Seniority::as_str_name, "SENIORITY_", Seniority::Unknown, 8);
    check(numbers(), budget_kind, pb::BudgetStatus::as_str_name, "BUDGET_STATUS_", BudgetStatus::Unknown, 3);
    check(numbers(), authority_kind, pb::Authority::as_str_name, "AUTHORITY_", Authority::Unknown, 4);
    check(numbers(), need_kind, pb::Need::as_str_name, "NEED_", Need::Unknown, 3);
    check(numbers(), source_kind, pb::EventSource::as_str_name, "EVENT_SOURCE_", Source::Unknown, 2);
    check(
        numbers(),
        response_kind,
        pb::ResponseSentiment::as_str_name,
        "RESPONSE_SENTIMENT_",
        Response::Unknown,
        3,
    );
}

fn contact(lead: &mut pb::Lead) -> &mut pb::Contact {
    lead.contact.as_mut().expect("contact")
}

fn company(lead: &mut pb::Lead) -> &mut pb::Company {
    lead.company.as_mut().expect("company")
}

fn bant(lead: &mut pb::Lead) -> &mut pb::Bant {
    lead.bant.as_mut().expect("bant")
}

fn usage(lead: &mut pb::Lead) -> &mut pb::ProductUsage {
    lead.product_usage.as_mut().expect("usage")
}

#[test]
fn a_repeated_attribute_key_counts_once_and_its_last_value_wins() {
    // Two encodings one after the other are one request whose map entries
    // are all of both: 257 entries, 256 keys.
    let mut first = pb::Lead { lead_id: "l".to_owned(), ..pb::Lead::default() };
    for i in 0..MAX_LIST_ITEMS {
        first.attributes.insert(format!("k{i}"), text_value("v"));
    }
    first.attributes.insert("k0".to_owned(), text_value(&"x".repeat(MAX_ATTRIBUTE_TEXT_BYTES + 1)));
    let mut second = pb::Lead::default();
    second.attributes.insert("k0".to_owned(), text_value("gold"));
    let mut bytes = pb::QualifyRequest { lead: Some(first), as_of: at(T0) }.encode_to_vec();
    bytes.extend(pb::QualifyRequest { lead: Some(second), as_of: None }.encode_to_vec());
    let read = wire::single(&bytes, "QualifyRequest", wire::Caps::of(&Limits::default()))
        .expect("the request reads");
    assert_eq!(read.lead.as_ref().map(|l| l.attributes.entries.len()), Some(MAX_LIST_ITEMS + 1));
    let (record, _) = super::lead_and_as_of(read.lead, read.as_of, &Limits::default()).expect("valid");
    assert_eq!(record.attributes.len(), MAX_LIST_ITEMS);
    assert_eq!(record.attributes["k0"], AttributeValue::Text(Cow::Borrowed("gold")));
}

#[test]
fn text_that_needs_no_change_borrows_the_request() {
    let mut lead = full_lead();
    company(&mut lead).domain = "example.com".to_owned();
    contact(&mut lead).email = "Ana@Example.com".to_owned();
    lead.events[0].campaign = " spring launch ".to_owned();
    let bytes = pb::QualifyRequest { lead: Some(lead), as_of: at(T0 + 3600) }.encode_to_vec();
    let read = wire::single(&bytes, "QualifyRequest", wire::Caps::of(&Limits::default()))
        .expect("the request reads");
    let (record, _) = super::lead_and_as_of(read.lead, read.as_of, &Limits::default()).expect("valid");
    let borrowed =
        |text: &Cow<'_, str>| matches!(text, Cow::Borrowed(t) if bytes.as_ptr_range().contains(&t.as_ptr()));
    assert!(borrowed(&record.lead_id));
    assert!(borrowed(&record.company.domain), "already lower-case");
    assert_eq!(record.events[0].campaign, "spring launch");
    assert!(borrowed(&record.events[0].campaign), "trimmed in place");
    assert_eq!(record.contact.email, "ana@example.com");
    assert!(!borrowed(&record.contact.email), "lower-cased: a copy");
}

#[test]
fn attributes_sent_out_of_key_order_are_checked_in_key_order() {
    // Map entries as a client that does not sort its map writes them:
    // "b" (no value), then "a" (no value), then "b" again with a value.
    fn entry(key: &str, value: Option<pb::AttributeValue>) -> Vec<u8> {
        #[derive(Clone, PartialEq, prost::Message)]
        struct Entry {
            #[prost(string, tag = "1")]
            key: String,
            #[prost(message, optional, tag = "2")]
            value: Option<pb::AttributeValue>,
        }
        let entry = Entry { key: key.to_owned(), value }.encode_to_vec();
        let mut field = vec![(7 << 3) | 2];
        prost::encoding::encode_varint(entry.len() as u64, &mut field);
        field.extend(entry);
        field
    }
    let mut lead = pb::Lead { lead_id: "l".to_owned(), ..pb::Lead::default() }.encode_to_vec();
    lead.extend(entry("b", Some(pb::AttributeValue::default())));
    lead.extend(entry("a", Some(pb::AttributeValue::default())));
    let mut request = vec![0x0a];
    prost::encoding::encode_varint(lead.len() as u64, &mut request);
    request.extend(&lead);
    let read = wire::single(&request, "QualifyRequest", wire::Caps::of(&Limits::default()))
        .expect("the request reads");
    let err = super::lead_and_as_of(read.lead, read.as_of, &Limits::default()).expect_err("no values");
    let paths: Vec<_> = err.kept().iter().map(|v| v.field.as_str()).collect();
    assert_eq!(paths, [r#"lead.attributes["a"]"#, r#"lead.attributes["b"]"#]);

    lead.extend(entry("b", Some(text_value("gold"))));
    lead.extend(entry(
        "a",
        Some(pb::AttributeValue { kind: Some(pb::attribute_value::Kind::BoolValue(true)) }),
    ));
    let mut request = vec![0x0a];
    prost::encoding::encode_varint(lead.len() as u64, &mut request);
    request.extend(&lead);
    let read = wire::single(&request, "QualifyRequest", wire::Caps::of(&Limits::default()))
        .expect("the request reads");
    let (record, _) = super::lead_and_as_of(read.lead, read.as_of, &Limits::default()).expect("valid");
    assert_eq!(record.attributes.keys().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(record.attributes["a"], AttributeValue::Bool(true));
    assert_eq!(record.attributes["b"], AttributeValue::Text(Cow::Borrowed("gold")));
}
