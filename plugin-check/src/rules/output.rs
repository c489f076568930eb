//! Output rules: on every edge-case lead the plugin returns a score, in
//! range, with well-formed reasons and only the facts and codes it declared.
//!
//! The server protects itself from each of these mistakes (a failed call is
//! a FAILED scorer, NaN is refused, out-of-range scores are clamped,
//! undeclared facts and codes are dropped), but every one costs a decision
//! its quality: a degraded decision, a clamped score nobody can explain, a
//! gate that never sees the fact it tests. So the checker holds the plugin
//! to what the host would otherwise have to repair. Only the first pass over
//! the leads is judged here; later passes are compared with it by the
//! behaviour rules.

use std::collections::HashSet;

use hql_plugin_api::host::CallError;
use hql_plugin_api::{FactValue, Score};
use hql_qualifier::plugin::PluginSpec;

use crate::leads::EdgeLead;
use crate::names;
use crate::report::RuleResult;
use crate::rules::{Findings, Rule, skip_all};
use crate::run::{Call, Observed};

/// The rules of this stage, in order.
pub(crate) const RULES: [Rule; 5] =
    [Rule::NoErrors, Rule::Range, Rule::Reasons, Rule::OutputFacts, Rule::OutputDisqualifiers];

/// Prefix the SDK puts on a panic caught in `score`.
const SCORE_PANIC: &str = "scorer panicked";

/// One result per rule of this stage.
pub(crate) fn evaluate(spec: &PluginSpec, leads: &[EdgeLead], observed: &Observed) -> Vec<RuleResult> {
    let first = observed.first();
    let scored: Vec<(&EdgeLead, &Score)> = leads
        .iter()
        .zip(first)
        .filter_map(|(lead, call)| call.outcome.as_ref().ok().map(|s| (lead, s)))
        .collect();
    let mut results = vec![no_errors(leads, first)];
    if scored.is_empty() {
        results.extend(skip_all(&RULES[1..], "not checked: no lead got a score"));
        return results;
    }
    results.push(range(&scored));
    results.push(reasons(&scored));
    results.push(facts(spec, &scored));
    results.push(disqualifiers(spec, &scored));
    results
}

pub(crate) fn no_errors(leads: &[EdgeLead], first: &[Call]) -> RuleResult {
    let mut problems = Vec::new();
    let (mut panics, mut errors, mut unset) = (0, 0, 0);
    for (lead, call) in leads.iter().zip(first) {
        let Err(e) = &call.outcome else { continue };
        let what = match e {
            CallError::Failed(m) if m.starts_with(SCORE_PANIC) => {
                panics += 1;
                format!("panicked: {}", m.trim_start_matches(SCORE_PANIC).trim_start_matches(": "))
            }
            CallError::Failed(m) => {
                errors += 1;
                format!("failed: {m}")
            }
            CallError::NoScore => {
                unset += 1;
                "returned success without setting a score".to_string()
            }
            CallError::MissingHook(hook) => {
                errors += 1;
                format!("cannot be scored: the descriptor has no `{hook}` hook")
            }
        };
        problems.push(format!("`{}` ({}): {what}", lead.name, lead.probes));
    }
    let total = leads.len().min(first.len());
    if problems.is_empty() {
        return RuleResult::pass(Rule::NoErrors, format!("all {total} edge-case leads got a score"));
    }
    let mut fix = Vec::new();
    if panics > 0 {
        fix.push(
            "A panic is caught by the SDK but fails the scorer for every such lead: reproduce it with \
             `testing::Harness::score` on a lead like the one named, and handle the case (checked or saturating \
             arithmetic on counts and times, no unwrap or indexing on lead data, no division by a count that \
             can be 0).",
        );
    }
    if errors > 0 {
        fix.push(
            "Every lead the server accepts should get a score: when data is missing or odd, return a low score \
             with a reason saying so instead of an error (an error marks the whole decision degraded).",
        );
    }
    if unset > 0 {
        fix.push("Call `set_score` before returning HQL_OK (the Rust SDK always does).");
    }
    RuleResult::fail(
        Rule::NoErrors,
        format!("{} of {total} edge-case leads got no score", problems.len()),
        problems,
        fix.join(" "),
    )
}

