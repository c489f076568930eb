//! The policy file as written: a serde model of the TOML, nothing resolved.
//!
//! Every table denies unknown keys, so a typo (`wieght = 0.3`) is refused at
//! start-up with its line instead of silently taking a default.

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyFile {
    pub(crate) policy: PolicyMeta,
    #[serde(default)]
    pub(crate) scoring: ScoringFile,
    #[serde(default, rename = "scorer")]
    pub(crate) scorers: Vec<ScorerFile>,
    #[serde(default, rename = "stage")]
    pub(crate) stages: Vec<StageFile>,
    #[serde(default)]
    pub(crate) disqualifiers: DisqualifiersFile,
    #[serde(default)]
    pub(crate) isolation: IsolationFile,
}

/// `[policy]`: identity of the policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyMeta {
    pub(crate) name: String,
    pub(crate) version: String,
    #[serde(default)]
    pub(crate) description: String,
}

/// `[scoring]`: how scores combine into a decision.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ScoringFile {
    /// How many reasons a decision carries.
    pub(crate) top_reasons: i64,
    /// Highest stage a decision may reach when a required scorer failed.
    pub(crate) required_failure_cap: String,
}

impl Default for ScoringFile {
    fn default() -> Self {
        ScoringFile { top_reasons: 5, required_failure_cap: "MQL".to_string() }
    }
}

/// `[[scorer]]`: one scorer instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScorerFile {
    pub(crate) id: String,
    pub(crate) library: String,
    pub(crate) weight: f64,
    #[serde(default)]
    pub(crate) dimension: Option<String>,
    #[serde(default)]
    pub(crate) required: bool,
    /// Optional pin: the sha256 the library file must have, hex.
    #[serde(default)]
    pub(crate) sha256: Option<String>,
    #[serde(default)]
    pub(crate) config: Option<toml::Table>,
    /// Overrides of the policy's `[isolation]` for this scorer.
    #[serde(default)]
    pub(crate) isolation: IsolationFile,
}

/// `[[stage]]`: a gated stage.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StageFile {
    pub(crate) stage: String,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(default)]
    pub(crate) next: Option<String>,
    #[serde(default, rename = "gate")]
    pub(crate) gates: Vec<GateFile>,
}

/// `[[stage.gate]]`: one condition of a stage.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GateFile {
    pub(crate) name: String,
    pub(crate) subject: String,
    pub(crate) op: String,
    pub(crate) value: toml::Value,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(default)]
    pub(crate) hint: String,
}

/// `[disqualifiers]`: which reported codes disqualify.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DisqualifiersFile {
    #[serde(default)]
    pub(crate) codes: Vec<String>,
}

/// `[isolation]` (policy-wide) and `[scorer.isolation]` (one scorer): how a
/// misbehaving scorer is contained. Every key is optional; a scorer's own
/// table overrides the policy's, which overrides the built-in defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IsolationFile {
    /// A call taking longer than this is TIMED_OUT (fractions allowed).
    pub(crate) time_budget_ms: Option<f64>,
    /// Consecutive failures or time-outs that open the breaker; 0 never does.
    pub(crate) breaker_failures: Option<i64>,
    /// How long an open breaker skips the scorer before one trial call.
    pub(crate) breaker_cool_down_ms: Option<i64>,
    /// A call still running after this long is stuck (health NOT_SERVING).
    pub(crate) stuck_after_ms: Option<i64>,
}
