//! What dynamic loading costs, timed in pairs: the default policy's
//! decision with the five bundled scorers loaded from their shared
//! libraries against the same scorers linked statically, a pass over the
//! same leads each, back to back, many times.
//!
//! Run: `cargo bench -p hql-benches --bench overhead` (`HQL_OVERHEAD_ROUNDS`,
//! default 1,000 pairs of passes over 256 leads, about 7 s). Results and how to
//! read them: docs/performance.md.
//!
//! The pipeline benchmark times the two one after the other, several
//! seconds apart, and on a shared machine the ratio of those two figures
//! moved from -7 % to +38 % between runs of one build. Here each dynamic
//! pass has a static pass beside it (in alternating order, so neither
//! always goes first), and what is reported is the median of the pairs'
//! ratios: whatever the machine does over seconds, it does to both halves
//! of a pair alike. The counted figure beside it is
//! `benches/instructions.sh overhead`.

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use hql_benches::leads::{AS_OF_MS, generate};
use hql_qualifier::{Engine, LeadRecord, LoadOptions, ScorerSource};

/// The allocator `hqld` runs with (see `hql_server::memory`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LEADS: usize = 256;

fn engine(scorers: ScorerSource) -> Engine {
    Engine::load(&LoadOptions { policy_path: hql_benches::default_policy(), scorers })
        .expect("the default policy loads")
}

/// One pass: every lead decided once, as `Engine::qualify` returns it.
fn pass(engine: &Engine, leads: &[LeadRecord]) -> Duration {
    let started = Instant::now();
    for lead in leads {
        black_box(engine.qualify(black_box(lead), AS_OF_MS));
    }
    started.elapsed()
}

/// The `q`-quantile of sorted `values` (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let at = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[at]
}

fn main() {
    // `cargo bench` passes `--bench`; without it (a test run of the
    // target) a few rounds show that it works.
    let measuring = std::env::args().any(|a| a == "--bench");
    let rounds: usize = match std::env::var("HQL_OVERHEAD_ROUNDS") {
        Ok(n) => n.parse().ok().filter(|n| *n > 0).expect("HQL_OVERHEAD_ROUNDS is a whole number above 0"),
        Err(_) if measuring => 1_000,
        Err(_) => 4,
    };
    hql_benches::build_plugins().expect("plugins build");
    let dynamic = engine(ScorerSource::PluginDir(hql_benches::artifact_dir()));
    let fixed = engine(common::static_scorers());
    let leads = generate(42, LEADS);
    common::assert_same_answers(&dynamic, &fixed, &leads, AS_OF_MS);
    // Warm both (the libraries' pools, the caches) before the first pair.
    for _ in 0..20.min(rounds) {
        pass(&dynamic, &leads);
        pass(&fixed, &leads);
    }

    let per_lead = |d: Duration| d.as_secs_f64() * 1e6 / LEADS as f64;
    let (mut dynamic_us, mut static_us, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (d, s) = if round % 2 == 0 {
            let d = pass(&dynamic, &leads);
            (d, pass(&fixed, &leads))
        } else {
            let s = pass(&fixed, &leads);
            (pass(&dynamic, &leads), s)
        };
        dynamic_us.push(per_lead(d));
        static_us.push(per_lead(s));
        ratios.push(d.as_secs_f64() / s.as_secs_f64());
    }
    for list in [&mut dynamic_us, &mut static_us, &mut ratios] {
        list.sort_by(f64::total_cmp);
    }
    let overhead = |r: f64| (r - 1.0) * 100.0;
    println!("pipeline/qualify, {rounds} pairs of passes over {LEADS} leads, per lead (median, P10-P90):");
    println!(
        "  dynamic {:.2} us ({:.2}-{:.2}), static {:.2} us ({:.2}-{:.2})",
        quantile(&dynamic_us, 0.5),
        quantile(&dynamic_us, 0.1),
        quantile(&dynamic_us, 0.9),
        quantile(&static_us, 0.5),
        quantile(&static_us, 0.1),
        quantile(&static_us, 0.9),
    );
    println!(
        "  dynamic-plugin overhead, median of the pairs: {:+.1} % (P10 {:+.1} %, P90 {:+.1} %)",
        overhead(quantile(&ratios, 0.5)),
        overhead(quantile(&ratios, 0.1)),
        overhead(quantile(&ratios, 0.9)),
    );
}
