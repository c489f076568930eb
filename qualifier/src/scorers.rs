//! A policy's scorer slots: one configured scorer instance each, dynamic (a
//! loaded library, called through the C ABI) or static (linked in, called
//! through the SDK trait), run with isolation.
//!
//! Isolation here means: a scorer that errors or panics yields a FAILED
//! outcome for that decision and nothing else (the SDK catches panics at the
//! ABI boundary; static scorers are wrapped in `catch_unwind` here), and a
//! scorer's output is checked against what it declared before anyone uses it
//! (finite score clamped to 0–100, declared facts of the declared kind,
//! declared disqualifier codes). A misbehaving plugin can lower the quality of
//! its own contribution, never corrupt a decision.
//!
//! Each call is timed (one `Instant`) and counted through the slot's
//! `ScorerMetrics`, registered when the policy loads: latency, and failures
//! by [`FailureReason`], which is known here and nowhere else.
//!
//! Slowness and repeated failure are contained by the policy's
//! [`Isolation`] limits, on the calling thread (no hand-off): a call that
//! returns after its time budget is TIMED_OUT and its output discarded; the
//! slot's circuit breaker (`breaker`) skips the scorer (SKIPPED)
//! after consecutive failures or time-outs; and the call is registered with
//! the [`crate::watchdog`] while it runs, so one that never returns is seen.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use hql_plugin_api::host::{AbiInstance, CallError, Wanted};
use hql_plugin_api::view::LeadView;
use hql_plugin_api::{Config, Context, DynScorer, FactSpec, Level, LogSink, Logger, NativeScorer, ReasonBar};

use crate::breaker::{Admission, Breaker, Transition};
use crate::clock;
use crate::decision::ScorerStatus;
use crate::error::{LoadError, PolicyError};
use crate::metrics::{FailureReason, ScorerMetrics};
use crate::output::ScorerOutput;
use crate::plugin::{self, PluginSpec};
use crate::policy::{Isolation, Policy};
use crate::watchdog;

/// Routes a plugin's log lines into `tracing`, tagged with the scorer id.
struct TracingSink {
    scorer: String,
}

impl LogSink for TracingSink {
    fn enabled(&self, level: Level) -> bool {
        match level {
            Level::Error => tracing::enabled!(target: "hql::plugin", tracing::Level::ERROR),
            Level::Warn => tracing::enabled!(target: "hql::plugin", tracing::Level::WARN),
            Level::Info => tracing::enabled!(target: "hql::plugin", tracing::Level::INFO),
            Level::Debug => tracing::enabled!(target: "hql::plugin", tracing::Level::DEBUG),
            Level::Trace => tracing::enabled!(target: "hql::plugin", tracing::Level::TRACE),
        }
    }

    fn log(&self, level: Level, message: &str) {
        let scorer = self.scorer.as_str();
        match level {
            Level::Error => tracing::error!(target: "hql::plugin", scorer, "{message}"),
            Level::Warn => tracing::warn!(target: "hql::plugin", scorer, "{message}"),
            Level::Info => tracing::info!(target: "hql::plugin", scorer, "{message}"),
            Level::Debug => tracing::debug!(target: "hql::plugin", scorer, "{message}"),
            Level::Trace => tracing::trace!(target: "hql::plugin", scorer, "{message}"),
        }
    }
}

