//! The policy: which scorers run, how much each weighs, and the gates of each
//! stage. Explicit, versioned and digested, so two teams cannot disagree about
//! what "MQL" means without it showing in a diff (article 000's complaint
//! that qualification criteria are subjective and inconsistent).
//!
//! Loading is two-phase. [`Policy::parse`] checks everything the file alone
//! can tell (shape, unknown keys, weights, stage names and order, operators).
//! [`Policy::resolve`] runs once the scorers are loaded and checks what needs
//! them: gate subjects naming scorers, dimensions and declared facts, and
//! disqualifier codes. Every error carries file, line, column and key path.
//!
//! The format, by example:
//!
//! ```toml
//! [policy]
//! name = "default"
//! version = "1.0.0"
//!
//! [scoring]
//! top_reasons = 5                 # reasons carried by each decision
//! required_failure_cap = "MQL"    # highest stage when a required scorer fails
//!
//! [[scorer]]
//! id = "bant"                     # what gates and decisions call it
//! library = "hql_bant"            # lib<library>.so in the plugin directory
//! weight = 0.2                    # > 0; weights are normalised to sum to 1
//! dimension = "fit"               # optional; default: the plugin's own
//! required = true                 # a failure caps the stage
//! sha256 = "9f86d0...15b0f00a08"  # optional pin: the library file's sha256 (64 hex)
//! [scorer.config]                 # handed to the plugin at create time
//! typical_deal_size = 25000
//!
//! [[stage]]                       # lowest first: MQL, SQL / PQL, HQL
//! stage = "SQL"
//! [[stage.gate]]
//! name = "decision_maker"
//! subject = "bant.authority"      # total | dimension.<d> | <scorer>.score | <scorer>.<fact>
//! op = "in"                       # >= > <= < == != in not_in
//! value = ["decision_maker", "economic_buyer"]
//! hint = "Confirm who signs off on the purchase."
//!
//! [disqualifiers]
//! codes = ["icp.competitor"]      # reported codes that disqualify
//!
//! [isolation]                     # optional; per scorer: [scorer.isolation]
//! time_budget_ms = 100            # a slower call is TIMED_OUT, output discarded
//! breaker_failures = 5            # consecutive failures/time-outs open the breaker
//! breaker_cool_down_ms = 30000    # an open breaker skips the scorer this long
//! stuck_after_ms = 5000           # a call running this long is stuck: NOT_SERVING
//! ```

mod file;
mod isolation;
mod locate;

pub use isolation::Isolation;

use std::path::{Path, PathBuf};

use hql_plugin_api::FactKind;
use toml::de::DeTable;

use crate::error::PolicyError;
use crate::gate::{Gate, Op, Operand, Subject};
use crate::stage::Stage;

/// A scorer entry of the policy.
#[derive(Clone, Debug, PartialEq)]
pub struct ScorerEntry {
    /// Id used by gates and decisions.
    pub id: String,
    /// Library name (`lib<library>.so`).
    pub library: String,
    /// Weight as written (> 0).
    pub weight: f64,
    /// Dimension override.
    pub dimension: Option<String>,
    /// Whether a failure caps the stage.
    pub required: bool,
    /// The sha256 the library file must have (64 lower-case hex digits), if
    /// the policy pins one; checked before the library is opened.
    pub sha256: Option<String>,
    /// The scorer's config table, as JSON.
    pub config_json: String,
    /// Its containment limits: `[isolation]` overridden by `[scorer.isolation]`.
    pub isolation: Isolation,
}

/// A stage as written, before its gate subjects are resolved.
#[derive(Clone, Debug, PartialEq)]
struct StageDraft {
    stage: Stage,
    description: String,
    next: Option<Stage>,
    gates: Vec<GateDraft>,
}

#[derive(Clone, Debug, PartialEq)]
struct GateDraft {
    name: String,
    subject: String,
    op: Op,
    operand: Operand,
    description: String,
    hint: String,
}

/// A parsed, self-consistent policy file.
pub struct Policy {
    /// Policy name.
    pub name: String,
    /// Policy version.
    pub version: String,
    /// Description.
    pub description: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// The exact text (covered by the digest).
    pub text: String,
    /// Scorer entries, in file order.
    pub scorers: Vec<ScorerEntry>,
    /// Reported codes that disqualify.
    pub disqualifier_codes: Vec<String>,
    /// Reasons per decision.
    pub top_reasons: usize,
    /// Highest stage when a required scorer failed.
    pub required_failure_cap: Stage,
    stages: Vec<StageDraft>,
}

