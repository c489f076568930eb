//! The HQL scorer plugin API: the C ABI, and a safe Rust SDK over it.
//!
//! A scorer plugin is a shared library the server loads at run time. Only a C
//! ABI crosses that boundary, so a plugin built with another compiler, or
//! written in C against `include/hql_scorer.h`, works. Rust authors never see
//! it: they implement [`Scorer`] and write one line, [`export_scorer!`].
//!
//! Map of the crate:
//! - [`abi`]: the `#[repr(C)]` mirror of `include/hql_scorer.h` (source of truth).
//! - [`kinds`]: closed vocabularies (seniority, BANT answers, event source, response).
//! - [`record`]: owned lead data, as the host holds it and tests build it.
//! - [`view`]: lays a record out as the ABI's read-only lead view, once per request.
//! - [`lead`]: the safe borrowed reader scorers get ([`Lead`]).
//! - [`score`]: what a scorer returns ([`Score`], reasons, facts, disqualifiers).
//! - `limit`: which reasons a call limited by `reason_limit` keeps (ABI 1.1).
//! - [`scorer`]: the [`Scorer`] trait and declarations ([`FactSpec`], [`CodeSpec`]).
//! - [`config`]: typed config with errors that name the key ([`Config`]).
//! - [`log`]: logging through the host ([`Logger`]).
//! - [`export`]: the `extern "C"` shims behind [`export_scorer!`] (panics caught).
//! - [`host`]: the host side of the ABI: callback table and safe hook wrappers.
//! - [`testing`]: a harness to unit-test a scorer without a server.
//! - [`pool`]: per-thread reuse of a score's buffers; [`pool::EventIndexes`] for a
//!   scorer's own per-lead lists of events.
//! - [`text`]: numbers for people (`17.5`, `$40,000`, `70%`) in reason messages.
#![warn(missing_docs)]

pub mod abi;
pub mod config;
pub mod export;
pub mod host;
pub mod kinds;
pub mod lead;
mod limit;
pub mod log;
pub mod pool;
pub mod record;
pub mod score;
pub mod scorer;
pub mod testing;
pub mod text;
pub mod view;

/// The README's "write your own scorer" example, compiled and run as a
/// doctest so the front page cannot drift from the SDK.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

pub use config::{Config, ConfigError};
pub use kinds::{Authority, BudgetStatus, Need, Response, Seniority, Source};
pub use lead::{Attribute, Bant, Company, Contact, Event, Lead, ProductUsage};
pub use log::{Level, LogSink, Logger};
pub use score::{Disqualifier, Fact, FactKind, FactValue, Reason, Score};
pub use scorer::{
    CodeSpec, Context, DynScorer, FactSpec, NativeScorer, ReasonBar, ScoreError, Scorer, ScorerSpec,
};

/// Re-exports for the code `export_scorer!` generates. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::export::{Exported, descriptor, entry};
}
