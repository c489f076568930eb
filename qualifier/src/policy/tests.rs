//! Policy parsing and resolution: every refusal names line and key.

use super::*;

const GOOD: &str = r#"
[policy]
name = "test"
version = "1.2.3"

[[scorer]]
id = "bant"
library = "hql_bant"
weight = 2
dimension = "fit"
required = true
[scorer.config]
typical_deal_size = 1000

[[scorer]]
id = "intent"
library = "hql_intent"
weight = 1

[[stage]]
stage = "MQL"
[[stage.gate]]
name = "some_total"
subject = "total"
op = ">="
value = 20

[[stage]]
stage = "SQL"
[[stage.gate]]
name = "authority"
subject = "bant.authority"
op = "in"
value = ["decision_maker", "economic_buyer"]
[[stage.gate]]
name = "engaged"
subject = "dimension.engagement"
op = ">="
value = 30.5

[[stage]]
stage = "HQL"
[[stage.gate]]
name = "budget"
subject = "bant.budget_confirmed"
op = "=="
value = true

[disqualifiers]
codes = ["intent.unsubscribed"]
"#;

fn parse(text: &str) -> Result<Policy, PolicyError> {
    Policy::parse(Path::new("policies/test.toml"), text.to_string())
}

fn catalog() -> Vec<ScorerCatalog> {
    vec![
        ScorerCatalog {
            id: "bant".into(),
            dimension: "fit".into(),
            facts: vec![("authority".into(), FactKind::Text), ("budget_confirmed".into(), FactKind::Bool)],
            disqualifiers: vec![],
        },
        ScorerCatalog {
            id: "intent".into(),
            dimension: "engagement".into(),
            facts: vec![("bottom_funnel_events".into(), FactKind::Number)],
            disqualifiers: vec!["intent.unsubscribed".into()],
        },
    ]
}

fn err(text: &str) -> PolicyError {
    match parse(text) {
        Ok(p) => match p.resolve(&catalog()) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e,
        },
        Err(e) => e,
    }
}

