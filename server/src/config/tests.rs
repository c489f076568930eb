//! The layering as a whole: defaults, precedence, where errors point, and
//! that the help text and docs agree with the key list and the defaults.

use std::path::Path;

use clap::{CommandFactory, Parser};

use super::*;

fn cli(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("hqld").chain(args.iter().copied())).expect("flags parse")
}

/// A directory that exists on every machine running the tests.
fn existing_dir() -> String {
    std::env::temp_dir().display().to_string()
}

/// Loads with `args` and exactly the variables `env` (plus a plugin dir).
fn load_with(args: &[&str], env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let dir = existing_dir();
    let mut vars = vec![("HQL_PLUGIN_DIR", dir.as_str())];
    vars.extend_from_slice(env);
    load(&cli(args), &Env::from_pairs(vars))
}

/// A config file in a fresh temporary directory.
fn config_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hqld.toml");
    std::fs::write(&path, text).expect("write config");
    let path = path.display().to_string();
    (dir, path)
}

fn source<'a>(config: &'a Config, file_key: &str) -> &'a Source {
    config.sources.iter().find(|s| s.key.file == file_key).expect("every key is reported")
}

#[test]
fn defaults_match_the_documented_ones() {
    let config = load_with(&[], &[]).expect("valid");
    let settings = &config.settings;
    assert_eq!(settings.listen, "127.0.0.1:50051".parse::<SocketAddr>().expect("addr"));
    assert_eq!(settings.metrics_listen, Some("127.0.0.1:9464".parse().expect("addr")));
    assert_eq!(settings.policy, PathBuf::from("policies/default.toml"));
    assert_eq!(settings.limits, Limits::default());
    assert_eq!(settings.limits.max_events_per_lead, 10_000);
    assert_eq!(settings.limits.max_batch_size, 1_000);
    assert_eq!(settings.limits.max_message_bytes, 16 * 1024 * 1024);
    assert_eq!(settings.limits.max_concurrent_requests, 512);
    assert_eq!(settings.log_format, LogFormat::Auto);
    assert_eq!(settings.log_level, "info");
    assert_eq!(settings.shutdown_grace, Duration::from_secs(30));
    assert_eq!(settings.policy_poll, Some(Duration::from_secs(2)));
    assert_eq!(settings.transport, Transport::default());
    assert_eq!(settings.transport.keepalive_interval, Some(Duration::from_secs(60)));
    assert_eq!(settings.transport.keepalive_timeout, Duration::from_secs(20));
    assert_eq!(settings.transport.tcp_keepalive, Some(Duration::from_secs(60)));
    assert_eq!(settings.transport.max_concurrent_streams, 200);
    assert_eq!(settings.transport.max_connection_age, None);
    assert_eq!(settings.transport.max_connection_age_grace, None);
    assert_eq!(config.file, None);
    assert_eq!(config.sources.len(), keys::ALL.len());
    for (source, key) in config.sources.iter().zip(keys::ALL) {
        assert_eq!(source.key, key);
        let expected = if key == keys::PLUGIN_DIR { Origin::Env("HQL_PLUGIN_DIR") } else { Origin::Default };
        assert_eq!(source.origin, expected, "{}", key.file);
    }
}

