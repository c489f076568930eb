//! The test support library finds, builds and stages what the end-to-end
//! tests run.
//!
//! These checks come first because every server test stands on them: if
//! `artifact_dir` pointed elsewhere, or a plugin copy were not a faithful
//! executable file, server tests would fail for reasons unrelated to the
//! server.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::time::Duration;

use hql_plugin_api::host::{AbiInstance, CallError};
use hql_plugin_api::record::LeadRecord;
use hql_plugin_api::testing::CapturedLogs;
use hql_plugin_api::view::LeadView;
use hql_tests::{
    AS_OF_MS, BUNDLED_PLUGINS, C_ABI_1_0, C_BAD_MAGIC, C_EXAMPLE, C_LARGER_DESCRIPTOR, C_NEWER_MINOR,
    C_NO_ENTRY, C_SMALL_DESCRIPTOR, C_WRONG_MAJOR, Hqld, PANICKING_PLUGIN, PluginDir, artifact_dir,
    c_fixture, hqld_path, plugin_path, run_to_exit, write_policy,
};

#[test]
fn artifact_dir_is_the_profile_dir_holding_this_test() {
    let dir = artifact_dir();
    assert!(dir.is_dir(), "{} is not a directory", dir.display());
    assert!(dir.join("deps").is_dir(), "{} has no deps/", dir.display());
    let exe = std::env::current_exe().expect("current exe");
    assert!(exe.starts_with(&dir), "{} is not under {}", exe.display(), dir.display());
    let profile = dir.file_name().and_then(|n| n.to_str()).expect("a profile name");
    assert!(!profile.is_empty() && profile != "deps");
}

#[test]
fn every_c_fixture_is_built() {
    for name in [
        C_EXAMPLE,
        C_WRONG_MAJOR,
        C_NO_ENTRY,
        C_SMALL_DESCRIPTOR,
        C_BAD_MAGIC,
        C_ABI_1_0,
        C_LARGER_DESCRIPTOR,
        C_NEWER_MINOR,
    ] {
        let path = c_fixture(name);
        assert!(fs::metadata(&path).expect("fixture metadata").len() > 0, "{}", path.display());
    }
}

#[test]
fn plugin_dirs_hold_executable_copies_under_the_original_name() {
    let source = c_fixture(C_EXAMPLE);
    let dir = PluginDir::with([&source]);
    let file_name = source.file_name().expect("file name").to_str().expect("UTF-8");
    assert_eq!(dir.file_names(), vec![file_name.to_string()]);

    let copy = dir.path().join(file_name);
    assert_eq!(fs::read(&copy).expect("copy"), fs::read(&source).expect("source"));
    let mode = fs::metadata(&copy).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode, 0o755);

    let renamed = dir.add_as(&source, "libhql_c_example_v2.so");
    assert!(renamed.is_file());
    dir.remove("libhql_c_example_v2.so");
    assert_eq!(dir.file_names(), vec![file_name.to_string()]);

    let gone = dir.path().to_path_buf();
    drop(dir);
    assert!(!gone.exists(), "a plugin dir is deleted on drop");
}

#[test]
fn replacing_a_plugin_creates_a_new_file_instead_of_rewriting_the_old() {
    // A running server has the old file mapped; rewriting it in place would
    // change code under its feet.
    let dir = PluginDir::new();
    let first = dir.add_as(c_fixture(C_EXAMPLE), "libscorer.so");
    let inode = fs::metadata(&first).expect("metadata").ino();
    let second = dir.add_as(c_fixture(C_BAD_MAGIC), "libscorer.so");
    assert_eq!(first, second);
    assert_ne!(fs::metadata(&second).expect("metadata").ino(), inode);
    assert_eq!(fs::read(&second).expect("new"), fs::read(c_fixture(C_BAD_MAGIC)).expect("src"));
}

#[test]
fn write_policy_writes_and_replaces_policy_toml() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_policy(dir.path(), "name = \"one\"\n");
    assert_eq!(path, dir.path().join("policy.toml"));
    assert_eq!(fs::read_to_string(&path).expect("read"), "name = \"one\"\n");
    write_policy(dir.path(), "name = \"two\"\n");
    assert_eq!(fs::read_to_string(&path).expect("read"), "name = \"two\"\n");
    let entries = fs::read_dir(dir.path()).expect("read dir").count();
    assert_eq!(entries, 1, "no staging file is left behind");
}

#[test]
fn the_workspace_build_provides_hqld_and_every_plugin() {
    let hqld = hqld_path();
    let mode = fs::metadata(&hqld).expect("hqld metadata").permissions().mode();
    assert_ne!(mode & 0o111, 0, "{} is executable", hqld.display());
    for name in BUNDLED_PLUGINS.iter().chain([&PANICKING_PLUGIN]) {
        assert!(plugin_path(name).is_file(), "{name}");
    }
    // A copy of every bundled plugin, ready for --plugin-dir.
    let dir = PluginDir::bundled();
    assert_eq!(dir.file_names().len(), BUNDLED_PLUGINS.len());
}

