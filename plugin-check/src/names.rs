//! What well-formed names, versions, codes and field paths look like.
//!
//! The host enforces some of these at load time (plugin, dimension and fact
//! names: `[a-z0-9_]{1,64}`) and the checker applies the same test, so a
//! plugin that passes here loads there. The others are conventions the
//! header and the docs state but the host does not refuse: semantic versions,
//! dotted snake_case codes (`bant.budget.confirmed`) and evidence field paths
//! that name a real part of the lead (`bant.authority`). A plugin breaking
//! them still loads, but its output is harder to read, filter and audit, which
//! is why the checker holds plugins to them.

/// Longest plugin, dimension or fact name the host accepts.
pub(crate) const MAX_NAME_BYTES: usize = 64;

/// A plugin, dimension or fact name as the host's loader accepts it:
/// 1 to 64 characters of `[a-z0-9_]`.
pub(crate) fn is_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_NAME_BYTES && s.bytes().all(is_snake_byte)
}

fn is_snake_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'
}

/// A semantic version, `MAJOR.MINOR.PATCH[-pre][+build]`, numbers without
/// leading zeros (semver.org 2.0).
pub(crate) fn is_semver(s: &str) -> bool {
    let (rest, build) = match s.split_once('+') {
        Some((rest, build)) => (rest, Some(build)),
        None => (s, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (rest, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    let numeric =
        |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n == "0" || !n.starts_with('0'));
    let identifiers = |s: &str| {
        s.split('.').all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    numbers.len() == 3
        && numbers.iter().all(|n| numeric(n))
        && pre.is_none_or(identifiers)
        && build.is_none_or(identifiers)
}

/// A dotted snake_case code (`icp.competitor`, `bant.budget.confirmed`): two
/// or more non-empty `[a-z0-9_]` segments joined by dots.
pub(crate) fn is_dotted_code(s: &str) -> bool {
    let mut segments = 0;
    for segment in s.split('.') {
        if segment.is_empty() || !segment.bytes().all(is_snake_byte) {
            return false;
        }
        segments += 1;
    }
    segments >= 2
}

/// The parts of a lead a reason can cite, with their fields: the sections
/// of `hql.v1.Lead` (and of the ABI's `hql_lead_t`, which calls
/// `product_usage` `usage`).
const SECTIONS: &[(&str, &[&str])] = &[
    ("contact", &["email", "job_title", "seniority", "department", "country"]),
    (
        "company",
        &["domain", "name", "industry", "employee_count", "annual_revenue", "region", "technologies"],
    ),
    ("bant", &["budget_status", "budget_amount", "authority", "need", "timeline_days"]),
    ("events", &["type", "custom_type", "occurred_at", "source", "channel", "campaign", "response", "value"]),
    (
        "product_usage",
        &[
            "signed_up_at",
            "activated",
            "active_days_last_30",
            "active_days_prev_30",
            "seats",
            "invited_teammates",
            "features_adopted",
            "plan_limit_hits",
            "plan",
            "trial_ends_at",
        ],
    ),
];

/// Lists whose items a path may index (`events[3]`, `company.technologies[0]`).
const LISTS: &[&str] = &["events", "company.technologies", "product_usage.features_adopted"];

/// Why `path` is not a plausible lead field path, or `None` when it is.
///
/// Plausible: `lead_id`; a section (`contact`, `company`, `bant`, `events`,
/// `product_usage` or its ABI name `usage`, `attributes`); a section's field
/// (`bant.authority`, `events.type`); a list item (`events[3]`,
/// `events[3].type`); or a custom attribute (`attributes.<key>`, any
/// non-empty key).
pub(crate) fn field_path_problem(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some("is empty".to_string());
    }
    if path.trim() != path {
        return Some("has surrounding whitespace".to_string());
    }
    if path == "lead_id" || path == "attributes" {
        return None;
    }
    if let Some(key) = path.strip_prefix("attributes.") {
        return if key.is_empty() {
            Some("names no attribute after `attributes.`".to_string())
        } else {
            None
        };
    }
    let (head, field) = match path.split_once('.') {
        Some((head, field)) => (head, Some(field)),
        None => (path, None),
    };
    // `events[3]` and `events[3].type` cite one event's fields.
    let (section, head_indexed) = strip_index(head);
    let section = if section == "usage" { "product_usage" } else { section };
    let Some((_, fields)) = SECTIONS.iter().find(|(name, _)| *name == section) else {
        return Some(format!(
            "does not start with a part of the lead (lead_id, contact, company, bant, events, \
             product_usage, attributes), got `{head}`"
        ));
    };
    if head_indexed && section != "events" {
        return Some(format!("indexes `{section}`, which is not a list"));
    }
    // A bare section (`bant`, `events[3]`) is plausible as it is.
    let (name, indexed) = match field {
        Some(field) => strip_index(field),
        None => return None,
    };
    if !fields.contains(&name) {
        return Some(format!("`{section}` has no field `{name}` (it has: {})", fields.join(", ")));
    }
    if indexed && !LISTS.contains(&format!("{section}.{name}").as_str()) {
        return Some(format!("indexes `{section}.{name}`, which is not a list"));
    }
    None
}

/// `name[123]` → (`name`, true); anything else → (itself, false). A malformed
/// index leaves the text whole, so it fails the name lookup.
fn strip_index(s: &str) -> (&str, bool) {
    if let Some(open) = s.find('[')
        && let Some(inner) = s[open + 1..].strip_suffix(']')
        && !inner.is_empty()
        && inner.bytes().all(|b| b.is_ascii_digit())
    {
        return (&s[..open], true);
    }
    (s, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_hosts_rule() {
        assert!(is_name("bant"));
        assert!(is_name("icp_fit2"));
        assert!(!is_name(""));
        assert!(!is_name("Bant"));
        assert!(!is_name("icp-fit"));
        assert!(!is_name(&"a".repeat(65)));
        assert!(is_name(&"a".repeat(64)));
    }

    #[test]
    fn semantic_versions() {
        for ok in ["0.1.0", "1.2.3", "10.20.30", "1.0.0-alpha.1", "1.0.0+build.5", "1.0.0-rc-1+x"] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in ["", "1", "1.2", "1.2.3.4", "01.2.3", "1.2.x", "v1.2.3", "1.2.3-", "1.2.3+", "1.2.3-a..b"]
        {
            assert!(!is_semver(bad), "{bad}");
        }
    }

    #[test]
    fn dotted_codes() {
        assert!(is_dotted_code("icp.competitor"));
        assert!(is_dotted_code("bant.budget.confirmed"));
        assert!(is_dotted_code("c_example.demo_request"));
        for bad in ["", "bant", "bant.", ".bant", "bant..x", "Bant.x", "bant.budget-ok", "bant x.y"] {
            assert!(!is_dotted_code(bad), "{bad}");
        }
    }

    #[test]
    fn plausible_field_paths() {
        for ok in [
            "lead_id",
            "bant.authority",
            "contact.email",
            "company.technologies",
            "company.technologies[3]",
            "events",
            "events.type",
            "events[12]",
            "events[12].occurred_at",
            "product_usage.seats",
            "usage.seats",
            "attributes",
            "attributes.partner_tier",
            "attributes.🏷️",
            "bant",
        ] {
            assert_eq!(field_path_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            " bant.need",
            "budget",
            "bant.budget",
            "lead.bant.need",
            "contact[1]",
            "bant.need[0]",
            "events[x]",
            "attributes.",
            "score",
        ] {
            assert!(field_path_problem(bad).is_some(), "{bad}");
        }
    }
}
