//! The reason bar (ABI 1.2) with scorers linked statically: Qualify tells
//! each scorer what a reason of its own must beat to reach the decision's
//! top reasons, and a score built with `Score::for_call` then writes nothing
//! for the others. That must change no decision: on generated leads whose
//! reasons tie and cross the bar in every way, the decision Qualify returns
//! equals the one inside Explain's explanation (where nothing is trimmed).

use std::cell::Cell;
use std::io::Write;

use hql_plugin_api::record::{EventRecord, LeadRecord};
use hql_plugin_api::{Config, ConfigError, Context, Lead, NativeScorer, Score, ScoreError, Scorer};
use hql_qualifier::{Engine, LoadOptions, ScorerSource};
use proptest::prelude::*;
use serde::Deserialize;

const AS_OF: i64 = 1_795_420_800_000;

thread_local! {
    /// Messages written on this thread (static scorers run on the caller's).
    static WRITTEN: Cell<usize> = const { Cell::new(0) };
}

/// One reason per event of its configured type, worth the event's value.
struct Listed {
    event_type: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListedConfig {
    event_type: String,
}

impl Scorer for Listed {
    const NAME: &'static str = "listed";
    const VERSION: &'static str = "1.0.0";
    const DIMENSION: &'static str = "engagement";

    fn configure(config: &Config<'_>) -> Result<Self, ConfigError> {
        let c: ListedConfig = config.parse()?;
        Ok(Listed { event_type: c.event_type })
    }

    fn score(&self, lead: &Lead<'_>, ctx: &Context<'_>) -> Result<Score, ScoreError> {
        let mut score = Score::for_call(ctx);
        for event in lead.events().filter(|e| e.event_type() == self.event_type) {
            let points = event.value().unwrap_or(0.0);
            score
                .reason_with(format!("listed.{}", self.event_type), points, || {
                    WRITTEN.with(|w| w.set(w.get() + 1));
                    format!("{points} points")
                })
                .event(event.index());
        }
        score.settle("listed.clamped");
        Ok(score)
    }
}

/// Three instances, the first weighing most, keeping `top` reasons.
fn engine(top: usize) -> Engine {
    let policy = format!(
        r#"
[policy]
name = "reason-bar"
version = "1"

[scoring]
top_reasons = {top}

[[scorer]]
id = "a"
library = "listed"
weight = 3
[scorer.config]
event_type = "a"

[[scorer]]
id = "b"
library = "listed"
weight = 1
[scorer.config]
event_type = "b"

[[scorer]]
id = "c"
library = "listed"
weight = 0.5
[scorer.config]
event_type = "c"

[[stage]]
stage = "MQL"
[[stage.gate]]
name = "total"
subject = "total"
op = ">="
value = 20
"#
    );
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(policy.as_bytes()).expect("write policy");
    Engine::load(&LoadOptions {
        policy_path: file.path().to_path_buf(),
        scorers: ScorerSource::Static(vec![("listed".to_string(), NativeScorer::of::<Listed>())]),
    })
    .expect("policy loads")
}

fn lead(events: &[(&'static str, f64)]) -> LeadRecord {
    LeadRecord {
        lead_id: "bar-1".into(),
        events: events
            .iter()
            .enumerate()
            .map(|(i, (t, v))| EventRecord {
                value: Some(*v),
                ..EventRecord::new(*t, AS_OF - 1_000 * (i as i64 + 1))
            })
            .collect(),
        ..LeadRecord::default()
    }
}

#[test]
fn later_scorers_write_only_reasons_that_can_reach_the_top() {
    let e = engine(2);
    // Products: a 30 x 3 = 90 and 20 x 3 = 60 fill the top two; b's 50 x 1
    // and c's 100 x 0.5 do not beat 60, b's 70 does.
    let l = lead(&[("a", 30.0), ("a", 20.0), ("b", 50.0), ("b", 70.0), ("c", 100.0)]);
    WRITTEN.with(|w| w.set(0));
    let d = e.qualify(&l, AS_OF);
    let codes: Vec<(&str, f64)> = d.top_reasons.iter().map(|r| (r.code.as_str(), r.points)).collect();
    assert_eq!(codes, [("listed.a", 30.0), ("listed.b", 70.0)]);
    assert_eq!(WRITTEN.with(Cell::get), 3, "a's two and b's 70; not b's 50 nor c's 100");
    assert_eq!(d, e.explain(&l, AS_OF).decision);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn qualify_decides_as_explain_does_whatever_the_bar_cuts(
        events in prop::collection::vec(
            (
                prop_oneof![Just("a"), Just("b"), Just("c")],
                prop_oneof![Just(0.0), Just(10.0), Just(-10.0), Just(20.0), Just(60.0), -40.0..40.0f64],
            ),
            0..16,
        ),
        top in 1usize..4,
    ) {
        let e = engine(top);
        let l = lead(&events);
        prop_assert_eq!(e.qualify(&l, AS_OF), e.explain(&l, AS_OF).decision);
    }
}
