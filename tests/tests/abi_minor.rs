//! ABI minor versions, negotiated by the server's own loader: a plugin built
//! for an older or equal minor loads in a newer host, one built for a newer
//! minor is refused naming both versions, and a descriptor larger than the
//! host's (fields appended) loads when its minor is not newer, the host
//! reading only the fields it knows.
//!
//! The host's ABI is 1.0 today, so the fixtures simulate the future from
//! both sides: `abi_1_0` declares 1.0 with exactly the 1.0 descriptor (frozen
//! in the fixture, so it stays an old plugin when the header moves on),
//! `newer_minor` is what a plugin of the next minor would look like to this
//! host, and `larger_descriptor` has the host's version but a bigger
//! descriptor. All three are built by `build.rs` from `fixtures/c/`; their
//! shapes are checked in `tests/c_plugin_loads.rs`, the refusal end to end
//! in `tests/refused_plugins.rs`.

use std::sync::Arc;

use hql_plugin_api::abi::{HQL_ABI_MAJOR, HQL_ABI_MINOR, HQL_DESCRIPTOR_MIN_SIZE_V1};
use hql_plugin_api::host::AbiInstance;
use hql_plugin_api::record::{EventRecord, LeadRecord};
use hql_plugin_api::testing::CapturedLogs;
use hql_plugin_api::view::LeadView;
use hql_qualifier::error::{LoadError, PluginLoadError};
use hql_qualifier::plugin::{self, LoadedLibrary};
use hql_tests::{
    AS_OF_MS, C_ABI_1_0, C_LARGER_DESCRIPTOR, C_NEWER_MINOR, Hqld, PluginDir, c_fixture, days_before, lead,
    pb, write_policy,
};

/// Loads fixture `name` with the server's loader, from a plugin directory
/// holding a copy of it, as scorer `negotiated` with no pin.
fn load(name: &str) -> (Result<LoadedLibrary, LoadError>, PluginDir) {
    let plugins = PluginDir::with([c_fixture(name)]);
    let loaded = plugin::load(plugins.path(), name, "negotiated", None);
    (loaded, plugins)
}

/// Creates an instance of a loaded fixture and scores a lead with `events`
/// events (the fixtures give 10 points per event).
fn score_with(library: &LoadedLibrary, events: usize) -> f64 {
    let logs = Arc::new(CapturedLogs::default());
    // SAFETY: the descriptor passed every check of the server's loader.
    let instance = unsafe { AbiInstance::create(library.descriptor, "{}", logs) }
        .unwrap_or_else(|errors| panic!("{} refused an empty config: {errors:?}", library.file_name));
    let lead = LeadRecord {
        lead_id: "negotiated-1".into(),
        events: (0..events)
            .map(|i| EventRecord::new("website_visit", days_before(AS_OF_MS, i as i64 + 1)))
            .collect(),
        ..LeadRecord::default()
    };
    instance.score(&LeadView::new(&lead, AS_OF_MS)).expect("the fixture scores").value()
}

#[test]
fn a_plugin_of_an_older_or_equal_minor_loads_and_scores() {
    // 1.0 is the oldest minor of major 1: every 1.x host must take it.
    assert_eq!(HQL_ABI_MAJOR, 1, "abi_1_0 stands for an old plugin of this major");
    let (loaded, _plugins) = load(C_ABI_1_0);
    let library = loaded
        .unwrap_or_else(|e| panic!("a 1.0 plugin must load in host {HQL_ABI_MAJOR}.{HQL_ABI_MINOR}: {e}"));
    assert_eq!((library.spec.abi_major, library.spec.abi_minor), (1, 0));
    assert_eq!(library.descriptor.struct_size as usize, HQL_DESCRIPTOR_MIN_SIZE_V1);
    assert_eq!((library.spec.name.as_str(), library.spec.dimension.as_str()), ("abi_1_0", "engagement"));
    assert_eq!(score_with(&library, 3), 30.0);
}

