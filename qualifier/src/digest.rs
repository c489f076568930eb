//! Deterministic digests: the decision id, and the policy digest.
//!
//! A decision id must be the same for the same (lead, policy, as_of) on any
//! machine and any run, whatever field order or map order a client used on the
//! wire. So the lead is hashed field by field from the domain record, each
//! value length- or tag-prefixed so no two different leads can feed the same
//! bytes. The destructuring below is exhaustive on purpose: adding a field to
//! `LeadRecord` fails to compile here until it is hashed.
//!
//! The bytes are laid out in a buffer first and hashed in one call: feeding
//! the hasher field by field (two calls per string, a few hundred per lead)
//! cost more than the hashing itself. The buffer is per thread and reused,
//! so a decision id allocates only its hex string.
//!
//! Layout `hql.decision.v2` writes lengths and integers as LEB128 varints
//! (integers zig-zagged) instead of 8 bytes each: a prefix-free code, so the
//! layout stays injective, and the benchmark leads (25 events on average) lay
//! out 1.6 kB instead of 2.7 kB. Hashing those 2.7 kB was about 2 µs, a tenth
//! of a decision. Each layout hashes its own tag first, so ids of different
//! layouts differ. The layout reads each text as `&str` whatever the record's
//! text type (`String`, or the server's `Cow<str>`), so a lead has one id
//! however it was held. The policy digest keeps its `hql.policy.v1` layout
//! (`Fixed`): it is hashed once per load.

use std::cell::RefCell;

use hql_plugin_api::record::{
    AttributeValue, BantRecord, CompanyRecord, ContactRecord, EventRecord, LeadRecord, ProductUsageRecord,
};
use sha2::{Digest, Sha256};

/// A lead's bytes to hash, laid out field by field (`hql.decision.v2`).
struct Feed<'b>(&'b mut Vec<u8>);

impl Feed<'_> {
    /// LEB128: seven bits a byte, low first, the top bit set on all but the last.
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn str<T: AsRef<str> + ?Sized>(&mut self, s: &T) {
        let s = s.as_ref();
        self.varint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    /// Zig-zag, so small negative numbers stay short too.
    fn i64(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }
    fn f64(&mut self, v: f64) {
        // Normalise -0.0 so that equal numbers hash equally.
        let v = if v == 0.0 { 0.0 } else { v };
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    fn opt_i64(&mut self, v: Option<i64>) {
        match v {
            Some(x) => {
                self.u8(1);
                self.i64(x);
            }
            None => self.u8(0),
        }
    }
    fn opt_f64(&mut self, v: Option<f64>) {
        match v {
            Some(x) => {
                self.u8(1);
                self.f64(x);
            }
            None => self.u8(0),
        }
    }
    fn strs<T: AsRef<str>>(&mut self, items: &[T]) {
        self.varint(items.len() as u64);
        for s in items {
            self.str(s);
        }
    }
}

/// The policy digest's bytes (`hql.policy.v1`): strings prefixed with their
/// length as 8 bytes, little-endian.
struct Fixed<'b>(&'b mut Vec<u8>);

impl Fixed<'_> {
    fn str(&mut self, s: &str) {
        self.0.extend_from_slice(&(s.len() as u64).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }
}

fn feed_lead<T: AsRef<str>>(f: &mut Feed<'_>, lead: &LeadRecord<T>) {
    let LeadRecord { lead_id, contact, company, bant, events, usage, attributes } = lead;
    f.str(lead_id);
    let ContactRecord { email, job_title, seniority, department, country } = contact;
    f.str(email);
    f.str(job_title);
    f.str(seniority.as_str());
    f.str(department);
    f.str(country);
    let CompanyRecord { domain, name, industry, employee_count, annual_revenue, region, technologies } =
        company;
    f.str(domain);
    f.str(name);
    f.str(industry);
    f.opt_i64(*employee_count);
    f.opt_f64(*annual_revenue);
    f.str(region);
    f.strs(technologies);
    let BantRecord { budget_status, budget_amount, authority, need, timeline_days } = bant;
    f.str(budget_status.as_str());
    f.opt_f64(*budget_amount);
    f.str(authority.as_str());
    f.str(need.as_str());
    f.opt_i64(*timeline_days);
    f.varint(events.len() as u64);
    for e in events {
        let EventRecord { event_type, occurred_at, source, response, channel, campaign, value } = e;
        f.str(event_type);
        f.i64(*occurred_at);
        f.str(source.as_str());
        f.str(response.as_str());
        f.str(channel);
        f.str(campaign);
        f.opt_f64(*value);
    }
    match usage {
        None => f.u8(0),
        Some(u) => {
            f.u8(1);
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
            f.opt_i64(*signed_up_at);
            f.opt_i64(*trial_ends_at);
            f.u8(u8::from(*activated));
            f.opt_i64(*active_days_last_30);
            f.opt_i64(*active_days_prev_30);
            f.opt_i64(*seats);
            f.opt_i64(*invited_teammates);
            f.opt_i64(*plan_limit_hits);
            f.str(plan);
            f.strs(features_adopted);
        }
    }
    f.varint(attributes.len() as u64);
    for (k, v) in attributes {
        f.str(k);
        match v {
            AttributeValue::Number(n) => {
                f.u8(1);
                f.f64(*n);
            }
            AttributeValue::Bool(b) => {
                f.u8(2);
                f.u8(u8::from(*b));
            }
            AttributeValue::Text(t) => {
                f.u8(3);
                f.str(t);
            }
        }
    }
}