/// What `resolve` needs to know about each loaded scorer, in policy order.
#[derive(Clone, Debug)]
pub struct ScorerCatalog {
    /// Scorer id.
    pub id: String,
    /// Resolved dimension.
    pub dimension: String,
    /// Declared facts.
    pub facts: Vec<(String, FactKind)>,
    /// Declared disqualifier codes.
    pub disqualifiers: Vec<String>,
}

/// A gated stage, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct StageRule {
    /// The stage.
    pub stage: Stage,
    /// Meaning.
    pub description: String,
    /// Stage suggested as next (explicit or derived).
    pub next: Option<Stage>,
    /// Its gates.
    pub gates: Vec<Gate>,
}

/// The parts of a policy that depend on the loaded scorers.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// Dimension names, in order of first appearance.
    pub dimensions: Vec<String>,
    /// For each scorer slot, the index of its dimension.
    pub scorer_dimension: Vec<usize>,
    /// Gated stages, lowest first.
    pub stages: Vec<StageRule>,
    /// Next stage for a lead with no gated stage passed.
    pub first_stage: Option<Stage>,
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && s.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_library_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.contains("..")
        && !s.starts_with('.')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Rank used for stage ordering; SQL and PQL are parallel.
fn rank(stage: Stage) -> u8 {
    match stage {
        Stage::Disqualified => 0,
        Stage::Unqualified => 1,
        Stage::Mql => 2,
        Stage::Sql | Stage::Pql => 3,
        Stage::Hql => 4,
    }
}

