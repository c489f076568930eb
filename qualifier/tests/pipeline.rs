//! The pipeline end to end, in process, with scorers linked statically.
//! (The same pipeline over real shared libraries and gRPC is tested in the
//! workspace's `tests` crate.)

use std::borrow::Cow;
use std::io::Write;

use hql_plugin_api::record::{
    AttributeValue, CompanyRecord, ContactRecord, EventRecord, LeadRecord, ProductUsageRecord,
};
use hql_plugin_api::{
    CodeSpec, Config, ConfigError, Context, FactSpec, Lead, NativeScorer, Score, ScoreError, Scorer,
    Seniority,
};
use hql_qualifier::{Engine, LoadError, LoadOptions, ScorerSource, ScorerStatus, Stage};
use serde::Deserialize;

const AS_OF: i64 = 1_795_420_800_000;
const DAY: i64 = 86_400_000;

/// Fit from the `fit` attribute; disqualifies competitors.
struct Fit {
    bonus: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct FitConfig {
    bonus: f64,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig { bonus: 0.0 }
    }
}

impl Scorer for Fit {
    const NAME: &'static str = "fit";
    const VERSION: &'static str = "1.0.0";
    const DIMENSION: &'static str = "fit";
    const FACTS: &'static [FactSpec] = &[FactSpec::text("tier", "A, B or C")];
    const DISQUALIFIERS: &'static [CodeSpec] = &[
        CodeSpec::new("fit.competitor", "works for a competitor"),
        CodeSpec::new("fit.student", "a student"),
    ];

    fn configure(config: &Config<'_>) -> Result<Self, ConfigError> {
        let c: FitConfig = config.parse()?;
        if c.bonus < 0.0 {
            return Err(ConfigError::new("bonus", "must not be negative"));
        }
        Ok(Fit { bonus: c.bonus })
    }

    fn score(&self, lead: &Lead<'_>, _ctx: &Context<'_>) -> Result<Score, ScoreError> {
        let fit = match lead.attribute("fit") {
            Some(hql_plugin_api::Attribute::Number(n)) => n,
            _ => 0.0,
        };
        let mut s = Score::new(fit + self.bonus);
        s.reason("fit.value", fit, format!("fit attribute is {fit}")).field("attributes.fit");
        s.fact(
            "tier",
            if fit >= 70.0 {
                "A"
            } else if fit >= 40.0 {
                "B"
            } else {
                "C"
            },
        );
        if let Some(hql_plugin_api::Attribute::Bool(true)) = lead.attribute("competitor") {
            s.disqualify("fit.competitor", "works for a competitor");
        }
        if let Some(hql_plugin_api::Attribute::Bool(true)) = lead.attribute("student") {
            s.disqualify("fit.student", "a student");
        }
        Ok(s)
    }
}

/// 25 points per demo request.
struct Demos;

impl Scorer for Demos {
    const NAME: &'static str = "demos";
    const VERSION: &'static str = "2.0.0";
    const DIMENSION: &'static str = "engagement";
    const FACTS: &'static [FactSpec] = &[FactSpec::number("count", "demo requests")];

    fn configure(_config: &Config<'_>) -> Result<Self, ConfigError> {
        Ok(Demos)
    }

    fn score(&self, lead: &Lead<'_>, _ctx: &Context<'_>) -> Result<Score, ScoreError> {
        let mut s = Score::new(0.0);
        let mut n = 0usize;
        for e in lead.events().filter(|e| e.event_type() == "demo_request") {
            n += 1;
            s.reason("demos.request", 25.0, "requested a demo").event(e.index());
        }
        s.set_value((n as f64 * 25.0).min(100.0));
        s.fact("count", n);
        Ok(s)
    }
}

/// Panics, fails or breaks its own declarations on demand, by lead id.
struct Flaky;

impl Scorer for Flaky {
    const NAME: &'static str = "flaky";
    const VERSION: &'static str = "0.1.0";
    const DIMENSION: &'static str = "engagement";
    const FACTS: &'static [FactSpec] =
        &[FactSpec::number("tries", "attempts"), FactSpec::bool("warm", "warm lead")];

    fn configure(_config: &Config<'_>) -> Result<Self, ConfigError> {
        Ok(Flaky)
    }

