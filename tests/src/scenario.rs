//! Scenarios: the contract with sales, as data.
//!
//! A scenario is a TOML file in `tests/scenarios/`: a lead written the way a
//! salesperson or a domain article would describe it, and what the shipped
//! policy must decide for it (the stage, reasons that must appear, gates
//! that must pass or fail, disqualifiers), optionally replayed at a later
//! `as_of`. `tests/tests/scenarios.rs` runs every file through the real
//! `hqld` and, for a scenario that fails, prints the Explain trail a
//! salesperson would read, so a disagreement can be argued over in the
//! domain's words rather than in code.
//!
//! Times are relative (`days_ago`), so a scenario reads like a story and
//! stays the same lead at any `as_of`. Enumerations are written in lower
//! case without their prefix (`seniority = "vp"`, `type = "demo_request"`).
//! Unknown keys are errors, so a typo cannot silently weaken a scenario.
//!
//! ```toml
//! name = "Demo request from a VP at a target account"
//! story = "003: a demo request is the clearest bottom-of-funnel signal"
//!
//! [lead.contact]
//! email = "dana@northwind.io"
//! seniority = "vp"
//!
//! [[lead.events]]
//! type = "demo_request"
//! days_ago = 2
//!
//! [expect]
//! stage = "SQL"
//! reasons = ["intent.bottom_funnel.demo_request"]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hql_proto::pb;
use serde::Deserialize;

use crate::leads::{MS_PER_DAY, ts};

/// The `as_of` of every scenario unless it says otherwise: 2026-11-26T09:00:00Z.
pub const SCENARIO_AS_OF_MS: i64 = 1_795_683_600_000;

/// One scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short title.
    pub name: String,
    /// Why the expected answer is right, with the articles it comes from.
    pub story: String,
    /// `as_of` in ms since the epoch; default [`SCENARIO_AS_OF_MS`].
    #[serde(default)]
    pub as_of_ms: Option<i64>,
    /// The lead.
    pub lead: LeadSpec,
    /// What the decision must be at `as_of`.
    pub expect: Expect,
    /// The same lead decided again later.
    #[serde(default)]
    pub replay: Vec<Replay>,
    /// The file it was read from (set by [`load_dir`]).
    #[serde(skip)]
    pub file: PathBuf,
}

/// The same lead at a later `as_of`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// Days after the scenario's `as_of`.
    pub days_later: i64,
    /// What the decision must be then.
    pub expect: Expect,
}

/// Expectations on one decision and its trail. Everything is optional but
/// `stage`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `DISQUALIFIED`, `UNQUALIFIED`, `MQL`, `SQL`, `PQL` or `HQL`.
    pub stage: String,
    /// Stages the decision must not be (e.g. `["HQL"]` whatever else it is).
    #[serde(default)]
    pub not_stage: Vec<String>,
    /// Reason codes that must appear in the trail of some scorer.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Reason codes that must not appear.
    #[serde(default)]
    pub absent_reasons: Vec<String>,
    /// Disqualification codes that must apply (exactly these, when set).
    #[serde(default)]
    pub disqualifiers: Option<Vec<String>>,
    /// Gates, as `STAGE.gate_name`, that must pass.
    #[serde(default)]
    pub passing_gates: Vec<String>,
    /// Gates, as `STAGE.gate_name`, that must fail.
    #[serde(default)]
    pub failing_gates: Vec<String>,
    /// Bounds on scorer scores or the total: `{ "intent" = [40, 100], "total" = [0, 30] }`.
    #[serde(default)]
    pub scores: BTreeMap<String, [f64; 2]>,
    /// The next stage (`""` for none).
    #[serde(default)]
    pub next_stage: Option<String>,
    /// Whether the decision is degraded; default false.
    #[serde(default)]
    pub degraded: bool,
}

/// A lead, written for people.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadSpec {
    /// Default: the file name.
    #[serde(default)]
    pub lead_id: Option<String>,
    /// Who.
    #[serde(default)]
    pub contact: ContactSpec,
    /// Their company.
    #[serde(default)]
    pub company: CompanySpec,
    /// BANT answers.
    #[serde(default)]
    pub bant: BantSpec,
    /// What they did.
    #[serde(default)]
    pub events: Vec<EventSpec>,
    /// Product usage, for trials and freemium accounts.
    #[serde(default)]
    pub product_usage: Option<UsageSpec>,
    /// Custom attributes.
    #[serde(default)]
    pub attributes: BTreeMap<String, toml::Value>,
}

