//! The pipeline: lead in, decision (and trail) out.
//!
//! For each lead: lay it out once as the ABI view (events after `as_of`
//! withheld), run every scorer, combine their weighted scores into dimension
//! subtotals and a total, evaluate every stage's gates, pick the highest stage
//! whose gates all pass, apply the required-scorer cap and disqualifiers, and
//! say what is missing for the next stage.
//!
//! Qualify and Explain share `Pipeline::evaluate` and the one function that
//! makes a decision from it (as a [`DecisionRef`], which the server encodes
//! straight into its answer and everything else turns into a [`Decision`]),
//! so an explanation's decision is equal to the plain decision for the same
//! input by construction.
//!
//! Every evaluation is counted once, by stage and degradation
//! (`DecisionMetrics`); the scorer slots time and count their own calls.

use hql_plugin_api::host::Wanted;
use hql_plugin_api::record::LeadRecord;
use hql_plugin_api::text::round2;
use hql_plugin_api::view::LeadView;

use std::borrow::Cow;

use crate::decision::{Decision, Disqualification, Explanation, PolicyRef, ScorerStatus};
use crate::decision_ref::{DecisionRef, DimensionScoreRef, ReasonRef, ScorerSummaryRef};
use crate::digest;
use crate::engine::{LoadOptions, ScorerInfo, ScorerSource};
use crate::error::LoadError;
use crate::explanation_ref::{
    ExplanationRef, FactName, FactRef, GateResultRef, ScorerTrailRef, StageEvaluationRef, StageGapRef,
};
use crate::gate::{Actual, Gate, Subject};
use crate::metrics::DecisionMetrics;
use crate::policy::{Policy, Resolved, ScorerCatalog};
use crate::scorers::{self, Outcome, Slot};
use crate::stage::Stage;

/// A loaded policy with its scorers.
pub(crate) struct Pipeline {
    slots: Vec<Slot>,
    rules: Resolved,
    /// Per dimension (policy order), the sum of its scorers' weights.
    dimension_weights: Vec<f64>,
    policy: PolicyRef,
    disqualifier_codes: Vec<String>,
    top_reasons: usize,
    required_failure_cap: Stage,
    metrics: DecisionMetrics,
}

/// Everything computed for one lead, before it is shaped into answers.
struct Evaluation {
    as_of_ms: i64,
    future_events_hidden: u32,
    outcomes: Vec<Outcome>,
    total: f64,
    dimensions: Vec<f64>,
    /// Per stage rule (policy order): per gate, whether it passed. The
    /// actual values are rendered as text only for the gates an answer
    /// shows (the next stage's failing ones; all of them in Explain).
    gates: Vec<Vec<bool>>,
    stage: Stage,
    capped_by: Option<String>,
    disqualifications: Vec<Disqualification>,
    ignored_codes: Vec<String>,
}

impl Evaluation {
    /// Hands the scores' buffers to this thread's pool for the next
    /// decision (see `hql_plugin_api::Score::recycle`).
    fn recycle(self) {
        for o in self.outcomes {
            o.score.recycle();
        }
    }
}

fn rank(stage: Stage) -> u8 {
    match stage {
        Stage::Disqualified => 0,
        Stage::Unqualified => 1,
        Stage::Mql => 2,
        Stage::Sql | Stage::Pql => 3,
        Stage::Hql => 4,
    }
}

impl Pipeline {
    pub(crate) fn load(options: &LoadOptions) -> Result<Pipeline, LoadError> {
        let policy = Policy::load(&options.policy_path)?;
        Pipeline::from_policy(policy, &options.scorers)
    }

