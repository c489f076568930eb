//! `hqld`: builds the configuration and runs the server library.
//!
//! Exit codes: 0 after a signalled shutdown (or a good `--check-config`); 2 for an unusable
//! configuration (a flag, variable or file value) or a policy or plugin
//! that fails to load; 1 for
//! anything else (cannot bind, transport failure). Errors are logged and
//! also printed as `hqld: <error>` on stderr, so they show even with
//! logging filtered out.

use std::process::ExitCode;

use clap::Parser;
use hql_server::config::{self, Cli, Config, Env};
use hql_server::{check, logging, run, shutdown};

fn main() -> ExitCode {
    // Usage errors exit 2 with clap's message; --help and --version exit 0.
    let cli = Cli::try_parse().unwrap_or_else(|error| error.exit());
    let config = match Env::from_process().and_then(|env| config::load(&cli, &env)) {
        Ok(config) => config,
        Err(error) => return fail(&error, 2),
    };
    if cli.check_config {
        return check_config(&config);
    }
    let settings = config.settings;
    logging::init(settings.log_format, &settings.log_level);

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return fail(&error, 1),
    };
    runtime.block_on(async {
        let signals = match shutdown::signals() {
            Ok(signals) => signals,
            Err(error) => return fail(&error, 1),
        };
        match run::run(settings, signals).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => fail(&error, error.exit_code()),
        }
    })
}

/// `--check-config`: loads the policy and plugins, prints the summary.
fn check_config(config: &Config) -> ExitCode {
    logging::init(config.settings.log_format, &config.settings.log_level);
    let engine = match check::load_engine(config) {
        Ok(engine) => engine,
        Err(error) => return fail(&error, 2),
    };
    match check::summary(&mut std::io::stdout().lock(), config, &engine) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error, 1),
    }
}

/// Logs `error`, prints it as `hqld: <error>` on stderr, and gives `code`.
fn fail(error: &dyn std::error::Error, code: u8) -> ExitCode {
    tracing::error!(error = %error, "hqld stopped");
    eprintln!("hqld: {error}");
    ExitCode::from(code)
}
