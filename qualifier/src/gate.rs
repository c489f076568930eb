//! Stage gates: what a gate tests, how it compares, and how it renders.
//!
//! A gate is `subject op value`. Subjects are resolved once, when the policy
//! loads, into indexes (a dimension, a scorer slot, a declared fact), so
//! evaluation per lead is a few comparisons with no string lookups. A value
//! that is unknown (a failed scorer, a fact the scorer did not set) never
//! satisfies a gate: a lead is not promoted on missing evidence.

use std::fmt;

use hql_plugin_api::{FactKind, FactValue};

/// What a gate tests.
#[derive(Clone, Debug, PartialEq)]
pub enum Subject {
    /// The weighted total, 0–100.
    Total,
    /// A dimension subtotal (index into the policy's dimensions).
    Dimension(usize),
    /// A scorer's raw score (index into the policy's scorers).
    ScorerScore(usize),
    /// A fact a scorer declared: slot index, fact name, kind.
    Fact(usize, String, FactKind),
}

impl Subject {
    /// The kind of value the subject yields.
    pub fn kind(&self) -> FactKind {
        match self {
            Subject::Fact(_, _, kind) => *kind,
            _ => FactKind::Number,
        }
    }
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `in` (text in a list)
    In,
    /// `not_in`
    NotIn,
}

impl Op {
    /// Parses the policy spelling.
    pub fn parse(s: &str) -> Option<Op> {
        Some(match s {
            ">=" => Op::Ge,
            ">" => Op::Gt,
            "<=" => Op::Le,
            "<" => Op::Lt,
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "in" => Op::In,
            "not_in" => Op::NotIn,
            _ => return None,
        })
    }

    /// The policy spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::In => "in",
            Op::NotIn => "not_in",
        }
    }

    /// Operators that make sense for a kind of value.
    pub fn allowed_for(kind: FactKind) -> &'static [Op] {
        match kind {
            FactKind::Number => &[Op::Ge, Op::Gt, Op::Le, Op::Lt, Op::Eq, Op::Ne],
            FactKind::Bool => &[Op::Eq, Op::Ne],
            FactKind::Text => &[Op::Eq, Op::Ne, Op::In, Op::NotIn],
        }
    }
}

/// The required value of a gate.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// A number.
    Number(f64),
    /// A flag.
    Bool(bool),
    /// A text.
    Text(String),
    /// A list of texts (`in`, `not_in`).
    TextList(Vec<String>),
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Number(n) => write!(f, "{}", fmt_number(*n)),
            Operand::Bool(b) => write!(f, "{b}"),
            Operand::Text(t) => write!(f, "{t}"),
            Operand::TextList(l) => write!(f, "[{}]", l.join(", ")),
        }
    }
}

/// Renders a number compactly: integers without decimals, others with at most 2.
pub fn fmt_number(n: f64) -> String {
    hql_plugin_api::text::num(n)
}

/// One gate of a stage, resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Gate {
    /// Name from the policy.
    pub name: String,
    /// Subject as written (`bant.authority`).
    pub subject_text: String,
    /// Resolved subject.
    pub subject: Subject,
    /// Operator.
    pub op: Op,
    /// Required value.
    pub operand: Operand,
    /// The required value as text, written once when the policy loads
    /// (every explanation shows it).
    pub operand_text: String,
    /// Meaning.
    pub description: String,
    /// What would satisfy it.
    pub hint: String,
}

/// The value a subject has for one lead.
#[derive(Clone, Debug, PartialEq)]
pub enum Actual<'a> {
    /// Known number.
    Number(f64),
    /// Known flag.
    Bool(bool),
    /// Known text.
    Text(&'a str),
    /// Not known.
    Unknown,
}

impl fmt::Display for Actual<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actual::Number(n) => f.write_str(&fmt_number(*n)),
            Actual::Bool(b) => write!(f, "{b}"),
            Actual::Text(t) => f.write_str(t),
            Actual::Unknown => f.write_str("unknown"),
        }
    }
}