#[test]
fn a_good_policy_parses_and_resolves() {
    let p = parse(GOOD).expect("parses");
    assert_eq!(p.name, "test");
    assert_eq!(p.scorers.len(), 2);
    assert_eq!(p.scorers[0].config_json, r#"{"typical_deal_size":1000}"#);
    assert_eq!(p.scorers[1].config_json, "{}");
    assert_eq!(p.required_failure_cap, Stage::Mql);
    let r = p.resolve(&catalog()).expect("resolves");
    assert_eq!(r.dimensions, vec!["fit", "engagement"]);
    assert_eq!(r.scorer_dimension, vec![0, 1]);
    assert_eq!(r.stages.len(), 3);
    assert_eq!(r.stages[0].next, Some(Stage::Sql));
    assert_eq!(r.stages[1].next, Some(Stage::Hql));
    assert_eq!(r.stages[2].next, None);
    assert_eq!(r.first_stage, Some(Stage::Mql));
    assert_eq!(r.stages[1].gates[1].subject, Subject::Dimension(1));
}

#[test]
fn unknown_keys_are_refused_with_line_and_path() {
    let e = err(&GOOD.replace("weight = 2\n", "weight = 2\nwieght = 3\n"));
    assert_eq!(e.key, "scorer[0].wieght");
    assert!(e.message.contains("wieght"), "{e}");
    assert_eq!(e.line, Some(10), "{e}");
    assert!(
        e.to_string().starts_with("policy policies/test.toml:10:1: scorer[0].wieght: unknown field"),
        "{e}"
    );
}

#[test]
fn syntax_errors_have_a_line() {
    let e = err("[policy]\nname = \"x\nversion = 1\n");
    assert!(e.line.is_some(), "{e}");
}

#[test]
fn bad_weight_names_the_key() {
    let e = err(&GOOD.replace("weight = 2", "weight = -1"));
    assert_eq!(e.key, "scorer[0].weight");
    assert_eq!(e.line, Some(9));
    let e = err(&GOOD.replace("weight = 1\n", "weight = \"heavy\"\n"));
    assert_eq!(e.key, "scorer[1].weight");
}

#[test]
fn duplicate_ids_and_bad_libraries() {
    let e = err(&GOOD.replace("id = \"intent\"", "id = \"bant\""));
    assert_eq!(e.key, "scorer[1].id");
    assert!(e.message.contains("duplicate"));
    let e = err(&GOOD.replace("library = \"hql_intent\"", "library = \"../evil\""));
    assert_eq!(e.key, "scorer[1].library");
}

#[test]
fn stage_order_and_names() {
    let swapped = GOOD
        .replacen("stage = \"MQL\"", "stage = \"TMP\"", 1)
        .replacen("stage = \"HQL\"", "stage = \"MQL\"", 1)
        .replacen("stage = \"TMP\"", "stage = \"HQL\"", 1);
    let e = err(&swapped);
    assert_eq!(e.key, "stage[1].stage");
    assert!(e.message.contains("lowest first"), "{e}");
    let e = err(&GOOD.replace("stage = \"MQL\"", "stage = \"WARM\""));
    assert_eq!(e.key, "stage[0].stage");
    let e = err(&GOOD.replace("stage = \"MQL\"", "stage = \"DISQUALIFIED\""));
    assert!(e.message.contains("[disqualifiers]"));
}

#[test]
fn gate_subjects_resolve_against_scorers() {
    let e = err(&GOOD.replace("subject = \"bant.authority\"", "subject = \"bant.athority\""));
    assert_eq!(e.key, "stage[1].gate[0].subject");
    assert!(e.message.contains("authority, budget_confirmed"), "{e}");
    let e = err(&GOOD.replace("subject = \"bant.authority\"", "subject = \"crm.authority\""));
    assert!(e.message.contains("unknown scorer `crm`"), "{e}");
    let e = err(&GOOD.replace("dimension.engagement", "dimension.product"));
    assert!(e.message.contains("unknown dimension"), "{e}");
    let e = err(&GOOD.replace("subject = \"total\"", "subject = \"everything\""));
    assert_eq!(e.key, "stage[0].gate[0].subject");
}

#[test]
fn operators_and_values_must_fit_the_subject() {
    let e = err(&GOOD.replace("op = \">=\"\nvalue = 20", "op = \"~\"\nvalue = 20"));
    assert_eq!(e.key, "stage[0].gate[0].op");
    let e = err(&GOOD.replace("op = \"==\"\nvalue = true", "op = \">=\"\nvalue = true"));
    assert_eq!(e.key, "stage[2].gate[0].op");
    let e = err(&GOOD.replace("op = \"==\"\nvalue = true", "op = \"==\"\nvalue = 1"));
    assert_eq!(e.key, "stage[2].gate[0].value");
    let e = err(&GOOD.replace("op = \"in\"", "op = \"==\""));
    assert_eq!(e.key, "stage[1].gate[0].value");
}

#[test]
fn disqualifier_codes_must_be_declared() {
    let e = err(&GOOD.replace("\"intent.unsubscribed\"", "\"intent.unsubscribd\""));
    assert_eq!(e.key, "disqualifiers.codes[0]");
    assert!(e.message.contains("intent.unsubscribed"), "{e}");
}

#[test]
fn a_policy_needs_scorers_and_a_valid_cap() {
    let e = err("[policy]\nname = \"x\"\nversion = \"1\"\n");
    assert!(e.message.contains("at least one [[scorer]]"));
    let e = err(&GOOD.replace("[policy]", "[scoring]\nrequired_failure_cap = \"WARM\"\n\n[policy]"));
    assert_eq!(e.key, "scoring.required_failure_cap");
}

#[test]
fn explicit_next_must_be_above() {
    let e = err(&GOOD.replace("stage = \"SQL\"\n", "stage = \"SQL\"\nnext = \"MQL\"\n"));
    assert_eq!(e.key, "stage[1].next");
}

#[test]
fn a_sha256_pin_is_optional_and_kept_in_lower_case() {
    let p = parse(GOOD).expect("parses");
    assert_eq!(p.scorers[0].sha256, None);
    let digest = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
    let p = parse(&GOOD.replace("required = true\n", &format!("required = true\nsha256 = \"{digest}\"\n")))
        .expect("parses");
    assert_eq!(p.scorers[0].sha256.as_deref(), Some(digest.to_ascii_lowercase().as_str()));
    assert_eq!(p.scorers[1].sha256, None);
}

#[test]
fn a_malformed_sha256_pin_names_the_key_and_line() {
    let short = "9f86d081884c7d659a2feaa0c55ad015";
    let not_hex = format!("{}g", &"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0"[..63]);
    let prefixed = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    for bad in [short, not_hex.as_str(), prefixed, ""] {
        let e = err(&GOOD.replace("required = true\n", &format!("required = true\nsha256 = \"{bad}\"\n")));
        assert_eq!(e.key, "scorer[0].sha256", "{e}");
        assert_eq!(e.line, Some(12), "{e}");
        assert_eq!(
            e.to_string(),
            format!(
                "policy policies/test.toml:12:1: scorer[0].sha256: `{bad}` is not a sha256 digest: \
                 give the 64 hexadecimal digits `sha256sum libhql_bant.so` prints"
            )
        );
    }
    let e = err(&GOOD.replace("weight = 1\n", "weight = 1\nsha256 = 42\n"));
    assert_eq!(e.key, "scorer[1].sha256", "{e}");
    assert!(e.line.is_some(), "{e}");
}

#[test]
fn isolation_defaults_apply_without_a_table() {
    let p = parse(GOOD).expect("parses");
    for s in &p.scorers {
        assert_eq!(s.isolation, Isolation::DEFAULT, "{}", s.id);
    }
}

#[test]
fn a_scorer_isolation_table_overrides_the_policy_one_key_by_key() {
    let text = GOOD.replace(
        "[disqualifiers]",
        "[isolation]\ntime_budget_ms = 20\nbreaker_failures = 7\n\n[disqualifiers]",
    );
    let text = text.replace(
        "weight = 1\n",
        "weight = 1\n[scorer.isolation]\ntime_budget_ms = 0.25\nbreaker_cool_down_ms = 1500\nstuck_after_ms = 900\n",
    );
    let p = parse(&text).expect("parses");
    let bant = p.scorers[0].isolation;
    assert_eq!(bant.time_budget, std::time::Duration::from_millis(20));
    assert_eq!(bant.breaker_failures, 7);
    assert_eq!(bant.breaker_cool_down, Isolation::DEFAULT.breaker_cool_down);
    assert_eq!(bant.stuck_after, Isolation::DEFAULT.stuck_after);
    let intent = p.scorers[1].isolation;
    assert_eq!(intent.time_budget, std::time::Duration::from_micros(250));
    assert_eq!(intent.breaker_failures, 7, "inherited from [isolation]");
    assert_eq!(intent.breaker_cool_down, std::time::Duration::from_millis(1500));
    assert_eq!(intent.stuck_after, std::time::Duration::from_millis(900));
}

#[test]
fn bad_isolation_values_name_the_key_and_line() {
    let policy_wide =
        |body: &str| GOOD.replace("[disqualifiers]", &format!("[isolation]\n{body}\n\n[disqualifiers]"));
    for (body, key, says) in [
        ("time_budget_ms = 0", "isolation.time_budget_ms", "must be more than 0"),
        ("time_budget_ms = -3", "isolation.time_budget_ms", "must be more than 0"),
        ("time_budget_ms = 90000", "isolation.time_budget_ms", "at most 60000"),
        ("breaker_failures = -1", "isolation.breaker_failures", "0 (never open)"),
        ("breaker_cool_down_ms = 0", "isolation.breaker_cool_down_ms", "must be 1 to"),
        ("stuck_after_ms = 0", "isolation.stuck_after_ms", "must be 1 to"),
        ("time_budget_ms = 50\nstuck_after_ms = 10", "isolation.stuck_after_ms", "must not be below"),
        ("time_budget_ms = 9000", "isolation.time_budget_ms", "must not be below"),
    ] {
        let e = err(&policy_wide(body));
        assert_eq!(e.key, key, "{body}: {e}");
        assert!(e.line.is_some(), "{body}: {e}");
        assert!(e.message.contains(says), "{body}: {e}");
    }
    let e = err(&policy_wide("time_budget = 5"));
    assert_eq!(e.key, "isolation.time_budget", "{e}");
    assert!(e.message.contains("unknown field `time_budget`"), "{e}");
    let e = err(&GOOD.replace("weight = 1\n", "weight = 1\n[scorer.isolation]\ntime_budget_ms = \"fast\"\n"));
    assert_eq!(e.key, "scorer[1].isolation.time_budget_ms", "{e}");
    let e = err(&GOOD.replace("weight = 1\n", "weight = 1\n[scorer.isolation]\nstuck_after_ms = 1\n"));
    assert_eq!(e.key, "scorer[1].isolation.stuck_after_ms", "{e}");
    assert!(e.line.is_some(), "{e}");
}
