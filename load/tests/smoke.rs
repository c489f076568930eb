//! CI smoke test of the load harness: the real `hqld` (the debug build,
//! started as the end-to-end tests start it) and the floor (this crate's
//! binary, replaying `hqld`'s answers), every mode on both at low
//! concurrency for about a second, all at once to stay within a few
//! seconds. It proves the harness measures what it claims rather than how
//! fast anything is: every call answered, none failed, the floor's answers
//! the size of `hqld`'s, and a failing call counted by its gRPC code rather
//! than lost.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hql_load::compare::start_floor;
use hql_load::driver::{self, Target};
use hql_load::report::RunReport;
use hql_load::scrape::MetricsUrl;
use hql_load::spec::{LoadSpec, Mode};
use hql_load::workload::{Shape, Workload};
use hql_tests::{Hqld, PluginDir, default_policy};

const SEED: u64 = 42;
const LEADS: usize = 32;

fn spec(mode: Mode, duration: Duration) -> LoadSpec {
    LoadSpec {
        mode,
        connections: 2,
        concurrency: 4,
        warmup: Duration::from_millis(200),
        duration,
        rate: None,
        timeout: Duration::from_secs(30),
    }
}

fn floor_exe() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_hql-load"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mode_runs_clean_on_hqld_and_on_the_floor() {
    let plugins = PluginDir::bundled();
    let hqld = Hqld::serve(&default_policy(), plugins.path());
    let floor =
        start_floor(floor_exe(), &hqld.url(), SEED, LEADS, Shape::Attributed).expect("the floor starts");
    let targets = [
        Target { label: "hqld".into(), url: hqld.url(), pid: Some(hqld.pid()), metrics: None },
        Target { label: "floor".into(), url: floor.url(), pid: Some(floor.pid()), metrics: None },
    ];
    let workload = Arc::new(Workload::generate(SEED, LEADS, 10, Shape::Attributed));

    let mut runs = Vec::new();
    for mode in Mode::ALL {
        for target in &targets {
            let (target, workload) = (target.clone(), workload.clone());
            let spec = spec(mode, Duration::from_millis(1200));
            runs.push(tokio::spawn(async move { driver::run(&target, &spec, workload).await }));
        }
    }
    let mut reports: Vec<RunReport> = Vec::new();
    for run in runs {
        reports.push(run.await.expect("the run's task").expect("the run"));
    }

    for report in &reports {
        let what = format!("{} {}:\n{}", report.server, report.spec.mode.name(), report.to_text());
        assert_eq!(report.error_total, 0, "{what}");
        assert!(report.requests > 0, "{what}");
        assert!(report.latency_us.p50 > 0 && report.latency_us.max >= report.latency_us.p99, "{what}");
        let cpu = report.server_cpu.expect("the server's pid is known");
        assert!(cpu.cpu_ms >= 0.0, "{what}");
        let memory = report.server_memory_after.expect("memory");
        assert!(memory.rss_kib > 0, "{what}");
        let leads_per_request = if report.spec.mode == Mode::Batch { 10 } else { 1 };
        assert_eq!(report.leads, report.requests * leads_per_request, "{what}");
    }
    // The floor answers with hqld's own answers, so with the same leads its
    // replies are the same size (the mix of leads per run differs a little).
    for mode in Mode::ALL {
        let of = |server: &str| {
            reports
                .iter()
                .find(|r| r.server == server && r.spec.mode == mode)
                .expect("a run")
                .mean_reply_bytes
        };
        let (hqld_bytes, floor_bytes) = (of("hqld"), of("floor"));
        assert!(
            (floor_bytes / hqld_bytes - 1.0).abs() < 0.1,
            "{mode:?}: floor {floor_bytes} B, hqld {hqld_bytes} B"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paced_run_keeps_to_its_schedule_and_ends() {
    // 200 calls/s for a 1 s window: the schedule has exactly 200 slots in
    // it, so no more can be counted; fewer only if answers came late, which
    // a working server on an idle loopback does not do by half.
    let plugins = PluginDir::bundled();
    let hqld = Hqld::serve(&default_policy(), plugins.path());
    let target = Target { label: "hqld".into(), url: hqld.url(), pid: Some(hqld.pid()), metrics: None };
    // The compact leads here, so both shapes are sent to a real hqld.
    let workload = Arc::new(Workload::generate(SEED, LEADS, 10, Shape::Compact));
    for mode in [Mode::Unary, Mode::Stream] {
        let spec = LoadSpec { rate: Some(200.0), ..spec(mode, Duration::from_secs(1)) };
        let report = driver::run(&target, &spec, workload.clone()).await.expect("the run");
        let what = format!("{mode:?}:\n{}", report.to_text());
        assert_eq!(report.error_total, 0, "{what}");
        assert!(report.requests <= 200, "more calls than the schedule has: {what}");
        assert!(report.requests >= 100, "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_own_handling_time_is_read_from_its_metrics() {
    let plugins = PluginDir::bundled();
    let hqld = Hqld::serve(&default_policy(), plugins.path());
    let target = Target {
        label: "hqld".into(),
        url: hqld.url(),
        pid: Some(hqld.pid()),
        metrics: Some(MetricsUrl::at(hqld.metrics_addr())),
    };
    let workload = Arc::new(Workload::generate(SEED, LEADS, 10, Shape::Attributed));
    for mode in [Mode::Unary, Mode::Batch, Mode::Explain] {
        let report = driver::run(&target, &spec(mode, Duration::from_millis(600)), workload.clone())
            .await
            .expect("the run");
        let what = format!("{mode:?}:\n{}", report.to_text());
        let own = report.server_handling.unwrap_or_else(|| panic!("no handling time read: {what}"));
        // The calls it finished between the two reads: about those the
        // client counted (a few more or fewer at the window's edges).
        assert!(own.calls > 0 && own.calls.abs_diff(report.requests) <= 8, "{what}");
        assert!(
            own.p50.estimate_us <= own.p99.estimate_us && own.p99.estimate_us <= own.p999.estimate_us,
            "{what}"
        );
        assert!(own.p50.upper_us.is_some(), "a median inside the histogram's bounds: {what}");
        assert!(what.contains("in server"), "{what}");
    }
    // A stream's handling time is the whole stream's: none is reported.
    let stream =
        driver::run(&target, &spec(Mode::Stream, Duration::from_millis(300)), workload).await.expect("run");
    assert_eq!(stream.server_handling, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_ok_answers_are_counted_by_code() {
    // The floor refuses leads it holds no answer for with NOT_FOUND: a
    // client with another seed gets nothing but errors, as calls (unary)
    // and as each lead's own result (batch, stream).
    let plugins = PluginDir::bundled();
    let hqld = Hqld::serve(&default_policy(), plugins.path());
    let floor = start_floor(floor_exe(), &hqld.url(), SEED, 4, Shape::Attributed).expect("the floor starts");
    let target = Target { label: "floor".into(), url: floor.url(), pid: None, metrics: None };
    let other_leads = Arc::new(Workload::generate(SEED, 8, 2, Shape::Attributed));
    for mode in [Mode::Unary, Mode::Batch, Mode::Stream] {
        let report = driver::run(&target, &spec(mode, Duration::from_millis(300)), other_leads.clone())
            .await
            .expect("the run");
        assert!(report.errors.get("NOT_FOUND").copied().unwrap_or(0) > 0, "{mode:?}: {:?}", report.errors);
        assert!(report.server_cpu.is_none());
    }
}

#[test]
fn the_binary_reports_a_run_as_json() {
    let plugins = PluginDir::bundled();
    let hqld = Hqld::serve(&default_policy(), plugins.path());
    let output = std::process::Command::new(floor_exe())
        .args(["run", "--mode", "unary", "--target", &hqld.url(), "--server-pid", &hqld.pid().to_string()])
        .args(["--warmup", "100ms", "--duration", "500ms", "--connections", "1", "--concurrency", "2"])
        .args(["--leads", "16", "--json"])
        .output()
        .expect("hql-load runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(json["report"]["error_total"], 0, "{stdout}");
    assert!(json["report"]["requests"].as_u64().is_some_and(|n| n > 0), "{stdout}");
    assert!(json["report"]["server_cpu"]["us_per_request"].as_f64().is_some_and(|us| us > 0.0), "{stdout}");
    assert!(json["workload"]["mean_lead_bytes"].as_f64().is_some_and(|b| b > 0.0), "{stdout}");
}

#[test]
fn a_comparison_judges_the_targets_from_its_own_runs() {
    let plugins = PluginDir::bundled();
    let output = std::process::Command::new(floor_exe())
        .args(["compare", "--hqld"])
        .arg(hql_tests::hqld_path())
        .arg("--policy")
        .arg(default_policy())
        .arg("--plugin-dir")
        .arg(plugins.path())
        .args(["--modes", "unary,explain", "--no-half-peak", "--warmup", "100ms", "--duration", "400ms"])
        .args(["--connections", "1", "--concurrency", "2", "--leads", "16", "--json"])
        .output()
        .expect("hql-load runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    let targets = json["targets"].as_array().expect("targets");
    let target = |starts: &str| {
        targets
            .iter()
            .find(|t| t["target"].as_str().is_some_and(|s| s.starts_with(starts)))
            .unwrap_or_else(|| panic!("{starts} in {stdout}"))
    };
    // Judged from this run (whatever this machine's figures are)...
    assert!(target("Qualify")["met"].is_boolean(), "{stdout}");
    assert!(target("Explain")["met"].is_boolean(), "{stdout}");
    assert_eq!(target("0 errors")["met"], true, "{stdout}");
    // ...or said not to be, when the modes they need did not run.
    assert!(target("batch leads/s")["met"].is_null(), "{stdout}");
    assert!(target("unary p99")["measured"].as_str().is_some_and(|m| m.starts_with("not measured")));
    // The comparison itself is still there, as before.
    assert_eq!(json["modes"].as_array().map(Vec::len), Some(2), "{stdout}");
}

#[test]
fn a_comparison_with_hqlds_metrics_reports_its_own_p99_at_half_of_peak() {
    let plugins = PluginDir::bundled();
    let output = std::process::Command::new(floor_exe())
        .args(["compare", "--hqld-metrics", "--hqld"])
        .arg(hql_tests::hqld_path())
        .arg("--policy")
        .arg(default_policy())
        .arg("--plugin-dir")
        .arg(plugins.path())
        .args(["--modes", "unary", "--warmup", "100ms", "--duration", "400ms"])
        .args(["--connections", "1", "--concurrency", "2", "--leads", "16"])
        .output()
        .expect("hql-load runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}\n{stdout}");
    assert!(stdout.contains("| hqld's own p99 @ half (its histogram) |"), "{stdout}");
    assert!(stdout.contains("in hqld itself"), "the p99 verdict names it: {stdout}");
    // Every hqld run said what hqld took; the floor's never (it has no metrics).
    assert_eq!(stderr.matches("in server").count(), 2, "closed loop and half of peak: {stderr}");
}
