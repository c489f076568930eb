//! Info metrics: constant 1-valued gauges whose labels say what is running
//! (the Prometheus `*_info` convention), so a dashboard or alert can join on
//! the build, the policy digest or a scorer library's sha256, and a rollout
//! shows as the label set changing.
//!
//! Set after the engine loaded, and again on every successful reload: the
//! series of what was replaced drop to 0 (the exporter cannot delete a
//! series), so "what runs now" is `hql_policy_info == 1`.

use hql_qualifier::Engine;

/// Gauge, 1, labelled `version`: the hqld build.
pub const BUILD_INFO: &str = "hql_build_info";
/// Gauge, 1, labelled `name`, `version`, `digest`: the policy in force (0 for
/// policies a reload replaced).
pub const POLICY_INFO: &str = "hql_policy_info";
/// Gauge, 1 per scorer, labelled `scorer`, `plugin`, `version`, `sha256`:
/// the loaded scorer libraries.
pub const SCORER_INFO: &str = "hql_scorer_info";

/// Describes the info metrics to the installed recorder.
pub(crate) fn describe() {
    ::metrics::describe_gauge!(BUILD_INFO, "Always 1; the hqld version in the label.");
    ::metrics::describe_gauge!(
        POLICY_INFO,
        "1 for the policy in force (0 for one a reload replaced): name, version and digest (as in every decision)."
    );
    ::metrics::describe_gauge!(
        SCORER_INFO,
        "1 per scorer in force (0 once a reload replaced it): policy id, plugin name and version, sha256 of the library."
    );
}

/// Sets the info gauges for this build and `engine`.
pub(crate) fn publish(engine: &Engine) {
    ::metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    set_engine(engine, 1.0);
}

/// After a reload: `old`'s series to 0, then `new`'s to 1 (a series both
/// share ends at 1).
pub(crate) fn replace(old: &Engine, new: &Engine) {
    set_engine(old, 0.0);
    set_engine(new, 1.0);
}

fn set_engine(engine: &Engine, value: f64) {
    let policy = engine.policy();
    ::metrics::gauge!(
        POLICY_INFO,
        "name" => policy.name.clone(),
        "version" => policy.version.clone(),
        "digest" => policy.digest.clone()
    )
    .set(value);
    for scorer in engine.scorers() {
        ::metrics::gauge!(
            SCORER_INFO,
            "scorer" => scorer.name,
            "plugin" => scorer.plugin,
            "version" => scorer.version,
            "sha256" => scorer.library_sha256
        )
        .set(value);
    }
}
