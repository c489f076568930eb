//! Request rules, and the collector that gathers every broken one.
//!
//! A client fixing a request wants all its problems at once, not one per
//! round trip, so nothing here stops at the first violation: rules push
//! `(field path, description)` pairs into [`Violations`] and return the
//! normalised value (or `None`), and the caller decides after the whole
//! request was read. Paths use proto field names and indexes
//! (`lead.events[3].occurred_at`, `leads[2].lead_id`,
//! `lead.attributes["tier"]`) and are only formatted when a rule fails, so a
//! valid request costs no path strings.
//!
//! The limits are part of the contract (`lead.proto` documents them); they
//! exist so one request cannot make the server, or a scorer plugin, handle
//! unbounded text.

use std::borrow::Cow;
use std::fmt;

/// Most bytes of a lead id.
pub(crate) const MAX_LEAD_ID_BYTES: usize = 256;
/// Most bytes of an ordinary text field (names, titles, domains, list items).
pub(crate) const MAX_TEXT_BYTES: usize = 256;
/// Most bytes of a custom attribute's text value.
pub(crate) const MAX_ATTRIBUTE_TEXT_BYTES: usize = 1024;
/// Most bytes of a custom attribute key.
pub(crate) const MAX_ATTRIBUTE_KEY_BYTES: usize = 128;
/// Most bytes of a custom event type.
pub(crate) const MAX_CUSTOM_TYPE_BYTES: usize = 64;
/// Most entries in `technologies`, `features_adopted` and `attributes`.
pub(crate) const MAX_LIST_ITEMS: usize = 256;
/// Most active days in a 30-day window.
pub(crate) const MAX_ACTIVE_DAYS: i32 = 30;

/// Violations kept in memory per request; beyond this they are only counted.
/// Far more than a status reports, far less than a hostile request could make.
const MAX_KEPT: usize = 1000;

/// Longest attribute key quoted in a path, so a path stays readable and
/// small even when the key itself is the problem.
const MAX_KEY_IN_PATH: usize = 64;

/// A field path, built on the stack and formatted only when needed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Path<'a> {
    /// A request field: `lead`, `leads`, `as_of`.
    Root(&'static str),
    /// A message field: `<parent>.<name>`.
    Field(&'a Path<'a>, &'static str),
    /// A list element: `<parent>[<index>]`.
    Index(&'a Path<'a>, usize),
    /// A map entry: `<parent>["<key>"]`.
    Key(&'a Path<'a>, &'a str),
}

impl<'a> Path<'a> {
    /// `self.name`.
    pub(crate) fn field(&'a self, name: &'static str) -> Path<'a> {
        Path::Field(self, name)
    }

    /// `self[index]`.
    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }

    /// `self["key"]`.
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root(name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
            Path::Key(parent, key) => {
                let shown = truncate(key, MAX_KEY_IN_PATH);
                let ellipsis = if shown.len() < key.len() { "..." } else { "" };
                write!(f, "{parent}[{:?}]", format!("{shown}{ellipsis}"))
            }
        }
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// One broken rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Violation {
    /// Proto field path, e.g. `lead.events[3].occurred_at`.
    pub(crate) field: String,
    /// What is wrong, for a developer.
    pub(crate) description: String,
}

/// Every violation found in a request (the first [`MAX_KEPT`] of them) and
/// how many there were.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Violations {
    kept: Vec<Violation>,
    total: usize,
}

impl Violations {
    /// Records that `field` breaks a rule.
    pub(crate) fn push(&mut self, field: impl fmt::Display, description: impl Into<String>) {
        self.total += 1;
        if self.kept.len() < MAX_KEPT {
            self.kept.push(Violation { field: field.to_string(), description: description.into() });
        }
    }

    /// No rule was broken.
    pub(crate) fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// How many rules were broken, kept or not.
    pub(crate) fn total(&self) -> usize {
        self.total
    }

    /// The violations kept, in the order found.
    pub(crate) fn kept(&self) -> &[Violation] {
        &self.kept
    }

    /// `Ok(value)` when nothing was broken, else the violations.
    pub(crate) fn into_result<T>(self, value: T) -> Result<T, Violations> {
        if self.is_empty() { Ok(value) } else { Err(self) }
    }
}

