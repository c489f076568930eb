//! The configuration as an operator meets it: the real `hqld` given a TOML
//! file, `HQL_*` variables and flags, observed through what it does.
//!
//! - Precedence: a file says 5 leads per batch, a variable 7, a flag 9; the
//!   server refuses a batch of 10 saying "at most 9", then 8 without the
//!   flag ("at most 7"), then 6 with the file alone ("at most 5").
//! - A value no layer can use stops `hqld` with exit code 2 before it
//!   listens, naming the setting the way that layer spells it.
//! - `--check-config` loads the policy and plugins as serving does, prints
//!   where each value came from and each library's sha256, exits 0, binds
//!   nothing; a broken policy makes it exit 2 naming the file.
//! - The connection settings are accepted from every layer, and
//!   `connection.max_age` really closes a connection: a bare HTTP/2 client
//!   sees the server's GOAWAY and the connection end.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hql_tests::{
    AS_OF_MS, BUNDLED_PLUGINS, Hqld, PluginDir, default_policy, hqld_command, pb, run_to_exit, serve_args,
    sql_lead, ts, write_policy,
};
use sha2::{Digest, Sha256};
use tonic::Code;

/// A config file `hqld.toml` with `text`, in its own temporary directory.
fn config_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hqld.toml");
    std::fs::write(&path, text).expect("write the config file");
    let path = path.display().to_string();
    (dir, path)
}

/// `hqld` over the bundled plugins and the default policy, plus `extra`
/// flags and `env`.
fn command(plugins: &PluginDir, extra: &[&str], env: &[(&str, &str)]) -> Command {
    let mut args = serve_args(&default_policy(), plugins.path());
    args.extend(extra.iter().map(OsString::from));
    let mut command = hqld_command(args);
    command.envs(env.iter().copied());
    command
}

/// The message of the INVALID_ARGUMENT a batch of `n` leads gets.
async fn batch_refusal(server: &Hqld, n: usize) -> String {
    let leads = (0..n).map(|i| sql_lead(&format!("lead-{i}"), AS_OF_MS).build()).collect();
    let request = pb::QualifyBatchRequest { leads, as_of: Some(ts(AS_OF_MS)) };
    match server.client().await.qualify_batch(request).await {
        Ok(_) => panic!("a batch of {n} leads was accepted"),
        Err(status) => {
            assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
            status.message().to_string()
        }
    }
}

/// Runs `command` to its exit; returns the exit code, stdout and stderr.
fn exit_of(command: Command) -> (Option<i32>, String, String) {
    let (status, stdout, stderr) = run_to_exit(command, Duration::from_secs(60));
    (status.code(), stdout, stderr)
}

/// The `hqld: ` line of a refusal, after checking it exited 2 unserved.
fn refusal(command: Command) -> String {
    let (code, stdout, stderr) = exit_of(command);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stdout.contains("listening"), "refused, so never listening: {stdout}");
    stderr
        .lines()
        .find(|l| l.starts_with("hqld: "))
        .unwrap_or_else(|| panic!("no `hqld: ` line in:\n{stderr}"))
        .into()
}

#[tokio::test]
async fn a_flag_beats_a_variable_which_beats_the_file() {
    let plugins = PluginDir::bundled();
    let (_dir, config) = config_file("[limits]\nmax_batch_size = 5\n");
    let file = ["--config", config.as_str()];
    let env = [("HQL_LIMITS_MAX_BATCH_SIZE", "7")];

    let all = Hqld::from_command(command(&plugins, &[&file[..], &["--max-batch-size", "9"]].concat(), &env));
    assert_eq!(batch_refusal(&all, 10).await, "invalid request: leads: must have at most 9 leads, got 10");
    drop(all);

    let no_flag = Hqld::from_command(command(&plugins, &file, &env));
    assert_eq!(batch_refusal(&no_flag, 8).await, "invalid request: leads: must have at most 7 leads, got 8");
    drop(no_flag);

    let file_only = Hqld::from_command(command(&plugins, &file, &[]));
    assert_eq!(
        batch_refusal(&file_only, 6).await,
        "invalid request: leads: must have at most 5 leads, got 6"
    );
    // HQL_CONFIG names the file just as well.
    drop(file_only);
    let via_env = Hqld::from_command(command(&plugins, &[], &[("HQL_CONFIG", config.as_str())]));
    assert_eq!(batch_refusal(&via_env, 6).await, "invalid request: leads: must have at most 5 leads, got 6");
}