#[test]
fn every_flag_is_read() {
    let dir = existing_dir();
    let config = load(
        &cli(&[
            "--listen",
            "0.0.0.0:0",
            "--metrics-listen",
            "0.0.0.0:9100",
            "--policy",
            "p.toml",
            "--plugin-dir",
            &dir,
            "--max-events-per-lead",
            "5",
            "--max-batch-size",
            "7",
            "--max-message-bytes",
            "4096",
            "--max-concurrent-requests",
            "3",
            "--decision-threads",
            "6",
            "--log-format",
            "json",
            "--log-level",
            "debug",
            "--shutdown-grace",
            "3",
            "--policy-poll-interval",
            "500ms",
            "--keepalive-interval",
            "off",
            "--keepalive-timeout",
            "5s",
            "--tcp-keepalive",
            "2m",
            "--max-concurrent-streams",
            "10",
            "--max-connection-age",
            "30m",
            "--max-connection-age-grace",
            "1m",
        ]),
        &Env::default(),
    )
    .expect("valid");
    let settings = config.settings;
    assert_eq!(settings.listen.port(), 0);
    assert_eq!(settings.metrics_listen, Some("0.0.0.0:9100".parse().expect("addr")));
    assert_eq!(settings.policy, PathBuf::from("p.toml"));
    assert_eq!(
        settings.limits,
        Limits {
            max_events_per_lead: 5,
            max_batch_size: 7,
            max_message_bytes: 4096,
            max_concurrent_requests: 3,
            decision_threads: 6,
        }
    );
    assert_eq!(settings.log_format, LogFormat::Json);
    assert_eq!(settings.log_level, "debug");
    assert_eq!(settings.shutdown_grace, Duration::from_secs(3));
    assert_eq!(settings.policy_poll, Some(Duration::from_millis(500)));
    assert_eq!(
        settings.transport,
        Transport {
            keepalive_interval: None,
            keepalive_timeout: Duration::from_secs(5),
            tcp_keepalive: Some(Duration::from_secs(120)),
            max_concurrent_streams: 10,
            max_connection_age: Some(Duration::from_secs(1800)),
            max_connection_age_grace: Some(Duration::from_secs(60)),
        }
    );
    assert!(config.sources.iter().all(|s| s.origin == Origin::Flag));
}

#[test]
fn every_variable_is_read() {
    let dir = existing_dir();
    let env = Env::from_pairs([
        ("HQL_LISTEN", "0.0.0.0:1"),
        ("HQL_METRICS_LISTEN", "off"),
        ("HQL_POLICY", "p.toml"),
        ("HQL_PLUGIN_DIR", dir.as_str()),
        ("HQL_LOG_FORMAT", "text"),
        ("HQL_LOG_LEVEL", "warn"),
        ("HQL_SHUTDOWN_GRACE", "250ms"),
        ("HQL_POLICY_POLL_INTERVAL", "off"),
        ("HQL_LIMITS_MAX_MESSAGE_BYTES", "2048"),
        ("HQL_LIMITS_MAX_EVENTS_PER_LEAD", "4"),
        ("HQL_LIMITS_MAX_BATCH_SIZE", "6"),
        ("HQL_LIMITS_MAX_CONCURRENT_REQUESTS", "8"),
        ("HQL_LIMITS_DECISION_THREADS", "5"),
        ("HQL_KEEPALIVE_INTERVAL", "10s"),
        ("HQL_KEEPALIVE_TIMEOUT", "2s"),
        ("HQL_KEEPALIVE_TCP", "off"),
        ("HQL_CONNECTION_MAX_CONCURRENT_STREAMS", "50"),
        ("HQL_CONNECTION_MAX_AGE", "1h"),
        ("HQL_CONNECTION_MAX_AGE_GRACE", "5m"),
    ]);
    let config = load(&Cli::default(), &env).expect("valid");
    for source in &config.sources {
        assert_eq!(source.origin, Origin::Env(source.key.env), "{}", source.key.file);
    }
    let settings = config.settings;
    assert_eq!(settings.metrics_listen, None);
    assert_eq!(settings.log_level, "warn");
    assert_eq!(settings.shutdown_grace, Duration::from_millis(250));
    assert_eq!(settings.policy_poll, None);
    assert_eq!(
        settings.limits,
        Limits {
            max_events_per_lead: 4,
            max_batch_size: 6,
            max_message_bytes: 2048,
            max_concurrent_requests: 8,
            decision_threads: 5,
        }
    );
    assert_eq!(settings.transport.keepalive_interval, Some(Duration::from_secs(10)));
    assert_eq!(settings.transport.tcp_keepalive, None);
    assert_eq!(settings.transport.max_connection_age_grace, Some(Duration::from_secs(300)));
}