    fn score(&self, lead: &Lead<'_>, _ctx: &Context<'_>) -> Result<Score, ScoreError> {
        if lead.lead_id().starts_with("panic") {
            panic!("boom on {}", lead.lead_id());
        }
        if lead.lead_id().starts_with("fail") {
            return Err(ScoreError::new("upstream unavailable"));
        }
        if lead.lead_id().starts_with("sloppy") {
            let mut s = Score::new(130.0);
            s.reason("flaky.first", 80.0, "kept");
            s.reason("flaky.nan", f64::NAN, "dropped");
            s.reason("flaky.last", 50.0, "kept too").field("company.domain");
            s.fact("mood", "sunny").fact("tries", f64::INFINITY).fact("warm", true);
            s.disqualify("flaky.nope", "not declared");
            return Ok(s);
        }
        let mut s = Score::new(50.0);
        s.reason("flaky.ok", 50.0, "fine");
        Ok(s)
    }
}

const POLICY: &str = r#"
[policy]
name = "pipeline-test"
version = "3"

[scoring]
top_reasons = 2
required_failure_cap = "MQL"

[[scorer]]
id = "fit"
library = "fit"
weight = 2

[[scorer]]
id = "demos"
library = "demos"
weight = 1

[[scorer]]
id = "flaky"
library = "flaky"
weight = 1
required = true

[[stage]]
stage = "MQL"
description = "Some interest"
[[stage.gate]]
name = "total"
subject = "total"
op = ">="
value = 20

[[stage]]
stage = "SQL"
[[stage.gate]]
name = "demo"
subject = "demos.count"
op = ">="
value = 1
hint = "Offer a demo."
[[stage.gate]]
name = "fit"
subject = "dimension.fit"
op = ">="
value = 40

[[stage]]
stage = "HQL"
[[stage.gate]]
name = "tier"
subject = "fit.tier"
op = "in"
value = ["A"]
hint = "Needs an A-tier account."
[[stage.gate]]
name = "two_demos"
subject = "demos.count"
op = ">="
value = 2

[disqualifiers]
codes = ["fit.competitor"]
"#;

fn engine_with(policy: &str) -> Result<Engine, LoadError> {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(policy.as_bytes()).expect("write policy");
    Engine::load(&LoadOptions {
        policy_path: file.path().to_path_buf(),
        scorers: ScorerSource::Static(vec![
            ("fit".to_string(), NativeScorer::of::<Fit>()),
            ("demos".to_string(), NativeScorer::of::<Demos>()),
            ("flaky".to_string(), NativeScorer::of::<Flaky>()),
        ]),
    })
}

fn engine() -> Engine {
    engine_with(POLICY).expect("policy loads")
}

fn lead(id: &str, fit: f64, demos: usize) -> LeadRecord {
    let mut l = LeadRecord { lead_id: id.to_string(), ..LeadRecord::default() };
    l.attributes.insert("fit".into(), AttributeValue::Number(fit));
    for i in 0..demos {
        l.events.push(EventRecord::new("demo_request", AS_OF - (i as i64 + 1) * DAY));
    }
    l
}

#[test]
fn stages_follow_the_gates() {
    let e = engine();
    assert_eq!(e.qualify(&lead("a", 0.0, 0), AS_OF).stage, Stage::Unqualified);
    // total = (2*30 + 0 + 50) / 4 = 27.5 -> MQL
    let d = e.qualify(&lead("b", 30.0, 0), AS_OF);
    assert_eq!(d.score, 27.5);
    assert_eq!(d.stage, Stage::Mql);
    assert_eq!(d.next_stage, Some(Stage::Sql));
    assert!(d.next_stage_gap.contains("demos.count >= 1 (is 0)"), "{}", d.next_stage_gap);
    assert!(d.next_stage_gap.contains("dimension.fit >= 40 (is 30)"), "{}", d.next_stage_gap);
    let d = e.qualify(&lead("c", 50.0, 1), AS_OF);
    assert_eq!(d.stage, Stage::Sql);
    assert_eq!(d.next_stage, Some(Stage::Hql));
    let d = e.qualify(&lead("d", 80.0, 2), AS_OF);
    assert_eq!(d.stage, Stage::Hql);
    assert_eq!(d.next_stage, None);
    assert_eq!(d.next_stage_gap, "Highest stage reached.");
}