#[test]
fn check_config_says_where_each_value_came_from() {
    let plugins = PluginDir::bundled();
    let (_dir, config) = config_file("shutdown_grace = \"10s\"\n\n[limits]\nmax_batch_size = 5\n");
    let mut check =
        command(&plugins, &["--config", &config, "--check-config", "--max-events-per-lead", "50"], &[]);
    check.env("HQL_LIMITS_MAX_CONCURRENT_REQUESTS", "64");
    let (code, stdout, stderr) = exit_of(check);
    assert_eq!(code, Some(0), "{stderr}");
    let line = |key: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no {key} in:\n{stdout}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("limits.max_batch_size"), format!("limits.max_batch_size = 5 ({config}:4)"));
    assert_eq!(line("shutdown_grace"), format!("shutdown_grace = 10s ({config}:1)"));
    assert_eq!(line("limits.max_events_per_lead"), "limits.max_events_per_lead = 50 (--max-events-per-lead)");
    assert_eq!(
        line("limits.max_concurrent_requests"),
        "limits.max_concurrent_requests = 64 (HQL_LIMITS_MAX_CONCURRENT_REQUESTS)"
    );
    assert_eq!(line("keepalive.interval"), "keepalive.interval = 1m (default)");
}

#[test]
fn an_invalid_value_is_refused_naming_it_as_each_layer_spells_it() {
    let plugins = PluginDir::bundled();
    // A flag is refused by the parser, with its usage line: exit 2 too.
    let (code, stdout, stderr) = exit_of(command(&plugins, &["--max-batch-size", "0"], &[]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stdout.contains("listening"));
    assert!(
        stderr.contains("invalid value '0' for '--max-batch-size <N>': must be at least 1, got 0"),
        "{stderr}"
    );

    let env = refusal(command(&plugins, &[], &[("HQL_LIMITS_MAX_BATCH_SIZE", "0")]));
    assert_eq!(env, "hqld: HQL_LIMITS_MAX_BATCH_SIZE: must be at least 1, got 0");

    let (_dir, config) = config_file("listen = \"127.0.0.1:0\"\n[limits]\nmax_batch_size = 0\n");
    // Only --config, so the file's own values are in force.
    let mut from_file = hqld_command(["--config", &config, "--plugin-dir"].map(OsString::from));
    from_file.arg(plugins.path());
    assert_eq!(
        refusal(from_file),
        format!("hqld: {config}:3:18: limits.max_batch_size: must be at least 1, got 0")
    );

    let grace = refusal(command(&plugins, &[], &[("HQL_SHUTDOWN_GRACE", "soon")]));
    assert!(grace.starts_with("hqld: HQL_SHUTDOWN_GRACE: `soon` is not a duration"), "{grace}");
}

#[test]
fn a_flag_value_clap_refuses_exits_2_naming_the_flag() {
    let plugins = PluginDir::bundled();
    let (code, stdout, stderr) = exit_of(command(&plugins, &["--keepalive-interval", "0"], &[]));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stdout.contains("listening"));
    assert!(
        stderr.contains("invalid value '0' for '--keepalive-interval <DURATION|off>': must be at least 1s, got 0s, or `off`"),
        "{stderr}"
    );
}

#[test]
fn unknown_file_keys_and_variables_are_refused() {
    let plugins = PluginDir::bundled();
    let (_dir, config) = config_file("[limits]\nmax_batch_size = 5\nmax_evnts = 3\n");
    let message = refusal(command(&plugins, &["--config", &config], &[]));
    assert!(
        message.starts_with(&format!(
            "hqld: {config}:3:1: unknown key limits.max_evnts (known keys in [limits]: "
        )),
        "{message}"
    );

    let message = refusal(command(&plugins, &[], &[("HQL_LIMITS_MAX_BATCH_SZE", "5")]));
    assert!(
        message.starts_with(
            "hqld: HQL_LIMITS_MAX_BATCH_SZE: unknown variable (did you mean HQL_LIMITS_MAX_BATCH_SIZE?)"
        ),
        "{message}"
    );

    let message = refusal(command(&plugins, &["--config", "/nonexistent/hqld.toml"], &[]));
    assert!(message.starts_with("hqld: cannot read config file /nonexistent/hqld.toml: "), "{message}");
}

