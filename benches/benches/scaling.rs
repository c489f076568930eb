//! How the cost of one decision grows with the lead and with the policy:
//! events per lead (10, 100, 1,000, 10,000) under the default policy, and
//! scorers per policy (the five bundled ones, then each twice and four
//! times: 5, 10, 20) on the usual 10-40-event leads. Plugins are loaded
//! dynamically, as in production.
//!
//! Run: `cargo bench -p hql-benches --bench scaling`, then
//! `cargo run --release -p hql-benches --bin scaling-plot` to turn
//! criterion's estimates into `docs/scaling.svg`. Figures:
//! docs/performance.md.

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hql_benches::leads::{AS_OF_MS, generate};
use hql_plugin_api::record::LeadRecord;
use hql_qualifier::{Engine, LoadOptions, ScorerSource};

/// The allocator `hqld` runs with (see `hql_server::memory`), so these
/// figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LEADS: usize = 64;
const DAY: i64 = 86_400_000;

fn engine(policy: &Path) -> Engine {
    Engine::load(&LoadOptions {
        policy_path: policy.to_path_buf(),
        scorers: ScorerSource::PluginDir(hql_benches::artifact_dir()),
    })
    .expect("the policy loads with the plugin libraries")
}

/// `lead` with its events repeated (each copy a day older, never after
/// as_of) until it has `n`.
fn with_events(lead: &LeadRecord, n: usize) -> LeadRecord {
    let mut out = lead.clone();
    let base = lead.events.clone();
    out.events.clear();
    let mut copy = 0i64;
    while out.events.len() < n {
        for e in &base {
            if out.events.len() == n {
                break;
            }
            let mut e = e.clone();
            e.occurred_at -= copy * DAY;
            out.events.push(e);
        }
        copy += 1;
    }
    out
}

/// The default policy with each of its scorers `copies` times (ids
/// `<id>_2`, `<id>_3`...; the gates keep naming the first copy).
fn policy_with_copies(copies: usize) -> String {
    let text = std::fs::read_to_string(hql_benches::default_policy()).expect("default policy");
    let start = text.find("\n[[scorer]]").expect("scorers");
    let end = text.find("\n[[stage]]").expect("stages");
    let scorers = &text[start..end];
    let mut extra = String::new();
    for copy in 2..=copies {
        for block in scorers.split("\n[[scorer]]").filter(|b| !b.trim().is_empty()) {
            let id_line = block.lines().find(|l| l.starts_with("id = ")).expect("an id");
            let id = id_line.trim_start_matches("id = ").trim_matches('"');
            let renamed = block.replacen(id_line, &format!("id = \"{id}_{copy}\""), 1);
            extra.push_str("\n[[scorer]]");
            extra.push_str(&renamed);
        }
    }
    format!("{}{}{}", &text[..end], extra, &text[end..])
}

fn scaling(c: &mut Criterion) {
    hql_benches::build_plugins().expect("plugins build");
    let leads = generate(42, LEADS);

    let default = engine(&hql_benches::default_policy());
    let mut group = c.benchmark_group("scaling_events");
    group.throughput(Throughput::Elements(1));
    for n in [10usize, 100, 1_000, 10_000] {
        let sized: Vec<LeadRecord> = leads.iter().map(|l| with_events(l, n)).collect();
        let mut i = 0usize;
        group.bench_with_input(BenchmarkId::from_parameter(n), &sized, |b, sized| {
            b.iter(|| {
                i = (i + 1) % sized.len();
                black_box(default.qualify(black_box(&sized[i]), AS_OF_MS))
            })
        });
    }
    group.finish();

    let dir = tempfile::tempdir().expect("tempdir");
    let mut group = c.benchmark_group("scaling_scorers");
    group.throughput(Throughput::Elements(1));
    for copies in [1usize, 2, 4] {
        let path = dir.path().join(format!("policy-{copies}.toml"));
        std::fs::write(&path, policy_with_copies(copies)).expect("write the policy");
        let engine = engine(&path);
        let scorers = engine.scorers().len();
        assert_eq!(scorers, 5 * copies);
        let mut i = 0usize;
        group.bench_with_input(BenchmarkId::from_parameter(scorers), &leads, |b, leads| {
            b.iter(|| {
                i = (i + 1) % leads.len();
                black_box(engine.qualify(black_box(&leads[i]), AS_OF_MS))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, scaling);
criterion_main!(benches);
