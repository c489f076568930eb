//! The rules a plugin must pass to be ready for `hqld`, one module per stage.
//!
//! - `loading`: the library loads as the server loads it (open, entry
//!   symbol, magic, ABI major and minor, descriptor size).
//! - `descriptor`: what the plugin declares is well-formed (identity,
//!   hooks, facts, disqualification codes).
//! - `lifecycle`: it accepts its config, and survives destroy and re-create.
//! - `output`: on every edge-case lead it returns a score, in range, with
//!   well-formed reasons and only declared facts and codes.
//! - `behaviour`: it cannot see the future, it is deterministic and
//!   thread-safe, it honours a reason limit, a reason bar and a fact mask,
//!   and how fast it is.
//!
//! Each rule is a plain function from what was observed to a
//! [`RuleResult`], so every one can be unit-tested
//! on hand-made observations. A stage whose inputs do not exist (nothing
//! loaded, create refused) reports its rules as skipped, never as passed.

pub(crate) mod behaviour;
pub(crate) mod descriptor;
pub(crate) mod lifecycle;
pub(crate) mod loading;
pub(crate) mod output;

use serde::Serialize;

use crate::report::RuleResult;

/// One rule, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(into = "&'static str")]
pub enum Rule {
    /// The file is a shared library this platform can load.
    Open,
    /// It exports `hql_scorer_entry`, which returns a descriptor.
    Entry,
    /// The descriptor starts with the HQL magic number.
    Magic,
    /// Built for this host's ABI major.
    AbiMajor,
    /// Built for this host's ABI minor or an older one.
    AbiMinor,
    /// The descriptor is at least as large as ABI 1.0's.
    DescriptorSize,
    /// Name, version and dimension are well-formed.
    Identity,
    /// `create`, `score` and `destroy` are all there.
    Hooks,
    /// Declared facts are well-formed.
    Facts,
    /// Declared disqualification codes are well-formed.
    Disqualifiers,
    /// `create` accepts the config; destroy and create again work.
    CreateDestroy,
    /// Every edge-case lead gets a score: no error, no panic.
    NoErrors,
    /// Scores are finite and within 0..=100.
    Range,
    /// Reasons are well-formed.
    Reasons,
    /// Facts set are declared and of the declared kind.
    OutputFacts,
    /// Disqualifiers reported are declared.
    OutputDisqualifiers,
    /// Events after `as_of` change nothing.
    FutureHidden,
    /// The same lead twice gives the same output.
    Determinism,
    /// Concurrent calls give the sequential results.
    ThreadSafety,
    /// Under a reason limit, the reasons the host keeps are the top ones.
    ReasonLimit,
    /// Under a reason limit and a bar, the reasons the host keeps are the
    /// top ones that clear it.
    ReasonBar,
    /// Under a fact mask (`wanted_facts`), the facts the host keeps are the
    /// wanted ones, and nothing else changes.
    WantedFacts,
    /// Time per call (reported, not judged).
    Timing,
}

impl Rule {
    /// Where in [`Rule::ALL`] the rules that need a created instance start
    /// ([`Rule::CreateDestroy`]); the ones before only read the library.
    pub const FIRST_RUN_RULE: usize = 10;

    /// Every rule, in report order.
    pub const ALL: [Rule; 23] = [
        Rule::Open,
        Rule::Entry,
        Rule::Magic,
        Rule::AbiMajor,
        Rule::AbiMinor,
        Rule::DescriptorSize,
        Rule::Identity,
        Rule::Hooks,
        Rule::Facts,
        Rule::Disqualifiers,
        Rule::CreateDestroy,
        Rule::NoErrors,
        Rule::Range,
        Rule::Reasons,
        Rule::OutputFacts,
        Rule::OutputDisqualifiers,
        Rule::FutureHidden,
        Rule::Determinism,
        Rule::ThreadSafety,
        Rule::ReasonLimit,
        Rule::ReasonBar,
        Rule::WantedFacts,
        Rule::Timing,
    ];