impl<'a> Actual<'a> {
    /// Appends the value as [`fmt::Display`] writes it, without the
    /// formatting machinery.
    pub fn push_to(&self, out: &mut String) {
        match self {
            Actual::Number(n) => hql_plugin_api::text::push_num(out, *n),
            Actual::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Actual::Text(t) => out.push_str(t),
            Actual::Unknown => out.push_str("unknown"),
        }
    }

    /// Reads a fact value.
    pub fn of_fact(v: Option<&'a FactValue>) -> Actual<'a> {
        match v {
            Some(FactValue::Number(n)) => Actual::Number(*n),
            Some(FactValue::Bool(b)) => Actual::Bool(*b),
            Some(FactValue::Text(t)) => Actual::Text(t),
            None => Actual::Unknown,
        }
    }
}

impl Gate {
    /// Whether `actual` satisfies the gate. Unknown never does.
    pub fn passes(&self, actual: &Actual<'_>) -> bool {
        match (actual, &self.operand) {
            (Actual::Number(a), Operand::Number(r)) => match self.op {
                Op::Ge => *a >= *r,
                Op::Gt => *a > *r,
                Op::Le => *a <= *r,
                Op::Lt => *a < *r,
                Op::Eq => (*a - *r).abs() < 1e-9,
                Op::Ne => (*a - *r).abs() >= 1e-9,
                Op::In | Op::NotIn => false,
            },
            (Actual::Bool(a), Operand::Bool(r)) => match self.op {
                Op::Eq => a == r,
                Op::Ne => a != r,
                _ => false,
            },
            (Actual::Text(a), Operand::Text(r)) => match self.op {
                Op::Eq => *a == r,
                Op::Ne => *a != r,
                _ => false,
            },
            (Actual::Text(a), Operand::TextList(list)) => match self.op {
                Op::In => list.iter().any(|r| r == a),
                Op::NotIn => !list.iter().any(|r| r == a),
                _ => false,
            },
            _ => false,
        }
    }

    /// `op value`, e.g. `>= 60`.
    pub fn required_text(&self) -> String {
        format!("{} {}", self.op.as_str(), self.operand)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(op: Op, operand: Operand) -> Gate {
        Gate {
            name: "g".into(),
            subject_text: "total".into(),
            subject: Subject::Total,
            op,
            operand_text: operand.to_string(),
            operand,
            description: String::new(),
            hint: String::new(),
        }
    }

    #[test]
    fn numbers_compare() {
        let g = gate(Op::Ge, Operand::Number(60.0));
        assert!(g.passes(&Actual::Number(60.0)));
        assert!(!g.passes(&Actual::Number(59.99)));
        assert!(!g.passes(&Actual::Unknown));
        assert!(gate(Op::Lt, Operand::Number(30.0)).passes(&Actual::Number(29.0)));
        assert!(gate(Op::Ne, Operand::Number(0.0)).passes(&Actual::Number(1.0)));
    }

    #[test]
    fn texts_and_lists() {
        let g = gate(Op::In, Operand::TextList(vec!["decision_maker".into(), "economic_buyer".into()]));
        assert!(g.passes(&Actual::Text("economic_buyer")));
        assert!(!g.passes(&Actual::Text("user")));
        assert!(!g.passes(&Actual::Unknown));
        let g = gate(Op::NotIn, Operand::TextList(vec!["user".into()]));
        assert!(g.passes(&Actual::Text("influencer")));
        assert!(!g.passes(&Actual::Unknown), "unknown never satisfies, even not_in");
    }

    #[test]
    fn kinds_must_match() {
        assert!(!gate(Op::Eq, Operand::Bool(true)).passes(&Actual::Number(1.0)));
        assert!(gate(Op::Eq, Operand::Bool(true)).passes(&Actual::Bool(true)));
    }

    #[test]
    fn renders_numbers_compactly() {
        assert_eq!(fmt_number(60.0), "60");
        assert_eq!(fmt_number(42.456), "42.46");
        assert_eq!(fmt_number(0.5), "0.5");
        assert_eq!(gate(Op::Ge, Operand::Number(1.0)).required_text(), ">= 1");
    }
}
