//! Hot reload, end to end: the real `hqld` under a steady stream of
//! concurrent Qualify calls while its policy is replaced by SIGHUP, by a
//! changed file, and by a Kubernetes-style ConfigMap symlink swap; and
//! refused, with nothing changed, when the new policy or a plugin is bad.
//!
//! "Zero failed RPCs" is counted, not sampled: every call of every client
//! task is checked, and each task sees policy versions only move forward
//! (a call starts after the previous one ended, so once the new engine
//! answered, the old one must never answer that task again).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hql_tests::scrape::scrape;
use hql_tests::{AS_OF_MS, Hqld, PluginDir, default_policy, pb, plugin_path, serve_args, sql_lead};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

const CLIENTS: usize = 6;

/// The default policy with its version replaced by `version`.
fn policy_text(version: &str) -> String {
    let text = std::fs::read_to_string(default_policy()).expect("read the default policy");
    assert!(text.contains("\nversion = \"1.0.0\"\n"), "the default policy's version line moved");
    text.replacen("version = \"1.0.0\"", &format!("version = \"{version}\""), 1)
}

/// Writes `text` to `path` by rename, as editors and ConfigMaps do.
fn write_atomically(path: &Path, text: &str) {
    let staged = path.with_extension("staged");
    std::fs::write(&staged, text).expect("write");
    std::fs::rename(&staged, path).expect("rename");
}

struct Served {
    plugins: PluginDir,
    dir: tempfile::TempDir,
    server: Hqld,
    metrics: SocketAddr,
}

impl Served {
    fn policy(&self) -> PathBuf {
        self.dir.path().join("policy.toml")
    }
}

/// hqld on a copy of the default policy (version 1.0.0) at `policy.toml`,
/// with `extra` flags and metrics on.
fn serve(extra: &[&str]) -> Served {
    let plugins = PluginDir::bundled();
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("policy.toml");
    write_atomically(&policy, &policy_text("1.0.0"));
    let mut args = serve_args(&policy, plugins.path());
    args.extend(["--metrics-listen", "127.0.0.1:0"].map(Into::into));
    args.extend(extra.iter().map(Into::into));
    let server = Hqld::start(args);
    let metrics = server.metrics_addr();
    Served { plugins, dir, server, metrics }
}

/// What one client task saw.
#[derive(Debug, Default)]
struct Seen {
    ok: u64,
    failed: Vec<String>,
    /// Policy versions in the order answers came, consecutive duplicates merged.
    versions: Vec<String>,
}

/// `CLIENTS` tasks, each on its own connection, calling Qualify back to back
/// until `stop`.
fn load(server: &Hqld, stop: Arc<AtomicBool>) -> Vec<tokio::task::JoinHandle<Seen>> {
    (0..CLIENTS)
        .map(|i| {
            let stop = stop.clone();
            let url = server.url();
            tokio::spawn(async move {
                let mut client = hql_proto::pb::lead_qualification_service_client::LeadQualificationServiceClient::connect(url)
                    .await
                    .expect("connect");
                let mut seen = Seen::default();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let request = sql_lead(&format!("load-{i}-{n}"), AS_OF_MS).qualify_request(AS_OF_MS);
                    match client.qualify(request).await {
                        Ok(response) => {
                            seen.ok += 1;
                            let decision = response.into_inner().decision.expect("a decision");
                            let version = decision.policy.clone().expect("a policy").version;
                            if seen.versions.last() != Some(&version) {
                                seen.versions.push(version);
                            }
                            assert_eq!(decision.stage(), pb::Stage::Sql, "every version decides alike");
                        }
                        Err(status) => seen.failed.push(format!("{:?}: {}", status.code(), status.message())),
                    }
                }
                seen
            })
        })
        .collect()
}

async fn policy_version(server: &Hqld) -> String {
    let listed = server.client().await.list_scorers(pb::ListScorersRequest {}).await.expect("ListScorers");
    listed.into_inner().policy.expect("a policy").version
}

