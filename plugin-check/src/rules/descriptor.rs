//! Declaration rules: what the descriptor says about the plugin is
//! well-formed.
//!
//! They cover everything the server's loader refuses as an "invalid
//! descriptor" (names, hooks, fact names and kinds, empty codes, text that is
//! not UTF-8), one rule per part so the report points at the field, plus the
//! conventions the server does not enforce but readers rely on: a semantic
//! version, dotted snake_case disqualification codes, no duplicates. A plugin
//! breaking only a convention still loads; it is reported as not ready
//! because `ListScorers`, policy gates and audits read these names.

use hql_plugin_api::FactKind;

use crate::load::{RawBody, RawDescriptor, RawText};
use crate::names;
use crate::report::{RuleResult, Status};
use crate::rules::{Rule, skip_all};

/// The rules of this stage, in order.
pub(crate) const RULES: [Rule; 4] = [Rule::Identity, Rule::Hooks, Rule::Facts, Rule::Disqualifiers];

/// One result per rule of this stage. `loader_refusal` is the server
/// loader's message when it refused the descriptor as invalid.
pub(crate) fn evaluate(raw: Option<&RawDescriptor>, loader_refusal: Option<&str>) -> Vec<RuleResult> {
    let Some((raw, body)) = raw.and_then(|r| r.body.as_ref().map(|b| (r, b))) else {
        if let Some(message) = loader_refusal {
            let mut results = vec![RuleResult::fail(
                Rule::Identity,
                "the server's loader refuses the descriptor",
                vec![message.to_string()],
                "Fix what the loader names.",
            )];
            results.extend(skip_all(&RULES[1..], "not checked: the descriptor could not be read again"));
            return results;
        }
        return skip_all(&RULES, "not checked: the descriptor could not be read (see the rules above)");
    };
    let mut results = vec![identity(raw, body), hooks(body), facts(body), disqualifiers(body)];
    // The loader refused something none of the rules above caught: report
    // its words rather than a pass (the checker and the server disagree).
    if let Some(message) = loader_refusal
        && results.iter().all(|r| r.status != Status::Fail)
    {
        results[0] = RuleResult::fail(
            Rule::Identity,
            "the server's loader refuses the descriptor",
            vec![message.to_string()],
            "Fix what the loader names; the checker could not pin it to one field (please report this).",
        );
    }
    results
}

/// `what` as text, or a problem.
fn text<'a>(what: &str, t: &'a RawText, problems: &mut Vec<String>) -> Option<&'a str> {
    match t.text() {
        Ok(s) => Some(s),
        Err(e) => {
            problems.push(format!("{what} {e}"));
            None
        }
    }
}

fn identity(raw: &RawDescriptor, body: &RawBody) -> RuleResult {
    let mut problems = Vec::new();
    let name = raw.name.as_ref().and_then(|n| text("name", n, &mut problems)).unwrap_or("");
    if !names::is_name(name) {
        problems.push(format!(
            "name `{name}` must be 1 to {} characters of [a-z0-9_] (it is how policies and logs name the plugin)",
            names::MAX_NAME_BYTES
        ));
    }
    let version = raw.version.as_ref().and_then(|v| text("version", v, &mut problems)).unwrap_or("");
    if !names::is_semver(version) {
        problems
            .push(format!("version `{version}` is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.2.0)"));
    }
    let dimension = text("dimension", &body.dimension, &mut problems).unwrap_or("");
    if !names::is_name(dimension) {
        problems.push(format!(
            "dimension `{dimension}` must be 1 to {} characters of [a-z0-9_] (e.g. fit, engagement, product)",
            names::MAX_NAME_BYTES
        ));
    }
    let description = text("description", &body.description, &mut problems);
    if !problems.is_empty() {
        return RuleResult::fail(
            Rule::Identity,
            "name, version or dimension is malformed",
            problems,
            "Rust: set NAME, VERSION (use env!(\"CARGO_PKG_VERSION\")) and DIMENSION on your Scorer. C: set \
             the descriptor's name, version and dimension to UTF-8 literals of those forms, with their \
             lengths (the STR_INIT pattern of example_scorer.c).",
        );
    }
    let summary = format!("`{name}` {version}, dimension `{dimension}`");
    if description.is_some_and(|d| d.trim().is_empty()) {
        return RuleResult::warn(
            Rule::Identity,
            summary,
            vec![
                "the description is empty: ListScorers and the logs show nothing about the plugin"
                    .to_string(),
            ],
            "Set a one-line description (Rust: DESCRIPTION).",
        );
    }
    RuleResult::pass(Rule::Identity, summary)
}