    pub(crate) fn from_policy(policy: Policy, source: &ScorerSource) -> Result<Pipeline, LoadError> {
        let mut slots = scorers::build(&policy, source)?;
        let catalog: Vec<ScorerCatalog> = slots
            .iter()
            .map(|s| ScorerCatalog {
                id: s.id.clone(),
                dimension: s.dimension.clone(),
                facts: s.spec.facts.clone(),
                disqualifiers: s.spec.disqualifiers.clone(),
            })
            .collect();
        let rules = policy.resolve(&catalog)?;
        // A decision reads a scorer's facts only through gates: Qualify
        // asks a plugin library for no other fact, and copies none.
        for (position, slot) in slots.iter_mut().enumerate() {
            let declared: Vec<&str> = slot.spec.facts.iter().map(|(name, _)| name.as_str()).collect();
            let read: Vec<&str> = rules
                .stages
                .iter()
                .flat_map(|rule| &rule.gates)
                .filter_map(|gate| match &gate.subject {
                    Subject::Fact(index, name, _) if *index == position => Some(name.as_str()),
                    _ => None,
                })
                .collect();
            slot.gate_facts = Wanted::facts_read(&declared, &read);
        }
        let identities: Vec<(String, String)> = slots
            .iter()
            .map(|s| {
                let identity = if s.library_sha256.is_empty() {
                    format!("{}@{}", s.library_file, s.spec.version)
                } else {
                    s.library_sha256.clone()
                };
                (s.id.clone(), identity)
            })
            .collect();
        let digest =
            digest::policy_digest(&policy.text, identities.iter().map(|(a, b)| (a.as_str(), b.as_str())));
        let dimension_weights = (0..rules.dimensions.len())
            .map(|i| {
                slots
                    .iter()
                    .enumerate()
                    .filter(|(si, _)| rules.scorer_dimension[*si] == i)
                    .map(|(_, s)| s.weight)
                    .sum()
            })
            .collect();
        Ok(Pipeline {
            slots,
            rules,
            dimension_weights,
            policy: PolicyRef { name: policy.name.clone(), version: policy.version.clone(), digest },
            disqualifier_codes: policy.disqualifier_codes.clone(),
            top_reasons: policy.top_reasons,
            required_failure_cap: policy.required_failure_cap,
            metrics: DecisionMetrics::register(),
        })
    }

    pub(crate) fn policy_ref(&self) -> &PolicyRef {
        &self.policy
    }

    pub(crate) fn scorer_infos(&self) -> Vec<ScorerInfo> {
        self.slots
            .iter()
            .map(|s| ScorerInfo {
                name: s.id.clone(),
                plugin: s.spec.name.clone(),
                version: s.spec.version.clone(),
                abi_version: format!("{}.{}", s.spec.abi_major, s.spec.abi_minor),
                dimension: s.dimension.clone(),
                weight: s.weight,
                required: s.required,
                library: s.library_file.clone(),
                library_sha256: s.library_sha256.clone(),
                description: s.spec.description.clone(),
                facts: s.spec.facts.iter().map(|(n, _)| format!("{}.{n}", s.id)).collect(),
                disqualifiers: s.spec.disqualifiers.clone(),
                isolation: s.isolation,
                breaker_open: s.breaker_open(),
            })
            .collect()
    }

    pub(crate) fn decide<T: AsRef<str>>(&self, lead: &LeadRecord<T>, as_of_ms: i64) -> Decision {
        self.decide_with(lead, as_of_ms, |decision| decision.into_decision())
    }

