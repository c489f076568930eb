//! The in-place reader against prost: the same bytes must give the same
//! message, or the same error.

use std::collections::BTreeMap;

use hql_load::workload::{Shape, Workload};
use hql_proto::pb;
use proptest::prelude::*;
use prost::Message;
use prost_types::Timestamp;

use super::*;

fn pb_lead(lead: &Lead<'_>) -> pb::Lead {
    let Lead { lead_id, contact, company, bant, events, product_usage, attributes, caps: _ } = lead;
    pb::Lead {
        lead_id: (*lead_id).to_owned(),
        contact: contact.as_ref().map(|c| pb::Contact {
            email: c.email.to_owned(),
            job_title: c.job_title.to_owned(),
            seniority: c.seniority,
            department: c.department.to_owned(),
            country: c.country.to_owned(),
        }),
        company: company.as_ref().map(|c| pb::Company {
            domain: c.domain.to_owned(),
            name: c.name.to_owned(),
            industry: c.industry.to_owned(),
            employee_count: c.employee_count,
            annual_revenue: c.annual_revenue,
            region: c.region.to_owned(),
            technologies: c.technologies.kept.iter().map(|t| (*t).to_owned()).collect(),
        }),
        bant: bant.as_ref().map(|b| pb::Bant {
            budget_status: b.budget_status,
            budget_amount: b.budget_amount,
            authority: b.authority,
            need: b.need,
            timeline_days: b.timeline_days,
        }),
        events: events
            .kept
            .iter()
            .map(|e| pb::Event {
                r#type: e.r#type,
                custom_type: e.custom_type.to_owned(),
                occurred_at: e.occurred_at,
                source: e.source,
                channel: e.channel,
                campaign: e.campaign.to_owned(),
                response: e.response,
                value: e.value,
            })
            .collect(),
        product_usage: product_usage.as_ref().map(|u| pb::ProductUsage {
            signed_up_at: u.signed_up_at,
            activated: u.activated,
            active_days_last_30: u.active_days_last_30,
            active_days_prev_30: u.active_days_prev_30,
            seats: u.seats,
            invited_teammates: u.invited_teammates,
            features_adopted: u.features_adopted.kept.iter().map(|t| (*t).to_owned()).collect(),
            plan_limit_hits: u.plan_limit_hits,
            plan: u.plan.to_owned(),
            trial_ends_at: u.trial_ends_at,
        }),
        // Later entries of a key replace earlier ones, as in prost's map.
        attributes: attributes
            .entries
            .iter()
            .map(|(key, value)| {
                use pb::attribute_value::Kind;
                let kind = match *value {
                    AttributeValue::Unset => None,
                    AttributeValue::Text(text) => Some(Kind::StringValue(text.to_owned())),
                    AttributeValue::Number(n) => Some(Kind::NumberValue(n)),
                    AttributeValue::Bool(b) => Some(Kind::BoolValue(b)),
                };
                ((*key).to_owned(), pb::AttributeValue { kind })
            })
            .collect::<BTreeMap<_, _>>(),
    }
}

/// What this reader makes of `bytes` as a `QualifyRequest`, in prost's terms.
fn read_single(bytes: &[u8]) -> Result<pb::QualifyRequest, String> {
    single(bytes, "QualifyRequest", Caps::NONE)
        .map(|r| pb::QualifyRequest { lead: r.lead.as_ref().map(pb_lead), as_of: r.as_of })
        .map_err(|e| e.to_string())
}

/// A batch scanned, then each lead read in order, as the server reads it.
fn read_batch(bytes: &[u8]) -> Result<pb::QualifyBatchRequest, String> {
    let scanned = batch(bytes, usize::MAX, Caps::NONE).map_err(|e| e.to_string())?;
    assert_eq!(scanned.lead_count, scanned.leads.len());
    let leads = scanned.leads.iter().map(|lead| lead.read(Caps::NONE).map(|lead| pb_lead(&lead)));
    Ok(pb::QualifyBatchRequest {
        leads: leads.collect::<Result<_, _>>().map_err(|e| e.to_string())?,
        as_of: scanned.as_of,
    })
}