fn hooks(body: &RawBody) -> RuleResult {
    let missing: Vec<&str> =
        [("create", body.has_create), ("score", body.has_score), ("destroy", body.has_destroy)]
            .into_iter()
            .filter(|(_, present)| !present)
            .map(|(name, _)| name)
            .collect();
    if missing.is_empty() {
        return RuleResult::pass(Rule::Hooks, "create, score and destroy are set");
    }
    RuleResult::fail(
        Rule::Hooks,
        format!("the descriptor has no {} hook", missing.join(", ")),
        Vec::new(),
        "Set all three function pointers in the descriptor (destroy may do nothing, but must exist). Rust: \
         export_scorer! sets them.",
    )
}

fn kind_name(kind: u32) -> Option<&'static str> {
    FactKind::from_raw(kind).map(FactKind::as_str)
}

fn facts(body: &RawBody) -> RuleResult {
    let facts = match &body.facts {
        Ok(facts) => facts,
        Err(e) => {
            return RuleResult::fail(
                Rule::Facts,
                "the facts array cannot be read",
                vec![e.clone()],
                "Point `facts` at a static array of `facts_len` hql_fact_spec_t (or NULL with length 0).",
            );
        }
    };
    let mut problems = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut declared = Vec::new();
    for (i, f) in facts.iter().enumerate() {
        let Some(name) = text(&format!("fact {i}: name"), &f.name, &mut problems) else { continue };
        if !names::is_name(name) {
            problems.push(format!("fact `{name}`: the name must be 1 to 64 characters of [a-z0-9_]"));
        } else if name == "score" {
            problems
                .push("fact `score`: the name is reserved (gates read `<scorer>.score` already)".to_string());
        }
        if seen.contains(&name) {
            problems.push(format!("fact `{name}` is declared twice"));
        }
        seen.push(name);
        match kind_name(f.kind) {
            Some(kind) => declared.push(format!("{name} ({kind})")),
            None => problems.push(format!(
                "fact `{name}`: kind {} is not HQL_VALUE_NUMBER (1), HQL_VALUE_BOOL (2) or HQL_VALUE_TEXT (3)",
                f.kind
            )),
        }
        text(&format!("fact `{name}`: description"), &f.description, &mut problems);
    }
    if !problems.is_empty() {
        return RuleResult::fail(
            Rule::Facts,
            "declared facts are malformed",
            problems,
            "Declare each fact once, named in [a-z0-9_] (not `score`), with a known kind: Rust \
             `FactSpec::number/bool/text(name, description)` in FACTS; C `{ name, HQL_VALUE_*, description }`.",
        );
    }
    if declared.is_empty() {
        RuleResult::pass(Rule::Facts, "declares no facts")
    } else {
        RuleResult::pass(Rule::Facts, format!("declares {}", declared.join(", ")))
    }
}

