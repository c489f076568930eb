//! Heap allocations per decision: a deterministic figure, unlike time on a
//! shared machine, so a change that adds allocations on the request path
//! shows up here even when the timing noise hides it.
//!
//! Run: `cargo bench -p hql-benches --bench allocations`. A counting global
//! allocator sees every allocation of this process: everything with the
//! scorers linked statically, and the host's side (the pipeline, the copy of
//! each plugin's output, the decision) with the scorers loaded from their
//! shared libraries, which allocate through their own allocator. Results and
//! how to read them: docs/performance.md.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use hql_benches::leads::{AS_OF_MS, generate};
use hql_plugin_api::view::LeadView;
use hql_plugin_api::{Config, Context, Logger, Scorer};
use hql_qualifier::{Engine, LoadOptions, ScorerSource};

/// The system allocator, counting calls and bytes.
struct Counting;

static CALLS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded to `System` unchanged; the counters are
// plain relaxed atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        CALLS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const LEADS: usize = 256;
const ROUNDS: usize = 8;

fn engine(scorers: ScorerSource) -> Engine {
    Engine::load(&LoadOptions { policy_path: hql_benches::default_policy(), scorers })
        .expect("default policy loads")
}

/// Allocations and bytes per item over `ROUNDS` passes, after one pass to
/// warm the per-thread buffer pools.
fn per_item<T>(items: &[T], run: impl Fn(&T)) -> (f64, f64) {
    items.iter().for_each(&run);
    let (calls, bytes) = (CALLS.load(Ordering::Relaxed), BYTES.load(Ordering::Relaxed));
    for _ in 0..ROUNDS {
        items.iter().for_each(&run);
    }
    let n = (items.len() * ROUNDS) as f64;
    ((CALLS.load(Ordering::Relaxed) - calls) as f64 / n, (BYTES.load(Ordering::Relaxed) - bytes) as f64 / n)
}

/// What scorer `S` allocates per lead on its own: called directly on lead
/// views built beforehand, with the default policy's `config_json`, its
/// score recycled afterwards as the SDK does once the host has copied it.
/// Inside a plugin library these allocations go to the library's allocator.
fn scorer<S: Scorer>(views: &[LeadView<'_>], config_json: &str) -> (&'static str, (f64, f64)) {
    let logger = Logger::discard();
    let scorer = S::configure(&Config::new(config_json, logger.clone())).expect("default config is valid");
    let counted = per_item(views, |view| {
        let ctx = Context::new(AS_OF_MS, view.future_events_hidden(), &logger);
        if let Ok(score) = scorer.score(&view.lead(), &ctx) {
            score.recycle();
        }
    });
    (S::NAME, counted)
}

fn main() {
    hql_benches::build_plugins().expect("plugins build");
    let dynamic = engine(ScorerSource::PluginDir(hql_benches::artifact_dir()));
    let fixed = engine(common::static_scorers());
    println!("| what | counted | allocations per lead | bytes per lead |");
    println!("| --- | --- | ---: | ---: |");
    let leads = generate(42, LEADS);
    // `qualify_with` lends the decision as borrowed parts, as `hqld` encodes
    // its answers from it; `qualify` copies it into an owned `Decision`.
    let lent = |engine: &Engine, l: &hql_qualifier::LeadRecord| {
        engine.qualify_with(l, AS_OF_MS, |decision| drop(std::hint::black_box(decision)))
    };
    // `explain_with` lends the explanation likewise.
    let lent_explanation = |engine: &Engine, l: &hql_qualifier::LeadRecord| {
        engine.explain_with(l, AS_OF_MS, |explanation| {
            std::hint::black_box(explanation);
        })
    };
    let rows: [(&str, &str, (f64, f64)); 8] = [
        ("qualify, static scorers", "everything", per_item(&leads, |l| drop(fixed.qualify(l, AS_OF_MS)))),
        (
            "qualify_with (lent, as hqld encodes), static scorers",
            "everything",
            per_item(&leads, |l| lent(&fixed, l)),
        ),
        ("explain, static scorers", "everything", per_item(&leads, |l| drop(fixed.explain(l, AS_OF_MS)))),
        (
            "explain_with (lent, as hqld encodes), static scorers",
            "everything",
            per_item(&leads, |l| lent_explanation(&fixed, l)),
        ),
        ("qualify, plugin libraries", "host side", per_item(&leads, |l| drop(dynamic.qualify(l, AS_OF_MS)))),
        ("qualify_with (lent), plugin libraries", "host side", per_item(&leads, |l| lent(&dynamic, l))),
        ("explain, plugin libraries", "host side", per_item(&leads, |l| drop(dynamic.explain(l, AS_OF_MS)))),
        (
            "explain_with (lent), plugin libraries",
            "host side",
            per_item(&leads, |l| lent_explanation(&dynamic, l)),
        ),
    ];
    for (what, counted, (calls, bytes)) in rows {
        println!("| {what} | {counted} | {calls:.1} | {bytes:.0} |");
    }
    // The configs of policies/default.toml.
    let views: Vec<LeadView<'_>> = leads.iter().map(|l| LeadView::new(l, AS_OF_MS)).collect();
    let scorers = [
        scorer::<hql_icp_fit::IcpFitScorer>(&views, "{}"),
        scorer::<hql_bant::BantScorer>(&views, r#"{"typical_deal_size": 25000}"#),
        scorer::<hql_intent::IntentScorer>(&views, r#"{"bottom_funnel_window_days": 90}"#),
        scorer::<hql_trust_nurture::TrustNurtureScorer>(&views, "{}"),
        scorer::<hql_product_usage::ProductUsageScorer>(&views, "{}"),
    ];
    for (name, (calls, bytes)) in scorers {
        println!("| scorer `{name}`, called directly | its own | {calls:.1} | {bytes:.0} |");
    }
}