pub(crate) fn range(scored: &[(&EdgeLead, &Score)]) -> RuleResult {
    let mut findings = Findings::default();
    for (lead, score) in scored {
        let v = score.value();
        if !v.is_finite() {
            findings.add(lead.name, format!("score is {v}"));
        } else if !(0.0..=100.0).contains(&v) {
            findings.add(lead.name, format!("score {v} is outside 0..=100"));
        }
    }
    if findings.is_empty() {
        return RuleResult::pass(
            Rule::Range,
            format!("all {} scores are finite and within 0..=100", scored.len()),
        );
    }
    RuleResult::fail(
        Rule::Range,
        "scores outside 0..=100 or not finite",
        findings.into_problems(),
        "Clamp the score to 0..=100 and never divide by zero: the server fails a NaN or infinite score and \
         clamps others with a warning nobody can explain. Rust: `Score::settle(\"<plugin>.clamped\")` sets the \
         score to the sum of the reasons, clamped, with a reason for the clamp.",
    )
}

pub(crate) fn reasons(scored: &[(&EdgeLead, &Score)]) -> RuleResult {
    let mut findings = Findings::default();
    let mut count = 0;
    for (lead, score) in scored {
        let visible: HashSet<u32> = lead.visible_events().into_iter().collect();
        let total = lead.record.events.len();
        for r in score.reasons() {
            count += 1;
            let code = &r.code;
            if !names::is_dotted_code(code) {
                findings.add(lead.name, format!("reason code `{code}` is not dotted snake_case"));
            }
            if !r.points.is_finite() {
                findings
                    .add(lead.name, format!("reason `{code}`: points are {} (the host drops it)", r.points));
            }
            if r.message.trim().is_empty() {
                findings.add(lead.name, format!("reason `{code}`: the message is empty"));
            }
            for e in &r.events {
                if visible.contains(e) {
                    continue;
                }
                let problem = if (*e as usize) < total {
                    format!(
                        "reason `{code}`: cites event {e}, which is after as_of and was hidden from the plugin"
                    )
                } else {
                    format!("reason `{code}`: cites event {e}, but the lead has only {total} event(s)")
                };
                findings.add(lead.name, problem);
            }
            for field in &r.fields {
                if let Some(problem) = names::field_path_problem(field) {
                    findings.add(lead.name, format!("reason `{code}`: evidence field `{field}` {problem}"));
                }
            }
        }
    }
    if !findings.is_empty() {
        return RuleResult::fail(
            Rule::Reasons,
            "malformed reasons",
            findings.into_problems(),
            "Give every reason a dotted snake_case code (`my_scorer.budget.confirmed`), finite points and a \
             short non-empty sentence; cite events by their `index()` (only events you were shown) and fields \
             by their path in the lead (`bant.authority`, `company.employee_count`, `events.type`, \
             `attributes.<key>`).",
        );
    }
    if count == 0 {
        return RuleResult::warn(
            Rule::Reasons,
            "no reason on any edge-case lead",
            Vec::new(),
            "Explain each score with reasons (code, points, message, evidence): without them a salesperson \
             sees a number and no why.",
        );
    }
    RuleResult::pass(Rule::Reasons, format!("{count} reason(s) on {} leads, all well-formed", scored.len()))
}