#[test]
fn every_file_key_is_read_and_relative_paths_are_relative_to_the_file() {
    let plugins = existing_dir();
    let (dir, path) = config_file(&format!(
        r#"
listen = "0.0.0.0:2"
metrics_listen = "127.0.0.1:0"
policy = "policy.toml"
plugin_dir = "{plugins}"
log_format = "json"
log_level = "hql_server=debug"
shutdown_grace = "45s"
policy_poll_interval = "1s"

[limits]
max_message_bytes = 8192
max_events_per_lead = 3
max_batch_size = 5
max_concurrent_requests = 2
decision_threads = 3

[keepalive]
interval = "off"
timeout = "3s"
tcp = "30s"

[connection]
max_concurrent_streams = 100
max_age = "10m"
max_age_grace = "30s"
"#
    ));
    let config = load(&cli(&["--config", &path]), &Env::default()).expect("valid");
    assert_eq!(config.file.as_deref(), Some(Path::new(&path)));
    for source in &config.sources {
        assert!(matches!(source.origin, Origin::File(_)), "{}: {:?}", source.key.file, source.origin);
    }
    let settings = &config.settings;
    assert_eq!(settings.policy, dir.path().join("policy.toml"));
    assert_eq!(source(&config, "policy").value, dir.path().join("policy.toml").display().to_string());
    assert_eq!(settings.limits.max_batch_size, 5);
    assert_eq!(settings.limits.max_concurrent_requests, 2);
    assert_eq!(settings.limits.decision_threads, 3);
    assert_eq!(settings.shutdown_grace, Duration::from_secs(45));
    assert_eq!(settings.policy_poll, Some(Duration::from_secs(1)));
    assert_eq!(settings.transport.keepalive_interval, None);
    assert_eq!(settings.transport.max_connection_age, Some(Duration::from_secs(600)));
    assert_eq!(
        source(&config, "limits.max_batch_size").origin.describe(&keys::MAX_BATCH_SIZE),
        format!("{path}:14")
    );
}

#[test]
fn a_flag_beats_a_variable_which_beats_the_file_which_beats_the_default() {
    let (_dir, path) = config_file("[limits]\nmax_batch_size = 5\n");
    let file_only = load_with(&["--config", &path], &[]).expect("valid");
    assert_eq!(file_only.settings.limits.max_batch_size, 5);

    let env = [("HQL_LIMITS_MAX_BATCH_SIZE", "7")];
    let with_env = load_with(&["--config", &path], &env).expect("valid");
    assert_eq!(with_env.settings.limits.max_batch_size, 7);
    assert_eq!(source(&with_env, "limits.max_batch_size").origin, Origin::Env("HQL_LIMITS_MAX_BATCH_SIZE"));

    let with_flag = load_with(&["--config", &path, "--max-batch-size", "9"], &env).expect("valid");
    assert_eq!(with_flag.settings.limits.max_batch_size, 9);
    assert_eq!(source(&with_flag, "limits.max_batch_size").origin, Origin::Flag);

    // HQL_CONFIG names the file when --config does not; --config wins.
    let via_env = load_with(&[], &[("HQL_CONFIG", path.as_str())]).expect("valid");
    assert_eq!(via_env.settings.limits.max_batch_size, 5);
    let (_other, other) = config_file("[limits]\nmax_batch_size = 11\n");
    let both = load_with(&["--config", &other], &[("HQL_CONFIG", path.as_str())]).expect("valid");
    assert_eq!(both.settings.limits.max_batch_size, 11);
}

#[test]
fn a_value_overridden_above_is_not_parsed() {
    // The override is how an operator gets past a broken file value.
    let (_dir, path) = config_file("[limits]\nmax_batch_size = \"lots\"\n");
    let config = load_with(&["--config", &path], &[("HQL_LIMITS_MAX_BATCH_SIZE", "7")]).expect("valid");
    assert_eq!(config.settings.limits.max_batch_size, 7);
}