/// A text field: trimmed, at most `max` bytes as sent.
pub(crate) fn text<'a>(v: &mut Violations, at: Path<'_>, value: &'a str, max: usize) -> &'a str {
    if value.len() > max {
        v.push(at, format!("must be at most {max} bytes, got {}", value.len()));
    }
    trimmed(value)
}

/// `value` without surrounding whitespace.
pub(crate) fn trimmed(value: &str) -> &str {
    // Most values begin and end with a visible ASCII character, which no
    // whitespace (ASCII or not) can be: no need to decode characters from
    // both ends, which cost about a microsecond per lead of many strings.
    let bytes = value.as_bytes();
    if bytes.first().is_none_or(u8::is_ascii_graphic) && bytes.last().is_none_or(u8::is_ascii_graphic) {
        return value;
    }
    value.trim()
}

/// A repeated text field of `count` entries, of which `items` were kept:
/// at most [`MAX_LIST_ITEMS`] entries, each non-empty after trimming and at
/// most [`MAX_TEXT_BYTES`], lower-cased.
pub(crate) fn lowercase_list<'a>(
    v: &mut Violations,
    at: Path<'_>,
    items: Vec<&'a str>,
    count: usize,
) -> Vec<Cow<'a, str>> {
    if count > MAX_LIST_ITEMS {
        v.push(at, format!("must have at most {MAX_LIST_ITEMS} entries, got {count}"));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let item = text(v, at.index(i), item, MAX_TEXT_BYTES);
            if item.is_empty() {
                v.push(at.index(i), "must not be empty");
            }
            lower(item)
        })
        .collect()
}

/// Lower-cased: borrowed when it already is (the common case), else a copy.
pub(crate) fn lower(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        }
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

/// Upper-cased: borrowed when it already is, else a copy.
pub(crate) fn upper(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        if s.bytes().any(|b| b.is_ascii_lowercase()) {
            Cow::Owned(s.to_ascii_uppercase())
        } else {
            Cow::Borrowed(s)
        }
    } else {
        Cow::Owned(s.to_uppercase())
    }
}

/// The lead id: required, 1 to [`MAX_LEAD_ID_BYTES`] bytes. Kept exactly as
/// sent (not trimmed): it is the caller's key, echoed back for correlation.
pub(crate) fn lead_id<'a>(v: &mut Violations, at: Path<'_>, value: &'a str) -> &'a str {
    if value.trim().is_empty() {
        v.push(at, "is required");
    } else if value.len() > MAX_LEAD_ID_BYTES {
        v.push(at, format!("must be at most {MAX_LEAD_ID_BYTES} bytes, got {}", value.len()));
    }
    value
}

