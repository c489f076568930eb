//! A scorer written in plain C against `hql_scorer.h` is served by the real
//! `hqld` exactly like the Rust plugins: listed by ListScorers with its
//! version, ABI and hash, its fact usable in a stage gate, its reasons and
//! evidence in the Explain trail, its disqualifier applied when the policy
//! lists it, and its config refusal stopping the server.
//!
//! `tests/c_plugin_loads.rs` drives the C example through the host's ABI
//! wrappers in-process; this file closes the loop through the binary and
//! the wire, which is what a third-party plugin author relies on. The
//! policy mixes the C scorer (`demos`, backed by `libhql_c_example.so`)
//! with the bundled Rust `icp_fit` and `intent`.

use std::time::Duration;

use hql_tests::{
    AS_OF_MS, C_EXAMPLE, Hqld, PluginDir, c_fixture, mql_lead, pb, plugin_path, run_hqld_to_exit, serve_args,
    sql_lead, touch, write_policy,
};
use sha2::{Digest, Sha256};

/// The policy: SQL needs a demo request as counted by the C scorer.
fn policy(points_per_demo: i64) -> String {
    format!(
        r#"[policy]
name = "c-served"
version = "2024.1"

[[scorer]]
id = "icp_fit"
library = "hql_icp_fit"
weight = 0.5
required = true

[[scorer]]
id = "intent"
library = "hql_intent"
weight = 0.25

[[scorer]]
id = "demos"
library = "hql_c_example"
weight = 0.25
[scorer.config]
points_per_demo = {points_per_demo}

[[stage]]
stage = "MQL"
[[stage.gate]]
name = "plausible_fit"
subject = "icp_fit.score"
op = ">="
value = 30

[[stage]]
stage = "SQL"
[[stage.gate]]
name = "demo_requested"
subject = "demos.demo_requests"
op = ">="
value = 1
hint = "Invite to a demo."
[[stage.gate]]
name = "good_fit"
subject = "icp_fit.score"
op = ">="
value = 50

[disqualifiers]
codes = ["c_example.spam", "icp.competitor"]
"#
    )
}

/// `icp_fit`, `intent` and the C example in a plugin directory.
fn plugins() -> PluginDir {
    PluginDir::with([plugin_path("hql_icp_fit"), plugin_path("hql_intent"), c_fixture(C_EXAMPLE)])
}

struct Served {
    plugins: PluginDir,
    _dir: tempfile::TempDir,
    server: Hqld,
}

fn serve() -> Served {
    let plugins = plugins();
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = write_policy(dir.path(), &policy(30));
    let server = Hqld::serve(&policy, plugins.path());
    Served { plugins, _dir: dir, server }
}

fn demos_trail(e: &pb::Explanation) -> &pb::ScorerTrail {
    e.scorers.iter().find(|t| t.summary.as_ref().is_some_and(|s| s.name == "demos")).expect("the demos trail")
}

fn sql_gate<'a>(e: &'a pb::Explanation, name: &str) -> &'a pb::GateResult {
    let sql = e.stages.iter().find(|s| s.stage() == pb::Stage::Sql).expect("SQL");
    sql.gates.iter().find(|g| g.name == name).expect("the gate")
}

#[tokio::test]
async fn list_scorers_shows_the_c_plugin_next_to_the_rust_ones() {
    let served = serve();
    let listed = served.server.client().await.list_scorers(pb::ListScorersRequest {}).await.expect("list");
    let listed = listed.into_inner();

    let names: Vec<&str> = listed.scorers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["icp_fit", "intent", "demos"]);
    let demos = &listed.scorers[2];
    assert_eq!(demos.plugin, "c_example");
    assert_eq!(demos.version, "1.0.0");
    assert_eq!(demos.abi_version, listed.host_abi_version);
    assert_eq!(demos.dimension, "engagement", "the plugin's own dimension");
    assert!((demos.weight - 0.25).abs() < 1e-12);
    assert!(!demos.required);
    assert_eq!(demos.library, "libhql_c_example.so");
    let bytes = std::fs::read(served.plugins.path().join(&demos.library)).expect("read the C plugin");
    assert_eq!(demos.library_sha256, hex::encode(Sha256::digest(bytes)));
    assert!(!demos.description.is_empty());
    assert_eq!(demos.facts, ["demos.demo_requests"]);
    assert_eq!(demos.disqualifiers, ["c_example.spam"]);
    assert_eq!(listed.policy.expect("policy").name, "c-served");
}