pub(crate) fn facts(spec: &PluginSpec, scored: &[(&EdgeLead, &Score)]) -> RuleResult {
    let mut findings = Findings::default();
    let mut count = 0;
    for (lead, score) in scored {
        for f in score.facts() {
            count += 1;
            let set_as = f.value.kind().as_str();
            match spec.facts.iter().find(|(name, _)| *name == f.name) {
                None => findings
                    .add(lead.name, format!("fact `{}` is set but not declared (the host drops it)", f.name)),
                Some((_, kind)) if kind.as_str() != set_as => findings.add(
                    lead.name,
                    format!(
                        "fact `{}` is set as {set_as} but declared {} (the host drops it)",
                        f.name,
                        kind.as_str()
                    ),
                ),
                Some(_) => {
                    if let FactValue::Number(n) = f.value
                        && !n.is_finite()
                    {
                        findings.add(lead.name, format!("fact `{}` is {n} (the host drops it)", f.name));
                    }
                }
            }
        }
    }
    if !findings.is_empty() {
        return RuleResult::fail(
            Rule::OutputFacts,
            "facts the host would drop",
            findings.into_problems(),
            "Declare every fact you set, with the kind you set it as (Rust: FACTS; C: the descriptor's facts \
             array), and never set a NaN or infinite number: policy gates can only test facts that arrive.",
        );
    }
    RuleResult::pass(
        Rule::OutputFacts,
        if count == 0 {
            "no facts set".to_string()
        } else {
            format!("{count} fact value(s) on {} leads, all declared and of the declared kind", scored.len())
        },
    )
}

