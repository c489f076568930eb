//! The trait scorer authors implement, and what a scorer declares about itself.

use crate::config::{Config, ConfigError};
use crate::lead::Lead;
use crate::log::Logger;
use crate::score::{FactKind, Score};

/// A lead scorer.
///
/// One value is created per scorer entry of the policy (from its config) and
/// then shared by every request thread: `score` takes `&self` and runs
/// concurrently, so keep the instance read-only or synchronise yourself.
///
/// ```
/// use hql_plugin_api::{Config, ConfigError, Context, Lead, Score, ScoreError, Scorer};
///
/// struct Demo;
///
/// impl Scorer for Demo {
///     const NAME: &'static str = "demo";
///     const VERSION: &'static str = "1.0.0";
///     const DIMENSION: &'static str = "engagement";
///
///     fn configure(_config: &Config<'_>) -> Result<Self, ConfigError> {
///         Ok(Demo)
///     }
///
///     fn score(&self, lead: &Lead<'_>, _ctx: &Context<'_>) -> Result<Score, ScoreError> {
///         let demos = lead.events().filter(|e| e.event_type() == "demo_request").count();
///         let mut score = Score::new(if demos > 0 { 80.0 } else { 0.0 });
///         score.fact("demo_requests", demos);
///         Ok(score)
///     }
/// }
/// ```
pub trait Scorer: Sized + Send + Sync + 'static {
    /// Plugin name, `[a-z0-9_]+`.
    const NAME: &'static str;
    /// The plugin's own semantic version (use `env!("CARGO_PKG_VERSION")`).
    const VERSION: &'static str;
    /// Default dimension (`fit`, `engagement`, `product`, ...); a policy may
    /// override it.
    const DIMENSION: &'static str;
    /// One line for `ListScorers` and the docs.
    const DESCRIPTION: &'static str = "";
    /// Facts this scorer may set; policy gates can only name declared facts.
    const FACTS: &'static [FactSpec] = &[];
    /// Disqualification codes this scorer may report.
    const DISQUALIFIERS: &'static [CodeSpec] = &[];

    /// Builds an instance from its policy config. Refuse bad configs here,
    /// naming the key: the server then refuses to start.
    fn configure(config: &Config<'_>) -> Result<Self, ConfigError>;

    /// Scores one lead. Must not block on I/O; must be deterministic for a
    /// given lead and context (decisions are replayed and compared).
    fn score(&self, lead: &Lead<'_>, ctx: &Context<'_>) -> Result<Score, ScoreError>;
}

/// A fact a scorer declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FactSpec {
    /// Name, `[a-z0-9_]+`; gates refer to it as `<scorer id>.<name>`.
    pub name: &'static str,
    /// Kind of value.
    pub kind: FactKind,
    /// What it means.
    pub description: &'static str,
}

impl FactSpec {
    /// A numeric fact.
    pub const fn number(name: &'static str, description: &'static str) -> FactSpec {
        FactSpec { name, kind: FactKind::Number, description }
    }
    /// A boolean fact.
    pub const fn bool(name: &'static str, description: &'static str) -> FactSpec {
        FactSpec { name, kind: FactKind::Bool, description }
    }
    /// A text fact.
    pub const fn text(name: &'static str, description: &'static str) -> FactSpec {
        FactSpec { name, kind: FactKind::Text, description }
    }
}

/// A disqualification code a scorer declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeSpec {
    /// Dotted code, e.g. `icp.competitor`.
    pub code: &'static str,
    /// What it means.
    pub description: &'static str,
}

impl CodeSpec {
    /// A code with its meaning.
    pub const fn new(code: &'static str, description: &'static str) -> CodeSpec {
        CodeSpec { code, description }
    }
}

/// Per-call context.
pub struct Context<'a> {
    as_of_ms: i64,
    future_events_hidden: u32,
    reason_limit: usize,
    reason_bar: Option<ReasonBar>,
    /// The facts this call uses (see [`Context::wants_fact`]).
    facts: FactsWanted,
    logger: &'a Logger,
}

