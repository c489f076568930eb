//! `hql-plugin`: tools for scorer plugin authors.
//!
//! ```text
//! hql-plugin check path/to/libmy_scorer.so [--config cfg.toml] [--json]
//! ```
//!
//! Exit status: 0 when the plugin is ready (every rule passed or only
//! warned), 1 when at least one rule is broken, 2 for usage errors (bad
//! arguments, no such library, an unreadable or invalid config file), so a
//! CI step can tell "the plugin is wrong" from "the check was called wrong".
//!
//! This file only parses arguments and maps outcomes to exit statuses; the
//! checking is in the library (`hql_plugin_check::check`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use hql_plugin_check::{PluginConfig, UsageError, check};

/// Tools for HQL scorer plugin authors.
#[derive(Debug, Parser)]
#[command(name = "hql-plugin", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check that a plugin library is ready for hqld: it loads as the server
    /// loads it, declares well-formed names, and behaves on edge-case leads.
    ///
    /// Prints one line per rule (PASS, FAIL with how to fix it, WARN, SKIP,
    /// INFO) and ends with "ready" (exit 0) or "not ready: K rule(s) broken"
    /// (exit 1).
    Check(CheckArgs),
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// The plugin's shared library, e.g. target/release/libhql_my_scorer.so.
    library: PathBuf,
    /// A TOML file whose table is the plugin's config, as `[scorer.config]`
    /// in a policy. Without it the plugin gets `{}`, as from a policy with no
    /// config.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the report as JSON (every problem, no cap) instead of text.
    #[arg(long)]
    json: bool,
}

/// Exit status for usage errors, as for clap's own.
const USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => match run_check(&args) {
            Ok(ready) => ExitCode::from(if ready { 0 } else { 1 }),
            Err(e) => {
                eprintln!("hql-plugin check: {e}");
                ExitCode::from(USAGE)
            }
        },
    }
}

/// Runs the check and prints the report; `Ok(ready)`.
fn run_check(args: &CheckArgs) -> Result<bool, UsageError> {
    let config = match &args.config {
        Some(path) => PluginConfig::from_file(path)?,
        None => PluginConfig::empty(),
    };
    let report = check(&args.library, &config)?;
    let text = if args.json { format!("{}\n", report.to_json()) } else { report.to_text() };
    // A closed stdout (`| head`) is not worth a panic; the exit status still
    // carries the verdict.
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
    Ok(report.ready)
}
