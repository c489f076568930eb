//! `hqld`: builds the configuration and runs the server library.
//!
//! Exit codes: 0 after a signalled shutdown (or a good `--check-config`); 2
//! for an unusable configuration (a flag, variable or file value, the
//! `OTEL_*` variables) or a policy or plugin that fails to load; 1 for
//! anything else (cannot bind, transport failure). Errors are logged and
//! also printed as `hqld: <error>` on stderr, so they show even with
//! logging filtered out.

use std::process::ExitCode;

use clap::Parser;
use hql_server::config::{self, Cli, Config, Env};
use hql_server::otlp::{TraceExport, Traces};
use hql_server::{check, logging, run, shutdown};

/// mimalloc rather than glibc's allocator: why, and what it costs in
/// memory, is in `hql_server::memory`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    hql_server::memory::configure();
    // Usage errors exit 2 with clap's message; --help and --version exit 0.
    let cli = Cli::try_parse().unwrap_or_else(|error| error.exit());
    let (config, traces) = match configure(&cli) {
        Ok(configured) => configured,
        Err(error) => return fail(&error, 2),
    };
    if cli.check_config {
        return check_config(&config, traces.as_ref());
    }

    // Decisions run on tokio's blocking pool (see `service`); its size is
    // `limits.decision_threads` rather than tokio's 512, which under load
    // grew to hundreds of threads, each with its own malloc arena.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(config.settings.limits.decision_threads)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(&error, 1),
    };
    let exporting = match traces.as_ref().map(|export| export.install(runtime.handle())).transpose() {
        Ok(exporting) => exporting,
        Err(error) => return fail(&error, 2),
    };
    let settings = config.settings;
    logging::init(settings.log_format, &settings.log_level, exporting.as_ref().map(Traces::tracer));
    match &traces {
        Some(export) => tracing::info!(%export, "exporting traces"),
        None => {
            tracing::info!("trace export off (no OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER=otlp)")
        }
    }
    let code = runtime.block_on(async {
        let signals = match shutdown::signals() {
            Ok(signals) => signals,
            Err(error) => return fail(&error, 1),
        };
        match run::run(settings, signals).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => fail(&error, error.exit_code()),
        }
    });
    // The exporter's requests run on the runtime: flush before dropping it.
    if let Some(exporting) = exporting {
        exporting.shutdown();
    }
    code
}

/// The configuration from the command line, the environment and the file,
/// and the trace export the `OTEL_*` variables ask for.
fn configure(cli: &Cli) -> Result<(Config, Option<TraceExport>), config::ConfigError> {
    let env = Env::from_process()?;
    let config = config::load(cli, &env)?;
    let traces = TraceExport::from_env(&env)?;
    Ok((config, traces))
}

/// `--check-config`: loads the policy and plugins, prints the summary.
fn check_config(config: &Config, traces: Option<&TraceExport>) -> ExitCode {
    logging::init(config.settings.log_format, &config.settings.log_level, None);
    let engine = match check::load_engine(config) {
        Ok(engine) => engine,
        Err(error) => return fail(&error, 2),
    };
    match check::summary(&mut std::io::stdout().lock(), config, traces, &engine) {
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
