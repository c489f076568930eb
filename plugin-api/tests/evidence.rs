//! Evidence crosses the C boundary whole: a reason's field paths and event
//! indexes arrive as the scorer cited them, in order, however many there
//! are (the SDK passes a short field list from the stack and a long one from
//! the heap; both must read the same on the host's side).

use hql_plugin_api::record::LeadRecord;
use hql_plugin_api::testing::Harness;
use hql_plugin_api::{Config, ConfigError, Context, Lead, Score, ScoreError, Scorer};

/// How many fields each reason cites: none, one, around the stack buffer's
/// size, and well beyond it, then short again after a long one.
const FIELD_COUNTS: [usize; 7] = [0, 1, 7, 8, 9, 40, 2];

struct Citing;

impl Scorer for Citing {
    const NAME: &'static str = "citing";
    const VERSION: &'static str = "1.0.0";
    const DIMENSION: &'static str = "fit";

    fn configure(_config: &Config<'_>) -> Result<Self, ConfigError> {
        Ok(Citing)
    }

    fn score(&self, _lead: &Lead<'_>, _ctx: &Context<'_>) -> Result<Score, ScoreError> {
        let mut score = Score::new(40.0);
        for (i, n) in FIELD_COUNTS.iter().enumerate() {
            let reason = score.reason(format!("citing.r{i}"), i as f64, format!("{n} fields"));
            for f in 0..*n {
                reason.field(format!("custom.r{i}.f{f}"));
            }
            reason.events((0..*n as u32).map(|e| e * 3 + i as u32));
        }
        Ok(score)
    }
}

hql_plugin_api::export_scorer!(Citing);

#[test]
fn every_field_and_event_arrives_in_order() {
    let harness = Harness::<Citing>::new("{}").expect("configured");
    let lead = LeadRecord::default();
    let direct = harness.score(&lead, 0).expect("scored");
    // Twice: the second call reuses whatever the first left in the pools.
    for _ in 0..2 {
        let copied = harness.score_via_abi(hql_scorer_descriptor, &lead, 0).expect("scored");
        assert_eq!(copied.reasons().len(), FIELD_COUNTS.len());
        for (got, want) in copied.reasons().iter().zip(direct.reasons()) {
            assert_eq!(got.code, want.code);
            assert_eq!(got.fields, want.fields, "{}", got.code);
            assert_eq!(got.events, want.events, "{}", got.code);
        }
        assert_eq!(copied.reasons()[5].fields.len(), 40);
        assert_eq!(copied.reasons()[5].fields[39], "custom.r5.f39");
    }
}
