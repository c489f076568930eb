//! The report: one result per rule, rendered for people or as JSON.
//!
//! A rule *passes*, *fails* (the plugin is not ready), is *skipped* (an
//! earlier failure left nothing to check, never counted as a pass), *warns*
//! (worth a look, not a reason to refuse) or only *informs* (timings). Only
//! failures count towards "not ready". Every failure and warning carries a
//! concrete "fix:" line, because a checker that only says "no" leaves the
//! author where they started.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::rules::Rule;

/// Most problems listed per rule in the text report (`--json` has them all).
const MAX_PROBLEMS_SHOWN: usize = 8;

/// The verdict of one rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The plugin meets the rule.
    Pass,
    /// The plugin breaks the rule: not ready.
    Fail,
    /// Worth a look; not a reason to refuse the plugin.
    Warn,
    /// Not checked, because an earlier rule failed.
    Skip,
    /// A measurement, not judged.
    Info,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Warn => "WARN",
            Status::Skip => "SKIP",
            Status::Info => "INFO",
        }
    }
}

/// The result of one rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleResult {
    /// Which rule.
    pub rule: Rule,
    /// Its verdict.
    pub status: Status,
    /// One line: what was found.
    pub summary: String,
    /// Each problem found (failures and warnings), most relevant first.
    pub problems: Vec<String>,
    /// How to fix it (failures and warnings).
    pub fix: Option<String>,
}

impl RuleResult {
    pub(crate) fn pass(rule: Rule, summary: impl Into<String>) -> RuleResult {
        RuleResult { rule, status: Status::Pass, summary: summary.into(), problems: Vec::new(), fix: None }
    }

    pub(crate) fn fail(
        rule: Rule,
        summary: impl Into<String>,
        problems: Vec<String>,
        fix: impl Into<String>,
    ) -> RuleResult {
        RuleResult { rule, status: Status::Fail, summary: summary.into(), problems, fix: Some(fix.into()) }
    }

    pub(crate) fn warn(
        rule: Rule,
        summary: impl Into<String>,
        problems: Vec<String>,
        fix: impl Into<String>,
    ) -> RuleResult {
        RuleResult { rule, status: Status::Warn, summary: summary.into(), problems, fix: Some(fix.into()) }
    }

    pub(crate) fn skip(rule: Rule, why: impl Into<String>) -> RuleResult {
        RuleResult { rule, status: Status::Skip, summary: why.into(), problems: Vec::new(), fix: None }
    }

    pub(crate) fn info(rule: Rule, summary: impl Into<String>) -> RuleResult {
        RuleResult { rule, status: Status::Info, summary: summary.into(), problems: Vec::new(), fix: None }
    }
}

/// What the plugin says about itself, when it could be read.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PluginInfo {
    /// Plugin name.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// ABI the plugin was built against, `major.minor`.
    pub abi: String,
    /// Default dimension (empty if unknown).
    pub dimension: String,
    /// sha256 of the file (empty if it could not be loaded).
    pub sha256: String,
}

/// Call times over the edge-case leads.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Timing {
    /// Calls measured.
    pub calls: usize,
    /// Median, in microseconds.
    pub median_us: f64,
    /// 99th percentile (nearest rank), in microseconds.
    pub p99_us: f64,
    /// The lead of the slowest call.
    pub slowest_lead: String,
    /// The slowest call, in microseconds.
    pub slowest_us: f64,
}

impl Timing {
    /// Median and p99 of `samples` (`(lead name, duration)`); `None` if empty.
    pub(crate) fn of(samples: &[(&str, Duration)]) -> Option<Timing> {
        let mut sorted: Vec<Duration> = samples.iter().map(|(_, d)| *d).collect();
        sorted.sort_unstable();
        let n = sorted.len();
        let median = *sorted.get(n / 2)?;
        // Nearest rank: the smallest value with at least 99% of samples at or below it.
        let rank = (n * 99).div_ceil(100).max(1);
        let p99 = sorted[rank - 1];
        let (slowest_lead, slowest) = samples.iter().max_by_key(|(_, d)| *d)?;
        Some(Timing {
            calls: n,
            median_us: micros(median),
            p99_us: micros(p99),
            slowest_lead: (*slowest_lead).to_string(),
            slowest_us: micros(*slowest),
        })
    }
}

fn micros(d: Duration) -> f64 {
    (d.as_nanos() as f64 / 1000.0 * 10.0).round() / 10.0
}

/// The whole report of one check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// The library checked, as given.
    pub library: PathBuf,
    /// The config file, if any.
    pub config_file: Option<PathBuf>,
    /// The JSON the plugin received.
    pub config_json: String,
    /// What the plugin says about itself, when readable.
    pub plugin: Option<PluginInfo>,
    /// Every rule, in order.
    pub rules: Vec<RuleResult>,
    /// Call times, when the plugin was scored.
    pub timing: Option<Timing>,
    /// Edge-case leads scored.
    pub leads: usize,
    /// Broken rules (failures).
    pub broken: usize,
    /// No rule failed.
    pub ready: bool,
}