enum Backend {
    /// Loaded from a shared library, called through the C ABI.
    Abi(AbiInstance),
    /// Linked in, called through the SDK trait; with the facts it declares.
    Native(Box<dyn DynScorer>, Logger, &'static [FactSpec]),
}

/// One configured scorer of a policy.
pub(crate) struct Slot {
    pub(crate) id: String,
    pub(crate) spec: PluginSpec,
    pub(crate) library_file: String,
    pub(crate) library_sha256: String,
    pub(crate) dimension: String,
    /// Normalised: all slots' weights sum to 1.
    pub(crate) weight: f64,
    pub(crate) required: bool,
    pub(crate) isolation: Isolation,
    backend: Backend,
    metrics: ScorerMetrics,
    breaker: Breaker,
    /// This scorer's key with the watchdog.
    watch_key: u32,
    /// The facts of this scorer the policy's gates read, as the mask a
    /// plugin is given ([`Wanted::facts`]): all a decision needs of its
    /// facts (set once the policy is resolved).
    pub(crate) gate_facts: u64,
}

/// What one scorer produced for one lead, already checked.
pub(crate) struct Outcome {
    pub(crate) status: ScorerStatus,
    pub(crate) score: ScorerOutput,
    pub(crate) error: String,
    pub(crate) warnings: Vec<String>,
}

/// How the SDK words a panic it caught inside a plugin library, which then
/// reaches the host as an ordinary failure (`hql_plugin_api::export`).
const SDK_PANIC_PREFIX: &str = "scorer panicked";

impl Slot {
    /// Runs the scorer on `view`, within its isolation limits; never panics,
    /// never fails the decision.
    ///
    /// `decision`: what a decision needs and no more is copied from a plugin
    /// library: under the view's reason limit, reasons whose product
    /// (|points| × weight) exceeds `beat` (below zero: any), and only the
    /// facts the gates read (see `hql_plugin_api::host::Wanted`). `None`:
    /// everything, for an explanation.
    pub(crate) fn run(&self, view: &LeadView<'_>, decision: Option<f64>) -> Outcome {
        let started = Instant::now();
        let start_ns = clock::nanos(started);
        if let Admission::Skip { failures, retry_in } = self.breaker.admit(start_ns) {
            self.metrics.skipped();
            return Outcome {
                status: ScorerStatus::Skipped,
                score: ScorerOutput::Empty,
                error: format!(
                    "circuit breaker open after {failures} consecutive failures or time-outs; \
                     next trial call in {} ms",
                    retry_in.as_millis()
                ),
                warnings: Vec::new(),
            };
        }
        let raw = {
            let _in_call = watchdog::enter(self.watch_key, start_ns);
            self.call(view, decision)
        };
        let elapsed = started.elapsed();
        let over_budget = elapsed > self.isolation.time_budget;
        let (outcome, failure) = match raw {
            // A failure is reported as itself even when it was also late:
            // "panicked" says more than "timed out", and both discard output.
            // Its message stays free of timings, so the same failure reads
            // the same in Qualify and Explain.
            Err((reason, error)) => {
                tracing::debug!(target: "hql::plugin", scorer = %self.id, %error, "scorer failed");
                let failed = Outcome {
                    status: ScorerStatus::Failed,
                    score: ScorerOutput::Empty,
                    error,
                    warnings: Vec::new(),
                };
                (failed, Some(reason))
            }
            Ok(late) if over_budget => {
                late.recycle();
                let timed_out = Outcome {
                    status: ScorerStatus::TimedOut,
                    score: ScorerOutput::Empty,
                    error: format!("took {}; output discarded", self.budget_text(elapsed)),
                    warnings: Vec::new(),
                };
                (timed_out, Some(FailureReason::TimedOut))
            }
            Ok(score) => self.check(score),
        };
        self.metrics.record(elapsed, failure);
        let ended_ns = start_ns.saturating_add(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
        match self.breaker.record(failure.is_none(), ended_ns) {
            Some(Transition::Opened(failures)) => {
                self.metrics.breaker(true);
                tracing::warn!(
                    target: "hql::plugin",
                    scorer = %self.id,
                    failures,
                    cool_down_ms = self.isolation.breaker_cool_down.as_millis() as u64,
                    "circuit breaker opened after {failures} consecutive failures or time-outs (last: {}); \
                     skipping the scorer for {} ms",
                    outcome.error,
                    self.isolation.breaker_cool_down.as_millis()
                );
            }
            Some(Transition::Closed) => {
                self.metrics.breaker(false);
                tracing::info!(target: "hql::plugin", scorer = %self.id, "circuit breaker closed: trial call succeeded");
            }
            None => {}
        }
        outcome
    }

    /// "12.345 ms, over its time budget of 10.000 ms", for failure messages.
    fn budget_text(&self, elapsed: std::time::Duration) -> String {
        format!(
            "{:.3} ms, over its time budget of {:.3} ms",
            elapsed.as_secs_f64() * 1e3,
            self.isolation.time_budget.as_secs_f64() * 1e3
        )
    }

    /// Whether its circuit breaker is open (calls skipped) now.
    pub(crate) fn breaker_open(&self) -> bool {
        self.breaker.is_open()
    }

    /// Calls the scorer; a failure comes with why, as far as it can be told.
    fn call(
        &self,
        view: &LeadView<'_>,
        decision: Option<f64>,
    ) -> Result<ScorerOutput, (FailureReason, String)> {
        match &self.backend {
            Backend::Abi(instance) => {
                instance.copy_wanted(view, &self.wanted(decision)).map(ScorerOutput::Copied).map_err(|e| {
                    let reason = match &e {
                        CallError::Failed(message) if message.starts_with(SDK_PANIC_PREFIX) => {
                            FailureReason::Panic
                        }
                        CallError::Failed(_) | CallError::MissingHook(_) => FailureReason::Error,
                        CallError::NoScore => FailureReason::InvalidOutput,
                    };
                    (reason, e.to_string())
                })
            }
            Backend::Native(scorer, logger, declared) => {
                // The same facts are wanted as of a plugin: a linked scorer
                // that builds its score for the call keeps only those its
                // gates read, as the SDK does on a plugin's side.
                let ctx = Context::new(view.raw_context().as_of, view.future_events_hidden(), logger)
                    .with_reason_limit(view.reason_limit() as usize)
                    .with_reason_bar(self.reason_bar(decision))
                    .with_wanted_facts(self.wanted(decision).facts, declared);
                match catch_unwind(AssertUnwindSafe(|| scorer.score(&view.lead(), &ctx))) {
                    // A linked scorer's reasons are not copied; one that
                    // builds its score with `Score::for_call` keeps only
                    // the reasons under the limit, and the decision's
                    // ranking picks the same top ones either way.
                    Ok(result) => result
                        .map(|s| ScorerOutput::Linked(Box::new(s)))
                        .map_err(|e| (FailureReason::Error, e.message)),
                    Err(panic) => Err((
                        FailureReason::Panic,
                        format!("{SDK_PANIC_PREFIX}: {}", hql_plugin_api::export::panic_message(&*panic)),
                    )),
                }
            }
        }
    }

    /// What a reason of this scorer must clear to reach a decision's top
    /// reasons (see [`Slot::run`]); `None` while any reason may.
    fn reason_bar(&self, decision: Option<f64>) -> Option<ReasonBar> {
        decision.filter(|beat| *beat >= 0.0).map(|beat| ReasonBar { weight: self.weight, beat })
    }

    /// What the host copies of a call (see [`Slot::run`]).
    fn wanted(&self, decision: Option<f64>) -> Wanted {
        match decision {
            Some(beat) => Wanted { weight: self.weight, beat, facts: self.gate_facts },
            None => Wanted::ALL,
        }
    }

    /// Holds a score to what the plugin declared; an unusable score is a
    /// failure, [`FailureReason::InvalidOutput`].
    fn check(&self, mut score: ScorerOutput) -> (Outcome, Option<FailureReason>) {
        let mut warnings = Vec::new();
        let value = score.value();
        if !value.is_finite() {
            score.recycle();
            let failed = Outcome {
                status: ScorerStatus::Failed,
                score: ScorerOutput::Empty,
                error: format!("returned a non-finite score ({value})"),
                warnings,
            };
            return (failed, Some(FailureReason::InvalidOutput));
        }
        if !(0.0..=100.0).contains(&value) {
            warnings.push(format!("scorer `{}` returned {value}, outside 0-100; clamped", self.id));
            score.set_value(value.clamp(0.0, 100.0));
        }
        // Filtered in place: what passes is kept as it came, not copied
        // (and nothing is touched when all of them pass, the usual case).
        if score.any_non_finite_points() {
            score.retain_reasons(|code, points| {
                if points.is_finite() {
                    return true;
                }
                warnings
                    .push(format!("scorer `{}` gave reason `{code}` non-finite points; dropped", self.id));
                false
            });
        }
        score.retain_facts(|f| match self.spec.facts.iter().find(|(n, _)| *n == f.name) {
            Some((_, kind)) if *kind == f.value.kind() => {
                if matches!(f.value, hql_plugin_api::FactValue::Number(n) if !n.is_finite()) {
                    warnings.push(format!(
                        "scorer `{}` set fact `{}` to a non-finite number; dropped",
                        self.id, f.name
                    ));
                    return false;
                }
                true
            }
            Some((_, kind)) => {
                warnings.push(format!(
                    "scorer `{}` set fact `{}` as {} but declared it {}; dropped",
                    self.id,
                    f.name,
                    f.value.kind().as_str(),
                    kind.as_str()
                ));
                false
            }
            None => {
                warnings.push(format!("scorer `{}` set undeclared fact `{}`; dropped", self.id, f.name));
                false
            }
        });
        score.retain_disqualifiers(|d| {
            if self.spec.disqualifiers.iter().any(|c| *c == d.code) {
                return true;
            }
            warnings
                .push(format!("scorer `{}` reported undeclared disqualifier `{}`; dropped", self.id, d.code));
            false
        });
        (Outcome { status: ScorerStatus::Ok, score, error: String::new(), warnings }, None)
    }
}

/// Loads every scorer the policy names, from libraries in `dir` or from the
/// static set, and creates each instance with its config.
pub(crate) fn build(policy: &Policy, source: &crate::engine::ScorerSource) -> Result<Vec<Slot>, LoadError> {
    let total_weight: f64 = policy.scorers.iter().map(|s| s.weight).sum();
    let mut slots = Vec::with_capacity(policy.scorers.len());
    for (i, entry) in policy.scorers.iter().enumerate() {
        let sink: Arc<dyn LogSink> = Arc::new(TracingSink { scorer: entry.id.clone() });
        let (spec, library_file, library_sha256, backend) = match source {
            crate::engine::ScorerSource::PluginDir(dir) => {
                let lib = plugin::load(dir, &entry.library, &entry.id, entry.sha256.as_deref())?;
                // SAFETY: the descriptor passed every check in `plugin::load`.
                let instance = unsafe { AbiInstance::create(lib.descriptor, &entry.config_json, sink) }
                    .map_err(|errors| config_error(policy, i, &lib.spec, &lib.file_name, errors))?
                    .with_image(lib.image.clone());
                (lib.spec, lib.file_name, lib.sha256, Backend::Abi(instance))
            }
            crate::engine::ScorerSource::Static(set) => {
                let Some((_, native)) = set.iter().find(|(name, _)| *name == entry.library) else {
                    return Err(LoadError::Plugin(crate::error::PluginLoadError::NotFound {
                        file: Path::new("static").join(&entry.library),
                        scorer: entry.id.clone(),
                    }));
                };
                let spec = native_spec(native);
                let logger = Logger::native(sink);
                let scorer =
                    (native.create)(&Config::new(&entry.config_json, logger.clone())).map_err(|e| {
                        config_error(policy, i, &spec, &format!("static:{}", entry.library), vec![e])
                    })?;
                (
                    spec,
                    format!("static:{}", entry.library),
                    String::new(),
                    Backend::Native(scorer, logger, native.spec.facts),
                )
            }
        };
        let dimension = entry.dimension.clone().unwrap_or_else(|| spec.dimension.clone());
        slots.push(Slot {
            id: entry.id.clone(),
            spec,
            library_file,
            library_sha256,
            dimension,
            weight: entry.weight / total_weight,
            required: entry.required,
            isolation: entry.isolation,
            backend,
            metrics: ScorerMetrics::register(&entry.id),
            breaker: Breaker::new(entry.isolation.breaker_failures, entry.isolation.breaker_cool_down),
            watch_key: watchdog::watch(&entry.id, entry.isolation.stuck_after),
            gate_facts: hql_plugin_api::abi::HQL_ALL_FACTS,
        });
    }
    Ok(slots)
}

fn native_spec(native: &NativeScorer) -> PluginSpec {
    let s = &native.spec;
    PluginSpec {
        name: s.name.to_string(),
        version: s.version.to_string(),
        dimension: s.dimension.to_string(),
        description: s.description.to_string(),
        abi_major: hql_plugin_api::abi::HQL_ABI_MAJOR,
        abi_minor: hql_plugin_api::abi::HQL_ABI_MINOR,
        facts: s.facts.iter().map(|f| (f.name.to_string(), f.kind)).collect(),
        disqualifiers: s.disqualifiers.iter().map(|c| c.code.to_string()).collect(),
    }
}

/// A plugin refused its config: point at the key in the policy file.
fn config_error(
    policy: &Policy,
    index: usize,
    spec: &PluginSpec,
    file: &str,
    errors: Vec<hql_plugin_api::ConfigError>,
) -> LoadError {
    let first = errors.into_iter().next().unwrap_or_else(|| hql_plugin_api::ConfigError::new("", "refused"));
    let key = if first.key.is_empty() {
        format!("scorer[{index}].config")
    } else {
        format!("scorer[{index}].config.{}", first.key)
    };
    let error: PolicyError = policy.error_at(
        &key,
        format!("plugin `{}` {} ({file}) rejected its config: {}", spec.name, spec.version, first.message),
    );
    LoadError::Policy(error)
}
