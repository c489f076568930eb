//! How a policy sorts a deterministic synthetic population: counts per stage,
//! per persona, and the disqualifiers that fired.
//!
//! ```sh
//! cargo run --release -p hql-benches --bin stage-distribution -- --leads 10000 --seed 42
//! ```
//!
//! The leads come from `hql_benches::leads` (fixed seed, the domain's funnel
//! mix), are decided by the real engine with the scorer plugins loaded from
//! their shared libraries, as `hqld` would, under `--policy` (default: the
//! shipped policy), at the generator's fixed `as_of`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use hql_benches::leads::{AS_OF_MS, Persona, generate_with_personas};
use hql_qualifier::{Engine, LoadOptions, ScorerSource, Stage};

const STAGES: [Stage; 6] =
    [Stage::Disqualified, Stage::Unqualified, Stage::Mql, Stage::Sql, Stage::Pql, Stage::Hql];
const PERSONAS: [Persona; 6] = [
    Persona::Reader,
    Persona::Evaluator,
    Persona::Buyer,
    Persona::TrialUser,
    Persona::Nurtured,
    Persona::Excluded,
];

struct Args {
    leads: usize,
    seed: u64,
    policy: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { leads: 10_000, seed: 42, policy: hql_benches::default_policy() };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--leads" => args.leads = value()?.parse().map_err(|e| format!("--leads: {e}"))?,
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--policy" => args.policy = PathBuf::from(value()?),
            "-h" | "--help" => {
                return Err("usage: stage-distribution [--leads N] [--seed S] [--policy FILE]".into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    if let Err(message) = hql_benches::build_plugins() {
        eprintln!("stage-distribution: {message}");
        return ExitCode::FAILURE;
    }
    let options = LoadOptions {
        policy_path: args.policy,
        scorers: ScorerSource::PluginDir(hql_benches::artifact_dir()),
    };
    let engine = match Engine::load(&options) {
        Ok(engine) => engine,
        Err(error) => {
            eprintln!("stage-distribution: {error}");
            return ExitCode::from(2);
        }
    };

    let population = generate_with_personas(args.seed, args.leads);
    let mut by_stage: BTreeMap<Stage, usize> = BTreeMap::new();
    let mut by_persona: BTreeMap<(String, Stage), usize> = BTreeMap::new();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut degraded = 0usize;
    for (persona, lead) in &population {
        let decision = engine.qualify(lead, AS_OF_MS);
        *by_stage.entry(decision.stage).or_default() += 1;
        *by_persona.entry((format!("{persona:?}"), decision.stage)).or_default() += 1;
        for d in &decision.disqualifications {
            *codes.entry(d.code.clone()).or_default() += 1;
        }
        degraded += usize::from(decision.degraded);
    }

    let policy = engine.policy();
    println!(
        "{} leads, seed {}, policy {} {} ({}), as_of {} ms\n",
        args.leads,
        args.seed,
        policy.name,
        policy.version,
        &policy.digest[..12],
        AS_OF_MS
    );
    println!("| Stage | Leads | Share |\n| --- | ---: | ---: |");
    for stage in STAGES {
        let n = by_stage.get(&stage).copied().unwrap_or(0);
        println!("| {} | {n} | {:.1} % |", stage.as_str(), 100.0 * n as f64 / args.leads.max(1) as f64);
    }
    println!("\nDegraded decisions: {degraded}\n");

    print!("| Persona | Leads |");
    for stage in STAGES {
        print!(" {} |", stage.as_str());
    }
    print!("\n| --- | ---: |");
    for _ in STAGES {
        print!(" ---: |");
    }
    println!();
    for persona in PERSONAS {
        let name = format!("{persona:?}");
        let counts: Vec<usize> =
            STAGES.iter().map(|s| by_persona.get(&(name.clone(), *s)).copied().unwrap_or(0)).collect();
        print!("| {name} | {} |", counts.iter().sum::<usize>());
        for n in counts {
            print!(" {n} |");
        }
        println!();
    }

    println!("\n| Disqualifier | Leads |\n| --- | ---: |");
    for (code, n) in &codes {
        println!("| `{code}` | {n} |");
    }
    ExitCode::SUCCESS
}