#[test]
fn a_dlopened_rust_plugin_turns_a_panic_into_a_failed_call() {
    // The panicking fixture as the server sees it: a cdylib built by cargo,
    // loaded with dlopen, driven through the host's callback table.
    let path = plugin_path(PANICKING_PLUGIN);
    // SAFETY: our own fixture, built from this workspace.
    let library = unsafe { libloading::Library::new(&path) }.expect("dlopen the fixture");
    let library: &'static libloading::Library = Box::leak(Box::new(library));
    // SAFETY: the symbol has the header's entry type.
    let entry = unsafe {
        library.get::<hql_plugin_api::abi::hql_scorer_entry_fn>(
            hql_plugin_api::abi::HQL_SCORER_ENTRY_SYMBOL.as_bytes(),
        )
    }
    .expect("the fixture exports the entry");
    // SAFETY: static descriptor of a library we never unload.
    let descriptor = unsafe { entry().as_ref() }.expect("a descriptor");
    let logs = std::sync::Arc::new(CapturedLogs::default());
    // SAFETY: built with the SDK, which honours the ABI.
    let instance = unsafe { AbiInstance::create(descriptor, "{}", logs) }.expect("the fixture configures");

    // The plugin has its own copy of std and so its own panic hook, which
    // libtest cannot capture: the panic message on stderr is expected.
    let panicking = LeadRecord { lead_id: "panic-now".into(), ..LeadRecord::default() };
    let outcome = instance.score(&LeadView::new(&panicking, AS_OF_MS));
    assert!(matches!(&outcome, Err(CallError::Failed(m)) if m.contains("panicked")), "{outcome:?}");
    let fine = LeadRecord { lead_id: "fine".into(), ..LeadRecord::default() };
    let score = instance.score(&LeadView::new(&fine, AS_OF_MS)).expect("still works");
    assert_eq!(score.value(), 50.0);
}

// The process plumbing below is checked against stand-ins (`sh`) that keep
// the `hqld` stdout contract, so it is proven before the server relies on it.

/// A stand-in server: prints the listening line and a log line, then waits.
/// `exec` makes the waiting process the child itself, so killing the child
/// leaves nothing behind.
fn stand_in(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

#[test]
fn hqld_waits_for_the_listening_line_and_collects_stderr() {
    let mut server = Hqld::from_command(stand_in(
        "echo 'starting' >&2; echo 'hqld listening on 127.0.0.1:4321'; \
         echo 'loaded 3 scorers' >&2; exec sleep 30",
    ));
    assert_eq!(server.addr(), "127.0.0.1:4321".parse().expect("addr"));
    assert_eq!(server.url(), "http://127.0.0.1:4321");
    assert!(server.wait_for_stderr("loaded 3 scorers", Duration::from_secs(10)));
    assert!(server.stderr().starts_with("starting\n"), "{}", server.stderr());
    assert_eq!(server.stdout(), "hqld listening on 127.0.0.1:4321\n");
    assert!(server.is_running());

    let pid = server.pid();
    let status = server.terminate(Duration::from_secs(10));
    assert_eq!(status.signal(), Some(15), "SIGTERM reached the child {pid}");
    assert!(!server.is_running());
}

#[test]
fn dropping_hqld_kills_the_child() {
    let server = Hqld::from_command(stand_in("echo 'hqld listening on [::1]:9'; exec sleep 30"));
    let proc_dir = std::path::PathBuf::from(format!("/proc/{}", server.pid()));
    assert!(proc_dir.exists());
    drop(server);
    assert!(!proc_dir.exists(), "the child was killed and reaped on drop");
}

#[test]
#[should_panic(expected = "exited (exit status: 3) before listening")]
fn a_server_that_exits_before_listening_fails_the_test_with_its_stderr() {
    let outcome = std::panic::catch_unwind(|| {
        Hqld::from_command(stand_in("echo 'policy.toml:3: unknown key' >&2; exit 3"))
    });
    let payload = outcome.expect_err("start-up fails");
    let message = payload.downcast_ref::<String>().expect("a formatted message");
    assert!(message.contains("policy.toml:3: unknown key"), "{message}");
    std::panic::resume_unwind(payload);
}

#[test]
fn run_to_exit_returns_status_and_both_streams() {
    let (status, stdout, stderr) =
        run_to_exit(stand_in("echo out; echo err >&2; exit 2"), Duration::from_secs(10));
    assert_eq!(status.code(), Some(2));
    assert_eq!(stdout, "out\n");
    assert_eq!(stderr, "err\n");
}

#[test]
#[should_panic(expected = "still running after")]
fn run_to_exit_fails_on_a_process_that_keeps_running() {
    run_to_exit(stand_in("exec sleep 30"), Duration::from_millis(300));
}

#[tokio::test]
async fn client_connects_to_the_announced_address() {
    // A bare TCP listener is enough: connecting opens the socket and sends
    // the HTTP/2 preface, without waiting for a gRPC answer.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let accepted = std::thread::spawn(move || listener.accept().map(|(stream, _)| stream));
    let server = Hqld::from_command(stand_in(&format!("echo 'hqld listening on {addr}'; exec sleep 30")));
    let _client = server.client().await;
    let stream = accepted.join().expect("accept thread").expect("a connection arrived");
    assert_eq!(stream.local_addr().expect("addr"), addr);
}
