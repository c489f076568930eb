//! What each bundled scorer costs per lead, called directly through the
//! `Scorer` trait on a lead view built beforehand, with the configuration the
//! default policy gives it. Alongside, what the engine does once per lead
//! for all scorers: laying the lead out as the ABI view, and its decision id
//! (the lead laid out canonically and hashed).
//!
//! Run: `cargo bench -p hql-benches --bench scorers`. Figures and how to read
//! them: docs/performance.md.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hql_benches::leads::{AS_OF_MS, generate};
use hql_plugin_api::view::LeadView;
use hql_plugin_api::{Config, Context, Logger, Scorer};

const LEADS: usize = 256;

/// A policy digest's length and shape (64 hex digits).
const POLICY_DIGEST: &str = "9f2c4e61d0b8a7f35e1c2d9b4a6f8e0c7d3b5a1f9e2c4d6b8a0f1e3d5c7b9a2e";

/// Benchmarks `S` over `views`, configured from `config_json`.
fn scorer<S: Scorer>(c: &mut Criterion, views: &[LeadView<'_>], config_json: &str) {
    let logger = Logger::discard();
    let scorer = S::configure(&Config::new(config_json, logger.clone())).expect("default config is valid");
    let mut group = c.benchmark_group("scorer");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function(S::NAME, |b| {
        b.iter(|| {
            i = (i + 1) % views.len();
            let view = &views[i];
            let ctx = Context::new(AS_OF_MS, view.future_events_hidden(), &logger);
            black_box(scorer.score(black_box(&view.lead()), &ctx))
        })
    });
    group.finish();
}

fn scorers(c: &mut Criterion) {
    let leads = generate(42, LEADS);
    let mut group = c.benchmark_group("lead");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function("view", |b| {
        b.iter(|| {
            i = (i + 1) % leads.len();
            black_box(LeadView::new(black_box(&leads[i]), AS_OF_MS)).future_events_hidden()
        })
    });
    group.bench_function("decision_id", |b| {
        b.iter(|| {
            i = (i + 1) % leads.len();
            black_box(hql_qualifier::digest::decision_id(black_box(&leads[i]), POLICY_DIGEST, AS_OF_MS))
        })
    });
    group.finish();

    let views: Vec<LeadView<'_>> = leads.iter().map(|l| LeadView::new(l, AS_OF_MS)).collect();
    // The configs of policies/default.toml.
    scorer::<hql_icp_fit::IcpFitScorer>(c, &views, "{}");
    scorer::<hql_bant::BantScorer>(c, &views, r#"{"typical_deal_size": 25000}"#);
    scorer::<hql_intent::IntentScorer>(c, &views, r#"{"bottom_funnel_window_days": 90}"#);
    scorer::<hql_trust_nurture::TrustNurtureScorer>(c, &views, "{}");
    scorer::<hql_product_usage::ProductUsageScorer>(c, &views, "{}");
}

criterion_group!(benches, scorers);
criterion_main!(benches);