/// What a reason must beat to be used by a limited call (ABI 1.2): the host
/// ranks a decision's reasons by |points| × the scorer's `weight`, and once
/// the scorers run before this one have given a decision's top reasons, a
/// reason is used only when its product is above the last of them, `beat`.
/// A score from [`Score::for_call`](crate::Score::for_call) writes nothing
/// for the others, not even their messages.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReasonBar {
    /// The scorer's weight in the policy.
    pub weight: f64,
    /// The product to beat (strictly).
    pub beat: f64,
}

impl ReasonBar {
    /// Whether a reason with `points` clears the bar. The same expression
    /// as the host's check, so both sides agree on every reason, bit for bit.
    pub fn clears(&self, points: f64) -> bool {
        points.abs() * self.weight > self.beat
    }
}

impl<'a> Context<'a> {
    /// Builds a context. Hosts and the test harness call this.
    pub fn new(as_of_ms: i64, future_events_hidden: u32, logger: &'a Logger) -> Context<'a> {
        Context {
            as_of_ms,
            future_events_hidden,
            reason_limit: 0,
            reason_bar: None,
            facts: FactsWanted::ALL,
            logger,
        }
    }

    /// The same context for a call that uses only some of the scorer's
    /// facts: bit `i` of `mask` stands for `declared[i]` (the scorer's
    /// [`Scorer::FACTS`]), and a fact past the 64th is always used. A mask
    /// of all ones (`u64::MAX`, Explain) uses every fact. See
    /// [`Context::wants_fact`].
    pub fn with_wanted_facts(mut self, mask: u64, declared: &'static [FactSpec]) -> Context<'a> {
        self.facts = FactsWanted { mask, declared };
        self
    }

    /// Whether this call uses the fact `name` (ABI 1.3). Qualify uses only
    /// the facts its policy's gates read; Explain, and a host older than
    /// 1.3, use all of them. [`Score::for_call`] drops the others as they
    /// are set, as the host would on its side; a scorer may also ask before
    /// computing a fact that costs something to compute. A name the scorer
    /// did not declare has no bit: it reads as wanted, and the host drops
    /// it.
    pub fn wants_fact(&self, name: &str) -> bool {
        self.facts.wants(name, 0).0
    }

    /// The same context for a limited call whose reasons are used only when
    /// they clear `bar` (see [`ReasonBar`]); ignored without a reason limit.
    pub fn with_reason_bar(mut self, bar: Option<ReasonBar>) -> Context<'a> {
        self.reason_bar = bar;
        self
    }

    /// What a reason of this call must clear to be used, under a reason
    /// limit; `None`: any reason may be (Explain, a first scorer, or a host
    /// older than ABI 1.2). [`Score::for_call`](crate::Score::for_call)
    /// applies it.
    pub fn reason_bar(&self) -> Option<ReasonBar> {
        if self.reason_limit > 0 { self.reason_bar } else { None }
    }

    /// The same context for a call whose reasons the host uses only
    /// `limit` of (0: all); see [`Context::reason_limit`].
    pub fn with_reason_limit(mut self, limit: usize) -> Context<'a> {
        self.reason_limit = limit;
        self
    }

    /// How many of this call's reasons the host will use: 0 means all of
    /// them (Explain); N means only the N with the largest |points| (Qualify,
    /// which shows a policy's top reasons and nothing else). Build the
    /// score with [`Score::for_call`] and add reasons with
    /// [`Score::reason_with`]: the score then keeps only those N and the
    /// messages of the others are never written. A score from
    /// [`Score::new`] is correct too (the SDK sends only those N across the
    /// boundary), only slower.
    pub fn reason_limit(&self) -> usize {
        self.reason_limit
    }

    /// "Now" for this decision, ms since the epoch. Use it, never the clock:
    /// decisions must replay identically.
    pub fn as_of_ms(&self) -> i64 {
        self.as_of_ms
    }

    /// Days, with fractions, from `t_ms` (ms since the epoch) to `as_of`;
    /// negative if `t_ms` is later.
    pub fn days_since(&self, t_ms: i64) -> f64 {
        (self.as_of_ms.saturating_sub(t_ms)) as f64 / crate::record::MS_PER_DAY as f64
    }

    /// Events after `as_of` the host withheld from the lead.
    pub fn future_events_hidden(&self) -> u32 {
        self.future_events_hidden
    }

    /// The instance's logger.
    pub fn logger(&self) -> &'a Logger {
        self.logger
    }
}