/// `Contact`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactSpec {
    /// E-mail.
    #[serde(default)]
    pub email: String,
    /// Job title.
    #[serde(default)]
    pub job_title: String,
    /// `intern`, `entry`, `senior`, `manager`, `director`, `vp`, `c_level`, `owner`.
    #[serde(default)]
    pub seniority: Option<String>,
    /// Department.
    #[serde(default)]
    pub department: String,
    /// ISO country code.
    #[serde(default)]
    pub country: String,
}

/// `Company`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanySpec {
    /// Domain.
    #[serde(default)]
    pub domain: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Industry.
    #[serde(default)]
    pub industry: String,
    /// Employees.
    #[serde(default)]
    pub employee_count: Option<i64>,
    /// Annual revenue, USD.
    #[serde(default)]
    pub annual_revenue: Option<f64>,
    /// Sales region.
    #[serde(default)]
    pub region: String,
    /// Tools in use.
    #[serde(default)]
    pub technologies: Vec<String>,
}

/// `Bant`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BantSpec {
    /// `none`, `estimated`, `confirmed`.
    #[serde(default)]
    pub budget_status: Option<String>,
    /// USD.
    #[serde(default)]
    pub budget_amount: Option<f64>,
    /// `user`, `influencer`, `decision_maker`, `economic_buyer`.
    #[serde(default)]
    pub authority: Option<String>,
    /// `none`, `stated`, `confirmed`.
    #[serde(default)]
    pub need: Option<String>,
    /// Days to the decision.
    #[serde(default)]
    pub timeline_days: Option<i32>,
}

/// One event, or `repeat` of them `every_days` apart going back in time.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// `EventType` without its prefix, lower case (`demo_request`), or a
    /// custom snake_case type (sent as `EVENT_TYPE_CUSTOM`).
    #[serde(rename = "type")]
    pub event_type: String,
    /// Days before `as_of` (fractions allowed); negative is after `as_of`.
    pub days_ago: f64,
    /// `first_party` or `third_party`.
    #[serde(default)]
    pub source: Option<String>,
    /// `Channel` without its prefix (`email`, `web`, ...).
    #[serde(default)]
    pub channel: Option<String>,
    /// Campaign name.
    #[serde(default)]
    pub campaign: String,
    /// `positive`, `neutral`, `negative`.
    #[serde(default)]
    pub response: Option<String>,
    /// Magnitude.
    #[serde(default)]
    pub value: Option<f64>,
    /// How many such events; default 1.
    #[serde(default = "one")]
    pub repeat: u32,
    /// Spacing between repeats, in days, going back from `days_ago`.
    #[serde(default = "one_day")]
    pub every_days: f64,
}

fn one() -> u32 {
    1
}

fn one_day() -> f64 {
    1.0
}

/// `ProductUsage`, with relative times.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSpec {
    /// Days since sign-up.
    #[serde(default)]
    pub signed_up_days_ago: Option<f64>,
    /// Reached activation.
    #[serde(default)]
    pub activated: bool,
    /// 0–30.
    #[serde(default)]
    pub active_days_last_30: Option<i32>,
    /// 0–30.
    #[serde(default)]
    pub active_days_prev_30: Option<i32>,
    /// Seats.
    #[serde(default)]
    pub seats: Option<i32>,
    /// Teammates invited.
    #[serde(default)]
    pub invited_teammates: Option<i32>,
    /// Key features adopted.
    #[serde(default)]
    pub features_adopted: Vec<String>,
    /// Plan-limit hits.
    #[serde(default)]
    pub plan_limit_hits: Option<i32>,
    /// Plan name.
    #[serde(default)]
    pub plan: String,
    /// Days until the trial ends (negative: ended).
    #[serde(default)]
    pub trial_ends_in_days: Option<f64>,
}

/// Reads every `*.toml` in `dir`, sorted by file name. Errors name the file
/// and the key.
pub fn load_dir(dir: &Path) -> Result<Vec<Scenario>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files.iter().map(|f| load(f)).collect()
}

/// Reads one scenario file.
pub fn load(file: &Path) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut scenario: Scenario = toml::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    scenario.file = file.to_path_buf();
    Ok(scenario)
}