/// A count that must not be negative.
pub(crate) fn non_negative<T>(v: &mut Violations, at: Path<'_>, value: Option<T>) -> Option<i64>
where
    T: Into<i64>,
{
    let value = value.map(Into::into);
    if let Some(n) = value
        && n < 0
    {
        v.push(at, format!("must not be negative, got {n}"));
    }
    value
}

/// Active days in a 30-day window: 0 to 30.
pub(crate) fn active_days(v: &mut Violations, at: Path<'_>, value: Option<i32>) -> Option<i64> {
    if let Some(n) = value
        && !(0..=MAX_ACTIVE_DAYS).contains(&n)
    {
        v.push(at, format!("must be between 0 and {MAX_ACTIVE_DAYS}, got {n}"));
    }
    value.map(i64::from)
}

/// An amount or magnitude: finite and not negative.
pub(crate) fn amount(v: &mut Violations, at: Path<'_>, value: Option<f64>) -> Option<f64> {
    if let Some(x) = value {
        if !x.is_finite() {
            v.push(at, format!("must be a finite number, got {x}"));
        } else if x < 0.0 {
            v.push(at, format!("must not be negative, got {x}"));
        }
    }
    value
}

/// What is wrong with a custom event type, if anything: it must be
/// snake_case, `[a-z0-9_]{1,64}`.
pub(crate) fn custom_type_problem(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("is required when type is EVENT_TYPE_CUSTOM".to_owned());
    }
    if value.len() > MAX_CUSTOM_TYPE_BYTES {
        return Some(format!("must be at most {MAX_CUSTOM_TYPE_BYTES} bytes, got {}", value.len()));
    }
    let snake = value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !snake {
        return Some("must be snake_case: lower-case letters, digits and '_'".to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_entries_are_trimmed_and_lower_cased_ascii_or_not() {
        let mut v = Violations::default();
        let items = vec![" Salesforce ", "HubSpot", "ÉLAN Ötz"];
        let listed = lowercase_list(&mut v, Path::Root("technologies"), items, 3);
        assert_eq!(listed, ["salesforce", "hubspot", "élan ötz"]);
        assert!(v.into_result(()).is_ok());
    }

    #[test]
    fn case_is_changed_by_copy_only_when_it_changes() {
        assert!(matches!(lower("example.com"), Cow::Borrowed("example.com")));
        assert!(matches!(lower("Example.com"), Cow::Owned(ref s) if s == "example.com"));
        assert!(matches!(lower("élan"), Cow::Owned(ref s) if s == "élan"));
        assert_eq!(lower("ÉLAN Ötz"), "élan ötz");
        assert!(matches!(upper("EMEA"), Cow::Borrowed("EMEA")));
        assert!(matches!(upper("emea"), Cow::Owned(ref s) if s == "EMEA"));
        assert_eq!(upper("straße"), "STRASSE");
    }

    #[test]
    fn paths_format_with_proto_names_indexes_and_keys() {
        let lead = Path::Root("lead");
        let events = lead.field("events");
        let third = events.index(3);
        assert_eq!(third.field("occurred_at").to_string(), "lead.events[3].occurred_at");
        let leads = Path::Root("leads");
        let second = leads.index(2);
        assert_eq!(second.field("lead_id").to_string(), "leads[2].lead_id");
        let attributes = lead.field("attributes");
        assert_eq!(attributes.key("tier").to_string(), r#"lead.attributes["tier"]"#);
        assert_eq!(attributes.key("a\"b").to_string(), r#"lead.attributes["a\"b"]"#);
    }

    #[test]
    fn long_keys_are_cut_in_paths_on_a_char_boundary() {
        let lead = Path::Root("lead");
        let attributes = lead.field("attributes");
        let key = "é".repeat(100);
        let path = attributes.key(&key).to_string();
        assert!(path.len() < 100, "{path}");
        assert!(path.ends_with(r#"..."]"#), "{path}");
    }

    #[test]
    fn violations_count_beyond_what_they_keep() {
        let mut v = Violations::default();
        for i in 0..MAX_KEPT + 5 {
            v.push(Path::Root("leads").index(i), "bad");
        }
        assert_eq!(v.total(), MAX_KEPT + 5);
        assert_eq!(v.kept().len(), MAX_KEPT);
        assert!(v.into_result(()).is_err());
        assert_eq!(Violations::default().into_result(7), Ok(7));
    }

    #[test]
    fn text_is_trimmed_and_capped_as_sent() {
        let mut v = Violations::default();
        assert_eq!(text(&mut v, Path::Root("x"), "  a b  ", 10), "a b");
        assert!(v.is_empty());
        text(&mut v, Path::Root("x"), &"x".repeat(11), 10);
        assert_eq!(v.kept()[0].field, "x");
        assert_eq!(v.kept()[0].description, "must be at most 10 bytes, got 11");
    }

    #[test]
    fn trimming_takes_ascii_and_unicode_whitespace_and_nothing_else() {
        for (sent, kept) in [
            ("", ""),
            ("a", "a"),
            ("a b", "a b"),
            (" a", "a"),
            ("a\t", "a"),
            ("\u{a0}a\u{2003}", "a"),
            ("\u{3000}", ""),
            ("ü", "ü"),
            ("~x~", "~x~"),
        ] {
            assert_eq!(trimmed(sent), kept, "{sent:?}");
        }
    }

    #[test]
    fn custom_types_must_be_snake_case() {
        assert_eq!(custom_type_problem("partner_referral"), None);
        assert_eq!(custom_type_problem("a1_b2"), None);
        assert_eq!(custom_type_problem("2nd_touch"), None);
        for bad in ["", "Partner", "partner referral", "partner-referral", "ü", &"a".repeat(65)] {
            assert!(custom_type_problem(bad).is_some(), "{bad:?}");
        }
        assert_eq!(custom_type_problem(&"a".repeat(64)), None);
    }
}