#[test]
fn a_larger_descriptor_of_the_hosts_minor_loads_reading_only_what_the_host_knows() {
    let (loaded, _plugins) = load(C_LARGER_DESCRIPTOR);
    let library = loaded.unwrap_or_else(|e| panic!("a larger descriptor of the host's minor must load: {e}"));
    assert!(library.descriptor.struct_size as usize > HQL_DESCRIPTOR_MIN_SIZE_V1);
    assert_eq!((library.spec.abi_major, library.spec.abi_minor), (HQL_ABI_MAJOR, HQL_ABI_MINOR));
    assert_eq!(library.spec.name, "larger_descriptor");
    assert_eq!(score_with(&library, 12), 100.0, "10 per event, at most 100");
}

#[test]
fn a_plugin_of_a_newer_minor_is_refused_naming_the_file_the_plugin_and_both_versions() {
    let (loaded, plugins) = load(C_NEWER_MINOR);
    let error = match loaded {
        Ok(_) => {
            panic!("a plugin of minor {} loaded in host {HQL_ABI_MAJOR}.{HQL_ABI_MINOR}", HQL_ABI_MINOR + 1)
        }
        Err(e) => e,
    };
    let LoadError::Plugin(PluginLoadError::AbiMismatch {
        file,
        plugin,
        plugin_major,
        plugin_minor,
        host_major,
        host_minor,
        ..
    }) = &error
    else {
        panic!("expected an ABI mismatch, got {error}");
    };
    let copy = plugins.path().join(libloading::library_filename(C_NEWER_MINOR));
    assert_eq!(file, &copy.canonicalize().expect("canonical"));
    assert_eq!(plugin, "newer_minor");
    assert_eq!((*plugin_major, *plugin_minor), (HQL_ABI_MAJOR, HQL_ABI_MINOR + 1));
    assert_eq!((*host_major, *host_minor), (HQL_ABI_MAJOR, HQL_ABI_MINOR));
    assert_eq!(
        error.to_string(),
        format!(
            "plugin library {}: plugin `newer_minor` 1.0.0 was built for scorer ABI {HQL_ABI_MAJOR}.{}, this \
             host provides {HQL_ABI_MAJOR}.{HQL_ABI_MINOR}: upgrade hqld, or rebuild the plugin against this \
             host's hql_scorer.h",
            file.display(),
            HQL_ABI_MINOR + 1
        )
    );
}

#[tokio::test]
async fn hqld_serves_an_old_minor_and_a_larger_descriptor_side_by_side() {
    let plugins = PluginDir::with([c_fixture(C_ABI_1_0), c_fixture(C_LARGER_DESCRIPTOR)]);
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = write_policy(
        dir.path(),
        &format!(
            r#"[policy]
name = "abi-minors"
version = "1"

[[scorer]]
id = "old"
library = "{C_ABI_1_0}"
weight = 1

[[scorer]]
id = "wide"
library = "{C_LARGER_DESCRIPTOR}"
weight = 1

[[stage]]
stage = "MQL"
[[stage.gate]]
name = "active"
subject = "old.score"
op = ">="
value = 20
"#
        ),
    );
    let server = Hqld::serve(&policy, plugins.path());

    let listed = server.client().await.list_scorers(pb::ListScorersRequest {}).await.expect("list");
    let listed = listed.into_inner();
    assert_eq!(listed.host_abi_version, format!("{HQL_ABI_MAJOR}.{HQL_ABI_MINOR}"));
    let versions: Vec<(&str, &str)> =
        listed.scorers.iter().map(|s| (s.plugin.as_str(), s.abi_version.as_str())).collect();
    assert_eq!(versions, [("abi_1_0", "1.0"), ("larger_descriptor", listed.host_abi_version.as_str())]);

    let lead = lead("minors-1")
        .event(hql_tests::event(pb::EventType::WebsiteVisit, days_before(AS_OF_MS, 2)))
        .event(hql_tests::event(pb::EventType::WebsiteVisit, days_before(AS_OF_MS, 1)));
    let decision = server.qualify(lead.qualify_request(AS_OF_MS)).await;
    assert_eq!(decision.stage(), pb::Stage::Mql, "{decision:?}");
    assert!(!decision.degraded, "{decision:?}");
}