#[test]
fn check_config_loads_the_policy_and_every_plugin_and_binds_nothing() {
    let plugins = PluginDir::bundled();
    // The address is taken: a check that tried to listen would fail.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let mut args: Vec<OsString> = vec!["--policy".into(), default_policy().into(), "--plugin-dir".into()];
    args.push(plugins.path().into());
    args.extend(["--check-config", "--listen", &addr, "--metrics-listen", &addr].map(OsString::from));
    let (code, stdout, stderr) = exit_of(hqld_command(args));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("hqld: configuration OK\n"), "{stdout}");
    assert!(!stdout.contains("listening"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("policy default ") && l.contains(" digest ")), "{stdout}");
    for name in BUNDLED_PLUGINS {
        let file = format!("lib{name}.so");
        let bytes = std::fs::read(plugins.path().join(&file)).expect("read the plugin");
        let sha256 = hex::encode(Sha256::digest(&bytes));
        assert!(
            stdout.lines().any(|l| l.starts_with("scorer ")
                && l.contains(&file)
                && l.ends_with(&format!("sha256 {sha256}"))),
            "no scorer line for {file} with sha256 {sha256} in:\n{stdout}"
        );
    }
}

#[test]
fn check_config_refuses_a_broken_policy_naming_the_file() {
    let plugins = PluginDir::bundled();
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(default_policy()).expect("the default policy");
    let policy = write_policy(dir.path(), &text.replacen("[[stage]]", "[[stgae]]", 1));
    let mut args = serve_args(&policy, plugins.path());
    args.push("--check-config".into());
    let (code, stdout, stderr) = exit_of(hqld_command(args));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stdout.contains("configuration OK"), "{stdout}");
    let message = stderr.lines().find(|l| l.starts_with("hqld: ")).unwrap_or_default();
    assert!(message.starts_with(&format!("hqld: policy {}:", policy.display())), "{stderr}");
}

#[test]
fn relative_paths_in_the_file_are_relative_to_the_file() {
    let plugins = PluginDir::bundled();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(default_policy(), dir.path().join("policy.toml")).expect("copy the policy");
    let config = dir.path().join("hqld.toml");
    std::fs::write(&config, "policy = \"policy.toml\"\n").expect("write");
    // Started from another directory, the policy is still found.
    let mut args = vec![OsString::from("--config"), config.into(), "--check-config".into()];
    args.extend(["--plugin-dir".into(), plugins.path().into()]);
    let mut check = hqld_command(args);
    check.current_dir(std::env::temp_dir());
    let (code, stdout, stderr) = exit_of(check);
    assert_eq!(code, Some(0), "{stderr}");
    let expected = dir.path().join("policy.toml");
    let line = stdout.lines().find(|l| l.starts_with("policy ")).unwrap_or_default();
    assert!(line.contains(&format!("= {} ", expected.display())), "{stdout}");
}