    /// Decides `lead` and lends the decision, as borrowed parts, to
    /// `answer`; what the scorers returned is recycled after it.
    pub(crate) fn decide_with<T: AsRef<str>, R>(
        &self,
        lead: &LeadRecord<T>,
        as_of_ms: i64,
        answer: impl FnOnce(DecisionRef<'_>) -> R,
    ) -> R {
        // A decision shows the policy's top reasons and no others: scorers
        // are asked for that many (see `hql_plugin_api` `limit`), which
        // changes nothing in the decision and saves copying the rest.
        let limit = u32::try_from(self.top_reasons).unwrap_or(u32::MAX);
        let eval = self.evaluate(lead, as_of_ms, limit);
        let gap = self.gap(&eval, false);
        let answered = answer(self.decision(lead, &eval, (gap.stage, gap.summary)));
        eval.recycle();
        answered
    }

    pub(crate) fn explain<T: AsRef<str>>(&self, lead: &LeadRecord<T>, as_of_ms: i64) -> Explanation {
        let eval = self.evaluate(lead, as_of_ms, 0);
        let explanation = self.explanation(lead, &eval).into_explanation();
        eval.recycle();
        explanation
    }

    /// Explains `lead` and lends the explanation, as borrowed parts, to
    /// `answer`; what the scorers returned is recycled after it.
    pub(crate) fn explain_with<T: AsRef<str>, R>(
        &self,
        lead: &LeadRecord<T>,
        as_of_ms: i64,
        answer: impl FnOnce(&ExplanationRef<'_>) -> R,
    ) -> R {
        let eval = self.evaluate(lead, as_of_ms, 0);
        let answered = answer(&self.explanation(lead, &eval));
        eval.recycle();
        answered
    }

    fn actual<'a>(&self, subject: &Subject, outcomes: &'a [Outcome], total: f64, dims: &[f64]) -> Actual<'a> {
        match subject {
            Subject::Total => Actual::Number(total),
            Subject::Dimension(i) => dims.get(*i).map_or(Actual::Unknown, |d| Actual::Number(*d)),
            Subject::ScorerScore(slot) => match outcomes.get(*slot) {
                Some(o) if o.status == ScorerStatus::Ok => Actual::Number(o.score.value()),
                _ => Actual::Unknown,
            },
            Subject::Fact(slot, name, _) => match outcomes.get(*slot) {
                Some(o) if o.status == ScorerStatus::Ok => Actual::of_fact(o.score.fact_value(name)),
                _ => Actual::Unknown,
            },
        }
    }

    /// Runs the scorers in policy order. Under a reason limit (a decision,
    /// not an explanation) facts no gate reads are not copied from plugins,
    /// and the `limit` largest products (|points| × weight) seen so far are
    /// kept, so each scorer is told what a reason of its own must beat to
    /// reach the decision's top reasons (ties go to the earlier scorer, as
    /// in [`Pipeline::top_reasons`]); plugins' reasons below that are not
    /// copied.
    fn run_scorers(&self, view: &LeadView<'_>, limit: usize) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(self.slots.len());
        // The best products so far, largest first; at most `limit`.
        let mut best: Vec<f64> = Vec::with_capacity(limit);
        for slot in &self.slots {
            let beat = if limit > 0 && best.len() == limit { best[limit - 1] } else { -1.0 };
            let outcome = slot.run(view, (limit > 0).then_some(beat));
            if limit > 0 && outcome.status == ScorerStatus::Ok {
                outcome.score.each_points(|_, points| {
                    if points == 0.0 {
                        return;
                    }
                    let product = (points * slot.weight).abs();
                    let at = best.partition_point(|b| *b >= product);
                    if at < limit {
                        best.insert(at, product);
                        best.truncate(limit);
                    }
                });
            }
            outcomes.push(outcome);
        }
        outcomes
    }

    /// Runs every scorer and the gates; `reason_limit` (0: none) is how
    /// many reasons each scorer is asked for.
    fn evaluate<T: AsRef<str>>(&self, lead: &LeadRecord<T>, as_of_ms: i64, reason_limit: u32) -> Evaluation {
        let mut view = LeadView::of(lead, as_of_ms);
        view.set_reason_limit(reason_limit);
        self.evaluate_view(&view, as_of_ms)
    }