/// Which facts a call uses: a [`Context`]'s mask over the scorer's declared
/// facts, kept by a [`Score`] built for the call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FactsWanted {
    mask: u64,
    declared: &'static [FactSpec],
}

impl FactsWanted {
    /// Every fact (a score not built for a call, or Explain).
    pub(crate) const ALL: FactsWanted = FactsWanted { mask: crate::abi::HQL_ALL_FACTS, declared: &[] };

    /// What `ctx` asks for.
    pub(crate) fn of(ctx: &Context<'_>) -> FactsWanted {
        ctx.facts
    }

    /// The mask.
    pub(crate) fn mask(&self) -> u64 {
        self.mask
    }

    /// Whether every fact is used.
    #[inline]
    pub(crate) fn all(&self) -> bool {
        self.mask == crate::abi::HQL_ALL_FACTS
    }

    /// Whether `name` is used, and where it is declared. `position`: where
    /// to look first (the one after the last fact found: scorers mostly set
    /// their facts in the order they declare them). An undeclared name has
    /// no bit and is kept, as the ABI says to send it: the host drops it
    /// (with a warning in Explain).
    #[inline]
    pub(crate) fn wants(&self, name: &str, position: usize) -> (bool, Option<usize>) {
        if self.all() {
            return (true, None);
        }
        let declared = crate::export::declared_index(self.declared, |d| d.name, position, name.as_bytes());
        (declared.is_none_or(|i| crate::abi::fact_wanted(self.mask, i)), declared)
    }
}

impl Default for FactsWanted {
    fn default() -> Self {
        FactsWanted::ALL
    }
}

/// A scorer failed on this lead. The decision is marked degraded; the server
/// carries on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ScoreError {
    /// What went wrong.
    pub message: String,
}

impl ScoreError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> ScoreError {
        ScoreError { message: message.into() }
    }
}

/// Everything a host needs to know about a scorer type, as `'static` data.
#[derive(Clone, Copy, Debug)]
pub struct ScorerSpec {
    /// [`Scorer::NAME`].
    pub name: &'static str,
    /// [`Scorer::VERSION`].
    pub version: &'static str,
    /// [`Scorer::DIMENSION`].
    pub dimension: &'static str,
    /// [`Scorer::DESCRIPTION`].
    pub description: &'static str,
    /// [`Scorer::FACTS`].
    pub facts: &'static [FactSpec],
    /// [`Scorer::DISQUALIFIERS`].
    pub disqualifiers: &'static [CodeSpec],
}

impl ScorerSpec {
    /// The spec of `S`.
    pub fn of<S: Scorer>() -> ScorerSpec {
        ScorerSpec {
            name: S::NAME,
            version: S::VERSION,
            dimension: S::DIMENSION,
            description: S::DESCRIPTION,
            facts: S::FACTS,
            disqualifiers: S::DISQUALIFIERS,
        }
    }
}

/// An object-safe scorer, for hosts that link scorers statically.
pub trait DynScorer: Send + Sync {
    /// Scores one lead.
    fn score(&self, lead: &Lead<'_>, ctx: &Context<'_>) -> Result<Score, ScoreError>;
}

impl<S: Scorer> DynScorer for S {
    fn score(&self, lead: &Lead<'_>, ctx: &Context<'_>) -> Result<Score, ScoreError> {
        Scorer::score(self, lead, ctx)
    }
}

/// Creates a statically linked scorer from its config.
pub type NativeCreate = fn(&Config<'_>) -> Result<Box<dyn DynScorer>, ConfigError>;

/// A statically linked scorer type: its spec and how to create it.
#[derive(Clone, Copy, Debug)]
pub struct NativeScorer {
    /// What it declares.
    pub spec: ScorerSpec,
    /// Its constructor.
    pub create: NativeCreate,
}

impl NativeScorer {
    /// The native entry of `S`.
    pub fn of<S: Scorer>() -> NativeScorer {
        fn create<S: Scorer>(config: &Config<'_>) -> Result<Box<dyn DynScorer>, ConfigError> {
            Ok(Box::new(S::configure(config)?))
        }
        NativeScorer { spec: ScorerSpec::of::<S>(), create: create::<S> }
    }
}