#[test]
fn scores_combine_by_normalised_weight_and_dimension() {
    let d = engine().qualify(&lead("w", 80.0, 2), AS_OF);
    // fit 80 w .5, demos 50 w .25, flaky 50 w .25
    assert_eq!(d.score, 65.0);
    let fit = d.dimensions.iter().find(|x| x.name == "fit").expect("fit");
    assert_eq!((fit.score, fit.weight), (80.0, 0.5));
    let eng = d.dimensions.iter().find(|x| x.name == "engagement").expect("engagement");
    assert_eq!((eng.score, eng.weight), (50.0, 0.5));
    let demos = &d.scorers[1];
    assert_eq!((demos.name.as_str(), demos.version.as_str()), ("demos", "2.0.0"));
    assert_eq!((demos.score, demos.weight, demos.contribution), (50.0, 0.25, 12.5));
    assert_eq!(demos.status, ScorerStatus::Ok);
}

#[test]
fn top_reasons_are_the_largest_effects() {
    let d = engine().qualify(&lead("t", 80.0, 2), AS_OF);
    assert_eq!(d.top_reasons.len(), 2);
    assert_eq!(d.top_reasons[0].code, "fit.value"); // 80 * .5 = 40
    assert_eq!(d.top_reasons[1].code, "flaky.ok"); // 50 * .25, above each 25 * .25 demo
    let x = engine_with(&POLICY.replace("top_reasons = 2", "top_reasons = 5")).expect("loads");
    let d = x.qualify(&lead("t", 80.0, 2), AS_OF);
    let codes: Vec<&str> = d.top_reasons.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, vec!["fit.value", "flaky.ok", "demos.request", "demos.request"]);
    assert_eq!(d.top_reasons[2].events, vec![0]);
    assert_eq!(d.top_reasons[3].events, vec![1]);
}

#[test]
fn listed_codes_disqualify_others_only_warn() {
    let e = engine();
    let mut l = lead("q", 90.0, 3);
    l.attributes.insert("competitor".into(), AttributeValue::Bool(true));
    let d = e.qualify(&l, AS_OF);
    assert_eq!(d.stage, Stage::Disqualified);
    assert_eq!(d.disqualifications.len(), 1);
    assert_eq!(d.disqualifications[0].code, "fit.competitor");
    assert_eq!(d.next_stage, None);
    assert!(d.next_stage_gap.starts_with("Disqualified (fit.competitor)"));

    let mut l = lead("s", 90.0, 3);
    l.attributes.insert("student".into(), AttributeValue::Bool(true));
    let x = e.explain(&l, AS_OF);
    assert_eq!(x.decision.stage, Stage::Hql);
    assert!(x.warnings.iter().any(|w| w.contains("fit.student")), "{:?}", x.warnings);
}

#[test]
fn a_panicking_scorer_degrades_and_caps_but_never_crashes() {
    let e = engine();
    let d = e.qualify(&lead("panic-1", 90.0, 3), AS_OF);
    assert!(d.degraded);
    let flaky = &d.scorers[2];
    assert_eq!(flaky.status, ScorerStatus::Failed);
    assert!(flaky.error.contains("boom on panic-1"), "{}", flaky.error);
    assert_eq!(flaky.contribution, 0.0);
    // HQL gates pass, but flaky is required: capped at MQL.
    assert_eq!(d.stage, Stage::Mql);
    assert!(d.next_stage_gap.contains("capped at MQL"), "{}", d.next_stage_gap);
    let d = e.qualify(&lead("fail-1", 90.0, 3), AS_OF);
    assert_eq!(d.scorers[2].error, "upstream unavailable");
    // The engine keeps working afterwards.
    assert!(!e.qualify(&lead("ok", 90.0, 3), AS_OF).degraded);
}

#[test]
fn output_breaking_the_declarations_is_clamped_or_dropped_and_the_rest_kept_in_order() {
    let e = engine();
    let x = e.explain(&lead("sloppy-1", 90.0, 3), AS_OF);
    let flaky = &x.scorers[2];
    assert_eq!(flaky.summary.status, ScorerStatus::Ok);
    assert_eq!(flaky.summary.score, 100.0);
    let codes: Vec<&str> = flaky.reasons.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["flaky.first", "flaky.last"]);
    assert_eq!(flaky.reasons[1].fields, ["company.domain"]);
    let facts: Vec<&str> = flaky.facts.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(facts, ["flaky.warm"]);
    assert!(x.decision.disqualifications.is_empty());
    for expected in [
        "scorer `flaky` returned 130, outside 0-100; clamped",
        "scorer `flaky` gave reason `flaky.nan` non-finite points; dropped",
        "scorer `flaky` set undeclared fact `mood`; dropped",
        "scorer `flaky` set fact `tries` to a non-finite number; dropped",
        "scorer `flaky` reported undeclared disqualifier `flaky.nope`; dropped",
    ] {
        assert!(x.warnings.iter().any(|w| w == expected), "{expected:?} not in {:?}", x.warnings);
    }
    assert_eq!(e.qualify(&lead("sloppy-1", 90.0, 3), AS_OF), x.decision);
}