    /// [`Pipeline::evaluate`] past the one step that reads the record: the
    /// rest sees only the view, whatever the record's text type.
    fn evaluate_view(&self, view: &LeadView<'_>, as_of_ms: i64) -> Evaluation {
        let outcomes = self.run_scorers(view, view.reason_limit() as usize);

        let mut total = 0.0;
        let mut dim_num = vec![0.0; self.rules.dimensions.len()];
        let mut dim_den = vec![0.0; self.rules.dimensions.len()];
        for (i, (slot, o)) in self.slots.iter().zip(&outcomes).enumerate() {
            let s = if o.status == ScorerStatus::Ok { o.score.value() } else { 0.0 };
            total += s * slot.weight;
            let d = self.rules.scorer_dimension[i];
            dim_num[d] += s * slot.weight;
            dim_den[d] += slot.weight;
        }
        let total = round2(total);
        let dimensions: Vec<f64> =
            dim_num.iter().zip(&dim_den).map(|(n, d)| if *d > 0.0 { round2(n / d) } else { 0.0 }).collect();

        let gates: Vec<Vec<bool>> = self
            .rules
            .stages
            .iter()
            .map(|rule| {
                rule.gates
                    .iter()
                    .map(|g| g.passes(&self.actual(&g.subject, &outcomes, total, &dimensions)))
                    .collect()
            })
            .collect();

        let mut stage = Stage::Unqualified;
        for (rule, results) in self.rules.stages.iter().zip(&gates).rev() {
            if results.iter().all(|passed| *passed) {
                stage = rule.stage;
                break;
            }
        }
        let failed_required: Vec<&str> = self
            .slots
            .iter()
            .zip(&outcomes)
            .filter(|(s, o)| s.required && o.status != ScorerStatus::Ok)
            .map(|(s, _)| s.id.as_str())
            .collect();
        let mut capped_by = None;
        if !failed_required.is_empty() && stage > self.required_failure_cap {
            capped_by = Some(failed_required.join(", "));
            stage = self.required_failure_cap;
        }

        let mut disqualifications = Vec::new();
        let mut ignored_codes = Vec::new();
        for (slot, o) in self.slots.iter().zip(&outcomes) {
            if o.status != ScorerStatus::Ok {
                continue;
            }
            for d in o.score.disqualifiers() {
                if self.disqualifier_codes.iter().any(|c| *c == d.code) {
                    disqualifications.push(Disqualification {
                        code: d.code.to_string(),
                        scorer: slot.id.clone(),
                        message: d.message.to_string(),
                    });
                } else {
                    ignored_codes.push(format!("{} ({}): {}", d.code, slot.id, d.message));
                }
            }
        }
        if !disqualifications.is_empty() {
            stage = Stage::Disqualified;
        }
        self.metrics.record(stage, outcomes.iter().any(|o| o.status != ScorerStatus::Ok));
        Evaluation {
            as_of_ms,
            future_events_hidden: view.future_events_hidden(),
            outcomes,
            total,
            dimensions,
            gates,
            stage,
            capped_by,
            disqualifications,
            ignored_codes,
        }
    }

    /// The stage a lead at `stage` should aim for next.
    fn next_stage(&self, stage: Stage) -> Option<Stage> {
        if stage == Stage::Disqualified {
            return None;
        }
        if let Some(rule) = self.rules.stages.iter().find(|r| r.stage == stage)
            && rule.next.is_some()
        {
            return rule.next;
        }
        self.rules.stages.iter().map(|r| r.stage).find(|s| rank(*s) > rank(stage))
    }