impl Report {
    /// Assembles a report; `broken` and `ready` follow from `rules`.
    pub(crate) fn new(
        library: PathBuf,
        config_file: Option<PathBuf>,
        config_json: String,
        plugin: Option<PluginInfo>,
        rules: Vec<RuleResult>,
        timing: Option<Timing>,
        leads: usize,
    ) -> Report {
        let broken = rules.iter().filter(|r| r.status == Status::Fail).count();
        Report { library, config_file, config_json, plugin, rules, timing, leads, broken, ready: broken == 0 }
    }

    /// The result of `rule`.
    pub fn result(&self, rule: Rule) -> Option<&RuleResult> {
        self.rules.iter().find(|r| r.rule == rule)
    }

    /// The final line: `ready` or `not ready: K rule(s) broken`.
    pub fn verdict(&self) -> String {
        if self.ready { "ready".to_string() } else { format!("not ready: {} rule(s) broken", self.broken) }
    }

    /// The human-readable report, ending with [`Report::verdict`].
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "checking {}", self.library.display());
        if let Some(p) = &self.plugin {
            let mut line = format!("plugin `{}` {} (ABI {}", p.name, p.version, p.abi);
            if !p.dimension.is_empty() {
                let _ = write!(line, ", dimension {}", p.dimension);
            }
            line.push(')');
            if !p.sha256.is_empty() {
                let _ = write!(line, ", sha256 {}", p.sha256);
            }
            let _ = writeln!(out, "{line}");
        }
        let config = match &self.config_file {
            Some(file) => format!("config {}: {}", file.display(), ellipsis(&self.config_json, 200)),
            None => "config: {} (none given; the server passes {} when a policy has no [scorer.config])"
                .to_string(),
        };
        let _ = writeln!(out, "{config}");
        out.push('\n');
        let width = self.rules.iter().map(|r| r.rule.id().len()).max().unwrap_or(0);
        for r in &self.rules {
            let _ = writeln!(out, "{}  {:width$}  {}", r.status.label(), r.rule.id(), r.summary);
            let shown = crate::rules::capped(r.problems.clone(), MAX_PROBLEMS_SHOWN);
            for problem in shown {
                let _ = writeln!(out, "      - {problem}");
            }
            if let Some(fix) = &r.fix {
                let _ = writeln!(out, "      fix: {fix}");
            }
        }
        out.push('\n');
        let _ = writeln!(out, "{}", self.verdict());
        out
    }

    /// The report as one JSON document (every problem, no cap).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

fn ellipsis(text: &str, max_chars: usize) -> String {
    if text.chars().count() > max_chars {
        format!("{}…", text.chars().take(max_chars).collect::<String>())
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(rules: Vec<RuleResult>) -> Report {
        Report::new(PathBuf::from("libx.so"), None, "{}".into(), None, rules, None, 0)
    }

    #[test]
    fn only_failures_make_a_plugin_not_ready() {
        let ok = report(vec![
            RuleResult::pass(Rule::Open, "opened"),
            RuleResult::warn(Rule::Timing, "slow", vec![], "profile it"),
            RuleResult::info(Rule::Timing, "fast"),
            RuleResult::skip(Rule::Hooks, "not checked"),
        ]);
        assert!(ok.ready);
        assert_eq!(ok.verdict(), "ready");
        assert!(ok.to_text().ends_with("\nready\n"));

        let broken = report(vec![
            RuleResult::fail(Rule::AbiMajor, "wrong major", vec![], "rebuild"),
            RuleResult::fail(Rule::Hooks, "no hooks", vec!["a".into()], "add them"),
        ]);
        assert!(!broken.ready);
        assert_eq!(broken.verdict(), "not ready: 2 rule(s) broken");
        let text = broken.to_text();
        assert!(text.contains("FAIL  abi.major         wrong major\n      fix: rebuild\n"), "{text}");
        assert!(text.contains("      - a\n"), "{text}");
    }

    #[test]
    fn json_carries_ids_statuses_and_the_verdict() {
        let r = report(vec![RuleResult::fail(Rule::AbiMajor, "wrong major", vec![], "rebuild")]);
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).expect("valid JSON");
        assert_eq!(json["rules"][0]["rule"], "abi.major");
        assert_eq!(json["rules"][0]["status"], "fail");
        assert_eq!(json["ready"], false);
        assert_eq!(json["broken"], 1);
    }

    #[test]
    fn timing_takes_median_and_nearest_rank_p99() {
        let samples: Vec<(&str, Duration)> =
            (1..=100).map(|i| (if i == 100 { "slow" } else { "fast" }, Duration::from_micros(i))).collect();
        let t = Timing::of(&samples).expect("samples");
        assert_eq!(t.calls, 100);
        assert_eq!(t.median_us, 51.0);
        assert_eq!(t.p99_us, 99.0);
        assert_eq!((t.slowest_lead.as_str(), t.slowest_us), ("slow", 100.0));
        assert!(Timing::of(&[]).is_none());
    }
}
