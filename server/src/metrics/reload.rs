//! Reload metrics: every attempt counted by outcome, and whether what is on
//! disk is what serves.

/// Counter, by `result` (`success`, `failure`): policy reloads attempted.
pub const RELOADS_TOTAL: &str = "hql_policy_reloads_total";
/// Gauge: 1 when the last reload attempt failed (the policy or plugins on
/// disk are not what serves), 0 otherwise.
pub const RELOAD_FAILED: &str = "hql_policy_reload_failed";

/// Describes the reload metrics and registers their series at 0.
pub(crate) fn describe() {
    ::metrics::describe_counter!(
        RELOADS_TOTAL,
        ::metrics::Unit::Count,
        "Policy reloads attempted (SIGHUP or a changed policy file), by result (success, failure)."
    );
    ::metrics::describe_gauge!(
        RELOAD_FAILED,
        "1 when the last reload attempt failed and the previous policy keeps serving; 0 otherwise."
    );
    for result in ["success", "failure"] {
        ::metrics::counter!(RELOADS_TOTAL, "result" => result).absolute(0);
    }
    ::metrics::gauge!(RELOAD_FAILED).set(0.0);
}

/// Counts one reload attempt.
pub(crate) fn record(ok: bool) {
    ::metrics::counter!(RELOADS_TOTAL, "result" => if ok { "success" } else { "failure" }).increment(1);
    ::metrics::gauge!(RELOAD_FAILED).set(if ok { 0.0 } else { 1.0 });
}
