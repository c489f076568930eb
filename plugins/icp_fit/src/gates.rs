//! Hard disqualifiers that are not part of a sub-score: competitors,
//! personal and throw-away e-mail, students and private persons.
//!
//! The domain notes list "competitor, student … out of served market" among
//! the leads that must not be worked, and peers (HubSpot, Marketo, MadKudu)
//! all score them negatively. Here they are reported as disqualifier codes
//! rather than subtracted, because whether they end a lead's journey is a
//! policy decision; each one also adds a 0-point reason citing the field that
//! triggered it, since a disqualifier alone carries no evidence.
//!
//! These run for every lead, so they avoid allocating: configured keywords
//! are split into lower-case words once, at start-up ([`TitleRules`]); an
//! ASCII job title (nearly all of them) is split in place and compared
//! ignoring ASCII case, which is exactly what lower-casing it would do. Only
//! other titles are lower-cased, with Unicode's rules as before, since those
//! can turn a non-ASCII letter into an ASCII one (the Kelvin sign into `k`).

use std::borrow::Cow;

use hql_plugin_api::text::Line;
use hql_plugin_api::{Lead, Score, Seniority};

use crate::config::Disqualifiers;
use crate::rules::Findings;

/// True when `domain` is `entry` or a subdomain of it.
fn domain_matches(domain: &str, entry: &str) -> bool {
    // Most entries differ from the domain's tail in their first byte: that
    // one comparison rejects them before the whole suffix is compared.
    let start = domain.len().wrapping_sub(entry.len());
    if domain.as_bytes().get(start) != entry.as_bytes().first() {
        return false;
    }
    domain.strip_suffix(entry).is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

fn find_domain<'a>(list: &'a [String], domain: &str) -> Option<&'a str> {
    if domain.is_empty() {
        return None;
    }
    list.iter().find(|entry| domain_matches(domain, entry)).map(String::as_str)
}

/// `domain` trimmed and lower-cased like the config's lists; borrowed when
/// it already is, which is nearly always (hosts send lower-case domains).
fn lower_domain(domain: &str) -> Cow<'_, str> {
    let domain = domain.trim();
    if domain.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        Cow::Owned(domain.to_lowercase())
    } else {
        Cow::Borrowed(domain)
    }
}

/// Lower-case alphanumeric words of a free-text title or keyword.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// A configured keyword or whole title, split into words once at start-up
/// (the split a job title gets).
#[derive(Clone, Debug)]
pub(crate) struct Phrase {
    /// The config entry, as messages quote it.
    text: String,
    /// Its lower-case words.
    words: Vec<String>,
}

impl Phrase {
    fn new(text: &str) -> Phrase {
        Phrase { text: text.to_string(), words: words(text) }
    }

    fn all(list: &[String]) -> Vec<Phrase> {
        list.iter().map(|text| Phrase::new(text)).collect()
    }
}

/// The title keywords and titles of [`Disqualifiers`], as [`Phrase`]s.
#[derive(Clone, Debug)]
pub(crate) struct TitleRules {
    student_keywords: Vec<Phrase>,
    personal_keywords: Vec<Phrase>,
    personal_titles: Vec<Phrase>,
}

impl TitleRules {
    pub(crate) fn new(cfg: &Disqualifiers) -> TitleRules {
        TitleRules {
            student_keywords: Phrase::all(&cfg.student_title_keywords),
            personal_keywords: Phrase::all(&cfg.personal_title_keywords),
            personal_titles: Phrase::all(&cfg.personal_titles),
        }
    }
}

/// Whether a title word equals a phrase word (which is lower-case).
type WordEq = fn(&str, &str) -> bool;

/// For an ASCII title: ignoring ASCII case is exactly lower-casing it.
fn ascii_eq(title_word: &str, phrase_word: &str) -> bool {
    title_word.eq_ignore_ascii_case(phrase_word)
}

/// For a title already lower-cased with Unicode's rules.
fn exact_eq(title_word: &str, phrase_word: &str) -> bool {
    title_word == phrase_word
}

/// Whether the phrase's words appear in `title_words`, consecutively.
fn contains<W: AsRef<str>>(title_words: &[W], phrase: &Phrase, eq: WordEq) -> bool {
    let k = &phrase.words;
    !k.is_empty() && title_words.windows(k.len()).any(|w| w.iter().zip(k).all(|(t, p)| eq(t.as_ref(), p)))
}

/// The first keyword (whole words, in order) found in `title_words`.
fn find_phrase<'a, W: AsRef<str>>(title_words: &[W], keywords: &'a [Phrase], eq: WordEq) -> Option<&'a str> {
    keywords.iter().find(|k| contains(title_words, k, eq)).map(|k| k.text.as_str())
}

/// The first phrase that is the whole title (at least one word).
fn find_whole<'a, W: AsRef<str>>(title_words: &[W], titles: &'a [Phrase], eq: WordEq) -> Option<&'a str> {
    if title_words.is_empty() {
        return None;
    }
    titles
        .iter()
        .find(|t| {
            t.words.len() == title_words.len()
                && title_words.iter().zip(&t.words).all(|(w, p)| eq(w.as_ref(), p))
        })
        .map(|t| t.text.as_str())
}