impl Scenario {
    /// The scenario's `as_of`.
    pub fn as_of_ms(&self) -> i64 {
        self.as_of_ms.unwrap_or(SCENARIO_AS_OF_MS)
    }

    /// The file's stem, the default lead id.
    pub fn id(&self) -> String {
        self.file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
    }

    /// The lead as an `hql.v1` message, its times relative to the
    /// scenario's `as_of` (also for replays: the lead does not move, time does).
    pub fn lead(&self) -> Result<pb::Lead, String> {
        let as_of = self.as_of_ms();
        let spec = &self.lead;
        let days = |d: f64| as_of - (d * MS_PER_DAY as f64).round() as i64;
        let mut events = Vec::new();
        for (i, e) in spec.events.iter().enumerate() {
            let at = |what: &str| format!("lead.events[{i}].{what}");
            let (event_type, custom_type) =
                match enum_value(pb::EventType::from_str_name, "EVENT_TYPE", &e.event_type) {
                    Some(t) => (t, String::new()),
                    None => (pb::EventType::Custom as i32, e.event_type.clone()),
                };
            let source = optional(pb::EventSource::from_str_name, "EVENT_SOURCE", &e.source, &at("source"))?;
            let channel = optional(pb::Channel::from_str_name, "CHANNEL", &e.channel, &at("channel"))?;
            let response = optional(
                pb::ResponseSentiment::from_str_name,
                "RESPONSE_SENTIMENT",
                &e.response,
                &at("response"),
            )?;
            for k in 0..e.repeat {
                events.push(pb::Event {
                    r#type: event_type,
                    custom_type: custom_type.clone(),
                    occurred_at: Some(ts(days(e.days_ago + f64::from(k) * e.every_days))),
                    source,
                    channel,
                    campaign: e.campaign.clone(),
                    response,
                    value: e.value,
                });
            }
        }
        let c = &spec.contact;
        let b = &spec.bant;
        let co = &spec.company;
        let usage = spec.product_usage.as_ref().map(|u| pb::ProductUsage {
            signed_up_at: u.signed_up_days_ago.map(|d| ts(days(d))),
            activated: u.activated,
            active_days_last_30: u.active_days_last_30,
            active_days_prev_30: u.active_days_prev_30,
            seats: u.seats,
            invited_teammates: u.invited_teammates,
            features_adopted: u.features_adopted.clone(),
            plan_limit_hits: u.plan_limit_hits,
            plan: u.plan.clone(),
            trial_ends_at: u.trial_ends_in_days.map(|d| ts(days(-d))),
        });
        let mut attributes = BTreeMap::new();
        for (key, value) in &spec.attributes {
            let kind = match value {
                toml::Value::String(s) => pb::attribute_value::Kind::StringValue(s.clone()),
                toml::Value::Integer(n) => pb::attribute_value::Kind::NumberValue(*n as f64),
                toml::Value::Float(x) => pb::attribute_value::Kind::NumberValue(*x),
                toml::Value::Boolean(v) => pb::attribute_value::Kind::BoolValue(*v),
                other => return Err(format!("lead.attributes.{key}: unsupported value {other}")),
            };
            attributes.insert(key.clone(), pb::AttributeValue { kind: Some(kind) });
        }
        Ok(pb::Lead {
            lead_id: spec.lead_id.clone().unwrap_or_else(|| self.id()),
            contact: Some(pb::Contact {
                email: c.email.clone(),
                job_title: c.job_title.clone(),
                seniority: optional(
                    pb::Seniority::from_str_name,
                    "SENIORITY",
                    &c.seniority,
                    "lead.contact.seniority",
                )?,
                department: c.department.clone(),
                country: c.country.clone(),
            }),
            company: Some(pb::Company {
                domain: co.domain.clone(),
                name: co.name.clone(),
                industry: co.industry.clone(),
                employee_count: co.employee_count,
                annual_revenue: co.annual_revenue,
                region: co.region.clone(),
                technologies: co.technologies.clone(),
            }),
            bant: Some(pb::Bant {
                budget_status: optional(
                    pb::BudgetStatus::from_str_name,
                    "BUDGET_STATUS",
                    &b.budget_status,
                    "lead.bant.budget_status",
                )?,
                budget_amount: b.budget_amount,
                authority: optional(
                    pb::Authority::from_str_name,
                    "AUTHORITY",
                    &b.authority,
                    "lead.bant.authority",
                )?,
                need: optional(pb::Need::from_str_name, "NEED", &b.need, "lead.bant.need")?,
                timeline_days: b.timeline_days,
            }),
            events,
            product_usage: usage,
            attributes,
        })
    }
}

