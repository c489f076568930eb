//! Hard disqualifiers that are not part of a sub-score: competitors,
//! personal and throw-away e-mail, students and private persons.
//!
//! The domain notes list "competitor, student … out of served market" among
//! the leads that must not be worked, and peers (HubSpot, Marketo, MadKudu)
//! all score them negatively. Here they are reported as disqualifier codes
//! rather than subtracted, because whether they end a lead's journey is a
//! policy decision; each one also adds a 0-point reason citing the field that
//! triggered it, since a disqualifier alone carries no evidence.

use hql_plugin_api::{Lead, Score, Seniority};

use crate::config::Disqualifiers;
use crate::rules::Findings;

/// True when `domain` is `entry` or a subdomain of it.
fn domain_matches(domain: &str, entry: &str) -> bool {
    domain.strip_suffix(entry).is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

fn find_domain<'a>(list: &'a [String], domain: &str) -> Option<&'a str> {
    if domain.is_empty() {
        return None;
    }
    list.iter().find(|entry| domain_matches(domain, entry)).map(String::as_str)
}

/// Lower-case alphanumeric words of a free-text title or keyword.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// The first keyword (whole words, in order) found in `title_words`.
fn find_phrase<'a>(title_words: &[String], keywords: &'a [String]) -> Option<&'a str> {
    keywords
        .iter()
        .find(|k| {
            let k = words(k);
            !k.is_empty() && title_words.windows(k.len()).any(|w| w == k.as_slice())
        })
        .map(String::as_str)
}

/// Checks every gate, adding 0-point reasons and recording disqualifiers.
pub(crate) fn check(cfg: &Disqualifiers, lead: &Lead<'_>, score: &mut Score, findings: &mut Findings) {
    let email_domain = lead.contact().email_domain().trim().to_lowercase();
    let company_domain = lead.company().domain();

    // Competitor: either domain.
    if !email_domain.is_empty() || !company_domain.is_empty() {
        let hit = find_domain(&cfg.competitor_domains, company_domain)
            .map(|d| (d, company_domain, "company.domain", "Company domain"))
            .or_else(|| {
                find_domain(&cfg.competitor_domains, &email_domain)
                    .map(|d| (d, email_domain.as_str(), "contact.email", "E-mail domain"))
            });
        findings.competitor = Some(hit.is_some());
        if let Some((entry, domain, field, what)) = hit {
            let message = format!("{what} {domain} belongs to a competitor ({entry})");
            score.reason("icp_fit.competitor", 0.0, message.clone()).field(field);
            findings.disqualifiers.push(("icp.competitor", message));
        }
    }

    // Free mail: only when the team sells B2B only.
    if cfg.b2b_only {
        let hit = find_domain(&cfg.free_mail_domains, &email_domain)
            .map(|_| (email_domain.as_str(), "contact.email", "Personal e-mail address at"))
            .or_else(|| {
                find_domain(&cfg.free_mail_domains, company_domain)
                    .map(|_| (company_domain, "company.domain", "Company domain is the free-mail provider"))
            });
        if let Some((domain, field, what)) = hit {
            let message = format!("{what} {domain} (B2B only)");
            score.reason("icp_fit.free_mail", 0.0, message.clone()).field(field);
            findings.disqualifiers.push(("icp.free_mail", message));
        }
    }

    // Disposable mail: always.
    if let Some(entry) = find_domain(&cfg.disposable_email_domains, &email_domain) {
        let message = format!("Disposable e-mail address at {email_domain} ({entry})");
        score.reason("icp_fit.disposable_email", 0.0, message.clone()).field("contact.email");
        findings.disqualifiers.push(("icp.disposable_email", message));
    }

    // Student or private person.
    let title = lead.contact().job_title();
    let title_words = words(title);
    let student = if lead.contact().seniority() == Seniority::Intern {
        Some(("Seniority is intern".to_string(), "contact.seniority"))
    } else if let Some(k) = find_phrase(&title_words, &cfg.student_title_keywords) {
        Some((
            format!("Job title '{}' marks a student or trainee ('{k}')", title.trim()),
            "contact.job_title",
        ))
    } else if let Some(k) = find_phrase(&title_words, &cfg.personal_title_keywords) {
        Some((format!("Job title '{}' marks a private person ('{k}')", title.trim()), "contact.job_title"))
    } else {
        let whole = title_words.join(" ");
        cfg.personal_titles.iter().find(|t| !whole.is_empty() && words(t).join(" ") == whole).map(|t| {
            (format!("Job title '{}' marks a private person ('{t}')", title.trim()), "contact.job_title")
        })
    };
    if let Some((message, field)) = student {
        score.reason("icp_fit.student", 0.0, message.clone()).field(field);
        findings.disqualifiers.push(("icp.student", message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_match_exactly_or_as_subdomains() {
        assert!(domain_matches("gmail.com", "gmail.com"));
        assert!(domain_matches("eu.rivalscore.com", "rivalscore.com"));
        assert!(!domain_matches("notgmail.com", "gmail.com"));
        assert!(!domain_matches("gmail.com.au", "gmail.com"));
    }

    #[test]
    fn phrases_match_whole_words_only() {
        let kw = vec!["intern".to_string(), "phd candidate".to_string()];
        assert_eq!(find_phrase(&words("Marketing Intern"), &kw), Some("intern"));
        assert_eq!(find_phrase(&words("Head of Internal Communications"), &kw), None);
        assert_eq!(find_phrase(&words("International Sales Director"), &kw), None);
        assert_eq!(find_phrase(&words("PhD Candidate, Biology"), &kw), Some("phd candidate"));
        assert_eq!(find_phrase(&words("PhD, Candidate"), &kw), Some("phd candidate"));
        assert_eq!(find_phrase(&words(""), &kw), None);
    }
}
