//! The entry point the server uses: load a policy with its scorers, then
//! decide leads.

use std::path::PathBuf;
use std::sync::Arc;

use hql_plugin_api::NativeScorer;
use hql_plugin_api::record::LeadRecord;

use crate::decision::{Decision, Explanation, PolicyRef};
use crate::decision_ref::DecisionRef;
use crate::error::LoadError;
use crate::explanation_ref::ExplanationRef;

/// Where scorer implementations come from.
#[derive(Clone, Debug)]
pub enum ScorerSource {
    /// Shared libraries in this directory (`lib<library>.so`), as in production.
    PluginDir(PathBuf),
    /// Scorers linked into the binary, by library name (benchmarks, tests).
    Static(Vec<(String, NativeScorer)>),
}

/// What to load.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The policy file (TOML).
    pub policy_path: PathBuf,
    /// Where scorers come from.
    pub scorers: ScorerSource,
}

/// A loaded scorer, as `ListScorers` reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct ScorerInfo {
    /// Scorer id in the policy.
    pub name: String,
    /// Plugin's own name.
    pub plugin: String,
    /// Plugin version.
    pub version: String,
    /// ABI version the plugin was built against, `major.minor`.
    pub abi_version: String,
    /// Dimension.
    pub dimension: String,
    /// Normalised weight.
    pub weight: f64,
    /// Required by the policy.
    pub required: bool,
    /// Library file name (or `static:<name>`).
    pub library: String,
    /// sha256 of the library file, hex (empty for static scorers).
    pub library_sha256: String,
    /// Description.
    pub description: String,
    /// Facts, `<scorer>.<fact>`.
    pub facts: Vec<String>,
    /// Disqualification codes.
    pub disqualifiers: Vec<String>,
    /// The policy's isolation limits for it.
    pub isolation: crate::policy::Isolation,
    /// Whether its circuit breaker is open now.
    pub breaker_open: bool,
}

/// A policy with its scorers, ready to decide leads. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct Engine {
    inner: Arc<crate::pipeline::Pipeline>,
}

impl Engine {
    /// Loads and validates the policy and every scorer it names. Nothing is
    /// served from a policy that fails here.
    pub fn load(options: &LoadOptions) -> Result<Engine, LoadError> {
        let pipeline = crate::pipeline::Pipeline::load(options)?;
        Ok(Engine { inner: Arc::new(pipeline) })
    }

    /// Decides `lead` as of `as_of_ms` (ms since the epoch).
    ///
    /// The record's text may be any `AsRef<str>`: a `LeadRecord<Cow<str>>`
    /// borrowing a request's bytes gets the same decision (and decision id)
    /// as the equivalent `LeadRecord<String>`; so do the methods below.
    pub fn qualify<T: AsRef<str>>(&self, lead: &LeadRecord<T>, as_of_ms: i64) -> Decision {
        self.inner.decide(lead, as_of_ms)
    }

    /// Decides `lead` as of `as_of_ms` and lends the decision to `answer` as
    /// borrowed parts, without copying the policy's names and the scorers'
    /// reasons into owned strings (see [`DecisionRef`]): what the server
    /// encodes its answers from. `answer` gets exactly what
    /// [`Engine::qualify`] would return ([`DecisionRef::into_decision`]).
    pub fn qualify_with<T: AsRef<str>, R>(
        &self,
        lead: &LeadRecord<T>,
        as_of_ms: i64,
        answer: impl FnOnce(DecisionRef<'_>) -> R,
    ) -> R {
        self.inner.decide_with(lead, as_of_ms, answer)
    }

    /// Decides `lead` and returns the full trail. `explanation.decision` is
    /// equal to what [`Engine::qualify`] returns for the same input.
    pub fn explain<T: AsRef<str>>(&self, lead: &LeadRecord<T>, as_of_ms: i64) -> Explanation {
        self.inner.explain(lead, as_of_ms)
    }

    /// Explains `lead` as of `as_of_ms` and lends the trail to `answer` as
    /// borrowed parts, without copying the policy's gates, the scorers' ids
    /// and reasons into owned strings (see [`ExplanationRef`]): what the
    /// server encodes Explain's answer from. `answer` gets exactly what
    /// [`Engine::explain`] would return ([`ExplanationRef::into_explanation`]).
    pub fn explain_with<T: AsRef<str>, R>(
        &self,
        lead: &LeadRecord<T>,
        as_of_ms: i64,
        answer: impl FnOnce(&ExplanationRef<'_>) -> R,
    ) -> R {
        self.inner.explain_with(lead, as_of_ms, answer)
    }

    /// The loaded scorers, in policy order.
    pub fn scorers(&self) -> Vec<ScorerInfo> {
        self.inner.scorer_infos()
    }

    /// The active policy.
    pub fn policy(&self) -> &PolicyRef {
        self.inner.policy_ref()
    }
}
