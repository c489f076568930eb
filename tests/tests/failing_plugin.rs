//! A scorer plugin that panics or returns an error costs one FAILED scorer
//! in one decision, never the server: the decision comes back `degraded`,
//! the other scorers are unaffected, a required scorer's failure caps the
//! stage at the policy's `required_failure_cap`, and the very next request
//! is served normally by the same process. A plugin refusing its config
//! stops `hqld` at start-up instead, with exit code 2 and a message naming
//! the plugin and the policy key.
//!
//! The failing plugin is the real `hql_test_panicking` cdylib loaded next to
//! the bundled ones under the shipped policy: its `panic!` unwinds inside
//! the plugin and must be caught at the ABI boundary, which is only proven
//! by a real `dlopen`ed library in a real server process.

use std::time::Duration;

use hql_tests::{
    AS_OF_MS, Hqld, PANICKING_PLUGIN, PluginDir, default_policy_with, hql_lead, pb, plugin_path,
    run_hqld_to_exit, serve_args, sql_lead, write_policy,
};

/// The bundled plugins plus the panicking fixture, served under the default
/// policy with an extra scorer `flaky` (required or not) backed by it.
struct Served {
    _plugins: PluginDir,
    _dir: tempfile::TempDir,
    server: Hqld,
}

fn serve_with_flaky(required: bool) -> Served {
    let plugins = PluginDir::bundled();
    plugins.add(plugin_path(PANICKING_PLUGIN));
    let dir = tempfile::tempdir().expect("tempdir");
    let block = format!(
        "[[scorer]]\nid = \"flaky\"\nlibrary = \"hql_test_panicking\"\nweight = 0.10\n\
         dimension = \"engagement\"\nrequired = {required}\n"
    );
    let policy = write_policy(dir.path(), &default_policy_with(&block));
    let server = Hqld::serve(&policy, plugins.path());
    Served { _plugins: plugins, _dir: dir, server }
}

fn decision(e: &pb::Explanation) -> &pb::Decision {
    e.decision.as_ref().expect("a decision")
}

fn scorer<'a>(d: &'a pb::Decision, name: &str) -> &'a pb::ScorerSummary {
    d.scorers.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no scorer {name}"))
}

/// Every scorer but `flaky` is OK.
fn assert_others_ok(d: &pb::Decision) {
    let others: Vec<(&str, pb::ScorerStatus)> =
        d.scorers.iter().filter(|s| s.name != "flaky").map(|s| (s.name.as_str(), s.status())).collect();
    use pb::ScorerStatus::Ok;
    assert_eq!(
        others,
        [("icp_fit", Ok), ("bant", Ok), ("intent", Ok), ("trust_nurture", Ok), ("product_usage", Ok)]
    );
}