/// What a job title says about the person: `(what, matched entry)`.
fn title_match<'a, W: AsRef<str>>(
    title_words: &[W],
    rules: &'a TitleRules,
    eq: WordEq,
) -> Option<(&'static str, &'a str)> {
    const STUDENT: &str = "' marks a student or trainee ('";
    const PERSONAL: &str = "' marks a private person ('";
    find_phrase(title_words, &rules.student_keywords, eq)
        .map(|k| (STUDENT, k))
        .or_else(|| find_phrase(title_words, &rules.personal_keywords, eq).map(|k| (PERSONAL, k)))
        .or_else(|| find_whole(title_words, &rules.personal_titles, eq).map(|t| (PERSONAL, t)))
}

/// Titles with at most this many words are split without allocating.
const FAST_TITLE_WORDS: usize = 16;

/// [`title_match`] on a job title. Titles are nearly always short and ASCII:
/// their words are then slices of the title, compared ignoring ASCII case.
/// Other titles are lower-cased word by word with Unicode's rules, which can
/// change a word's length or turn a non-ASCII letter into an ASCII one (the
/// Kelvin sign into `k`).
fn classify_title<'a>(title: &str, rules: &'a TitleRules) -> Option<(&'static str, &'a str)> {
    if title.is_ascii() {
        let mut buf = [""; FAST_TITLE_WORDS];
        let mut n = 0;
        for word in title.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
            if n == FAST_TITLE_WORDS {
                return title_match(&words(title), rules, exact_eq);
            }
            buf[n] = word;
            n += 1;
        }
        return title_match(&buf[..n], rules, ascii_eq);
    }
    title_match(&words(title), rules, exact_eq)
}

/// Checks every gate, adding 0-point reasons and recording disqualifiers.
pub(crate) fn check(
    cfg: &Disqualifiers,
    titles: &TitleRules,
    lead: &Lead<'_>,
    score: &mut Score,
    findings: &mut Findings,
) {
    let email_domain = lower_domain(lead.contact().email_domain());
    let email_domain = email_domain.as_ref();
    let company_domain = lead.company().domain();

    // Competitor: either domain.
    if !email_domain.is_empty() || !company_domain.is_empty() {
        let hit = find_domain(&cfg.competitor_domains, company_domain)
            .map(|d| (d, company_domain, "company.domain", "Company domain "))
            .or_else(|| {
                find_domain(&cfg.competitor_domains, email_domain)
                    .map(|d| (d, email_domain, "contact.email", "E-mail domain "))
            });
        findings.competitor = Some(hit.is_some());
        if let Some((entry, domain, field, what)) = hit {
            let message =
                Line::new().s(what).s(domain).s(" belongs to a competitor (").s(entry).c(')').into_string();
            score.reason("icp_fit.competitor", 0.0, message.clone()).field(field);
            findings.disqualifiers.push(("icp.competitor", message.into()));
        }
    }

    // Free mail: only when the team sells B2B only.
    if cfg.b2b_only {
        let hit = find_domain(&cfg.free_mail_domains, email_domain)
            .map(|_| (email_domain, "contact.email", "Personal e-mail address at "))
            .or_else(|| {
                find_domain(&cfg.free_mail_domains, company_domain)
                    .map(|_| (company_domain, "company.domain", "Company domain is the free-mail provider "))
            });
        if let Some((domain, field, what)) = hit {
            let message = Line::new().s(what).s(domain).s(" (B2B only)").into_string();
            score.reason("icp_fit.free_mail", 0.0, message.clone()).field(field);
            findings.disqualifiers.push(("icp.free_mail", message.into()));
        }
    }

    // Disposable mail: always.
    if let Some(entry) = find_domain(&cfg.disposable_email_domains, email_domain) {
        let message = Line::new()
            .s("Disposable e-mail address at ")
            .s(email_domain)
            .s(" (")
            .s(entry)
            .c(')')
            .into_string();
        score.reason("icp_fit.disposable_email", 0.0, message.clone()).field("contact.email");
        findings.disqualifiers.push(("icp.disposable_email", message.into()));
    }

    // Student or private person.
    let title = lead.contact().job_title();
    let student: Option<(Cow<'static, str>, &str)> = if lead.contact().seniority() == Seniority::Intern {
        Some(("Seniority is intern".into(), "contact.seniority"))
    } else {
        classify_title(title, titles).map(|(what, entry)| {
            let message = Line::new().s("Job title '").s(title.trim()).s(what).s(entry).s("')");
            (message.into(), "contact.job_title")
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
        assert!(!domain_matches("mail.com", "gmail.com"));
        assert!(!domain_matches("", "gmail.com"));
        assert!(domain_matches("", ""));
        assert!(domain_matches("gmail.com.", ""));
        assert!(!domain_matches("gmail.com", ""));
    }

    #[test]
    fn phrases_match_whole_words_only() {
        let kw = Phrase::all(&["intern".to_string(), "phd candidate".to_string()]);
        for eq in [exact_eq as WordEq, ascii_eq] {
            assert_eq!(find_phrase(&words("Marketing Intern"), &kw, eq), Some("intern"));
            assert_eq!(find_phrase(&words("Head of Internal Communications"), &kw, eq), None);
            assert_eq!(find_phrase(&words("International Sales Director"), &kw, eq), None);
            assert_eq!(find_phrase(&words("PhD Candidate, Biology"), &kw, eq), Some("phd candidate"));
            assert_eq!(find_phrase(&words("PhD, Candidate"), &kw, eq), Some("phd candidate"));
            assert_eq!(find_phrase(&words(""), &kw, eq), None);
        }
    }
}
