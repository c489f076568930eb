//! One call's work in-process, as a decision thread of `hqld` does it: the
//! encoded request in, protobuf decoding, validation and conversion, the
//! pipeline with the five bundled plugin libraries and the default policy,
//! the encoded answer out (`hql_server::calls`). Against
//! `pipeline/qualify/dynamic` (the pipeline alone, on the generator's
//! records) this is what a call costs beyond the engine, without the
//! transport; the load harness measures the transport.
//!
//! `request/explain` is the same call as Explain, the decision with its
//! whole trail encoded. `request/lead_in` times the way in alone: the request read in place,
//! validated and converted into the engine's lead record (whose text
//! borrows the request). `request/decode` is prost's decoding of the same
//! request into owned messages, which `hqld` no longer does: the reference
//! the in-place reader is measured against.
//!
//! The requests are the load harness's workload (`hql_load::workload`, seed
//! 42: 1,024 leads, about 1.5 kB and 25 events each), so these figures and
//! the harness's describe the same calls.
//!
//! Run: `cargo bench -p hql-server --bench request`. Figures and how to
//! read them: docs/performance.md.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hql_load::workload::{Shape, Workload};
use hql_proto::pb;
use hql_qualifier::{Engine, LoadOptions, ScorerSource};
use hql_server::Limits;
use prost::Message;

/// `hqld`'s allocator, so these figures are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LEADS: usize = 1024;
const BATCH: usize = 100;

fn request(c: &mut Criterion) {
    hql_benches::build_plugins().expect("plugins build");
    let engine = Engine::load(&LoadOptions {
        policy_path: hql_benches::default_policy(),
        scorers: ScorerSource::PluginDir(hql_benches::artifact_dir()),
    })
    .expect("default policy loads with the plugin libraries");
    let limits = Limits::default();
    let workload = Workload::generate(42, LEADS, BATCH, Shape::Attributed);
    for request in workload.single.iter().chain(&workload.batches) {
        let _ = hql_server::calls::qualify(&engine, &limits, request.clone());
    }

    let mut group = c.benchmark_group("request");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function("qualify", |b| {
        b.iter(|| {
            i = (i + 1) % workload.single.len();
            black_box(hql_server::calls::qualify(&engine, &limits, black_box(workload.single[i].clone())))
        })
    });
    // Explain: the same lead, its whole trail encoded (`ExplainRequest`
    // shares `QualifyRequest`'s encoding).
    group.bench_function("explain", |b| {
        b.iter(|| {
            i = (i + 1) % workload.single.len();
            black_box(hql_server::calls::explain(&engine, &limits, black_box(workload.single[i].clone())))
        })
    });
    // The way in alone: prost's decoding (the reference), then the request
    // read in place, validated and converted into the engine's record (what
    // `qualify` does before it decides).
    group.bench_function("decode", |b| {
        b.iter(|| {
            i = (i + 1) % workload.single.len();
            black_box(pb::QualifyRequest::decode(black_box(&workload.single[i][..])))
        })
    });
    group.bench_function("lead_in", |b| {
        b.iter(|| {
            i = (i + 1) % workload.single.len();
            black_box(hql_server::calls::lead_in(&limits, black_box(&workload.single[i][..])))
        })
    });
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut j = 0usize;
    group.bench_function("batch_100", |b| {
        b.iter(|| {
            j = (j + 1) % workload.batches.len();
            black_box(hql_server::calls::qualify_batch(
                &engine,
                &limits,
                black_box(workload.batches[j].clone()),
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, request);
criterion_main!(benches);