    /// Stable id, as printed and in `--json`.
    pub const fn id(self) -> &'static str {
        match self {
            Rule::Open => "library.open",
            Rule::Entry => "entry.symbol",
            Rule::Magic => "descriptor.magic",
            Rule::AbiMajor => "abi.major",
            Rule::AbiMinor => "abi.minor",
            Rule::DescriptorSize => "descriptor.size",
            Rule::Identity => "descriptor.identity",
            Rule::Hooks => "descriptor.hooks",
            Rule::Facts => "descriptor.facts",
            Rule::Disqualifiers => "descriptor.disqualifiers",
            Rule::CreateDestroy => "config.create_destroy",
            Rule::NoErrors => "score.no_errors",
            Rule::Range => "score.range",
            Rule::Reasons => "score.reasons",
            Rule::OutputFacts => "score.facts",
            Rule::OutputDisqualifiers => "score.disqualifiers",
            Rule::FutureHidden => "score.future_hidden",
            Rule::Determinism => "behaviour.determinism",
            Rule::ThreadSafety => "behaviour.thread_safety",
            Rule::ReasonLimit => "behaviour.reason_limit",
            Rule::ReasonBar => "behaviour.reason_bar",
            Rule::WantedFacts => "behaviour.wanted_facts",
            Rule::Timing => "behaviour.timing",
        }
    }
}

impl From<Rule> for &'static str {
    fn from(rule: Rule) -> &'static str {
        rule.id()
    }
}

/// Every rule from `rules` on, skipped because `why`.
pub(crate) fn skip_all(rules: &[Rule], why: &str) -> Vec<RuleResult> {
    rules.iter().map(|r| RuleResult::skip(*r, why)).collect()
}

/// Lists at most `max` items of `items`, then how many more there were.
pub(crate) fn capped(mut items: Vec<String>, max: usize) -> Vec<String> {
    if items.len() > max {
        let more = items.len() - max;
        items.truncate(max);
        items.push(format!("... and {more} more"));
    }
    items
}

/// Problems found on several leads, each listed once with the leads it was
/// found on (a bad reason code usually shows up on every lead).
#[derive(Debug, Default)]
pub(crate) struct Findings {
    items: Vec<(String, Vec<&'static str>)>,
}

impl Findings {
    /// Records `problem` on `lead`.
    pub(crate) fn add(&mut self, lead: &'static str, problem: String) {
        match self.items.iter_mut().find(|(p, _)| *p == problem) {
            Some((_, leads)) => {
                if !leads.contains(&lead) {
                    leads.push(lead);
                }
            }
            None => self.items.push((problem, vec![lead])),
        }
    }

    /// Nothing was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// One line per problem: `problem (lead `a`, `b` and 3 more)`.
    pub(crate) fn into_problems(self) -> Vec<String> {
        self.items
            .into_iter()
            .map(|(problem, leads)| {
                let named: Vec<String> = leads.iter().take(3).map(|l| format!("`{l}`")).collect();
                let more = leads.len().saturating_sub(3);
                let label = if leads.len() == 1 { "lead" } else { "leads" };
                if more > 0 {
                    format!("{problem} (on {label} {} and {more} more)", named.join(", "))
                } else {
                    format!("{problem} (on {label} {})", named.join(", "))
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_dotted() {
        let mut ids: Vec<&str> = Rule::ALL.iter().map(|r| r.id()).collect();
        assert!(ids.iter().all(|id| crate::names::is_dotted_code(id)));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Rule::ALL.len());
    }

    #[test]
    fn capping_says_how_many_were_left_out() {
        let items: Vec<String> = (0..5).map(|i| i.to_string()).collect();
        assert_eq!(capped(items.clone(), 10), items);
        assert_eq!(capped(items, 2), vec!["0", "1", "... and 3 more"]);
    }

    #[test]
    fn findings_list_each_problem_once_with_its_leads() {
        let mut f = Findings::default();
        assert!(f.is_empty());
        for lead in ["a", "b", "b", "c", "d", "e"] {
            f.add(lead, "bad code".into());
        }
        f.add("a", "other".into());
        assert_eq!(
            f.into_problems(),
            vec!["bad code (on leads `a`, `b`, `c` and 2 more)", "other (on lead `a`)"]
        );
    }
}