/// Largest buffer a thread keeps between decisions; a lead with thousands
/// of events lays out more, and that memory is given back afterwards.
const KEPT_BUFFER_BYTES: usize = 64 * 1024;

/// sha256 of what `lay_out` writes, through this thread's reused buffer.
fn sha256_of(lay_out: impl FnOnce(&mut Vec<u8>)) -> [u8; 32] {
    thread_local! {
        static BUFFER: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(4096));
    }
    let hash = |buffer: &mut Vec<u8>| {
        buffer.clear();
        lay_out(buffer);
        let digest: [u8; 32] = Sha256::digest(buffer.as_slice()).into();
        if buffer.capacity() > KEPT_BUFFER_BYTES {
            *buffer = Vec::with_capacity(4096);
        }
        digest
    };
    // `try_borrow_mut` fails only if hashing re-entered itself, which it
    // does not; a fresh buffer keeps that case correct anyway.
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffer) => hash(&mut buffer),
        Err(_) => hash(&mut Vec::new()),
    })
}

/// The decision id: the first 128 bits of sha256(lead, policy digest, as_of)
/// in layout `hql.decision.v2`, hex.
pub fn decision_id<T: AsRef<str>>(lead: &LeadRecord<T>, policy_digest: &str, as_of_ms: i64) -> String {
    let digest = sha256_of(|buffer| {
        let f = &mut Feed(buffer);
        f.str("hql.decision.v2");
        feed_lead(f, lead);
        f.str(policy_digest);
        f.i64(as_of_ms);
    });
    hex(&digest[..16])
}

/// sha256 of bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The policy digest: sha256 over the policy text and, per scorer in policy
/// order, its id and its implementation's identity (library sha256, or the
/// static scorer's name and version).
pub fn policy_digest<'a>(policy_text: &str, scorers: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let digest = sha256_of(|buffer| {
        let f = &mut Fixed(buffer);
        f.str("hql.policy.v1");
        f.str(policy_text);
        for (id, identity) in scorers {
            f.str(id);
            f.str(identity);
        }
    });
    hex(&digest)
}