#[tokio::test]
async fn connection_settings_are_accepted_from_every_layer() {
    let plugins = PluginDir::bundled();
    let (_dir, config) = config_file(
        "[keepalive]\ninterval = \"2s\"\ntimeout = \"1s\"\ntcp = \"5s\"\n\n[connection]\nmax_concurrent_streams = 8\nmax_age = \"1h\"\nmax_age_grace = \"30s\"\n",
    );
    let from_file = Hqld::from_command(command(&plugins, &["--config", &config], &[]));
    from_file.qualify(sql_lead("kept", AS_OF_MS).qualify_request(AS_OF_MS)).await;
    drop(from_file);

    let env = [
        ("HQL_KEEPALIVE_INTERVAL", "off"),
        ("HQL_KEEPALIVE_TIMEOUT", "5s"),
        ("HQL_KEEPALIVE_TCP", "off"),
        ("HQL_CONNECTION_MAX_CONCURRENT_STREAMS", "1"),
        ("HQL_CONNECTION_MAX_AGE", "off"),
        ("HQL_CONNECTION_MAX_AGE_GRACE", "off"),
    ];
    let from_env = Hqld::from_command(command(&plugins, &[], &env));
    from_env.qualify(sql_lead("kept", AS_OF_MS).qualify_request(AS_OF_MS)).await;
    drop(from_env);

    let flags = [
        "--keepalive-interval",
        "250ms",
        "--keepalive-timeout",
        "1s",
        "--tcp-keepalive",
        "1s",
        "--max-concurrent-streams",
        "100",
        "--max-connection-age",
        "10m",
        "--max-connection-age-grace",
        "1m",
    ];
    // 250ms is below the 1s floor of PINGs: refused, naming the flag.
    let (code, _, stderr) = exit_of(command(&plugins, &flags, &[]));
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("'--keepalive-interval <DURATION|off>': must be at least 1s, got 250ms"),
        "{stderr}"
    );
    let mut flags = flags;
    flags[1] = "1s";
    let from_flags = Hqld::from_command(command(&plugins, &flags, &[]));
    from_flags.qualify(sql_lead("kept", AS_OF_MS).qualify_request(AS_OF_MS)).await;
}

/// Opens a bare HTTP/2 connection to `server` and returns the future of
/// its end (it ends when the server closes it).
async fn bare_connection(server: &Hqld) -> tokio::task::JoinHandle<Result<(), h2::Error>> {
    let tcp = tokio::net::TcpStream::connect(server.addr()).await.expect("connect");
    let (_client, connection) = h2::client::handshake(tcp).await.expect("HTTP/2 handshake");
    tokio::spawn(async move {
        let ended = connection.await;
        drop(_client);
        ended
    })
}

#[tokio::test]
async fn max_connection_age_closes_idle_connections() {
    let plugins = PluginDir::bundled();
    let aged = Hqld::from_command(command(
        &plugins,
        &["--max-connection-age", "1s", "--max-connection-age-grace", "1s"],
        &[],
    ));
    let connection = bare_connection(&aged).await;
    let ended = tokio::time::timeout(Duration::from_secs(20), connection).await;
    assert!(ended.is_ok(), "the server did not close a connection older than max_connection_age");

    // Without it (the default), an idle connection stays open.
    let unaged = Hqld::from_command(command(&plugins, &[], &[]));
    let connection = bare_connection(&unaged).await;
    let still_open = tokio::time::timeout(Duration::from_secs(3), connection).await;
    assert!(still_open.is_err(), "an idle connection was closed without max_connection_age");
}

#[test]
fn config_paths_in_messages_are_the_ones_given() {
    // The config file named relative to the working directory is reported
    // as given, not resolved: that is what the operator typed.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("hqld.toml"), "[limits]\nmax_batch_size = -1\n").expect("write");
    let plugins = PluginDir::bundled();
    let mut command = command(&plugins, &["--config", "hqld.toml"], &[]);
    command.current_dir(dir.path());
    let message = refusal(command);
    assert_eq!(message, "hqld: hqld.toml:2:18: limits.max_batch_size: `-1` is not a whole number");
    assert!(Path::new(&dir.path().join("hqld.toml")).is_file());
}

#[test]
fn the_kubernetes_config_is_valid() {
    // deploy/base/hqld.toml, as the Deployment mounts it; only the paths
    // that exist in the image are pointed at this machine's.
    let plugins = PluginDir::bundled();
    let config = hql_tests::workspace_root().join("deploy/base/hqld.toml");
    let mut args = vec![OsString::from("--config"), config.into(), "--check-config".into()];
    args.extend(["--policy".into(), default_policy().into(), "--plugin-dir".into(), plugins.path().into()]);
    let (code, stdout, stderr) = exit_of(hqld_command(args));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("connection.max_age                 = 30m"), "{stdout}");
}