#[test]
fn rust_log_is_the_log_level_when_hql_log_level_is_unset() {
    let from_rust_log = load_with(&[], &[("RUST_LOG", "debug")]).expect("valid");
    assert_eq!(from_rust_log.settings.log_level, "debug");
    assert_eq!(source(&from_rust_log, "log_level").origin, Origin::Env("RUST_LOG"));
    let both = load_with(&[], &[("RUST_LOG", "debug"), ("HQL_LOG_LEVEL", "warn")]).expect("valid");
    assert_eq!(both.settings.log_level, "warn");
    let err = load_with(&[], &[("RUST_LOG", "info,x=loud")]).expect_err("refused");
    assert!(err.to_string().starts_with("RUST_LOG: "), "{err}");
}

#[test]
fn invalid_values_name_the_setting_as_the_operator_wrote_it() {
    let err = load_with(&[], &[("HQL_LIMITS_MAX_BATCH_SIZE", "0")]).expect_err("refused");
    assert_eq!(err.to_string(), "HQL_LIMITS_MAX_BATCH_SIZE: must be at least 1, got 0");

    let (_dir, path) = config_file("listen = \"0.0.0.0:1\"\n\n[limits]\nmax_batch_size = 0\n");
    let err = load_with(&["--config", &path], &[]).expect_err("refused");
    assert_eq!(err.to_string(), format!("{path}:4:18: limits.max_batch_size: must be at least 1, got 0"));

    let (_dir, path) = config_file("shutdown_grace = \"soon\"\n");
    let err = load_with(&["--config", &path], &[]).expect_err("refused");
    assert!(
        err.to_string().starts_with(&format!("{path}:1:18: shutdown_grace: `soon` is not a duration")),
        "{err}"
    );

    let err = load_with(&[], &[("HQL_KEEPALIVE_INTERVAL", "0")]).expect_err("refused");
    assert_eq!(err.to_string(), "HQL_KEEPALIVE_INTERVAL: must be at least 1s, got 0s, or `off`");

    // Flags are refused by clap, with the flag's name.
    let err = Cli::try_parse_from(["hqld", "--max-batch-size", "0"]).expect_err("refused");
    assert!(err.to_string().contains("'--max-batch-size <N>': must be at least 1, got 0"), "{err}");
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn out_of_range_values_are_refused_in_every_layer() {
    let cases: [(&str, &str, &str); 5] = [
        ("max-events-per-lead", "HQL_LIMITS_MAX_EVENTS_PER_LEAD", "0"),
        ("max-batch-size", "HQL_LIMITS_MAX_BATCH_SIZE", "0"),
        ("max-message-bytes", "HQL_LIMITS_MAX_MESSAGE_BYTES", "10"),
        ("max-message-bytes", "HQL_LIMITS_MAX_MESSAGE_BYTES", "99999999999"),
        ("max-concurrent-requests", "HQL_LIMITS_MAX_CONCURRENT_REQUESTS", "0"),
    ];
    for (flag, var, value) in cases {
        let flag_arg = format!("--{flag}");
        let err = Cli::try_parse_from(["hqld", flag_arg.as_str(), value]).expect_err("refused");
        assert!(err.to_string().contains(&format!("'--{flag} <")), "{err}");
        let err = load_with(&[], &[(var, value)]).expect_err("refused");
        assert!(err.to_string().starts_with(&format!("{var}: ")), "{err}");
    }
}

#[test]
fn a_missing_plugin_dir_names_the_setting() {
    let missing = std::env::temp_dir().join("hqld-config-test-no-such-dir").display().to_string();
    let err = load(&cli(&["--plugin-dir", &missing]), &Env::default()).expect_err("refused");
    assert!(err.to_string().starts_with(&format!("--plugin-dir: {missing} is not a directory")), "{err}");
    let err =
        load(&Cli::default(), &Env::from_pairs([("HQL_PLUGIN_DIR", missing.as_str())])).expect_err("refused");
    assert!(err.to_string().starts_with("HQL_PLUGIN_DIR: "), "{err}");
}

#[test]
fn the_plugin_dir_defaults_to_where_the_executable_is() {
    let config = load(&Cli::default(), &Env::default()).expect("valid");
    let exe = std::env::current_exe().expect("current exe");
    assert_eq!(Some(config.settings.plugin_dir.as_path()), exe.parent());
}

#[test]
fn config_file_problems_are_refused() {
    let err = load_with(&["--config", "/nonexistent/hqld.toml"], &[]).expect_err("refused");
    assert!(err.to_string().starts_with("cannot read config file /nonexistent/hqld.toml: "), "{err}");
    let (_dir, path) = config_file("[limits]\nmax_evnts = 3\n");
    let err = load_with(&["--config", &path], &[]).expect_err("refused");
    assert!(err.to_string().starts_with(&format!("{path}:2:1: unknown key limits.max_evnts")), "{err}");
    let err = load_with(&[], &[("HQL_CONFIG", "")]).expect_err("refused");
    assert_eq!(err.to_string(), "HQL_CONFIG: is empty");
}

#[test]
fn unknown_variables_are_refused_before_anything_else() {
    let err = load_with(&["--max-batch-size", "3"], &[("HQL_MAX_BATCH_SIZE", "3")]).expect_err("refused");
    assert!(
        err.to_string()
            .starts_with("HQL_MAX_BATCH_SIZE: unknown variable (did you mean HQL_LIMITS_MAX_BATCH_SIZE?)"),
        "{err}"
    );
}

#[test]
fn sources_print_key_value_and_layer() {
    let config = load_with(&["--max-batch-size", "9"], &[]).expect("valid");
    let line = source(&config, "limits.max_batch_size").to_string();
    assert!(line.starts_with("limits.max_batch_size"), "{line}");
    assert!(line.contains("= 9 "), "{line}");
    assert!(line.ends_with("(--max-batch-size)"), "{line}");
    let line = source(&config, "shutdown_grace").to_string();
    assert!(line.contains("= 30s "), "{line}");
    assert!(line.ends_with("(default)"), "{line}");
}

#[test]
fn the_help_names_every_variable_and_default() {
    let defaults = load_with(&[], &[]).expect("valid");
    let command = Cli::command();
    for key in keys::ALL {
        let arg = command
            .get_arguments()
            .find(|arg| arg.get_long() == Some(key.flag))
            .unwrap_or_else(|| panic!("--{} exists", key.flag));
        let help = arg.get_help().expect("documented").to_string();
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(help.contains(&format!("[env: {}", key.env)), "--{}: {help}", key.flag);
        if key == keys::DECISION_THREADS {
            // Depends on the machine's cores; the help says how.
            assert!(help.contains("[default: 1 per core, at least 2]"), "--{}: {help}", key.flag);
        } else if key != keys::PLUGIN_DIR {
            let default = &source(&defaults, key.file).value;
            assert!(help.contains(&format!("[default: {default}]")), "--{}: {help}", key.flag);
        }
    }
}

#[test]
fn the_operations_guide_lists_every_setting() {
    let guide = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/operations.md");
    let text = std::fs::read_to_string(&guide).expect("docs/operations.md");
    for key in keys::ALL {
        for name in [format!("`{}`", key.file), format!("`{}`", key.env), format!("`--{}", key.flag)] {
            assert!(text.contains(&name), "docs/operations.md does not mention {name}");
        }
    }
    assert!(text.contains("`HQL_CONFIG`"));
    assert!(text.contains("`--check-config`"));
}

#[test]
fn the_kubernetes_config_sets_every_key() {
    // deploy/base/hqld.toml is the example operators copy: it shows them all.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/base/hqld.toml");
    let text = std::fs::read_to_string(&path).expect("deploy/base/hqld.toml");
    let file = file::ConfigFile::parse(&path, &text).expect("valid");
    for key in keys::ALL {
        assert!(file.get(&key).is_some(), "deploy/base/hqld.toml does not set {}", key.file);
    }
}
