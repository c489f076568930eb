//! What the pipeline records through the `metrics` facade: decisions by
//! stage, degraded decisions, and per scorer a latency histogram and
//! failures by reason. Each test installs a Prometheus recorder local to its
//! thread (the engine registers its series while loading, so it loads inside
//! the recorder's scope) and reads back the rendered text.

use std::collections::BTreeMap;
use std::io::Write;

use hql_plugin_api::record::{AttributeValue, LeadRecord};
use hql_plugin_api::{Config, ConfigError, Context, Lead, NativeScorer, Score, ScoreError, Scorer};
use hql_qualifier::{Engine, LoadOptions, ScorerSource};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};

const AS_OF: i64 = 1_795_420_800_000;

/// The `score` attribute as the score: 40 makes MQL under [`POLICY`].
struct Plain;

impl Scorer for Plain {
    const NAME: &'static str = "plain";
    const VERSION: &'static str = "1.0.0";
    const DIMENSION: &'static str = "fit";

    fn configure(_config: &Config<'_>) -> Result<Self, ConfigError> {
        Ok(Plain)
    }

    fn score(&self, lead: &Lead<'_>, _ctx: &Context<'_>) -> Result<Score, ScoreError> {
        match lead.attribute("score") {
            Some(hql_plugin_api::Attribute::Number(n)) => Ok(Score::new(n)),
            _ => Ok(Score::new(0.0)),
        }
    }
}

/// Fails in every way a scorer can, by lead id.
struct Troubled;

impl Scorer for Troubled {
    const NAME: &'static str = "troubled";
    const VERSION: &'static str = "0.1.0";
    const DIMENSION: &'static str = "fit";

    fn configure(_config: &Config<'_>) -> Result<Self, ConfigError> {
        Ok(Troubled)
    }

    fn score(&self, lead: &Lead<'_>, _ctx: &Context<'_>) -> Result<Score, ScoreError> {
        match lead.lead_id() {
            "panic" => panic!("boom"),
            "error" => Err(ScoreError::new("upstream unavailable")),
            "nan" => Ok(Score::new(f64::NAN)),
            // Repaired with a warning, not a failure.
            "too-high" => Ok(Score::new(250.0)),
            _ => Ok(Score::new(10.0)),
        }
    }
}

const POLICY: &str = r#"
[policy]
name = "metrics-test"
version = "1"

[[scorer]]
id = "plain"
library = "plain"
weight = 1

[[scorer]]
id = "troubled"
library = "troubled"
weight = 1

[[stage]]
stage = "MQL"
[[stage.gate]]
name = "total"
subject = "total"
op = ">="
value = 20
"#;

fn engine() -> Engine {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(POLICY.as_bytes()).expect("write policy");
    Engine::load(&LoadOptions {
        policy_path: file.path().to_path_buf(),
        scorers: ScorerSource::Static(vec![
            ("plain".to_string(), NativeScorer::of::<Plain>()),
            ("troubled".to_string(), NativeScorer::of::<Troubled>()),
        ]),
    })
    .expect("policy loads")
}

fn lead(id: &str, score: f64) -> LeadRecord {
    let mut lead = LeadRecord { lead_id: id.to_string(), ..LeadRecord::default() };
    lead.attributes.insert("score".into(), AttributeValue::Number(score));
    lead
}

/// Runs `work` with an engine under a local Prometheus recorder; returns
/// the rendered samples, `name{labels}` to value, labels as rendered.
fn recorded(work: impl FnOnce(&Engine)) -> BTreeMap<String, f64> {
    let recorder = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(hql_qualifier::metrics::SCORER_DURATION_SECONDS.to_owned()),
            hql_qualifier::metrics::SCORER_DURATION_BUCKETS,
        )
        .expect("buckets")
        .build_recorder();
    let handle = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        hql_qualifier::metrics::describe();
        work(&engine());
    });
    handle
        .render()
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("`series value`");
            (series.to_string(), value.parse().expect("a number"))
        })
        .collect()
}

fn value(samples: &BTreeMap<String, f64>, series: &str) -> f64 {
    *samples.get(series).unwrap_or_else(|| panic!("no {series} in {samples:#?}"))
}

#[test]
fn decisions_are_counted_by_stage_and_degradation() {
    let samples = recorded(|engine| {
        engine.qualify(&lead("fine", 40.0), AS_OF); // MQL
        engine.qualify(&lead("fine", 0.0), AS_OF); // UNQUALIFIED
        engine.qualify(&lead("error", 0.0), AS_OF); // UNQUALIFIED, degraded
        engine.explain(&lead("fine", 40.0), AS_OF); // Explain decides too
    });
    assert_eq!(value(&samples, r#"hql_decisions_total{stage="MQL"}"#), 2.0);
    assert_eq!(value(&samples, r#"hql_decisions_total{stage="UNQUALIFIED"}"#), 2.0);
    // Every stage is there from the start.
    for stage in ["DISQUALIFIED", "SQL", "PQL", "HQL"] {
        assert_eq!(value(&samples, &format!(r#"hql_decisions_total{{stage="{stage}"}}"#)), 0.0);
    }
    assert_eq!(value(&samples, "hql_decisions_degraded_total"), 1.0);
}

#[test]
fn every_scorer_call_is_timed() {
    let samples = recorded(|engine| {
        for _ in 0..3 {
            engine.qualify(&lead("fine", 40.0), AS_OF);
        }
        engine.qualify(&lead("panic", 40.0), AS_OF);
    });
    for scorer in ["plain", "troubled"] {
        let count = format!(r#"hql_scorer_duration_seconds_count{{scorer="{scorer}"}}"#);
        assert_eq!(value(&samples, &count), 4.0, "failed calls are timed too");
        let inf = format!(r#"hql_scorer_duration_seconds_bucket{{scorer="{scorer}",le="+Inf"}}"#);
        assert_eq!(value(&samples, &inf), 4.0);
        let sum = format!(r#"hql_scorer_duration_seconds_sum{{scorer="{scorer}"}}"#);
        assert!(value(&samples, &sum) > 0.0);
    }
}

#[test]
fn failures_are_counted_by_reason() {
    let samples = recorded(|engine| {
        for id in ["panic", "error", "error", "nan", "too-high", "fine"] {
            engine.qualify(&lead(id, 0.0), AS_OF);
        }
    });
    let failures = |scorer: &str, reason: &str| {
        value(&samples, &format!(r#"hql_scorer_failures_total{{scorer="{scorer}",reason="{reason}"}}"#))
    };
    assert_eq!(failures("troubled", "panic"), 1.0);
    assert_eq!(failures("troubled", "error"), 2.0);
    assert_eq!(failures("troubled", "invalid_output"), 1.0, "a NaN score");
    // A healthy scorer's failure series exist, at zero.
    for reason in ["panic", "error", "invalid_output"] {
        assert_eq!(failures("plain", reason), 0.0);
    }
    assert_eq!(value(&samples, "hql_decisions_degraded_total"), 4.0);
}

#[test]
fn without_a_recorder_nothing_is_recorded_and_nothing_breaks() {
    let engine = engine();
    let decision = engine.qualify(&lead("panic", 40.0), AS_OF);
    assert!(decision.degraded);
}
