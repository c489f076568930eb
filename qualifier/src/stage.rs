//! Qualification stages, lowest readiness first.

use std::fmt;

/// A lead's qualification stage. The derive order is the rank used for caps:
/// SQL and PQL are parallel tracks (sales-led and product-led); PQL ranks
/// above SQL only so a cap has a total order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Must not be worked: a hard disqualifier applied.
    Disqualified,
    /// Too little signal.
    Unqualified,
    /// Marketing-qualified.
    Mql,
    /// Sales-qualified.
    Sql,
    /// Product-qualified.
    Pql,
    /// Highly qualified.
    Hql,
}

impl Stage {
    /// Stages a policy may put gates on.
    pub const GATED: [Stage; 4] = [Stage::Mql, Stage::Sql, Stage::Pql, Stage::Hql];

    /// Upper-case name, as in policies and the proto (`MQL`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Stage::Disqualified => "DISQUALIFIED",
            Stage::Unqualified => "UNQUALIFIED",
            Stage::Mql => "MQL",
            Stage::Sql => "SQL",
            Stage::Pql => "PQL",
            Stage::Hql => "HQL",
        }
    }

    /// Parses a name, case-insensitively.
    pub fn from_name(name: &str) -> Option<Stage> {
        [Stage::Disqualified, Stage::Unqualified, Stage::Mql, Stage::Sql, Stage::Pql, Stage::Hql]
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
