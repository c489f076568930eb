//! HQL's domain core: a policy, the scorers it names, and the pipeline that
//! turns a lead into a [`Decision`] with its [`Explanation`].
//!
//! Nothing here knows about gRPC: the server converts requests into
//! [`hql_plugin_api::record::LeadRecord`]s and decisions back into messages.
//!
//! Map of the crate:
//! - [`engine`]: what the server calls ([`Engine::load`], `qualify`, `explain`,
//!   and `qualify_with` / `explain_with`, which lend borrowed answers).
//! - [`policy`]: the TOML policy file, parsed and validated with locations.
//! - [`gate`]: stage gates: subjects, operators, evaluation.
//! - [`plugin`]: loading scorer libraries (checks, hashing, never unloading).
//! - [`scorers`]: a policy's scorer slots, dynamic or static, run with isolation.
//! - `output`: what a scorer returned, read the same whether it was linked
//!   in (its `Score`) or loaded (the host's flat copy).
//! - [`pipeline`]: runs the scorers, combines scores, picks the stage, builds the trail.
//! - [`decision`]: the domain answer types.
//! - [`decision_ref`]: a decision as borrowed parts, lent to the server to
//!   encode its answer without copying names and reasons first.
//! - [`explanation_ref`]: the same for an explanation's whole trail (gates,
//!   facts, every reason), lent to the server's Explain.
//! - [`digest`]: deterministic ids for leads and decisions.
//! - [`render`]: the plain-text trail for salespeople.
//! - containment: per-scorer time budgets and circuit
//!   breakers in [`scorers`] (limits from [`policy::Isolation`]), and the
//!   [`watchdog`] that notices a call that never returns.
//! - [`metrics`]: decisions by stage, scorer latency and failures, through
//!   the `metrics` facade (no-ops unless the embedder installs a recorder).
//! - [`stage`]: the stage ladder.
//! - [`error`]: load errors that name file, line, key, plugin and versions.

mod breaker;
mod clock;
pub mod decision;
pub mod decision_ref;
pub mod digest;
pub mod engine;
pub mod error;
pub mod explanation_ref;
#[cfg(test)]
mod fixtures;
pub mod gate;
mod image;
pub mod metrics;
mod output;
pub mod pipeline;
pub mod plugin;
pub mod policy;
pub mod render;
pub mod scorers;
pub mod stage;
pub mod watchdog;

pub use decision::{Decision, Explanation, PolicyRef, ScorerStatus};
pub use decision_ref::DecisionRef;
pub use engine::{Engine, LoadOptions, ScorerInfo, ScorerSource};
pub use error::{LoadError, PluginLoadError, PolicyError};
pub use explanation_ref::ExplanationRef;
pub use hql_plugin_api::record::LeadRecord;
pub use stage::Stage;