#[tokio::test]
async fn a_demo_request_counted_by_the_c_plugin_opens_the_sql_gate() {
    let served = serve();

    // Marcus requested a demo (event 1): the C scorer counts it.
    let e = served.server.explain(sql_lead("marcus-c", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let d = e.decision.as_ref().expect("decision");
    assert_eq!(d.stage(), pb::Stage::Sql, "{}", e.text);
    assert!(!d.degraded);
    let trail = demos_trail(&e);
    let summary = trail.summary.as_ref().expect("summary");
    assert_eq!(summary.status(), pb::ScorerStatus::Ok);
    assert_eq!(
        (summary.version.as_str(), summary.score),
        ("1.0.0", 30.0),
        "30 points per demo, from the config"
    );
    assert_eq!(trail.reasons.len(), 1);
    let reason = &trail.reasons[0];
    assert_eq!(
        (reason.code.as_str(), reason.message.as_str()),
        ("c_example.demo_request", "Requested a demo")
    );
    assert_eq!((reason.scorer.as_str(), reason.points), ("demos", 30.0));
    assert_eq!(reason.evidence.as_ref().expect("evidence").event_indexes, [1]);
    let facts: Vec<(&str, Option<&pb::fact::Value>)> =
        trail.facts.iter().map(|f| (f.name.as_str(), f.value.as_ref())).collect();
    assert_eq!(facts, [("demos.demo_requests", Some(&pb::fact::Value::NumberValue(1.0)))]);
    let gate = sql_gate(&e, "demo_requested");
    assert_eq!((gate.actual.as_str(), gate.passed), ("1", true));
    assert!(e.text.contains("demos 1.0.0 [engagement]: 30 x weight 0.25 = 7.5 points"), "{}", e.text);

    // Tom never asked for a demo: the C scorer's fact keeps him at MQL.
    let e = served.server.explain(mql_lead("tom-c", AS_OF_MS).explain_request(AS_OF_MS)).await;
    let d = e.decision.as_ref().expect("decision");
    assert_eq!(d.stage(), pb::Stage::Mql, "{}", e.text);
    let gate = sql_gate(&e, "demo_requested");
    assert_eq!((gate.actual.as_str(), gate.passed), ("0", false));
    assert_eq!(d.next_stage_gap, "SQL needs demos.demo_requests >= 1 (is 0).");
    assert!(e.text.contains("Invite to a demo."), "{}", e.text);
}

#[tokio::test]
async fn the_c_plugins_disqualifier_applies_because_the_policy_lists_it() {
    let served = serve();
    let lead = sql_lead("marcus-spam", AS_OF_MS).event(touch(
        pb::EventType::SpamComplaint,
        AS_OF_MS,
        1,
        pb::Channel::Email,
    ));
    let e = served.server.explain(lead.explain_request(AS_OF_MS)).await;
    let d = e.decision.as_ref().expect("decision");

    assert_eq!(d.stage(), pb::Stage::Disqualified, "{}", e.text);
    let codes: Vec<(&str, &str)> =
        d.disqualifications.iter().map(|q| (q.code.as_str(), q.scorer.as_str())).collect();
    assert_eq!(codes, [("c_example.spam", "demos")]);
    assert_eq!(d.disqualifications[0].message, "The lead marked our e-mail as spam");
    // intent reports its own code, which this policy does not list.
    assert!(
        e.warnings
            .iter()
            .any(|w| w.starts_with("disqualifier not applied") && w.contains("intent.spam_complaint")),
        "{:?}",
        e.warnings
    );
}

#[test]
fn a_c_plugin_refusing_its_config_stops_hqld_naming_the_key() {
    let plugins = plugins();
    let dir = tempfile::tempdir().expect("tempdir");
    let text = policy(-5);
    let policy = write_policy(dir.path(), &text);
    let (status, stdout, stderr) =
        run_hqld_to_exit(serve_args(&policy, plugins.path()), Duration::from_secs(60));
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(!stdout.contains("listening"), "{stdout}");
    let line = text.lines().position(|l| l == "points_per_demo = -5").expect("the line") + 1;
    let expected = format!(
        "hqld: policy {}:{line}:1: scorer[2].config.points_per_demo: plugin `c_example` 1.0.0 \
         (libhql_c_example.so) rejected its config: must not be negative, got -5",
        policy.display()
    );
    assert!(stderr.contains(&expected), "no {expected:?} in:\n{stderr}");
}

#[test]
fn the_plugins_log_lines_reach_hqlds_log_as_json_naming_the_scorer() {
    let plugins = plugins();
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = write_policy(dir.path(), &policy(30));
    let mut args = serve_args(&policy, plugins.path());
    // Plugin lines are under the `hql::plugin` target; debug shows the C
    // example's "configured" line, which it logs through the host API.
    args.extend(["--log-level", "info,hql::plugin=debug", "--log-format", "json"].map(Into::into));
    let server = Hqld::start(args);
    let needle = "c_example configured: 30 points per demo";
    assert!(server.wait_for_stderr(needle, Duration::from_secs(10)), "{}", server.stderr());
    let stderr = server.stderr();
    let line = stderr.lines().find(|l| l.contains(needle)).expect("the line");
    let json: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    assert_eq!(json["level"], "DEBUG", "{line}");
    assert_eq!(json["target"], "hql::plugin", "{line}");
    assert_eq!(json["fields"]["scorer"], "demos", "{line}: named by its policy id");
    assert_eq!(json["fields"]["message"], needle, "{line}");
}