    fn gate_result<'a>(&self, gate: &'a Gate, passed: bool, eval: &Evaluation) -> GateResultRef<'a> {
        let mut actual = String::with_capacity(16);
        self.actual(&gate.subject, &eval.outcomes, eval.total, &eval.dimensions).push_to(&mut actual);
        GateResultRef {
            name: &gate.name,
            subject: &gate.subject_text,
            operator: gate.op.as_str(),
            required: &gate.operand_text,
            actual: Cow::Owned(actual),
            passed,
            description: &gate.description,
            hint: &gate.hint,
        }
    }

    /// What is missing for the next stage. The failing gates are rendered
    /// as gate results only `with_gates` (Explain); a decision needs just
    /// the one-line summary, written straight from the gates.
    fn gap<'a>(&'a self, eval: &Evaluation, with_gates: bool) -> StageGapRef<'a> {
        if eval.stage == Stage::Disqualified {
            let codes: Vec<&str> = eval.disqualifications.iter().map(|d| d.code.as_str()).collect();
            return StageGapRef {
                stage: None,
                failing_gates: Vec::new(),
                summary: Cow::Owned(format!("Disqualified ({}): not to be worked.", codes.join(", "))),
            };
        }
        let Some(next) = self.next_stage(eval.stage) else {
            return StageGapRef {
                stage: None,
                failing_gates: Vec::new(),
                summary: Cow::Borrowed("Highest stage reached."),
            };
        };
        let Some(index) = self.rules.stages.iter().position(|r| r.stage == next) else {
            return StageGapRef { stage: Some(next), failing_gates: Vec::new(), summary: Cow::Borrowed("") };
        };
        let rule = &self.rules.stages[index];
        let mut failing = Vec::new();
        let mut summary = String::new();
        for (gate, passed) in rule.gates.iter().zip(&eval.gates[index]) {
            if *passed {
                continue;
            }
            let actual = self.actual(&gate.subject, &eval.outcomes, eval.total, &eval.dimensions);
            if summary.is_empty() {
                summary.push_str(next.as_str());
                summary.push_str(" needs ");
            } else {
                summary.push_str("; ");
            }
            for part in [&gate.subject_text, " ", gate.op.as_str(), " ", &gate.operand_text, " (is "] {
                summary.push_str(part);
            }
            actual.push_to(&mut summary);
            summary.push(')');
            if with_gates {
                failing.push(self.gate_result(gate, false, eval));
            }
        }
        if summary.is_empty() {
            summary = match &eval.capped_by {
                Some(ids) => format!(
                    "{next} gates pass, but the stage is capped at {} because required scorer(s) {ids} failed.",
                    self.required_failure_cap
                ),
                None => format!("{next} gates pass."),
            };
        } else {
            summary.push('.');
        }
        StageGapRef { stage: Some(next), failing_gates: failing, summary: Cow::Owned(summary) }
    }

    fn summaries<'a>(&'a self, eval: &'a Evaluation) -> Vec<ScorerSummaryRef<'a>> {
        self.slots
            .iter()
            .zip(&eval.outcomes)
            .map(|(slot, o)| {
                let score = if o.status == ScorerStatus::Ok { round2(o.score.value()) } else { 0.0 };
                ScorerSummaryRef {
                    name: &slot.id,
                    version: &slot.spec.version,
                    dimension: &slot.dimension,
                    score,
                    weight: slot.weight,
                    contribution: round2(score * slot.weight),
                    status: o.status,
                    error: &o.error,
                }
            })
            .collect()
    }

    fn top_reasons<'a>(&'a self, eval: &'a Evaluation) -> Vec<ReasonRef<'a>> {
        // (|points| × weight, scorer, |points|, reason)
        let mut ranked: Vec<(f64, usize, f64, usize)> = Vec::new();
        for (si, (slot, o)) in self.slots.iter().zip(&eval.outcomes).enumerate() {
            if o.status != ScorerStatus::Ok {
                continue;
            }
            o.score.each_points(|ri, points| {
                if points != 0.0 {
                    ranked.push(((points * slot.weight).abs(), si, points.abs(), ri));
                }
            });
        }
        // Largest effect on the total first; then policy order; inside one
        // scorer, larger |points| first (the products of two can round to
        // the same value), then the scorer's order. Inside a scorer this is
        // exactly the order a reason limit keeps (`hql_plugin_api` `limit`),
        // so asking scorers for `top_reasons` reasons loses none of these.
        ranked.sort_by(|a, b| {
            b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(b.2.total_cmp(&a.2)).then(a.3.cmp(&b.3))
        });
        let mut top = Vec::with_capacity(self.top_reasons.min(ranked.len()));
        top.extend(
            ranked
                .into_iter()
                .take(self.top_reasons)
                .filter_map(|(_, si, _, ri)| eval.outcomes[si].score.reason_ref(&self.slots[si].id, ri)),
        );
        top
    }

    /// The one place a decision is made (as borrowed parts: an owned
    /// [`Decision`] is [`DecisionRef::into_decision`] of it). `gap` is
    /// [`Pipeline::gap`] of `eval`: Explain computes it with its failing
    /// gates anyway, and a decision takes its stage and line from it.
    fn decision<'a, T: AsRef<str>>(
        &'a self,
        lead: &'a LeadRecord<T>,
        eval: &'a Evaluation,
        gap: (Option<Stage>, Cow<'a, str>),
    ) -> DecisionRef<'a> {
        let (next_stage, next_stage_gap) = gap;
        DecisionRef {
            decision_id: Cow::Owned(digest::decision_id(lead, &self.policy.digest, eval.as_of_ms)),
            lead_id: lead.lead_id.as_ref(),
            stage: eval.stage,
            score: eval.total,
            dimensions: self
                .rules
                .dimensions
                .iter()
                .zip(&eval.dimensions)
                .zip(&self.dimension_weights)
                .map(|((name, score), weight)| DimensionScoreRef { name, score: *score, weight: *weight })
                .collect(),
            scorers: self.summaries(eval),
            top_reasons: self.top_reasons(eval),
            degraded: eval.outcomes.iter().any(|o| o.status != ScorerStatus::Ok),
            disqualifications: &eval.disqualifications,
            next_stage,
            next_stage_gap,
            policy: &self.policy,
            as_of_ms: eval.as_of_ms,
        }
    }

    /// The whole trail of `eval`, borrowing the policy's text and the
    /// scorers' output (see [`ExplanationRef`]); its decision is the one
    /// Qualify makes.
    fn explanation<'a, T: AsRef<str>>(
        &'a self,
        lead: &'a LeadRecord<T>,
        eval: &'a Evaluation,
    ) -> ExplanationRef<'a> {
        let gap = self.gap(eval, true);
        let decision = self.decision(lead, eval, (gap.stage, gap.summary.clone()));
        let scorers: Vec<ScorerTrailRef<'a>> = self
            .slots
            .iter()
            .zip(&eval.outcomes)
            .zip(&decision.scorers)
            .map(|((slot, o), summary)| ScorerTrailRef {
                summary: *summary,
                reasons: o.score.reason_refs(&slot.id),
                facts: o
                    .score
                    .facts()
                    .iter()
                    .map(|f| FactRef {
                        name: FactName::Scored { scorer: &slot.id, fact: &f.name },
                        value: &f.value,
                    })
                    .collect(),
            })
            .collect();
        let stages: Vec<StageEvaluationRef<'a>> = self
            .rules
            .stages
            .iter()
            .zip(&eval.gates)
            .rev()
            .map(|(rule, results)| StageEvaluationRef {
                stage: rule.stage,
                passed: results.iter().all(|p| *p),
                gates: rule.gates.iter().zip(results).map(|(g, p)| self.gate_result(g, *p, eval)).collect(),
                description: &rule.description,
            })
            .collect();
        let mut warnings: Vec<Cow<'a, str>> = Vec::new();
        if eval.future_events_hidden > 0 {
            warnings.push(Cow::Owned(format!(
                "{} event(s) after as_of were ignored (decisions only see the past of as_of)",
                eval.future_events_hidden
            )));
        }
        for (slot, o) in self.slots.iter().zip(&eval.outcomes) {
            let status = match o.status {
                ScorerStatus::Ok => None,
                ScorerStatus::Failed => Some("failed"),
                ScorerStatus::TimedOut => Some("timed out"),
                ScorerStatus::Skipped => Some("skipped"),
            };
            if let Some(status) = status {
                warnings.push(Cow::Owned(format!("scorer `{}` {status}: {}", slot.id, o.error)));
            }
            warnings.extend(o.warnings.iter().map(|w| Cow::Borrowed(w.as_str())));
        }
        if let Some(ids) = &eval.capped_by {
            warnings.push(Cow::Owned(format!(
                "stage capped at {} because required scorer(s) {ids} failed",
                self.required_failure_cap
            )));
        }
        for c in &eval.ignored_codes {
            warnings.push(Cow::Owned(format!(
                "disqualifier not applied (not in the policy's [disqualifiers]): {c}"
            )));
        }
        let mut explanation =
            ExplanationRef { decision, scorers, stages, gap, warnings, text: Cow::Borrowed("") };
        explanation.text = Cow::Owned(crate::render::text(&explanation));
        explanation
    }
}