/// `bytes` in lower-case hex. `hex::encode` collects its digits one `char`
/// at a time (about 800 instructions for a decision id); this writes them
/// into one buffer.
fn hex(bytes: &[u8]) -> String {
    let mut out = vec![0; bytes.len() * 2];
    // Cannot fail: the buffer is exactly twice as long as the input.
    let _ = hex::encode_to_slice(bytes, &mut out);
    // Hex digits are ASCII, so this is never the empty fallback.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hql_plugin_api::record::EventRecord;

    fn lead() -> LeadRecord {
        LeadRecord {
            lead_id: "l-1".into(),
            events: vec![EventRecord::new("demo_request", 1_000)],
            ..LeadRecord::default()
        }
    }

    #[test]
    fn hex_is_lower_case_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x09, 0x9f, 0xa0, 0xff]), "00099fa0ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn same_inputs_same_id() {
        assert_eq!(decision_id(&lead(), "p", 5), decision_id(&lead(), "p", 5));
        assert_eq!(decision_id(&lead(), "p", 5).len(), 32);
    }

    #[test]
    fn any_change_changes_the_id() {
        let base = decision_id(&lead(), "p", 5);
        assert_ne!(base, decision_id(&lead(), "q", 5));
        assert_ne!(base, decision_id(&lead(), "p", 6));
        let mut l = lead();
        l.events[0].occurred_at += 1;
        assert_ne!(base, decision_id(&l, "p", 5));
        let mut l = lead();
        l.company.employee_count = Some(0);
        assert_ne!(base, decision_id(&l, "p", 5));
    }

    /// Decision ids are stored by callers and compared across releases:
    /// the bytes hashed must never change without a new `hql.decision.vN`
    /// (v1, with fixed 8-byte lengths, gave 3822f7c6b9729466dfec8cd4c8f108ff
    /// here). The policy digest's layout is unchanged since v1.
    #[test]
    fn ids_are_stable_across_releases() {
        assert_eq!(decision_id(&lead(), "p", 5), "a66b89163af128e9e27fc41ddaae1704");
        assert_eq!(
            policy_digest("x", [("a", "b")]),
            "d3fb016cd56e3b6cfe6ff7dc9dc9db8a787ffbae10177170f3c8e6e783ec540b"
        );
    }

    /// The layout reads text as `&str`: a record borrowing its text (as the
    /// server's does) lays out the same bytes as the owned one.
    /// Leads with every field set, text of every length from 0 to 300
    /// bytes (across the one- and two-byte lengths and any chunking of
    /// copies) and negative, large and absent numbers: their ids, hashed
    /// together, pinned. Whatever writes the layout must write these bytes.
    #[test]
    fn varied_leads_keep_their_ids() {
        use hql_plugin_api::kinds::{Authority, BudgetStatus, Need, Response, Seniority, Source};
        let text = |n: usize, c: u8| String::from_utf8(vec![b'a' + c % 26; n]).unwrap_or_default();
        let mut all = String::new();
        for i in 0..301usize {
            let n = |k: usize| (i * 7 + k * 13) % 301;
            let num = |k: usize| (i as i64 - 150) * 1_000_003_i64.pow((k % 3) as u32);
            let lead = LeadRecord {
                lead_id: text(i, 0),
                contact: ContactRecord {
                    email: text(n(1), 1),
                    job_title: text(n(2), 2),
                    seniority: Seniority::ALL[i % Seniority::ALL.len()],
                    department: text(n(3) % 17, 3),
                    country: text(i % 3, 4),
                },
                company: CompanyRecord {
                    domain: text(n(4), 5),
                    name: text(n(5) % 40, 6),
                    industry: text(i % 20, 7),
                    employee_count: (i % 4 != 0).then(|| num(1)),
                    annual_revenue: (i % 5 != 0).then(|| num(2) as f64 * 0.37),
                    region: text(i % 5, 8),
                    technologies: (0..i % 6).map(|k| text(n(k + 6) % 33, k as u8)).collect(),
                },
                bant: BantRecord {
                    budget_status: BudgetStatus::ALL[i % BudgetStatus::ALL.len()],
                    budget_amount: (i % 2 == 0).then(|| -(i as f64) * 1.5),
                    authority: Authority::ALL[i % Authority::ALL.len()],
                    need: Need::ALL[i % Need::ALL.len()],
                    timeline_days: (i % 3 == 0).then(|| num(3)),
                },
                events: (0..i % 9)
                    .map(|k| EventRecord {
                        source: Source::ALL[(i + k) % Source::ALL.len()],
                        response: Response::ALL[(i + k) % Response::ALL.len()],
                        channel: if k % 2 == 0 { "email".into() } else { "".into() },
                        campaign: text(n(k + 30), (k + 3) as u8),
                        value: (k % 3 == 1).then_some(k as f64 - 0.5),
                        ..EventRecord::new(text(n(k + 20) % 40, k as u8), num(k) * 977)
                    })
                    .collect(),
                usage: (i % 3 != 1).then(|| ProductUsageRecord {
                    signed_up_at: Some(num(4)),
                    trial_ends_at: (i % 2 == 0).then(|| num(5)),
                    activated: i % 4 == 0,
                    active_days_last_30: Some((i % 31) as i64),
                    active_days_prev_30: None,
                    seats: Some(num(6)),
                    invited_teammates: (i % 7 == 0).then_some(3),
                    plan_limit_hits: Some(-1),
                    plan: text(n(7) % 12, 9),
                    features_adopted: (0..i % 4).map(|k| text(n(k + 40) % 25, k as u8)).collect(),
                }),
                attributes: (0..i % 5)
                    .map(|k| {
                        let value = match k % 3 {
                            0 => AttributeValue::Text(text(n(k + 50), k as u8)),
                            1 => AttributeValue::Number(num(k) as f64 / 7.0),
                            _ => AttributeValue::Bool(k % 2 == 0),
                        };
                        (format!("{}{k}", text(n(k + 60) % 20, 2)), value)
                    })
                    .collect(),
            };
            all.push_str(&decision_id(&lead, &text(64, 5), num(8)));
        }
        assert_eq!(
            sha256_hex(all.as_bytes()),
            "dc5bc31fdacd2064742f8d370951511a38a7a9b6ed02a5b2524970baecb786e6"
        );
    }

    #[test]
    fn a_borrowed_record_has_the_owned_records_id() {
        use std::borrow::Cow;
        let buffer = String::from("l-1 demo_request");
        let EventRecord { event_type, occurred_at, source, response, channel, value, .. } =
            EventRecord::new("demo_request", 1_000);
        let campaign = Cow::Borrowed(&buffer[3..3]);
        let borrowed = LeadRecord::<Cow<'_, str>> {
            lead_id: Cow::Borrowed(&buffer[..3]),
            events: vec![EventRecord { event_type, occurred_at, source, response, channel, campaign, value }],
            ..LeadRecord::default()
        };
        assert_eq!(decision_id(&borrowed, "p", 5), decision_id(&lead(), "p", 5));
        assert_eq!(decision_id(&borrowed, "p", 5), "a66b89163af128e9e27fc41ddaae1704");
    }

    #[test]
    fn a_lead_larger_than_the_kept_buffer_hashes_the_same_twice() {
        let mut big = lead();
        big.events = (0..5_000).map(|i| EventRecord::new("page_view", i)).collect();
        let first = decision_id(&big, "p", 5);
        assert_eq!(first, decision_id(&big, "p", 5));
        assert_ne!(first, decision_id(&lead(), "p", 5));
    }

    #[test]
    fn what_an_earlier_lead_left_in_the_buffer_is_not_hashed() {
        let mut longer = lead();
        longer.events = (0..300).map(|i| EventRecord::new("page_view", i)).collect();
        let _ = decision_id(&longer, "p", 5);
        assert_eq!(decision_id(&lead(), "p", 5), "a66b89163af128e9e27fc41ddaae1704");
        assert_eq!(
            policy_digest("x", [("a", "b")]),
            "d3fb016cd56e3b6cfe6ff7dc9dc9db8a787ffbae10177170f3c8e6e783ec540b"
        );
        assert_eq!(decision_id(&lead(), "p", 5), "a66b89163af128e9e27fc41ddaae1704");
    }

    #[test]
    fn strings_are_length_prefixed() {
        let mut a = lead();
        a.contact.email = "ab".into();
        a.contact.job_title = "c".into();
        let mut b = lead();
        b.contact.email = "a".into();
        b.contact.job_title = "bc".into();
        assert_ne!(decision_id(&a, "p", 1), decision_id(&b, "p", 1));
    }

    fn laid_out(write: impl FnOnce(&mut Feed<'_>)) -> Vec<u8> {
        let mut bytes = Vec::new();
        write(&mut Feed(&mut bytes));
        bytes
    }

    #[test]
    fn lengths_and_integers_are_leb128_varints() {
        assert_eq!(laid_out(|f| f.varint(0)), [0]);
        assert_eq!(laid_out(|f| f.varint(127)), [0x7f]);
        assert_eq!(laid_out(|f| f.varint(128)), [0x80, 0x01]);
        assert_eq!(laid_out(|f| f.varint(300)), [0xac, 0x02]);
        assert_eq!(laid_out(|f| f.varint(u64::MAX)).len(), 10);
        // Zig-zag: 0, -1, 1, -2 -> 0, 1, 2, 3.
        assert_eq!(laid_out(|f| [0, -1, 1, -2].into_iter().for_each(|v| f.i64(v))), [0, 1, 2, 3]);
        assert_eq!(laid_out(|f| f.i64(i64::MIN)).len(), 10);
        assert_eq!(laid_out(|f| f.str("ab")), [2, b'a', b'b']);
    }

    #[test]
    fn long_strings_stay_apart_across_the_one_byte_length_boundary() {
        // 127 and 128 bytes are where a length takes a second byte.
        let mut a = lead();
        a.contact.email = "x".repeat(127);
        a.contact.job_title = "y".repeat(129);
        let mut b = lead();
        b.contact.email = "x".repeat(128);
        b.contact.job_title = "y".repeat(128);
        assert_ne!(decision_id(&a, "p", 1), decision_id(&b, "p", 1));
    }
}
