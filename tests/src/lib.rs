//! Shared support for HQL's integration tests.
//!
//! The tests in `tests/tests/` exercise the system the way it ships: the real
//! `hqld` binary as a child process, real plugin libraries loaded with
//! `dlopen`, and a real gRPC client over TCP. Nothing is mocked, so a passing
//! test means a deployed server behaves the same way. That needs a little
//! machinery, which lives here so each test file reads as a behaviour:
//!
//! - [`artifacts`]: where cargo put `hqld` and the plugin libraries
//!   ([`artifact_dir`]), building them on first use ([`ensure_built`]) so a
//!   plain `cargo test` works on a fresh clone; the C fixtures
//!   ([`c_fixture`]); throw-away plugin directories ([`PluginDir`]).
//! - [`hqld`]: a running server on `127.0.0.1:0` with a connected client
//!   ([`Hqld`]), a server expected to refuse to start ([`run_hqld_to_exit`]),
//!   and policy files ([`write_policy`]).
//! - [`leads`]: compact builders for `hql.v1` messages ([`ts`], [`event`],
//!   [`LeadBuilder`]).
//! - [`personas`]: realistic leads, one per stage of the default policy
//!   ([`hql_lead`], [`sql_lead`], ...).
//! - [`scenario`]: the scenario files of `tests/scenarios/` (leads written
//!   for people, with the decision sales expects).
//! - [`scrape`]: `GET /metrics` and the samples in it.
//! - [`status`]: reading rich gRPC errors ([`field_violations`]).
//! - [`layout_probe`]: how a C compiler lays out the ABI types, for
//!   `tests/abi_layout.rs`.
//!
//! The C plugins (the example scorer of `plugins/example-c/`, libraries
//! broken in one way each, and plugins of other ABI minors) are compiled by
//! `build.rs`; see `fixtures/c/`.

pub mod artifacts;
pub mod hqld;
pub mod layout_probe;
pub mod leads;
pub mod personas;
pub mod scenario;
pub mod scrape;
pub mod status;

pub use artifacts::{
    BUNDLED_PLUGINS, C_ABI_1_0, C_BAD_MAGIC, C_EXAMPLE, C_LARGER_DESCRIPTOR, C_NEWER_MINOR, C_NO_ENTRY,
    C_SMALL_DESCRIPTOR, C_WRONG_MAJOR, PANICKING_PLUGIN, PluginDir, artifact_dir, c_fixture, c_fixtures_dir,
    default_policy, ensure_built, hqld_path, plugin_path, workspace_root,
};
pub use hql_proto::pb;
pub use hqld::{
    Hqld, default_policy_with, hqld_command, run_hqld_to_exit, run_to_exit, serve_args, write_policy,
};
pub use leads::{AS_OF_MS, LeadBuilder, MS_PER_DAY, custom_event, days_before, event, lead, ts};
pub use personas::{
    competitor_lead, hql_lead, mql_lead, positive_touch, pql_lead, sql_lead, touch, unqualified_lead,
};
pub use status::{field_violations, rpc_field_violations};