#[test]
fn explain_decision_equals_qualify_decision() {
    let e = engine();
    for l in [lead("a", 0.0, 0), lead("b", 55.0, 1), lead("panic-x", 80.0, 2)] {
        let d = e.qualify(&l, AS_OF);
        let x = e.explain(&l, AS_OF);
        assert_eq!(d, x.decision);
        assert_eq!(x.scorers.len(), 3);
        assert_eq!(x.stages.first().map(|s| s.stage), Some(Stage::Hql), "highest first");
        assert!(x.text.contains(&format!("Lead {}: {}", l.lead_id, d.stage)), "{}", x.text);
    }
}

#[test]
fn as_of_hides_later_events_and_ids_are_deterministic() {
    let e = engine();
    let mut l = lead("r", 50.0, 1);
    l.events.push(EventRecord::new("demo_request", AS_OF + DAY));
    let now = e.explain(&l, AS_OF);
    assert_eq!(now.decision.scorers[1].score, 25.0);
    assert!(now.warnings.iter().any(|w| w.starts_with("1 event(s) after as_of")), "{:?}", now.warnings);
    let later = e.qualify(&l, AS_OF + 2 * DAY);
    assert_eq!(later.scorers[1].score, 50.0);
    assert_ne!(later.decision_id, now.decision.decision_id);
    assert_eq!(e.qualify(&l, AS_OF).decision_id, now.decision.decision_id);
    // Replaying before any event hides them all.
    assert_eq!(e.qualify(&l, AS_OF - 10 * DAY).scorers[1].score, 0.0);
}

#[test]
fn explanation_lists_every_gate_and_the_gap() {
    let x = engine().explain(&lead("g", 30.0, 0), AS_OF);
    let sql = x.stages.iter().find(|s| s.stage == Stage::Sql).expect("sql");
    assert!(!sql.passed);
    assert_eq!(sql.gates.len(), 2);
    assert_eq!(sql.gates[0].actual, "0");
    assert_eq!(sql.gates[0].required, "1");
    assert_eq!(x.gap.stage, Some(Stage::Sql));
    assert_eq!(x.gap.failing_gates.len(), 2);
    assert_eq!(x.gap.summary, x.decision.next_stage_gap);
    assert!(x.text.contains("Offer a demo."), "{}", x.text);
    let facts: Vec<&str> = x.scorers[0].facts.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(facts, vec!["fit.tier"]);
}

#[test]
fn a_rejected_config_names_the_key_and_line() {
    let policy = POLICY.replace("weight = 2\n", "weight = 2\n[scorer.config]\nbonus = -5\n");
    let err = match engine_with(&policy) {
        Ok(_) => panic!("config must be refused"),
        Err(e) => e,
    };
    let text = err.to_string();
    assert!(text.contains("scorer[0].config.bonus"), "{text}");
    assert!(text.contains("plugin `fit` 1.0.0"), "{text}");
    assert!(text.contains(":15:1: scorer[0].config.bonus: "), "{text}");
}

#[test]
fn policy_digest_and_scorer_listing() {
    let e = engine();
    assert_eq!(e.policy().name, "pipeline-test");
    assert_eq!(e.policy().digest.len(), 64);
    let infos = e.scorers();
    assert_eq!(infos.len(), 3);
    assert_eq!(infos[0].facts, vec!["fit.tier"]);
    assert_eq!(infos[0].library, "static:fit");
    assert_eq!(infos[0].weight, 0.5);
    assert!(infos[2].required);
    let other = engine_with(&POLICY.replace("version = \"3\"", "version = \"4\"")).expect("loads");
    assert_ne!(other.policy().digest, e.policy().digest);
}

/// `text` as a slice of `buffer`, where it must occur: a field the server
/// decoded without copying it.
fn borrowed<'b>(buffer: &'b str, text: &str) -> Cow<'b, str> {
    let at = buffer.find(text).unwrap_or_else(|| panic!("{text:?} is not in the buffer"));
    Cow::Borrowed(&buffer[at..at + text.len()])
}