pub(crate) fn disqualifiers(spec: &PluginSpec, scored: &[(&EdgeLead, &Score)]) -> RuleResult {
    let mut findings = Findings::default();
    let mut count = 0;
    for (lead, score) in scored {
        for d in score.disqualifiers() {
            count += 1;
            if !spec.disqualifiers.iter().any(|c| *c == d.code) {
                findings
                    .add(lead.name, format!("disqualifier `{}` is not declared (the host drops it)", d.code));
            }
            if d.message.trim().is_empty() {
                findings.add(lead.name, format!("disqualifier `{}` has an empty message", d.code));
            }
        }
    }
    if !findings.is_empty() {
        return RuleResult::fail(
            Rule::OutputDisqualifiers,
            "disqualifiers the host would drop or cannot explain",
            findings.into_problems(),
            "Report only codes declared in the descriptor (Rust: DISQUALIFIERS), each with a message saying why \
             for a human.",
        );
    }
    RuleResult::pass(
        Rule::OutputDisqualifiers,
        if count == 0 {
            "no disqualifiers reported".to_string()
        } else {
            format!("{count} disqualifier(s) reported, all declared")
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leads::edge_cases;
    use crate::report::Status;
    use hql_plugin_api::FactKind;
    use std::time::Duration;

    fn spec() -> PluginSpec {
        PluginSpec {
            name: "t".into(),
            version: "1.0.0".into(),
            dimension: "fit".into(),
            description: String::new(),
            abi_major: 1,
            abi_minor: 0,
            facts: vec![("n".into(), FactKind::Number), ("flag".into(), FactKind::Bool)],
            disqualifiers: vec!["t.spam".into()],
        }
    }

    fn lead(name: &str) -> EdgeLead {
        edge_cases().into_iter().find(|l| l.name == name).expect("lead")
    }

    fn good() -> Score {
        let mut s = Score::new(40.0);
        s.reason("t.demo", 40.0, "Requested a demo").field("events.type").event(0);
        s.fact("n", 1.0);
        s
    }

    fn call(outcome: Result<Score, CallError>) -> Call {
        Call { outcome, elapsed: Duration::ZERO }
    }

    #[test]
    fn errors_panics_and_unset_scores_are_each_explained() {
        let leads = vec![lead("empty"), lead("huge"), lead("unicode"), lead("strong")];
        let first = vec![
            call(Ok(good())),
            call(Err(CallError::Failed("scorer panicked: attempt to multiply with overflow".into()))),
            call(Err(CallError::Failed("bad lead".into()))),
            call(Err(CallError::NoScore)),
        ];
        let r = no_errors(&leads, &first);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.summary, "3 of 4 edge-case leads got no score");
        assert!(r.problems[0].starts_with("`huge` (10,000 events"), "{}", r.problems[0]);
        assert!(r.problems[0].ends_with("panicked: attempt to multiply with overflow"), "{}", r.problems[0]);
        let fix = r.fix.expect("fix");
        assert!(fix.contains("panic") && fix.contains("low score") && fix.contains("set_score"), "{fix}");
        assert_eq!(no_errors(&leads[..1], &first[..1]).status, Status::Pass);
    }

    #[test]
    fn scores_must_be_finite_and_in_range() {
        let l = lead("empty");
        let (nan, high, ok) = (Score::new(f64::NAN), Score::new(100.5), Score::new(100.0));
        assert_eq!(range(&[(&l, &ok)]).status, Status::Pass);
        let r = range(&[(&l, &nan), (&l, &high)]);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(
            r.problems,
            vec!["score is NaN (on lead `empty`)", "score 100.5 is outside 0..=100 (on lead `empty`)"]
        );
    }

    #[test]
    fn reasons_are_checked_field_by_field() {
        let future = lead("future-events");
        assert_eq!(reasons(&[(&future, &good())]).status, Status::Pass);

        let mut bad = Score::new(10.0);
        bad.reason("Demo", 1.0, "ok");
        bad.reason("t.nan", f64::NAN, "nan");
        bad.reason("t.quiet", 1.0, "  ");
        bad.reason("t.future", 1.0, "saw the future").event(1);
        bad.reason("t.missing", 1.0, "no such event").event(99);
        bad.reason("t.field", 1.0, "odd field").field("budget");
        let r = reasons(&[(&future, &bad)]);
        assert_eq!(r.status, Status::Fail);
        let all = r.problems.join("\n");
        for expected in [
            "reason code `Demo` is not dotted snake_case",
            "`t.nan`: points are NaN",
            "`t.quiet`: the message is empty",
            "`t.future`: cites event 1, which is after as_of",
            "`t.missing`: cites event 99, but the lead has only 10 event(s)",
            "`t.field`: evidence field `budget` does not start with a part of the lead",
        ] {
            assert!(all.contains(expected), "{expected} in\n{all}");
        }
    }

    #[test]
    fn no_reasons_at_all_only_warns() {
        let l = lead("empty");
        assert_eq!(reasons(&[(&l, &Score::new(0.0))]).status, Status::Warn);
    }

    #[test]
    fn facts_must_be_declared_typed_and_finite() {
        let l = lead("empty");
        assert_eq!(facts(&spec(), &[(&l, &good())]).status, Status::Pass);
        let mut bad = Score::new(1.0);
        bad.fact("undeclared", 1.0).fact("flag", 1.0).fact("n", f64::INFINITY);
        let r = facts(&spec(), &[(&l, &bad)]);
        assert_eq!(r.status, Status::Fail);
        let all = r.problems.join("\n");
        assert!(all.contains("`undeclared` is set but not declared"), "{all}");
        assert!(all.contains("`flag` is set as number but declared bool"), "{all}");
        assert!(all.contains("`n` is inf"), "{all}");
    }

    #[test]
    fn disqualifiers_must_be_declared_and_explained() {
        let l = lead("empty");
        let mut ok = Score::new(0.0);
        ok.disqualify("t.spam", "Marked us as spam");
        assert_eq!(disqualifiers(&spec(), &[(&l, &ok)]).status, Status::Pass);
        let mut bad = Score::new(0.0);
        bad.disqualify("t.other", "why").disqualify("t.spam", "");
        let r = disqualifiers(&spec(), &[(&l, &bad)]);
        assert_eq!(r.status, Status::Fail);
        assert_eq!(r.problems.len(), 2);
    }

    #[test]
    fn nothing_scored_skips_the_output_rules() {
        let leads = vec![lead("empty")];
        let observed = Observed {
            first_create: Ok(()),
            second_create: Some(Ok(())),
            rounds: vec![vec![call(Err(CallError::NoScore))]],
            without_future: Vec::new(),
            concurrent: Vec::new(),
            limited: Vec::new(),
            barred: Vec::new(),
            declared_facts: Vec::new(),
            fact_mask: 0,
            masked: Vec::new(),
        };
        let results = evaluate(&spec(), &leads, &observed);
        assert_eq!(results[0].status, Status::Fail);
        assert!(results[1..].iter().all(|r| r.status == Status::Skip));
    }
}