#[tokio::test]
async fn a_panicking_optional_scorer_degrades_the_decision_but_not_the_stage_or_the_server() {
    let mut served = serve_with_flaky(false);
    let server = &served.server;

    let e = server.explain(hql_lead("panic-dana", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let d = decision(&e);
    assert!(d.degraded, "{}", e.text);
    let flaky = scorer(d, "flaky");
    assert_eq!(flaky.status(), pb::ScorerStatus::Failed);
    assert!(flaky.error.contains("panicked"), "{}", flaky.error);
    assert!(flaky.error.contains("asked to panic by lead \"panic-dana\""), "{}", flaky.error);
    assert_eq!((flaky.score, flaky.contribution), (0.0, 0.0));
    assert_others_ok(d);
    // Not required: no cap, so Dana is still an HQL, flagged as degraded.
    assert_eq!(d.stage(), pb::Stage::Hql, "{}", e.text);
    assert!(e.warnings.iter().any(|w| w.starts_with("scorer `flaky` failed: ")), "{:?}", e.warnings);
    assert!(e.warnings.iter().all(|w| !w.contains("capped")), "{:?}", e.warnings);

    // The next request, on a new connection, is decided normally.
    let e = server.explain(hql_lead("dana-after-panic", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let d = decision(&e);
    assert!(!d.degraded, "{}", e.text);
    let flaky = scorer(d, "flaky");
    assert_eq!((flaky.status(), flaky.score), (pb::ScorerStatus::Ok, 50.0));
    assert!(flaky.error.is_empty());
    assert!(served.server.is_running(), "the panic did not take hqld down");
}

#[tokio::test]
async fn a_panicking_required_scorer_caps_the_stage_at_the_policys_required_failure_cap() {
    let served = serve_with_flaky(true);
    let e = served.server.explain(hql_lead("panic-dana-required", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let d = decision(&e);

    assert!(d.degraded);
    assert_eq!(scorer(d, "flaky").status(), pb::ScorerStatus::Failed);
    assert_others_ok(d);
    // Every HQL gate passes, but a required scorer failed: capped at MQL
    // (policies/default.toml: required_failure_cap = "MQL").
    assert!(e.stages.iter().find(|s| s.stage() == pb::Stage::Hql).expect("HQL").passed, "{}", e.text);
    assert_eq!(d.stage(), pb::Stage::Mql, "{}", e.text);
    assert_eq!(d.next_stage(), pb::Stage::Sql);
    assert_eq!(
        d.next_stage_gap,
        "SQL gates pass, but the stage is capped at MQL because required scorer(s) flaky failed."
    );
    assert!(
        e.warnings.contains(&"stage capped at MQL because required scorer(s) flaky failed".to_string()),
        "{:?}",
        e.warnings
    );
    assert!(e.text.contains("DEGRADED"), "{}", e.text);

    // The same lead under an id that does not panic is an HQL again.
    let e = served.server.explain(hql_lead("dana-required", AS_OF_MS).explain_request(AS_OF_MS)).await;
    assert_eq!(decision(&e).stage(), pb::Stage::Hql, "{}", e.text);
}

#[tokio::test]
async fn a_scorer_error_is_reported_with_the_plugins_own_message_in_the_trail() {
    let served = serve_with_flaky(false);
    let e = served.server.explain(sql_lead("fail-marcus", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let d = decision(&e);

    assert!(d.degraded);
    let flaky = scorer(d, "flaky");
    assert_eq!(flaky.status(), pb::ScorerStatus::Failed);
    let message = "panicking fixture: asked to fail by lead \"fail-marcus\"";
    assert_eq!(flaky.error, message, "the plugin's message, verbatim");
    assert!(!flaky.error.contains("panicked"), "an error is not a panic: {}", flaky.error);
    assert_others_ok(d);
    assert_eq!(d.stage(), pb::Stage::Sql, "{}", e.text);

    let trail =
        e.scorers.iter().find(|t| t.summary.as_ref().is_some_and(|s| s.name == "flaky")).expect("flaky");
    assert!(trail.reasons.is_empty() && trail.facts.is_empty(), "a failed scorer's output is discarded");
    assert!(e.warnings.contains(&format!("scorer `flaky` failed: {message}")), "{:?}", e.warnings);
    assert!(e.text.contains(&format!("flaky 0.1.0 [engagement]: FAILED: {message}")), "{}", e.text);
}

#[tokio::test]
async fn panics_in_a_batch_fail_only_their_own_leads() {
    use pb::qualify_batch_result::Outcome;

    let mut served = serve_with_flaky(false);
    let leads: Vec<pb::Lead> = (0..12)
        .map(|i| {
            let id = if i % 3 == 0 { format!("panic-{i}") } else { format!("marcus-{i}") };
            sql_lead(&id, AS_OF_MS).build()
        })
        .collect();
    let results = served
        .server
        .client()
        .await
        .qualify_batch(pb::QualifyBatchRequest { leads, as_of: Some(hql_tests::ts(AS_OF_MS)) })
        .await
        .expect("the batch is answered")
        .into_inner()
        .results;
    assert_eq!(results.len(), 12);
    for (i, result) in results.iter().enumerate() {
        let Some(Outcome::Decision(d)) = &result.outcome else { panic!("{i}: {result:?}") };
        assert_eq!(d.degraded, i % 3 == 0, "{}", d.lead_id);
        assert_eq!(scorer(d, "flaky").status() == pb::ScorerStatus::Failed, i % 3 == 0);
        assert_eq!(d.stage(), pb::Stage::Sql, "{}", d.lead_id);
    }
    assert!(served.server.is_running());
}

#[test]
fn a_plugin_refusing_its_config_stops_hqld_with_exit_code_2_naming_the_plugin() {
    let plugins = PluginDir::bundled();
    plugins.add(plugin_path(PANICKING_PLUGIN));
    let dir = tempfile::tempdir().expect("tempdir");
    let block = "[[scorer]]\nid = \"flaky\"\nlibrary = \"hql_test_panicking\"\nweight = 0.10\n\
                 [scorer.config]\nrefuse = true\n";
    let text = default_policy_with(block);
    let policy = write_policy(dir.path(), &text);

    let (status, stdout, stderr) =
        run_hqld_to_exit(serve_args(&policy, plugins.path()), Duration::from_secs(60));
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(!stdout.contains("listening"), "{stdout}");
    // The sixth scorer's config key, located in the file, and the plugin.
    let line = text.lines().position(|l| l == "refuse = true").expect("the line") + 1;
    let located = format!("hqld: policy {}:{line}:", policy.display());
    assert!(stderr.contains(&located), "no {located:?} in:\n{stderr}");
    for needle in [
        "scorer[5].config.refuse",
        "plugin `panicking`",
        "(libhql_test_panicking.so)",
        "rejected its config: the panicking fixture was told to refuse its config",
    ] {
        assert!(stderr.contains(needle), "no {needle:?} in:\n{stderr}");
    }
}
