//! The in-process pipeline per lead: the five bundled scorers loaded from
//! shared libraries (the production path, through the C ABI) against the same
//! scorers linked statically (direct trait calls), under the default policy.
//!
//! Run: `cargo bench -p hql-benches --bench pipeline`. Results and how to read
//! them: docs/performance.md.

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hql_benches::leads::{AS_OF_MS, generate};
use hql_qualifier::{Engine, LoadOptions, ScorerSource};

/// The allocator `hqld` runs with (see `hql_server::memory`), so these
/// figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LEADS: usize = 256;

fn engines() -> (Engine, Engine) {
    hql_benches::build_plugins().expect("plugins build");
    let dynamic = Engine::load(&LoadOptions {
        policy_path: hql_benches::default_policy(),
        scorers: ScorerSource::PluginDir(hql_benches::artifact_dir()),
    })
    .expect("default policy loads with the plugin libraries");
    let statics = common::static_scorers();
    let fixed = Engine::load(&LoadOptions { policy_path: hql_benches::default_policy(), scorers: statics })
        .expect("default policy loads with static scorers");
    (dynamic, fixed)
}

fn pipeline(c: &mut Criterion) {
    let (dynamic, fixed) = engines();
    let leads = generate(42, LEADS);
    // Same answers either way (the policy digest differs: it names the
    // libraries). Not under `--profile-time`: benches/instructions.sh (and
    // `perf record` on the benchmark) count or sample the whole process,
    // and the check's decisions, both engines' in the run of either, would
    // be counted with the benchmark's: the more of them, the slower the
    // machine was during the timed profile.
    if !std::env::args().any(|a| a == "--profile-time") {
        common::assert_same_answers(&dynamic, &fixed, &leads, AS_OF_MS);
    }
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function("qualify/dynamic", |b| {
        b.iter(|| {
            i = (i + 1) % LEADS;
            black_box(dynamic.qualify(black_box(&leads[i]), AS_OF_MS))
        })
    });
    group.bench_function("qualify/static", |b| {
        b.iter(|| {
            i = (i + 1) % LEADS;
            black_box(fixed.qualify(black_box(&leads[i]), AS_OF_MS))
        })
    });
    group.bench_function("explain/dynamic", |b| {
        b.iter(|| {
            i = (i + 1) % LEADS;
            black_box(dynamic.explain(black_box(&leads[i]), AS_OF_MS))
        })
    });
    // The answers lent as borrowed parts (`Engine::qualify_with`,
    // `Engine::explain_with`): what `hqld` encodes its answers from, without
    // the owned copies the two above return.
    group.bench_function("qualify_lent/dynamic", |b| {
        b.iter(|| {
            i = (i + 1) % LEADS;
            dynamic.qualify_with(black_box(&leads[i]), AS_OF_MS, |d| black_box(d.top_reasons.len()))
        })
    });
    group.bench_function("explain_lent/dynamic", |b| {
        b.iter(|| {
            i = (i + 1) % LEADS;
            dynamic.explain_with(black_box(&leads[i]), AS_OF_MS, |e| black_box(e.text.len()))
        })
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
