//! Domain answers → `hql.v1` messages: [`ScorerInfo`], the policy's
//! [`PolicyRef`], and the enumerations' numbers the encoders write.
//!
//! Decisions and explanations are not converted here on the way out: their
//! wire bytes are written straight from the engine's types
//! (`convert::encode`), and the field-by-field conversion they replaced is
//! kept, test-only, in `reference`: what the encoders' bytes must be. Both
//! sides are destructured and built without `..`, so a field added to the
//! domain types or to `service.proto` fails the build here until it is
//! carried across.

use hql_proto::pb;
use hql_qualifier::{PolicyRef, ScorerInfo, ScorerStatus, Stage};

#[cfg(test)]
pub(crate) mod reference;

/// A loaded scorer as `hql.v1.ScorerInfo`.
pub(crate) fn scorer_info(info: ScorerInfo) -> pb::ScorerInfo {
    let ScorerInfo {
        name,
        plugin,
        version,
        abi_version,
        dimension,
        weight,
        required,
        library,
        library_sha256,
        description,
        facts,
        disqualifiers,
        isolation,
        breaker_open,
    } = info;
    pb::ScorerInfo {
        name,
        plugin,
        version,
        abi_version,
        dimension,
        weight,
        required,
        library,
        library_sha256,
        description,
        facts,
        disqualifiers,
        time_budget_ms: isolation.time_budget.as_secs_f64() * 1e3,
        breaker_open,
    }
}

/// The active policy as `hql.v1.PolicyRef`.
pub(crate) fn policy_ref(policy: PolicyRef) -> pb::PolicyRef {
    let PolicyRef { name, version, digest } = policy;
    pb::PolicyRef { name, version, digest }
}

/// A stage as `hql.v1.Stage`.
pub(crate) fn stage(stage: Stage) -> pb::Stage {
    match stage {
        Stage::Disqualified => pb::Stage::Disqualified,
        Stage::Unqualified => pb::Stage::Unqualified,
        Stage::Mql => pb::Stage::Mql,
        Stage::Sql => pb::Stage::Sql,
        Stage::Pql => pb::Stage::Pql,
        Stage::Hql => pb::Stage::Hql,
    }
}

/// A stage's number in `hql.v1.Stage`.
pub(crate) fn stage_number(s: Stage) -> i32 {
    stage(s) as i32
}

/// A scorer status's number in `hql.v1.ScorerStatus`.
pub(crate) fn status_number(s: ScorerStatus) -> i32 {
    scorer_status(s) as i32
}

fn scorer_status(status: ScorerStatus) -> pb::ScorerStatus {
    match status {
        ScorerStatus::Ok => pb::ScorerStatus::Ok,
        ScorerStatus::Failed => pb::ScorerStatus::Failed,
        ScorerStatus::Skipped => pb::ScorerStatus::Skipped,
        ScorerStatus::TimedOut => pb::ScorerStatus::TimedOut,
    }
}

#[cfg(test)]
mod tests;