/// `PREFIX_NAME` as the enum's number, for `name` written in lower case.
fn enum_value<E: Into<i32>>(from: fn(&str) -> Option<E>, prefix: &str, name: &str) -> Option<i32> {
    from(&format!("{prefix}_{}", name.to_ascii_uppercase())).map(Into::into)
}

/// An optional enum field: 0 when absent, an error naming `path` when unknown.
fn optional<E: Into<i32>>(
    from: fn(&str) -> Option<E>,
    prefix: &str,
    name: &Option<String>,
    path: &str,
) -> Result<i32, String> {
    match name {
        None => Ok(0),
        Some(n) => enum_value(from, prefix, n).ok_or_else(|| format!("{path}: unknown value {n:?}")),
    }
}

/// Checks `explanation` against `expect`; returns every mismatch, in words.
pub fn check(expect: &Expect, explanation: &pb::Explanation) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(decision) = explanation.decision.as_ref() else {
        return vec!["the explanation carries no decision".to_string()];
    };
    let stage = stage_name(decision.stage());
    if stage != expect.stage {
        problems.push(format!("stage is {stage}, expected {}", expect.stage));
    }
    for not in &expect.not_stage {
        if &stage == not {
            problems.push(format!("stage must not be {not}"));
        }
    }
    let codes: Vec<&str> =
        explanation.scorers.iter().flat_map(|t| t.reasons.iter().map(|r| r.code.as_str())).collect();
    for code in &expect.reasons {
        if !codes.contains(&code.as_str()) {
            problems.push(format!("reason {code} is missing"));
        }
    }
    for code in &expect.absent_reasons {
        if codes.contains(&code.as_str()) {
            problems.push(format!("reason {code} must not appear"));
        }
    }
    if let Some(expected) = &expect.disqualifiers {
        let mut got: Vec<&str> = decision.disqualifications.iter().map(|d| d.code.as_str()).collect();
        got.sort_unstable();
        got.dedup();
        let mut want: Vec<&str> = expected.iter().map(String::as_str).collect();
        want.sort_unstable();
        if got != want {
            problems.push(format!("disqualifiers are {got:?}, expected {want:?}"));
        }
    }
    for (gates, passed) in [(&expect.passing_gates, true), (&expect.failing_gates, false)] {
        for name in gates {
            match gate(explanation, name) {
                None => problems.push(format!("gate {name} is not in the trail")),
                Some(g) if g.passed != passed => problems.push(format!(
                    "gate {name} {} (actual {}), expected it to {}",
                    if g.passed { "passed" } else { "failed" },
                    g.actual,
                    if passed { "pass" } else { "fail" }
                )),
                Some(_) => {}
            }
        }
    }
    for (subject, [lo, hi]) in &expect.scores {
        let value = if subject == "total" {
            Some(decision.score)
        } else {
            decision.scorers.iter().find(|s| &s.name == subject).map(|s| s.score)
        };
        match value {
            None => problems.push(format!("no score for {subject}")),
            Some(v) if v < *lo || v > *hi => {
                problems.push(format!("{subject} scored {v}, expected {lo}..={hi}"))
            }
            Some(_) => {}
        }
    }
    if let Some(next) = &expect.next_stage {
        let got = stage_name(decision.next_stage());
        let got = if got == "UNSPECIFIED" { String::new() } else { got };
        if &got != next {
            problems.push(format!("next stage is {got:?}, expected {next:?}"));
        }
    }
    if decision.degraded != expect.degraded {
        problems.push(format!("degraded is {}, expected {}", decision.degraded, expect.degraded));
    }
    problems
}

/// `HQL` for `Stage::Hql`.
fn stage_name(stage: pb::Stage) -> String {
    stage.as_str_name().trim_start_matches("STAGE_").to_string()
}

/// Gate `STAGE.name` in the trail.
fn gate<'a>(explanation: &'a pb::Explanation, name: &str) -> Option<&'a pb::GateResult> {
    let (stage, gate) = name.split_once('.')?;
    explanation.stages.iter().find(|s| stage_name(s.stage()) == stage)?.gates.iter().find(|g| g.name == gate)
}