fn disqualifiers(body: &RawBody) -> RuleResult {
    let codes = match &body.disqualifiers {
        Ok(codes) => codes,
        Err(e) => {
            return RuleResult::fail(
                Rule::Disqualifiers,
                "the disqualifiers array cannot be read",
                vec![e.clone()],
                "Point `disqualifiers` at a static array of `disqualifiers_len` hql_code_spec_t (or NULL with \
                 length 0).",
            );
        }
    };
    let mut problems = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, c) in codes.iter().enumerate() {
        let Some(code) = text(&format!("code {i}"), &c.code, &mut problems) else { continue };
        if code.is_empty() {
            problems.push(format!("code {i} is empty"));
        } else if !names::is_dotted_code(code) {
            problems.push(format!("code `{code}` is not dotted snake_case (e.g. `icp.competitor`)"));
        }
        if seen.contains(&code) {
            problems.push(format!("code `{code}` is declared twice"));
        }
        seen.push(code);
        text(&format!("code `{code}`: description"), &c.description, &mut problems);
    }
    if !problems.is_empty() {
        return RuleResult::fail(
            Rule::Disqualifiers,
            "declared disqualification codes are malformed",
            problems,
            "Declare each code once, as dotted snake_case prefixed by your plugin (`my_scorer.reason`): Rust \
             `CodeSpec::new(code, description)` in DISQUALIFIERS; C `{ code, description }`.",
        );
    }
    if seen.is_empty() {
        RuleResult::pass(Rule::Disqualifiers, "declares no disqualification codes")
    } else {
        RuleResult::pass(Rule::Disqualifiers, format!("declares {}", seen.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{RawCode, RawFact};

    fn raw() -> RawDescriptor {
        // SAFETY: generated by export_scorer!, static.
        unsafe { RawDescriptor::read(&*hql_test_panicking::hql_scorer_descriptor()) }
    }

    fn body(raw: &mut RawDescriptor) -> &mut RawBody {
        raw.body.as_mut().expect("body")
    }

    fn status(results: &[RuleResult], rule: Rule) -> Status {
        results.iter().find(|r| r.rule == rule).map(|r| r.status).expect("rule present")
    }

    #[test]
    fn a_real_plugin_passes_every_declaration_rule() {
        let results = evaluate(Some(&raw()), None);
        assert!(results.iter().all(|r| r.status == Status::Pass), "{results:?}");
        assert_eq!(results[2].summary, "declares calls_ok (number)");
    }

    #[test]
    fn identity_names_each_malformed_field() {
        let mut r = raw();
        r.name = Some(RawText::of("Panicking"));
        r.version = Some(RawText::of("1.0"));
        body(&mut r).dimension = RawText::Bytes(vec![0xff]);
        let result = identity(&r, r.body.as_ref().expect("body"));
        assert_eq!(result.status, Status::Fail);
        let all = result.problems.join("\n");
        assert!(all.contains("name `Panicking`"), "{all}");
        assert!(all.contains("version `1.0`"), "{all}");
        assert!(all.contains("dimension is not valid UTF-8"), "{all}");
    }

    #[test]
    fn an_empty_description_only_warns() {
        let mut r = raw();
        body(&mut r).description = RawText::of("");
        assert_eq!(identity(&r, r.body.as_ref().expect("body")).status, Status::Warn);
    }

    #[test]
    fn missing_hooks_are_named() {
        let mut r = raw();
        body(&mut r).has_destroy = false;
        let result = hooks(r.body.as_ref().expect("body"));
        assert_eq!(result.status, Status::Fail);
        assert_eq!(result.summary, "the descriptor has no destroy hook");
    }

    #[test]
    fn facts_must_be_named_typed_and_unique() {
        let mut r = raw();
        let fact = |name: &str, kind| RawFact { name: RawText::of(name), kind, description: RawText::of("") };
        body(&mut r).facts =
            Ok(vec![fact("ok", 1), fact("ok", 2), fact("score", 1), fact("Bad", 3), fact("k", 9)]);
        let result = facts(r.body.as_ref().expect("body"));
        assert_eq!(result.status, Status::Fail);
        let all = result.problems.join("\n");
        for expected in ["`ok` is declared twice", "`score`: the name is reserved", "`Bad`", "kind 9"] {
            assert!(all.contains(expected), "{expected} in {all}");
        }
        body(&mut r).facts = Err("the array pointer is null but its length is 2".into());
        assert_eq!(facts(r.body.as_ref().expect("body")).status, Status::Fail);
    }

    #[test]
    fn codes_must_be_dotted_and_unique() {
        let mut r = raw();
        let code = |c: &str| RawCode { code: RawText::of(c), description: RawText::of("why") };
        body(&mut r).disqualifiers = Ok(vec![code("x.spam"), code("x.spam"), code(""), code("Spam")]);
        let result = disqualifiers(r.body.as_ref().expect("body"));
        assert_eq!(result.status, Status::Fail);
        let all = result.problems.join("\n");
        for expected in ["`x.spam` is declared twice", "code 2 is empty", "`Spam` is not dotted"] {
            assert!(all.contains(expected), "{expected} in {all}");
        }
        body(&mut r).disqualifiers = Ok(vec![code("x.spam"), code("x.bounce")]);
        let ok = disqualifiers(r.body.as_ref().expect("body"));
        assert_eq!((ok.status, ok.summary.as_str()), (Status::Pass, "declares x.spam, x.bounce"));
    }

    #[test]
    fn a_loader_refusal_no_rule_explains_is_still_a_failure() {
        let results = evaluate(Some(&raw()), Some("something new"));
        assert_eq!(status(&results, Rule::Identity), Status::Fail);
        assert_eq!(results[0].problems, vec!["something new"]);
    }

    #[test]
    fn nothing_to_read_skips_every_rule() {
        assert!(evaluate(None, None).iter().all(|r| r.status == Status::Skip));
    }
}
