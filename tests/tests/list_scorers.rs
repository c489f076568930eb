//! ListScorers tells an operator exactly what decides: each scorer of the
//! policy with its plugin name, version, ABI version, dimension, normalised
//! weight, library file and the sha256 of that file's bytes, and the policy
//! with its digest, the same digest every decision carries.
//!
//! This is the audit trail for deployments: "which build of which plugin,
//! under which policy version, made this decision?" must be answerable from
//! the running server. The hashes are checked against the bytes actually in
//! the plugin directory, computed here independently, and the digest is
//! shown to change when either the policy text or a library's bytes change.

use std::path::Path;

use hql_plugin_api::abi::{HQL_ABI_MAJOR, HQL_ABI_MINOR};
use hql_tests::{AS_OF_MS, Hqld, PluginDir, default_policy, mql_lead, pb, plugin_path, write_policy};
use sha2::{Digest, Sha256};

async fn list(server: &Hqld) -> pb::ListScorersResponse {
    server
        .client()
        .await
        .list_scorers(pb::ListScorersRequest {})
        .await
        .unwrap_or_else(|s| panic!("ListScorers failed: {s:?}\n{}", server.stderr()))
        .into_inner()
}

fn sha256_of(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    hex::encode(Sha256::digest(bytes))
}

fn policy_digest(listed: &pb::ListScorersResponse) -> String {
    listed.policy.as_ref().expect("a policy").digest.clone()
}

#[tokio::test]
async fn the_five_bundled_scorers_are_listed_in_policy_order_as_the_policy_configures_them() {
    let plugins = PluginDir::bundled();
    let server = Hqld::serve(&default_policy(), plugins.path());
    let listed = list(&server).await;

    let abi = format!("{HQL_ABI_MAJOR}.{HQL_ABI_MINOR}");
    assert_eq!(abi, "1.3");
    assert_eq!(listed.host_abi_version, abi);

    // (id, dimension, weight, required) as written in policies/default.toml,
    // whose weights already sum to 1.
    let expected = [
        ("icp_fit", "fit", 0.25, true),
        ("bant", "fit", 0.20, true),
        ("intent", "engagement", 0.25, true),
        ("trust_nurture", "engagement", 0.15, false),
        ("product_usage", "product", 0.15, false),
    ];
    assert_eq!(listed.scorers.len(), expected.len());
    for (info, (id, dimension, weight, required)) in listed.scorers.iter().zip(expected) {
        assert_eq!(info.name, id);
        assert_eq!(info.plugin, id, "each bundled plugin is named like its policy id");
        // The plugins take their version from the workspace, as this crate does.
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"), "{id}");
        assert_eq!(info.abi_version, abi, "{id}");
        assert_eq!(info.dimension, dimension, "{id}");
        assert!((info.weight - weight).abs() < 1e-12, "{id}: weight {}", info.weight);
        assert_eq!(info.required, required, "{id}");
        assert_eq!(info.library, format!("libhql_{id}.so"));
        assert!(!info.description.is_empty(), "{id}");
        assert!(info.facts.iter().all(|f| f.starts_with(&format!("{id}."))), "{id}: {:?}", info.facts);
        // The hash is of the very file hqld loaded from its plugin directory.
        let file = plugins.path().join(&info.library);
        assert_eq!(info.library_sha256, sha256_of(&file), "{id}");
        assert_eq!(
            info.library_sha256,
            sha256_of(&plugin_path(&format!("hql_{id}"))),
            "{id}: a faithful copy"
        );
    }
    let by_name = |name: &str| listed.scorers.iter().find(|s| s.name == name).expect("listed");
    assert!(by_name("bant").facts.contains(&"bant.authority".to_string()));
    assert!(by_name("intent").facts.contains(&"intent.bottom_funnel_events".to_string()));
    assert!(by_name("trust_nurture").facts.contains(&"trust_nurture.active_weeks".to_string()));
    assert!(by_name("product_usage").facts.contains(&"product_usage.activated".to_string()));
    assert!(by_name("icp_fit").disqualifiers.contains(&"icp.competitor".to_string()));
    assert!(by_name("intent").disqualifiers.contains(&"intent.unsubscribed".to_string()));
    assert_eq!(by_name("bant").disqualifiers, ["bant.no_need"]);
    assert!(by_name("product_usage").disqualifiers.is_empty());
}

#[tokio::test]
async fn the_listed_policy_is_the_file_served_and_its_digest_is_on_every_decision() {
    let plugins = PluginDir::bundled();
    let server = Hqld::serve(&default_policy(), plugins.path());
    let listed = list(&server).await;
    let policy = listed.policy.as_ref().expect("a policy");
    assert_eq!((policy.name.as_str(), policy.version.as_str()), ("default", "1.0.0"));
    assert_eq!(policy.digest.len(), 64, "a sha256, hex: {}", policy.digest);
    assert!(policy.digest.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));

    let decision = server
        .client()
        .await
        .qualify(mql_lead("tom-digest", AS_OF_MS).qualify_request(AS_OF_MS))
        .await
        .expect("qualify")
        .into_inner()
        .decision
        .expect("a decision");
    assert_eq!(decision.policy.as_ref(), Some(policy));
    // The server logs the same identity at start-up.
    assert!(server.stderr().contains(&policy.digest), "{}", server.stderr());
}

#[tokio::test]
async fn the_policy_digest_covers_the_policy_text_and_every_library_byte() {
    let baseline_plugins = PluginDir::bundled();
    let baseline = list(&Hqld::serve(&default_policy(), baseline_plugins.path())).await;

    // The same policy with one more comment line: a different text.
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(default_policy()).expect("read the default policy");
    let commented = write_policy(dir.path(), &format!("{text}\n# reviewed by revenue operations\n"));
    let recommented = list(&Hqld::serve(&commented, baseline_plugins.path())).await;
    assert_ne!(policy_digest(&recommented), policy_digest(&baseline));
    assert_eq!(recommented.scorers, baseline.scorers, "the scorers themselves did not change");

    // The same policy with a rebuilt bant library (its bytes differ; trailing
    // bytes after the ELF image do not change what it does).
    let mut rebuilt = std::fs::read(plugin_path("hql_bant")).expect("read bant");
    rebuilt.extend_from_slice(b"\0rebuilt");
    let staged = dir.path().join("libhql_bant.so");
    std::fs::write(&staged, &rebuilt).expect("write the rebuilt bant");
    let rebuilt_plugins = PluginDir::bundled();
    rebuilt_plugins.add(&staged);
    let rebuilt_list = list(&Hqld::serve(&default_policy(), rebuilt_plugins.path())).await;
    assert_ne!(policy_digest(&rebuilt_list), policy_digest(&baseline));
    let bant = |l: &pb::ListScorersResponse| l.scorers[1].library_sha256.clone();
    assert_eq!(bant(&rebuilt_list), hex::encode(Sha256::digest(&rebuilt)));
    assert_ne!(bant(&rebuilt_list), bant(&baseline));
    assert_eq!(rebuilt_list.scorers[0], baseline.scorers[0], "other libraries are unchanged");
}