impl Policy {
    /// Reads and parses a policy file.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError {
            file: path.to_path_buf(),
            line: None,
            column: None,
            key: String::new(),
            message: format!("cannot read the policy file: {e}"),
        })?;
        Policy::parse(path, text)
    }

    /// Parses policy `text` (as if read from `path`).
    pub fn parse(path: &Path, text: String) -> Result<Policy, PolicyError> {
        let located = |offset: Option<usize>, key: String, message: String| {
            let (line, column) = match offset {
                Some(o) => {
                    let (l, c) = locate::line_col(&text, o);
                    (Some(l), Some(c))
                }
                None => (None, None),
            };
            PolicyError { file: path.to_path_buf(), line, column, key, message }
        };
        let tree = DeTable::parse(&text)
            .map_err(|e| located(e.span().map(|s| s.start), String::new(), e.message().to_string()))?;
        let deserializer = toml::Deserializer::from(tree.clone());
        let parsed: file::PolicyFile = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            let key = if key == "." { String::new() } else { key };
            let inner = e.into_inner();
            let offset = inner.span().map(|s| s.start).or_else(|| locate::offset_of(tree.get_ref(), &key));
            located(offset, key, inner.message().to_string())
        })?;
        drop(tree);

        let mut policy = Policy {
            name: parsed.policy.name.trim().to_string(),
            version: parsed.policy.version.trim().to_string(),
            description: parsed.policy.description.clone(),
            path: path.to_path_buf(),
            text: text.clone(),
            scorers: Vec::new(),
            disqualifier_codes: Vec::new(),
            top_reasons: 5,
            required_failure_cap: Stage::Mql,
            stages: Vec::new(),
        };
        policy.check_meta(&parsed)?;
        let isolation = isolation::apply(Isolation::DEFAULT, &parsed.isolation)
            .map_err(|(key, message)| policy.error_at(&format!("isolation.{key}"), message))?;
        policy.read_scorers(parsed.scorers, isolation)?;
        policy.read_stages(parsed.stages)?;
        policy.read_disqualifiers(parsed.disqualifiers)?;
        Ok(policy)
    }

    /// An error located at `key` in this policy's file. Errors are rare, so
    /// the span-keeping parse tree is rebuilt here rather than kept around.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> PolicyError {
        let offset = DeTable::parse(&self.text).ok().and_then(|t| locate::offset_of(t.get_ref(), key));
        let (line, column) = match offset {
            Some(o) => {
                let (l, c) = locate::line_col(&self.text, o);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        PolicyError { file: self.path.clone(), line, column, key: key.to_string(), message: message.into() }
    }

    fn check_meta(&mut self, parsed: &file::PolicyFile) -> Result<(), PolicyError> {
        if self.name.is_empty() || self.name.len() > 128 {
            return Err(self.error_at("policy.name", "must be 1 to 128 characters"));
        }
        if self.version.is_empty() || self.version.len() > 64 {
            return Err(self.error_at("policy.version", "must be 1 to 64 characters, e.g. \"1.0.0\""));
        }
        let top = parsed.scoring.top_reasons;
        if !(0..=50).contains(&top) {
            return Err(self.error_at("scoring.top_reasons", format!("must be 0 to 50, got {top}")));
        }
        self.top_reasons = top as usize;
        let cap = &parsed.scoring.required_failure_cap;
        self.required_failure_cap = match Stage::from_name(cap) {
            Some(Stage::Disqualified) | None => {
                return Err(self.error_at(
                    "scoring.required_failure_cap",
                    format!("`{cap}` is not a stage; use UNQUALIFIED, MQL, SQL, PQL or HQL"),
                ));
            }
            Some(s) => s,
        };
        Ok(())
    }

    fn read_scorers(
        &mut self,
        scorers: Vec<file::ScorerFile>,
        defaults: Isolation,
    ) -> Result<(), PolicyError> {
        if scorers.is_empty() {
            return Err(self.error_at("", "a policy needs at least one [[scorer]]"));
        }
        for (i, s) in scorers.into_iter().enumerate() {
            let at = |k: &str| format!("scorer[{i}].{k}");
            if !is_ident(&s.id) {
                return Err(self.error_at(
                    &at("id"),
                    format!(
                        "`{}` is not a valid id: use a lower-case letter then [a-z0-9_], at most 64",
                        s.id
                    ),
                ));
            }
            if matches!(s.id.as_str(), "total" | "dimension") {
                return Err(self.error_at(&at("id"), format!("`{}` is reserved for gate subjects", s.id)));
            }
            if self.scorers.iter().any(|e| e.id == s.id) {
                return Err(self.error_at(&at("id"), format!("duplicate scorer id `{}`", s.id)));
            }
            if !is_library_name(&s.library) {
                return Err(self.error_at(
                    &at("library"),
                    format!(
                        "`{}` is not a library name: give the bare name (`hql_bant` for libhql_bant.so), no path",
                        s.library
                    ),
                ));
            }
            if !s.weight.is_finite() || s.weight <= 0.0 || s.weight > 1e6 {
                return Err(self.error_at(
                    &at("weight"),
                    format!("must be a number > 0 (weights are normalised to sum to 1), got {}", s.weight),
                ));
            }
            if let Some(d) = &s.dimension
                && !is_ident(d)
            {
                return Err(self.error_at(
                    &at("dimension"),
                    format!("`{d}` is not a valid dimension name: lower-case [a-z0-9_]"),
                ));
            }
            if let Some(pin) = &s.sha256
                && !is_sha256_hex(pin)
            {
                return Err(self.error_at(
                    &at("sha256"),
                    format!(
                        "`{pin}` is not a sha256 digest: give the 64 hexadecimal digits `sha256sum {}` prints",
                        crate::plugin::library_file_name(&s.library)
                    ),
                ));
            }
            let isolation = isolation::apply(defaults, &s.isolation)
                .map_err(|(key, message)| self.error_at(&at(&format!("isolation.{key}")), message))?;
            let config = toml::Value::Table(s.config.unwrap_or_default());
            let config_json = serde_json::to_string(&config)
                .map_err(|e| self.error_at(&at("config"), format!("cannot be passed to the plugin: {e}")))?;
            self.scorers.push(ScorerEntry {
                id: s.id,
                library: s.library,
                weight: s.weight,
                dimension: s.dimension,
                required: s.required,
                sha256: s.sha256.map(|pin| pin.to_ascii_lowercase()),
                config_json,
                isolation,
            });
        }
        Ok(())
    }

    fn read_stages(&mut self, stages: Vec<file::StageFile>) -> Result<(), PolicyError> {
        let mut drafts: Vec<StageDraft> = Vec::new();
        for (i, s) in stages.into_iter().enumerate() {
            let at = |k: &str| format!("stage[{i}].{k}");
            let stage = match Stage::from_name(&s.stage) {
                Some(st) if Stage::GATED.contains(&st) => st,
                Some(st) => {
                    return Err(self.error_at(
                        &at("stage"),
                        format!("{st} has no gates: DISQUALIFIED comes from [disqualifiers], UNQUALIFIED is the default"),
                    ));
                }
                None => {
                    return Err(self.error_at(
                        &at("stage"),
                        format!("`{}` is not a stage; use MQL, SQL, PQL or HQL", s.stage),
                    ));
                }
            };
            if drafts.iter().any(|d| d.stage == stage) {
                return Err(self.error_at(&at("stage"), format!("{stage} is defined twice")));
            }
            if let Some(prev) = drafts.last()
                && rank(prev.stage) > rank(stage)
            {
                return Err(self.error_at(
                    &at("stage"),
                    format!(
                        "stages must be listed lowest first (MQL, then SQL and/or PQL, then HQL): {stage} comes after {}",
                        prev.stage
                    ),
                ));
            }
            if s.gates.is_empty() {
                return Err(self.error_at(&at("stage"), format!("{stage} needs at least one [[stage.gate]]")));
            }
            let mut gates: Vec<GateDraft> = Vec::new();
            for (j, g) in s.gates.into_iter().enumerate() {
                let gat = |k: &str| format!("stage[{i}].gate[{j}].{k}");
                if g.name.trim().is_empty() {
                    return Err(self.error_at(&gat("name"), "must not be empty"));
                }
                if gates.iter().any(|d| d.name == g.name) {
                    return Err(
                        self.error_at(&gat("name"), format!("duplicate gate `{}` in {stage}", g.name))
                    );
                }
                let op = Op::parse(&g.op).ok_or_else(|| {
                    self.error_at(
                        &gat("op"),
                        format!("`{}` is not an operator; use >=, >, <=, <, ==, !=, in, not_in", g.op),
                    )
                })?;
                let operand = match (&g.value, op) {
                    (toml::Value::Integer(n), _) => Operand::Number(*n as f64),
                    (toml::Value::Float(f), _) if f.is_finite() => Operand::Number(*f),
                    (toml::Value::Boolean(b), _) => Operand::Bool(*b),
                    (toml::Value::String(t), _) => Operand::Text(t.clone()),
                    (toml::Value::Array(items), Op::In | Op::NotIn) => {
                        let mut list = Vec::new();
                        for item in items {
                            match item.as_str() {
                                Some(t) => list.push(t.to_string()),
                                None => {
                                    return Err(self
                                        .error_at(&gat("value"), "an `in` list must contain only strings"));
                                }
                            }
                        }
                        if list.is_empty() {
                            return Err(self.error_at(&gat("value"), "an `in` list must not be empty"));
                        }
                        Operand::TextList(list)
                    }
                    _ => {
                        return Err(self.error_at(
                            &gat("value"),
                            "must be a finite number, a boolean, a string, or (for in / not_in) a list of strings",
                        ));
                    }
                };
                if matches!(op, Op::In | Op::NotIn) != matches!(operand, Operand::TextList(_)) {
                    return Err(self.error_at(
                        &gat("value"),
                        format!(
                            "`{}` needs {}",
                            op.as_str(),
                            if matches!(op, Op::In | Op::NotIn) {
                                "a list of strings"
                            } else {
                                "a single value, not a list"
                            }
                        ),
                    ));
                }
                gates.push(GateDraft {
                    name: g.name,
                    subject: g.subject.trim().to_string(),
                    op,
                    operand,
                    description: g.description,
                    hint: g.hint,
                });
            }
            let next = match &s.next {
                None => None,
                Some(n) => match Stage::from_name(n) {
                    Some(ns) if Stage::GATED.contains(&ns) && rank(ns) > rank(stage) => Some(ns),
                    _ => {
                        return Err(
                            self.error_at(&at("next"), format!("`{n}` must be a gated stage above {stage}"))
                        );
                    }
                },
            };
            drafts.push(StageDraft { stage, description: s.description, next, gates });
        }
        for (i, d) in drafts.iter().enumerate() {
            if let Some(n) = d.next
                && !drafts.iter().any(|o| o.stage == n)
            {
                return Err(
                    self.error_at(&format!("stage[{i}].next"), format!("{n} is not defined in this policy"))
                );
            }
        }
        self.stages = drafts;
        Ok(())
    }

    fn read_disqualifiers(&mut self, d: file::DisqualifiersFile) -> Result<(), PolicyError> {
        for (i, code) in d.codes.into_iter().enumerate() {
            if code.trim().is_empty() {
                return Err(self.error_at(&format!("disqualifiers.codes[{i}]"), "must not be empty"));
            }
            if self.disqualifier_codes.contains(&code) {
                return Err(
                    self.error_at(&format!("disqualifiers.codes[{i}]"), format!("duplicate code `{code}`"))
                );
            }
            self.disqualifier_codes.push(code);
        }
        Ok(())
    }

    /// Resolves gate subjects, dimensions and codes against the loaded
    /// scorers (`catalog` is in policy order).
    pub fn resolve(&self, catalog: &[ScorerCatalog]) -> Result<Resolved, PolicyError> {
        let mut dimensions: Vec<String> = Vec::new();
        let mut scorer_dimension = Vec::with_capacity(catalog.len());
        for c in catalog {
            let idx = match dimensions.iter().position(|d| *d == c.dimension) {
                Some(i) => i,
                None => {
                    dimensions.push(c.dimension.clone());
                    dimensions.len() - 1
                }
            };
            scorer_dimension.push(idx);
        }
        for (i, code) in self.disqualifier_codes.iter().enumerate() {
            if !catalog.iter().any(|c| c.disqualifiers.contains(code)) {
                let declared: Vec<&str> =
                    catalog.iter().flat_map(|c| c.disqualifiers.iter().map(String::as_str)).collect();
                return Err(self.error_at(
                    &format!("disqualifiers.codes[{i}]"),
                    format!(
                        "no loaded scorer declares `{code}`; declared codes: {}",
                        list_or_none(&declared)
                    ),
                ));
            }
        }
        let mut stages = Vec::with_capacity(self.stages.len());
        for (i, d) in self.stages.iter().enumerate() {
            let mut gates = Vec::with_capacity(d.gates.len());
            for (j, g) in d.gates.iter().enumerate() {
                let key = format!("stage[{i}].gate[{j}].subject");
                let subject = self.resolve_subject(&g.subject, catalog, &dimensions, &key)?;
                let kind = subject.kind();
                if !Op::allowed_for(kind).contains(&g.op) {
                    return Err(self.error_at(
                        &format!("stage[{i}].gate[{j}].op"),
                        format!(
                            "`{}` cannot compare a {} subject (`{}`)",
                            g.op.as_str(),
                            kind.as_str(),
                            g.subject
                        ),
                    ));
                }
                let fits = matches!(
                    (kind, &g.operand),
                    (FactKind::Number, Operand::Number(_))
                        | (FactKind::Bool, Operand::Bool(_))
                        | (FactKind::Text, Operand::Text(_) | Operand::TextList(_))
                );
                if !fits {
                    return Err(self.error_at(
                        &format!("stage[{i}].gate[{j}].value"),
                        format!("`{}` is a {} subject; the value must be one too", g.subject, kind.as_str()),
                    ));
                }
                gates.push(Gate {
                    name: g.name.clone(),
                    subject_text: g.subject.clone(),
                    subject,
                    op: g.op,
                    operand_text: g.operand.to_string(),
                    operand: g.operand.clone(),
                    description: g.description.clone(),
                    hint: g.hint.clone(),
                });
            }
            let next =
                d.next.or_else(|| self.stages.iter().map(|o| o.stage).find(|o| rank(*o) > rank(d.stage)));
            stages.push(StageRule { stage: d.stage, description: d.description.clone(), next, gates });
        }
        let first_stage = self.stages.first().map(|d| d.stage);
        Ok(Resolved { dimensions, scorer_dimension, stages, first_stage })
    }

    fn resolve_subject(
        &self,
        text: &str,
        catalog: &[ScorerCatalog],
        dimensions: &[String],
        key: &str,
    ) -> Result<Subject, PolicyError> {
        if text == "total" {
            return Ok(Subject::Total);
        }
        let Some((head, tail)) = text.split_once('.') else {
            return Err(self.error_at(
                key,
                format!("`{text}` is not a subject: use total, dimension.<name>, <scorer>.score or <scorer>.<fact>"),
            ));
        };
        if head == "dimension" {
            return match dimensions.iter().position(|d| d == tail) {
                Some(i) => Ok(Subject::Dimension(i)),
                None => Err(self.error_at(
                    key,
                    format!("unknown dimension `{tail}`; this policy has: {}", dimensions.join(", ")),
                )),
            };
        }
        let Some(slot) = catalog.iter().position(|c| c.id == head) else {
            let ids: Vec<&str> = catalog.iter().map(|c| c.id.as_str()).collect();
            return Err(self.error_at(key, format!("unknown scorer `{head}`; scorers: {}", ids.join(", "))));
        };
        if tail == "score" {
            return Ok(Subject::ScorerScore(slot));
        }
        match catalog[slot].facts.iter().find(|(n, _)| n == tail) {
            Some((name, kind)) => Ok(Subject::Fact(slot, name.clone(), *kind)),
            None => {
                let facts: Vec<&str> = catalog[slot].facts.iter().map(|(n, _)| n.as_str()).collect();
                Err(self.error_at(
                    key,
                    format!("scorer `{head}` declares no fact `{tail}`; its facts: {}", list_or_none(&facts)),
                ))
            }
        }
    }
}

fn list_or_none(items: &[&str]) -> String {
    if items.is_empty() { "(none)".to_string() } else { items.join(", ") }
}

#[cfg(test)]
mod tests;
