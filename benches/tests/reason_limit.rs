//! Qualify asks scorers for only the reasons a decision can show (ABI 1.1
//! `reason_limit`); Explain asks for all of them. That must change nothing:
//! on a thousand generated leads, the decision Qualify returns equals the
//! one inside Explain's explanation, through the plugin libraries (where
//! the limit applies: the SDK and the host copy only the top reasons),
//! under policies keeping 1, 5 (the default) and 40 top reasons.
//!
//! Since ABI 1.2 each scorer is also told the bar a reason must clear to
//! reach the top reasons (`Context::reason_bar`), which the SDK applies;
//! these leads cross it in both directions.
//!
//! (The same scorers linked statically, trimmed the same way by the SDK,
//! are compared with the plugin libraries by `benches/pipeline.rs` before it
//! times them; five plugin rlibs cannot be linked into one debug test
//! binary, each exporting the same entry symbol. `qualifier/tests/
//! reason_bar.rs` checks the bar on linked test scorers.)

use std::path::{Path, PathBuf};

use hql_benches::leads::{AS_OF_MS, generate};
use hql_qualifier::{Engine, LoadOptions, ScorerSource};

const LEADS: usize = 1_000;

/// The default policy with `top_reasons = top`, written to `dir`.
fn policy_keeping(top: usize, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(hql_benches::default_policy()).expect("default policy");
    assert!(text.contains("top_reasons = 5"), "the default policy keeps 5 top reasons");
    let path = dir.join(format!("top-{top}.toml"));
    std::fs::write(&path, text.replace("top_reasons = 5", &format!("top_reasons = {top}"))).expect("write");
    path
}

#[test]
fn a_decision_is_the_same_whether_scorers_send_every_reason_or_only_the_top_ones() {
    hql_benches::build_plugins().expect("plugins build");
    let dir = tempfile::tempdir().expect("temp dir");
    let leads = generate(7, LEADS);
    for top in [1, 5, 40] {
        let policy_path = policy_keeping(top, dir.path());
        let dynamic = Engine::load(&LoadOptions {
            policy_path,
            scorers: ScorerSource::PluginDir(hql_benches::artifact_dir()),
        })
        .expect("policy loads with the plugin libraries");
        let mut trimmed = 0;
        for lead in &leads {
            let qualified = dynamic.qualify(lead, AS_OF_MS);
            let explained = dynamic.explain(lead, AS_OF_MS);
            assert_eq!(qualified, explained.decision, "top {top}, {}", lead.lead_id);
            assert!(qualified.top_reasons.len() <= top);
            // Leads where the limit had something to drop: the scorers
            // gave more ranked reasons than the decision shows.
            let ranked: usize =
                explained.scorers.iter().map(|t| t.reasons.iter().filter(|r| r.points != 0.0).count()).sum();
            trimmed += usize::from(ranked > top);
        }
        if top <= 5 {
            assert!(trimmed > LEADS / 2, "top {top}: only {trimmed} leads had reasons to drop");
        }
    }
}