fn prost_single(bytes: &[u8]) -> Result<pb::QualifyRequest, String> {
    pb::QualifyRequest::decode(bytes).map_err(|e| e.to_string())
}

fn prost_batch(bytes: &[u8]) -> Result<pb::QualifyBatchRequest, String> {
    pb::QualifyBatchRequest::decode(bytes).map_err(|e| e.to_string())
}

/// Both readers agree on `bytes`, whether they accept them or not. NaN
/// values are compared through their encoding.
fn agree(bytes: &[u8]) {
    let (ours, theirs) = (read_single(bytes), prost_single(bytes));
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a.encode_to_vec(), b.encode_to_vec(), "{bytes:?}"),
        _ => assert_eq!(ours, theirs, "{bytes:?}"),
    }
    let (ours, theirs) = (read_batch(bytes), prost_batch(bytes));
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert_eq!(a.encode_to_vec(), b.encode_to_vec(), "{bytes:?}"),
        _ => assert_eq!(ours, theirs, "{bytes:?}"),
    }
}

fn ts(seconds: i64, nanos: i32) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos })
}

/// A lead with every field of every message set to something other than
/// its default. Written without `..`, so a field added to `lead.proto`
/// stops this test from compiling until the reader reads it.
fn every_field() -> pb::Lead {
    use pb::attribute_value::Kind;
    pb::Lead {
        lead_id: "lead-ü-1".to_owned(),
        contact: Some(pb::Contact {
            email: "Ana@Example.com".to_owned(),
            job_title: "VP Marketing".to_owned(),
            seniority: pb::Seniority::Vp as i32,
            department: "marketing".to_owned(),
            country: "de".to_owned(),
        }),
        company: Some(pb::Company {
            domain: "example.com".to_owned(),
            name: "Example".to_owned(),
            industry: "software".to_owned(),
            employee_count: Some(-3),
            annual_revenue: Some(1.5e9),
            region: "emea".to_owned(),
            technologies: vec!["salesforce".to_owned(), String::new(), "ÉLAN".to_owned()],
        }),
        bant: Some(pb::Bant {
            budget_status: pb::BudgetStatus::Confirmed as i32,
            budget_amount: Some(-0.0),
            authority: pb::Authority::EconomicBuyer as i32,
            need: 99,
            timeline_days: Some(-30),
        }),
        events: vec![
            pb::Event {
                r#type: pb::EventType::Custom as i32,
                custom_type: "partner_referral".to_owned(),
                occurred_at: ts(-62_135_596_800, 999_999_999),
                source: pb::EventSource::ThirdParty as i32,
                channel: pb::Channel::Partner as i32,
                campaign: "q3 🚀".to_owned(),
                response: pb::ResponseSentiment::Negative as i32,
                value: Some(f64::MAX),
            },
            pb::Event { r#type: -1, ..pb::Event::default() },
        ],
        product_usage: Some(pb::ProductUsage {
            signed_up_at: ts(1_700_000_000, 1),
            activated: true,
            active_days_last_30: Some(31),
            active_days_prev_30: Some(i32::MIN),
            seats: Some(i32::MAX),
            invited_teammates: Some(0),
            features_adopted: vec!["sso".to_owned()],
            plan_limit_hits: Some(2),
            plan: "trial".to_owned(),
            trial_ends_at: ts(1_800_000_000, 0),
        }),
        attributes: BTreeMap::from([
            ("tier".to_owned(), pb::AttributeValue { kind: Some(Kind::StringValue("gold".to_owned())) }),
            ("score".to_owned(), pb::AttributeValue { kind: Some(Kind::NumberValue(-2.5)) }),
            ("opt_in".to_owned(), pb::AttributeValue { kind: Some(Kind::BoolValue(true)) }),
            ("empty".to_owned(), pb::AttributeValue { kind: None }),
            (String::new(), pb::AttributeValue { kind: Some(Kind::StringValue(String::new())) }),
        ]),
    }
}

#[test]
fn a_lead_with_every_field_set_reads_as_prost_reads_it() {
    let request = pb::QualifyRequest { lead: Some(every_field()), as_of: ts(1_750_000_000, 5) };
    let bytes = request.encode_to_vec();
    assert_eq!(read_single(&bytes), Ok(request.clone()));
    let batch =
        pb::QualifyBatchRequest { leads: vec![every_field(), pb::Lead::default()], as_of: request.as_of };
    assert_eq!(read_batch(&batch.encode_to_vec()), Ok(batch));
}

#[test]
fn text_borrows_the_request_bytes() {
    let bytes = pb::QualifyRequest { lead: Some(every_field()), as_of: None }.encode_to_vec();
    let read = single(&bytes, "QualifyRequest", Caps::NONE).expect("reads");
    let lead = read.lead.expect("a lead");
    let range = bytes.as_ptr_range();
    for text in [lead.lead_id, lead.events.kept[0].campaign, lead.contact.expect("contact").email] {
        assert!(range.contains(&text.as_ptr()), "{text:?} is not in the request's bytes");
    }
}

#[test]
fn an_empty_request_reads_as_nothing_set() {
    assert_eq!(read_single(&[]), Ok(pb::QualifyRequest::default()));
    assert_eq!(read_batch(&[]), Ok(pb::QualifyBatchRequest::default()));
}

#[test]
fn errors_name_the_message_and_field_as_prost_does() {
    // An event whose campaign is not UTF-8: prost says where.
    let mut lead = pb::Lead {
        events: vec![pb::Event { campaign: "XY".to_owned(), ..pb::Event::default() }],
        ..pb::Lead::default()
    };
    lead.lead_id = "l".to_owned();
    let mut bytes = pb::QualifyRequest { lead: Some(lead), as_of: None }.encode_to_vec();
    let at = bytes.windows(2).position(|w| w == b"XY").expect("campaign bytes");
    bytes[at] = 0xff;
    let error = read_single(&bytes).expect_err("not UTF-8");
    assert!(error.contains("Event.campaign"), "{error}");
    assert!(error.contains("QualifyRequest.lead"), "{error}");
    assert_eq!(Err(error), prost_single(&bytes));
    // The name given is the one reported.
    let error = single(&bytes, "ExplainRequest", Caps::NONE).expect_err("not UTF-8").to_string();
    assert!(error.contains("ExplainRequest.lead"), "{error}");
}

#[test]
fn fields_sent_twice_merge_as_prost_merges_them() {
    // Two encodings one after the other are one message merged from both:
    // the later scalars win, messages merge, repeated fields and map
    // entries append.
    let first = pb::QualifyRequest { lead: Some(every_field()), as_of: ts(1, 2) };
    let mut second_lead = every_field();
    second_lead.lead_id = "second".to_owned();
    second_lead.contact = Some(pb::Contact { country: "FR".to_owned(), ..pb::Contact::default() });
    second_lead.attributes.insert("tier".to_owned(), pb::AttributeValue::default());
    let second = pb::QualifyRequest { lead: Some(second_lead), as_of: None };
    let mut bytes = first.encode_to_vec();
    bytes.extend(second.encode_to_vec());
    agree(&bytes);
    let read = read_single(&bytes).expect("reads");
    let lead = read.lead.expect("a lead");
    assert_eq!(lead.lead_id, "second");
    assert_eq!(lead.events.len(), 4);
    assert_eq!(lead.contact.expect("contact").email, "Ana@Example.com", "merged, not replaced");
    assert_eq!(lead.attributes["tier"], pb::AttributeValue::default(), "the last entry of a key wins");
}

#[test]
fn timestamps_of_every_shape_read_as_prost_reads_them() {
    // `as_of` (field 2 of the request) holding each payload, alone, sent
    // twice (merged) and before another field; the usual ones are read in
    // place, the rest the general way, to prost's value or error.
    let payloads: &[&[u8]] = &[
        &[],
        &[0x08, 0x01],
        &[0x10, 0x05],
        &[0x08, 0x96, 0x01, 0x10, 0x7f],
        &[0x10, 0x01, 0x08, 0x02, 0x08, 0x03],
        &[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
        &[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        &[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
        &[0x10, 0xff, 0xff, 0xff, 0xff, 0x0f],
        &[0x88, 0x00, 0x01],
        &[0x18, 0x01],
        &[0x0a, 0x00],
        &[0x09, 0, 0, 0, 0, 0, 0, 0, 0],
        &[0x08],
        &[0x08, 0x80],
        &[0x00, 0x01],
    ];
    for payload in payloads {
        let field = |payload: &[u8]| {
            let mut bytes = vec![0x12, u8::try_from(payload.len()).expect("short")];
            bytes.extend_from_slice(payload);
            bytes
        };
        agree(&field(payload));
        agree(&[field(&[0x08, 0x2a, 0x10, 0x07]), field(payload)].concat());
        agree(&[field(payload), field(&[0x10, 0x03])].concat());
        // A length past the bytes there are, and one cut inside a field.
        let mut long = field(payload);
        long[1] += 1;
        agree(&long);
    }
}

#[test]
fn events_of_every_shape_read_as_prost_reads_them() {
    // One event of each payload in a lead, alone, after a usual event and
    // with a length one past its bytes; the usual ones are read in place,
    // the rest the general way, to prost's value or error.
    let usual: &[u8] = &[
        0x08, 0x03, 0x12, 0x02, b'h', b'i', 0x1a, 0x06, 0x08, 0x80, 0xe4, 0x97, 0xd0, 0x06, 0x20, 0x01, 0x28,
        0x02, 0x32, 0x03, b'c', b'a', b'm', 0x38, 0x01, 0x41, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,
    ];
    let payloads: &[&[u8]] = &[
        &[],
        usual,
        &[0x08, 0x01, 0x08, 0x02, 0x1a, 0x02, 0x08, 0x05, 0x1a, 0x02, 0x10, 0x06],
        &[0x12, 0x01, b'a', 0x12, 0x01, b'b', 0x41, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f],
        &[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        &[0x38, 0xff, 0xff, 0xff, 0xff, 0x0f],
        &[0x12, 0x02, 0xc3, 0x28],
        &[0x12, 0x02, 0xc3, 0xa9],
        &[0x12, 0x05, b'a'],
        &[0x41, 0, 0, 0],
        &[0x0a, 0x00],
        &[0x09, 0, 0, 0, 0, 0, 0, 0, 0],
        &[0x48, 0x01],
        &[0x88, 0x00, 0x01],
        &[0x1a, 0x02, 0x18, 0x01],
        &[0x1a, 0x05, 0x08, 0x01],
        &[0x00, 0x01],
        &[0x08],
    ];
    let event = |payload: &[u8]| {
        let mut bytes = vec![0x2a, u8::try_from(payload.len()).expect("short")];
        bytes.extend_from_slice(payload);
        bytes
    };
    let request = |lead: &[u8]| {
        let mut bytes = vec![0x0a, u8::try_from(lead.len()).expect("short")];
        bytes.extend_from_slice(lead);
        bytes
    };
    for payload in payloads {
        agree(&request(&event(payload)));
        agree(&request(&[event(usual), event(payload)].concat()));
        let mut long = event(payload);
        long[1] += 1;
        agree(&request(&long));
    }
}

#[test]
fn unknown_fields_of_every_wire_type_are_skipped() {
    let mut bytes = pb::QualifyRequest { lead: Some(every_field()), as_of: None }.encode_to_vec();
    // Field 15 as varint, fixed64, length-delimited, a group, fixed32.
    bytes.extend([0x78, 0x96, 0x01]);
    bytes.extend([0x79, 1, 2, 3, 4, 5, 6, 7, 8]);
    bytes.extend([0x7a, 0x02, b'h', b'i']);
    bytes.extend([0x7b, 0x08, 0x01, 0x7c]);
    bytes.extend([0x7d, 1, 2, 3, 4]);
    agree(&bytes);
    assert!(read_single(&bytes).is_ok());
}

#[test]
fn the_load_harness_workload_reads_as_prost_reads_it() {
    let workload = Workload::generate(42, 64, 16, Shape::Attributed);
    for bytes in workload.single.iter().chain(&workload.batches) {
        agree(bytes);
    }
    let bytes = &workload.single[0];
    assert!(read_single(bytes).expect("reads").lead.is_some());
}

#[test]
fn every_cut_of_a_request_is_read_or_refused_as_prost_does() {
    let bytes = pb::QualifyRequest { lead: Some(every_field()), as_of: ts(3, 4) }.encode_to_vec();
    for end in 0..bytes.len() {
        agree(&bytes[..end]);
    }
}

fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-zA-Z0-9 _.@-]{1,24}", any::<String>()]
}

fn timestamp_value() -> impl Strategy<Value = Option<Timestamp>> {
    proptest::option::of(
        (any::<i64>(), any::<i32>()).prop_map(|(seconds, nanos)| Timestamp { seconds, nanos }),
    )
}

fn event() -> impl Strategy<Value = pb::Event> {
    (
        (-2..40i32, text_value(), timestamp_value(), -1..4i32),
        (-1..14i32, text_value(), -1..5i32, proptest::option::of(any::<f64>())),
    )
        .prop_map(
            |((r#type, custom_type, occurred_at, source), (channel, campaign, response, value))| pb::Event {
                r#type,
                custom_type,
                occurred_at,
                source,
                channel,
                campaign,
                response,
                value,
            },
        )
}

fn attribute() -> impl Strategy<Value = pb::AttributeValue> {
    use pb::attribute_value::Kind;
    proptest::option::of(prop_oneof![
        text_value().prop_map(Kind::StringValue),
        any::<f64>().prop_map(Kind::NumberValue),
        any::<bool>().prop_map(Kind::BoolValue),
    ])
    .prop_map(|kind| pb::AttributeValue { kind })
}

fn lead() -> impl Strategy<Value = pb::Lead> {
    let contact = (text_value(), text_value(), -1..10i32, text_value(), text_value()).prop_map(
        |(email, job_title, seniority, department, country)| pb::Contact {
            email,
            job_title,
            seniority,
            department,
            country,
        },
    );
    let company = (
        (text_value(), text_value(), text_value()),
        (proptest::option::of(any::<i64>()), proptest::option::of(any::<f64>())),
        (text_value(), proptest::collection::vec(text_value(), 0..4)),
    )
        .prop_map(
            |((domain, name, industry), (employee_count, annual_revenue), (region, technologies))| {
                pb::Company { domain, name, industry, employee_count, annual_revenue, region, technologies }
            },
        );
    let bant = (
        -1..5i32,
        proptest::option::of(any::<f64>()),
        -1..6i32,
        -1..5i32,
        proptest::option::of(any::<i32>()),
    )
        .prop_map(|(budget_status, budget_amount, authority, need, timeline_days)| pb::Bant {
            budget_status,
            budget_amount,
            authority,
            need,
            timeline_days,
        });
    let small = || proptest::option::of(any::<i32>());
    let usage = (
        (timestamp_value(), any::<bool>(), small(), small(), small()),
        (small(), proptest::collection::vec(text_value(), 0..4), small(), text_value(), timestamp_value()),
    )
        .prop_map(
            |(
                (signed_up_at, activated, active_days_last_30, active_days_prev_30, seats),
                (invited_teammates, features_adopted, plan_limit_hits, plan, trial_ends_at),
            )| pb::ProductUsage {
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
            },
        );
    (
        (
            text_value(),
            proptest::option::of(contact),
            proptest::option::of(company),
            proptest::option::of(bant),
        ),
        (
            proptest::collection::vec(event(), 0..6),
            proptest::option::of(usage),
            proptest::collection::btree_map(text_value(), attribute(), 0..4),
        ),
    )
        .prop_map(|((lead_id, contact, company, bant), (events, product_usage, attributes))| pb::Lead {
            lead_id,
            contact,
            company,
            bant,
            events,
            product_usage,
            attributes,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_requests_read_as_prost_reads_them(
        lead in lead(),
        other in lead(),
        as_of in timestamp_value(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        cut in any::<prop::sample::Index>(),
    ) {
        let single = pb::QualifyRequest { lead: Some(lead.clone()), as_of }.encode_to_vec();
        agree(&single);
        let batch = pb::QualifyBatchRequest { leads: vec![lead, other.clone()], as_of }.encode_to_vec();
        agree(&batch);
        // Merged with a second message, cut short, corrupted.
        let mut merged = single.clone();
        merged.extend(pb::QualifyRequest { lead: Some(other), as_of: None }.encode_to_vec());
        agree(&merged);
        agree(&batch[..cut.index(batch.len() + 1)]);
        let mut corrupted = batch;
        if !corrupted.is_empty() {
            for (at, byte) in flips {
                let at = at.index(corrupted.len());
                corrupted[at] = byte;
            }
        }
        agree(&corrupted);
    }

    #[test]
    fn short_varints_read_as_prost_reads_them(
        value in any::<u64>(),
        width in 0..64u32,
        tail in proptest::collection::vec(any::<u8>(), 0..10),
        noise in proptest::collection::vec(any::<u8>(), 0..12),
    ) {
        // Every length of varint, followed by anything, and raw bytes.
        let mut bytes = Vec::new();
        prost::encoding::encode_varint(value >> width, &mut bytes);
        bytes.extend_from_slice(&tail);
        for bytes in [&bytes[..], &noise[..]] {
            let mut rest = bytes;
            let theirs = prost::encoding::decode_varint(&mut rest).ok().map(|v| (v, rest));
            match short_varint(bytes) {
                Some(ours) => prop_assert_eq!(Some(ours), theirs),
                // Only what is not a varint of at most nine bytes is left.
                None => prop_assert!(theirs.is_none() || bytes.len() - theirs.map_or(0, |t| t.1.len()) >= 10),
            }
        }
    }
}

#[test]
fn a_batch_lead_holds_room_for_its_own_events_only() {
    // Each lead's lists grow with what it holds (past a first reservation of
    // FIRST_ROOM), not with the bytes left in the request (a guess from those
    // once reserved megabytes per batch).
    let workload = Workload::generate(42, 200, 100, Shape::Attributed);
    let read = batch(&workload.batches[0], usize::MAX, Caps::NONE).expect("reads");
    assert_eq!(read.leads.len(), 100);
    for lead in &read.leads {
        let lead = lead.read(Caps::NONE).expect("reads");
        let (events, room) = (lead.events.kept.len(), lead.events.kept.capacity());
        assert!(room <= (2 * events).max(FIRST_ROOM), "room for {room} events, {events} read");
        let (entries, room) = (lead.attributes.entries.len(), lead.attributes.entries.capacity());
        assert!(room <= 2 * entries.max(4), "room for {room} entries, {entries} read");
    }
}

#[test]
fn a_thousand_events_read_whole() {
    let events = (0..1000).map(|i| pb::Event { r#type: i % 30, ..pb::Event::default() }).collect();
    let lead = pb::Lead { lead_id: "many".to_owned(), events, ..pb::Lead::default() };
    let bytes = pb::QualifyRequest { lead: Some(lead), as_of: None }.encode_to_vec();
    agree(&bytes);
    assert_eq!(read_single(&bytes).expect("reads").lead.map(|l| l.events.len()), Some(1000));
}

/// `count` copies of an empty value of field `number` (two bytes each).
fn empties(number: u8, count: usize) -> Vec<u8> {
    [(number << 3) | 2, 0].repeat(count)
}

/// `value` as length-delimited field `number`.
fn field(number: u8, value: &[u8]) -> Vec<u8> {
    let mut bytes = vec![(number << 3) | 2];
    prost::encoding::encode_varint(value.len() as u64, &mut bytes);
    bytes.extend_from_slice(value);
    bytes
}

#[test]
fn lists_keep_up_to_their_caps_and_count_every_element() {
    let caps = Caps { events: 3, items: 2, attribute_keys: 4 };
    let mut lead = empties(5, 10);
    lead.extend(field(3, &empties(7, 9)));
    lead.extend(field(6, &empties(7, 7)));
    let bytes = field(1, &lead);
    let read = single(&bytes, "QualifyRequest", caps).expect("reads").lead.expect("a lead");
    assert_eq!((read.events.kept.len(), read.events.count), (3, 10));
    let company = read.company.expect("a company");
    assert_eq!((company.technologies.kept.len(), company.technologies.count), (2, 9));
    let usage = read.product_usage.expect("product usage");
    assert_eq!((usage.features_adopted.kept.len(), usage.features_adopted.count), (2, 7));
    // Uncapped, the same bytes read as prost reads them.
    agree(&bytes);
}

/// Attribute entries `key=value` (text), in the order given.
fn attribute_entries(entries: &[(&str, &str)]) -> Vec<u8> {
    entries
        .iter()
        .flat_map(|(key, value)| {
            field(7, &[field(1, key.as_bytes()), field(2, &field(1, value.as_bytes()))].concat())
        })
        .collect()
}

#[test]
fn attributes_reduced_while_read_keep_each_keys_last_value() {
    // Four keys allowed: entries are reduced each time sixteen are held.
    let caps = Caps { events: 0, items: 0, attribute_keys: 4 };
    let mut entries = Vec::new();
    for round in 0..20 {
        for key in ["d", "b", "a", "c"] {
            entries.push((key, if round == 19 { "last" } else { "earlier" }));
        }
    }
    entries.push(("b", "very last"));
    let bytes = field(1, &attribute_entries(&entries));
    let mut read = single(&bytes, "QualifyRequest", caps).expect("reads").lead.expect("a lead").attributes;
    assert!(!read.over);
    assert!(read.entries.len() < entries.len(), "reduced while read: {} entries", read.entries.len());
    latest_per_key(&mut read.entries);
    let text = |value| AttributeValue::Text(value);
    assert_eq!(
        read.entries,
        [("a", text("last")), ("b", text("very last")), ("c", text("last")), ("d", text("last"))]
    );
}

#[test]
fn attributes_past_their_cap_of_keys_stop_being_kept() {
    let caps = Caps { events: 0, items: 0, attribute_keys: 4 };
    let keys: Vec<String> = (0..100).map(|i| format!("k{i:02}")).collect();
    let entries: Vec<(&str, &str)> = keys.iter().map(|k| (k.as_str(), "v")).collect();
    let bytes = field(1, &attribute_entries(&entries));
    let read = single(&bytes, "QualifyRequest", caps).expect("reads").lead.expect("a lead").attributes;
    assert!(read.over);
    assert_eq!(read.entries.len(), 16, "the sixteen read before the reduction that found too many keys");
}

#[test]
fn a_batch_keeps_its_first_leads_counts_them_all_and_reads_none_past_the_cap() {
    let good = field(1, &field(1, b"l-1"));
    // A lead whose only field claims more bytes than the lead holds.
    let broken = field(1, &[0x0a, 0x7f]);
    let bytes = [good.repeat(3), broken.clone()].concat();
    let scanned = batch(&bytes, 3, Caps::NONE).expect("leads past the cap are not read");
    assert_eq!((scanned.leads.len(), scanned.lead_count), (3, 4));
    for lead in &scanned.leads {
        assert_eq!(lead.read(Caps::NONE).expect("reads").lead_id, "l-1");
    }
    // Within the cap, the broken lead fails as prost fails on it.
    let scanned = batch(&bytes, 4, Caps::NONE).expect("its framing is sound");
    let error = scanned.leads[3].read(Caps::NONE).expect_err("broken").to_string();
    assert_eq!(Err(error), prost_batch(&bytes).map(|_| ()));
}

#[test]
fn a_malformed_batch_gives_the_first_error_in_its_bytes() {
    // A broken lead, then a malformed as_of: the scan, which does not read
    // leads, finds the second; prost, and so this reader, reports the first.
    let broken = field(1, &[0x0a, 0x7f]);
    let bad_as_of = [0x12, 0x02, 0x08, 0x80];
    let bytes = [broken, bad_as_of.to_vec()].concat();
    let ours = batch(&bytes, usize::MAX, Caps::NONE).map(|_| ()).map_err(|e| e.to_string());
    let theirs = prost_batch(&bytes).map(|_| ());
    assert!(theirs.as_ref().is_err_and(|e| e.contains("QualifyBatchRequest.leads")), "{theirs:?}");
    assert_eq!(ours, theirs);
}
