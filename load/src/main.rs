//! `hql-load`: parses the command line and runs the harness library.
//!
//! Exit codes: 0 when every call succeeded; 1 when the run finished but
//! some calls failed (the report says which codes), since a load figure
//! measured with errors is not a figure of the service; 2 when the harness
//! could not run (a server that does not start, a bad flag).

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use hql_load::cli::{Cli, Command, CompareArgs, FloorArgs, RunArgs};
use hql_load::compare::{self, ComparePlan};
use hql_load::driver::{self, Target};
use hql_load::floor::{self, Answers, Floor};
use hql_load::report::RunReport;
use hql_load::scrape::MetricsUrl;
use hql_load::workload::{Workload, WorkloadSizes};
use hql_load::{LoadError, table};
use tokio::runtime::Runtime;

fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Run(args) => run(&args),
        Command::Floor(args) => serve_floor(&args).map(|()| 0),
        Command::Compare(args) => run_compare(&args),
    };
    match outcome {
        Ok(0) => ExitCode::SUCCESS,
        Ok(errors) => {
            eprintln!("hql-load: {errors} calls failed (see the errors column)");
            ExitCode::from(1)
        }
        Err(error) => {
            eprintln!("hql-load: {error}");
            ExitCode::from(2)
        }
    }
}

/// The client's runtime: one worker per core unless told otherwise.
fn client_runtime(threads: Option<usize>) -> Result<Runtime, LoadError> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = threads {
        builder.worker_threads(threads.max(1));
    }
    Ok(builder.enable_all().build()?)
}

/// What `run --json` prints.
#[derive(serde::Serialize)]
struct RunOutput<'a> {
    seed: u64,
    workload: WorkloadSizes,
    report: &'a RunReport,
}

fn run(args: &RunArgs) -> Result<u64, LoadError> {
    let runtime = client_runtime(args.load.client_threads)?;
    let started = args.hqld.command().map(|hqld| hqld.start()).transpose()?;
    let target = match &started {
        Some(server) => compare::hqld_target(server),
        None => Target {
            label: "target".into(),
            url: args.target.clone().unwrap_or_default(),
            pid: args.server_pid,
            metrics: args.server_metrics.as_deref().map(MetricsUrl::parse).transpose()?,
        },
    };
    let load = &args.load;
    let workload = Arc::new(Workload::generate(load.seed, load.leads, load.batch_size, load.shape));
    let sizes = workload.sizes();
    let spec = load.spec(args.mode, args.rate);
    let report = runtime.block_on(driver::run(&target, &spec, workload))?;
    let mut stdout = std::io::stdout().lock();
    if load.json {
        serde_json::to_writer_pretty(
            &mut stdout,
            &RunOutput { seed: load.seed, workload: sizes, report: &report },
        )?;
        writeln!(stdout)?;
    } else {
        writeln!(
            stdout,
            "workload: {} {} leads (seed {}), {:.1} events and {:.0} B encoded per lead on average",
            sizes.leads,
            sizes.shape.as_str(),
            load.seed,
            sizes.mean_events,
            sizes.mean_lead_bytes
        )?;
        write!(stdout, "{}", report.to_text())?;
    }
    Ok(report.error_total)
}

fn serve_floor(args: &FloorArgs) -> Result<(), LoadError> {
    // The same runtime as hqld's (`Runtime::new`: one worker per core).
    let runtime = Runtime::new()?;
    runtime.block_on(async {
        let workload = Workload::generate(args.seed, args.leads, 1, args.shape);
        let answers = Answers::capture(&args.capture_from, &workload).await?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|source| LoadError::Bind { addr: args.listen, source })?;
        let addr = listener.local_addr()?;
        eprintln!("floor: replaying {} answers captured from {}", answers.len(), args.capture_from);
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}{addr}", floor::LISTENING_PREFIX)?;
        stdout.flush()?;
        drop(stdout);
        floor::serve(listener, Floor::new(answers)).await
    })
}

/// What `compare --json` prints: the comparison and the targets judged
/// from it.
#[derive(serde::Serialize)]
struct CompareJson<'a> {
    #[serde(flatten)]
    comparison: &'a hql_load::compare::Comparison,
    targets: Vec<hql_load::targets::Verdict>,
}

fn run_compare(args: &CompareArgs) -> Result<u64, LoadError> {
    let hqld = args.hqld.command().ok_or_else(|| LoadError::Usage("compare needs --hqld PATH".into()))?;
    let load = &args.load;
    let plan = ComparePlan {
        hqld,
        modes: args.modes.clone(),
        spec: load.spec(hql_load::spec::Mode::Unary, None),
        half_peak: !args.no_half_peak,
        seed: load.seed,
        leads: load.leads,
        shape: load.shape,
        batch_size: load.batch_size,
        rounds: usize::from(args.rounds),
    };
    let runtime = client_runtime(load.client_threads)?;
    let json = load.json;
    let comparison = compare::compare(&plan, &runtime, |report| {
        if !json {
            eprint!("{}", report.to_text());
        }
    })?;
    let mut stdout = std::io::stdout().lock();
    if json {
        let targets = hql_load::targets::assess(&comparison);
        serde_json::to_writer_pretty(&mut stdout, &CompareJson { comparison: &comparison, targets })?;
        writeln!(stdout)?;
    } else {
        write!(stdout, "{}", table::render(&comparison))?;
    }
    Ok(comparison.error_total())
}