/// `lead`, its text borrowed from `buffer` (the domain normalised, so owned).
fn borrowing<'b>(buffer: &'b str, lead: &LeadRecord) -> LeadRecord<Cow<'b, str>> {
    let text = |t: &String| borrowed(buffer, t);
    let texts = |ts: &[String]| ts.iter().map(text).collect::<Vec<_>>();
    let (c, co) = (&lead.contact, &lead.company);
    LeadRecord {
        lead_id: text(&lead.lead_id),
        contact: ContactRecord {
            email: text(&c.email),
            job_title: text(&c.job_title),
            seniority: c.seniority,
            department: text(&c.department),
            country: text(&c.country),
        },
        company: CompanyRecord {
            domain: Cow::Owned(borrowed(buffer, &co.domain.to_uppercase()).to_lowercase()),
            name: text(&co.name),
            industry: text(&co.industry),
            employee_count: co.employee_count,
            annual_revenue: co.annual_revenue,
            region: text(&co.region),
            technologies: texts(&co.technologies),
        },
        bant: lead.bant.clone(),
        events: lead
            .events
            .iter()
            .map(|e| EventRecord {
                event_type: e.event_type.clone(),
                occurred_at: e.occurred_at,
                source: e.source,
                response: e.response,
                channel: e.channel.clone(),
                campaign: text(&e.campaign),
                value: e.value,
            })
            .collect(),
        usage: lead.usage.as_ref().map(|u| ProductUsageRecord {
            plan: text(&u.plan),
            features_adopted: texts(&u.features_adopted),
            signed_up_at: u.signed_up_at,
            trial_ends_at: u.trial_ends_at,
            activated: u.activated,
            active_days_last_30: u.active_days_last_30,
            active_days_prev_30: u.active_days_prev_30,
            seats: u.seats,
            invited_teammates: u.invited_teammates,
            plan_limit_hits: u.plan_limit_hits,
        }),
        attributes: lead
            .attributes
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    AttributeValue::Number(n) => AttributeValue::Number(*n),
                    AttributeValue::Bool(b) => AttributeValue::Bool(*b),
                    AttributeValue::Text(t) => AttributeValue::Text(text(t)),
                };
                (text(k), v)
            })
            .collect(),
    }
}

#[test]
fn a_lead_borrowing_a_buffer_is_decided_as_the_owned_one() {
    let mut owned = lead("crm-00421", 80.0, 2);
    owned.contact = ContactRecord {
        email: "dana.ng@northwind.io".into(),
        job_title: "VP Revenue Operations".into(),
        seniority: Seniority::Vp,
        department: "sales".into(),
        country: "US".into(),
    };
    owned.company = CompanyRecord {
        domain: "northwind.io".into(),
        name: "Northwind".into(),
        industry: "software".into(),
        employee_count: Some(420),
        annual_revenue: Some(6e7),
        region: "NA".into(),
        technologies: vec!["salesforce".into(), "snowflake".into()],
    };
    owned.events[0].campaign = "q4-webinar".into();
    owned.usage = Some(ProductUsageRecord {
        plan: "trial".into(),
        features_adopted: vec!["api".into(), "sso".into()],
        ..ProductUsageRecord::default()
    });
    owned.attributes.insert("segment".into(), AttributeValue::Text("mid-market".into()));
    owned.attributes.insert("competitor".into(), AttributeValue::Bool(false));
    // The request as it arrived: every text above is somewhere in it.
    let buffer = "crm-00421 dana.ng@northwind.io VP Revenue Operations sales US NORTHWIND.IO Northwind \
                  software NA salesforce snowflake q4-webinar trial api sso segment mid-market competitor fit"
        .to_string();
    let lead = borrowing(&buffer, &owned);
    assert!(matches!(lead.lead_id, Cow::Borrowed(_)) && matches!(lead.company.domain, Cow::Owned(_)));
    assert_eq!(lead.clone().into_owned(), owned);

    let e = engine();
    let (want, got) = (e.qualify(&owned, AS_OF), e.qualify(&lead, AS_OF));
    assert_eq!((&got.decision_id, got.stage, got.score), (&want.decision_id, want.stage, want.score));
    assert_eq!((want.stage, want.decision_id.len()), (Stage::Hql, 32));
    assert_eq!(got, want);
    assert_eq!(e.qualify_with(&lead, AS_OF, |d| d.into_decision()), want);
    assert_eq!(e.explain(&lead, AS_OF), e.explain(&owned, AS_OF));
    // Any text differing changes the id, borrowed or not.
    let mut other = lead.clone();
    other.usage.as_mut().expect("usage").features_adopted[1] = Cow::Borrowed("api");
    assert_ne!(e.qualify(&other, AS_OF).decision_id, want.decision_id);
}