async fn wait_for_version(server: &Hqld, version: &str) {
    let started = Instant::now();
    while policy_version(server).await != version {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "version {version} never served\n--- stderr ---\n{}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn metric(metrics: SocketAddr, name: &'static str, labels: &[(&'static str, &'static str)]) -> f64 {
    let labels: Vec<(&'static str, String)> = labels.iter().map(|(k, v)| (*k, v.to_string())).collect();
    tokio::task::spawn_blocking(move || scrape(metrics).value(name, &labels)).await.expect("scrape")
}

/// Stops the load and checks it: every call answered, versions in order.
async fn finish(tasks: Vec<tokio::task::JoinHandle<Seen>>, stop: &AtomicBool, versions: &[&str]) -> u64 {
    // Let the load run on the newest policy a little.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = 0;
    for task in tasks {
        let seen = task.await.expect("client task");
        assert!(seen.failed.is_empty(), "failed calls during reloads: {:?}", seen.failed);
        assert!(seen.ok > 0);
        let mut expected = versions.iter();
        for v in &seen.versions {
            assert!(
                expected.any(|e| e == v),
                "versions out of order for one client: {:?} (reloads: {versions:?})",
                seen.versions
            );
        }
        assert_eq!(seen.versions.last().map(String::as_str), versions.last().copied(), "{:?}", seen.versions);
        total += seen.ok;
    }
    total
}

#[tokio::test]
async fn sighup_reloads_under_load_with_zero_failed_calls() {
    let mut s = serve(&["--policy-poll-interval", "off"]);
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = load(&s.server, stop.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;

    let versions = ["1.0.0", "1.0.1", "1.0.2", "1.0.3"];
    for pair in versions.windows(2) {
        let (previous, version) = (pair[0], pair[1]);
        write_atomically(&s.policy(), &policy_text(version));
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(policy_version(&s.server).await, previous, "with polling off, only SIGHUP reloads");
        s.server.hangup();
        wait_for_version(&s.server, version).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let answered = finish(tasks, &stop, &versions).await;
    eprintln!(
        "reload under load: {answered} Qualify calls from {CLIENTS} clients across 3 reloads, 0 failed"
    );
    assert!(answered > 20, "{answered}");
    assert_eq!(metric(s.metrics, "hql_policy_reloads_total", &[("result", "success")]).await, 3.0);
    assert_eq!(metric(s.metrics, "hql_policy_reloads_total", &[("result", "failure")]).await, 0.0);
    assert!(s.server.stderr().contains("policy reloaded: default 1.0.3 in force (was default 1.0.2)"));
}

#[tokio::test]
async fn a_changed_policy_file_is_reloaded_without_a_signal() {
    let s = serve(&["--policy-poll-interval", "100ms"]);
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = load(&s.server, stop.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    write_atomically(&s.policy(), &policy_text("2.0.0"));
    wait_for_version(&s.server, "2.0.0").await;
    let answered = finish(tasks, &stop, &["1.0.0", "2.0.0"]).await;
    eprintln!("file-change reload under load: {answered} Qualify calls, 0 failed");
    assert_eq!(metric(s.metrics, "hql_policy_reloads_total", &[("result", "success")]).await, 1.0);
    let digest = |version: &'static str| {
        let metrics = s.metrics;
        async move {
            let scraped = tokio::task::spawn_blocking(move || scrape(metrics)).await.expect("scrape");
            scraped
                .named("hql_policy_info")
                .into_iter()
                .filter(|m| m.labels.get("version").map(String::as_str) == Some(version))
                .map(|m| m.value)
                .collect::<Vec<f64>>()
        }
    };
    assert_eq!(digest("1.0.0").await, [0.0], "the replaced policy's info series drops to 0");
    assert_eq!(digest("2.0.0").await, [1.0]);
}

#[tokio::test]
async fn a_configmap_symlink_swap_is_picked_up() {
    // Kubernetes mounts a ConfigMap as `policy.toml -> ..data/policy.toml`,
    // `..data -> ..<timestamp>/`, and updates it by re-pointing `..data`.
    let plugins = PluginDir::bundled();
    let dir = tempfile::tempdir().expect("tempdir");
    let mount = dir.path();
    let first = mount.join("..2026_11_23_10_00_00.1");
    std::fs::create_dir(&first).expect("mkdir");
    std::fs::write(first.join("policy.toml"), policy_text("1.0.0")).expect("write");
    std::os::unix::fs::symlink("..2026_11_23_10_00_00.1", mount.join("..data")).expect("symlink");
    std::os::unix::fs::symlink("..data/policy.toml", mount.join("policy.toml")).expect("symlink");
    let mut args = serve_args(&mount.join("policy.toml"), plugins.path());
    args.extend(["--policy-poll-interval", "100ms"].map(Into::into));
    let server = Hqld::start(args);
    assert_eq!(policy_version(&server).await, "1.0.0");

    let second = mount.join("..2026_11_23_10_05_00.2");
    std::fs::create_dir(&second).expect("mkdir");
    std::fs::write(second.join("policy.toml"), policy_text("1.1.0")).expect("write");
    std::os::unix::fs::symlink("..2026_11_23_10_05_00.2", mount.join("..data_tmp")).expect("symlink");
    std::fs::rename(mount.join("..data_tmp"), mount.join("..data")).expect("swap ..data");
    std::fs::remove_dir_all(&first).expect("remove the old data");
    wait_for_version(&server, "1.1.0").await;
}

async fn serving(server: &Hqld) -> ServingStatus {
    let channel = tonic::transport::Endpoint::from_shared(server.url()).expect("url").connect().await;
    let mut health = HealthClient::new(channel.expect("connects"));
    health.check(HealthCheckRequest { service: String::new() }).await.expect("health").into_inner().status()
}

#[tokio::test]
async fn a_bad_policy_is_refused_and_changes_nothing() {
    let mut s = serve(&["--policy-poll-interval", "off"]);
    let stop = Arc::new(AtomicBool::new(false));
    let tasks = load(&s.server, stop.clone());
    let before =
        s.server.client().await.list_scorers(pb::ListScorersRequest {}).await.expect("list").into_inner();

    // A typo in a gate subject: only the full validation (with the loaded
    // scorers' declared facts) can catch it.
    let bad = policy_text("9.9.9").replacen(
        "subject = \"intent.bottom_funnel_events\"",
        "subject = \"intent.bottom_funel_events\"",
        1,
    );
    write_atomically(&s.policy(), &bad);
    s.server.hangup();
    assert!(
        s.server
            .wait_for_stderr("policy reload refused; still serving default 1.0.0", Duration::from_secs(20)),
        "{}",
        s.server.stderr()
    );
    let stderr = s.server.stderr();
    assert!(stderr.contains("policy.toml:"), "the refusal is located in the file: {stderr}");
    assert!(stderr.contains("bottom_funel_events"), "{stderr}");
    assert_eq!(metric(s.metrics, "hql_policy_reloads_total", &[("result", "failure")]).await, 1.0);
    assert_eq!(metric(s.metrics, "hql_policy_reload_failed", &[]).await, 1.0);
    let after =
        s.server.client().await.list_scorers(pb::ListScorersRequest {}).await.expect("list").into_inner();
    assert_eq!(after, before, "nothing changed: same policy, digest and scorers");
    assert_eq!(serving(&s.server).await, ServingStatus::Serving);

    // Fixed, it goes through.
    write_atomically(&s.policy(), &policy_text("9.9.9"));
    s.server.hangup();
    wait_for_version(&s.server, "9.9.9").await;
    assert_eq!(metric(s.metrics, "hql_policy_reload_failed", &[]).await, 0.0);
    finish(tasks, &stop, &["1.0.0", "9.9.9"]).await;
}

#[tokio::test]
async fn a_plugin_replaced_in_place_is_refused_on_reload() {
    let mut s = serve(&["--policy-poll-interval", "off"]);
    let before = policy_version(&s.server).await;
    // A different build at the same path: the loader would keep the old code.
    let bant = s.plugins.path().join("libhql_bant.so");
    std::fs::remove_file(&bant).expect("remove");
    std::fs::copy(plugin_path("hql_intent"), &bant).expect("copy another library over it");
    s.server.hangup();
    assert!(
        s.server.wait_for_stderr("changed since this process loaded it", Duration::from_secs(20)),
        "{}",
        s.server.stderr()
    );
    assert!(s.server.stderr().contains("libhql_bant.so"));
    assert_eq!(policy_version(&s.server).await, before);
    let decided = s.server.qualify(sql_lead("after", AS_OF_MS).qualify_request(AS_OF_MS)).await;
    assert_eq!(decided.stage(), pb::Stage::Sql, "the old bant still decides");
}
