//! Info metrics: constant 1-valued gauges whose labels say what is running
//! (the Prometheus `*_info` convention), so a dashboard or alert can join on
//! the build, the policy digest or a scorer library's sha256, and a rollout
//! shows as the label set changing.
//!
//! Set once, after the engine loaded; the engine's policy and scorers do not
//! change while the process runs.

use hql_qualifier::Engine;

/// Gauge, 1, labelled `version`: the hqld build.
pub const BUILD_INFO: &str = "hql_build_info";
/// Gauge, 1, labelled `name`, `version`, `digest`: the policy in force.
pub const POLICY_INFO: &str = "hql_policy_info";
/// Gauge, 1 per scorer, labelled `scorer`, `plugin`, `version`, `sha256`:
/// the loaded scorer libraries.
pub const SCORER_INFO: &str = "hql_scorer_info";

/// Describes the info metrics to the installed recorder.
pub(crate) fn describe() {
    ::metrics::describe_gauge!(BUILD_INFO, "Always 1; the hqld version in the label.");
    ::metrics::describe_gauge!(
        POLICY_INFO,
        "Always 1; the policy in force: name, version and digest (as in every decision)."
    );
    ::metrics::describe_gauge!(
        SCORER_INFO,
        "Always 1 per loaded scorer: policy id, plugin name and version, sha256 of the library (empty if static)."
    );
}

/// Sets the info gauges for this build and `engine`.
pub(crate) fn publish(engine: &Engine) {
    ::metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    let policy = engine.policy();
    ::metrics::gauge!(
        POLICY_INFO,
        "name" => policy.name.clone(),
        "version" => policy.version.clone(),
        "digest" => policy.digest.clone()
    )
    .set(1.0);
    for scorer in engine.scorers() {
        ::metrics::gauge!(
            SCORER_INFO,
            "scorer" => scorer.name,
            "plugin" => scorer.plugin,
            "version" => scorer.version,
            "sha256" => scorer.library_sha256
        )
        .set(1.0);
    }
}
