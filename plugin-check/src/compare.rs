//! Comparing two outputs of the same lead, and saying how they differ.
//!
//! Decisions are replayed and compared byte for byte, so "the same output"
//! here means identical: every number bit for bit (a NaN equals a NaN with
//! the same bits, `0.0` differs from `-0.0`), every string, every order. A
//! difference is described by its first point of departure ("reason 3:
//! `x.y` 5 points, then `x.y` 6 points"), which is what an author needs to
//! find the non-determinism.

use hql_plugin_api::host::CallError;
use hql_plugin_api::{FactValue, Reason, Score};

use crate::run::Outcome;

/// Whether `a` and `b` are identical (see the module docs).
pub(crate) fn same(a: &Outcome, b: &Outcome) -> bool {
    difference(a, b).is_none()
}

/// How `b` differs from `a`, or `None` when they are identical.
pub(crate) fn difference(a: &Outcome, b: &Outcome) -> Option<String> {
    match (a, b) {
        (Ok(a), Ok(b)) => score_difference(a, b),
        (Err(a), Err(b)) if a == b => None,
        (Err(a), Err(b)) => Some(format!("failed with \"{}\", then with \"{}\"", short(a), short(b))),
        (Ok(_), Err(b)) => Some(format!("returned a score, then failed: {}", short(b))),
        (Err(a), Ok(_)) => Some(format!("failed ({}), then returned a score", short(a))),
    }
}

/// Whether the parts of two scores that decide a lead (value, facts,
/// disqualifiers) are identical; reasons may differ.
pub(crate) fn same_decision(a: &Score, b: &Score) -> Option<String> {
    if !same_f64(a.value(), b.value()) {
        return Some(format!("score {}, then {}", a.value(), b.value()));
    }
    facts_difference(a, b).or_else(|| disqualifiers_difference(a, b))
}

fn short(e: &CallError) -> String {
    let text = e.to_string();
    if text.chars().count() > 160 {
        format!("{}…", text.chars().take(160).collect::<String>())
    } else {
        text
    }
}

fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

fn score_difference(a: &Score, b: &Score) -> Option<String> {
    if !same_f64(a.value(), b.value()) {
        return Some(format!("score {}, then {}", a.value(), b.value()));
    }
    reasons_difference(a.reasons(), b.reasons())
        .or_else(|| facts_difference(a, b))
        .or_else(|| disqualifiers_difference(a, b))
}

fn reasons_difference(a: &[Reason], b: &[Reason]) -> Option<String> {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let same = x.code == y.code
            && x.message == y.message
            && same_f64(x.points, y.points)
            && x.fields == y.fields
            && x.events == y.events;
        if !same {
            return Some(format!(
                "reason {}: `{}` {} points \"{}\" fields {:?} events {:?}, then `{}` {} points \"{}\" fields {:?} \
                 events {:?}",
                i + 1,
                x.code,
                x.points,
                x.message,
                x.fields,
                x.events,
                y.code,
                y.points,
                y.message,
                y.fields,
                y.events
            ));
        }
    }
    (a.len() != b.len()).then(|| format!("{} reason(s), then {}", a.len(), b.len()))
}

fn same_fact(a: &FactValue, b: &FactValue) -> bool {
    match (a, b) {
        (FactValue::Number(x), FactValue::Number(y)) => same_f64(*x, *y),
        _ => a == b,
    }
}

fn facts_difference(a: &Score, b: &Score) -> Option<String> {
    for (x, y) in a.facts().iter().zip(b.facts()) {
        if x.name != y.name || !same_fact(&x.value, &y.value) {
            return Some(format!("fact `{}` = {}, then `{}` = {}", x.name, x.value, y.name, y.value));
        }
    }
    (a.facts().len() != b.facts().len())
        .then(|| format!("{} fact(s), then {}", a.facts().len(), b.facts().len()))
}

fn disqualifiers_difference(a: &Score, b: &Score) -> Option<String> {
    for (x, y) in a.disqualifiers().iter().zip(b.disqualifiers()) {
        if x.code != y.code || x.message != y.message {
            return Some(format!(
                "disqualifier `{}` \"{}\", then `{}` \"{}\"",
                x.code, x.message, y.code, y.message
            ));
        }
    }
    (a.disqualifiers().len() != b.disqualifiers().len())
        .then(|| format!("{} disqualifier(s), then {}", a.disqualifiers().len(), b.disqualifiers().len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(value: f64) -> Score {
        let mut s = Score::new(value);
        s.reason("x.a", 5.0, "five").field("bant.need").event(1);
        s.fact("n", 1.0);
        s
    }

    #[test]
    fn identical_outputs_are_the_same_nan_included() {
        assert!(same(&Ok(score(10.0)), &Ok(score(10.0))));
        assert!(same(&Ok(score(f64::NAN)), &Ok(score(f64::NAN))));
        let e = Err(CallError::Failed("x".into()));
        assert!(same(&e, &e.clone()));
    }

    #[test]
    fn differences_name_their_first_point_of_departure() {
        assert_eq!(difference(&Ok(score(10.0)), &Ok(score(11.0))).as_deref(), Some("score 10, then 11"));
        assert!(difference(&Ok(score(0.0)), &Ok(score(-0.0))).is_some());

        let mut more = score(10.0);
        more.reason("x.b", 0.0, "zero");
        assert_eq!(difference(&Ok(score(10.0)), &Ok(more)).as_deref(), Some("1 reason(s), then 2"));

        let mut other_event = Score::new(10.0);
        other_event.reason("x.a", 5.0, "five").field("bant.need").event(2);
        other_event.fact("n", 1.0);
        let d = difference(&Ok(score(10.0)), &Ok(other_event)).expect("differs");
        assert!(d.starts_with("reason 1:"), "{d}");

        let mut other_fact = score(10.0);
        other_fact.fact("n", 2.0);
        assert_eq!(
            difference(&Ok(score(10.0)), &Ok(other_fact)).as_deref(),
            Some("fact `n` = 1, then `n` = 2")
        );

        let failed = Err(CallError::NoScore);
        assert!(
            difference(&Ok(score(1.0)), &failed)
                .expect("differs")
                .starts_with("returned a score, then failed")
        );
    }

    #[test]
    fn decisions_ignore_reasons() {
        let mut a = score(10.0);
        a.reason("x.note", 0.0, "3 events after as_of were ignored");
        assert_eq!(same_decision(&a, &score(10.0)), None);
        let mut b = score(10.0);
        b.disqualify("x.spam", "spam");
        assert!(same_decision(&score(10.0), &b).is_some());
    }
}
