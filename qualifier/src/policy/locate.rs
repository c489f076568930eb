//! Turning key paths and byte offsets into `file:line:column`.
//!
//! Semantic errors are found after deserialising, where spans are gone; the
//! policy keeps the span-preserving parse tree (`toml::de::DeTable`) so any
//! key path (`stage[2].gate[0].subject`) can be pointed at in the file.

use toml::de::{DeTable, DeValue};

/// Line and column (1-based) of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

#[derive(Debug, PartialEq)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Segment::Key(key));
        }
        while let Some(end) = rest.find(']') {
            if let Ok(i) = rest[1..end].parse::<usize>() {
                out.push(Segment::Index(i));
            }
            rest = &rest[end + 1..];
        }
    }
    out
}

/// Byte offset of the deepest element of `path` that exists in the document.
pub(crate) fn offset_of(root: &DeTable<'_>, path: &str) -> Option<usize> {
    let mut found: Option<usize> = None;
    let mut table: Option<&DeTable<'_>> = Some(root);
    let mut value: Option<&DeValue<'_>> = None;
    for seg in segments(path) {
        let next = match (seg, table, value) {
            (Segment::Key(k), Some(t), _) => t.get_key_value(k).map(|(key, v)| (key.span().start, v)),
            (Segment::Key(k), None, Some(DeValue::Table(t))) => {
                t.get_key_value(k).map(|(key, v)| (key.span().start, v))
            }
            (Segment::Index(i), None, Some(DeValue::Array(a))) => a.get(i).map(|v| (v.span().start, v)),
            _ => None,
        };
        match next {
            Some((at, v)) => {
                found = Some(at);
                table = None;
                value = Some(v.get_ref());
            }
            None => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys_and_array_items() {
        let text = "[policy]\nname = \"x\"\n\n[[scorer]]\nid = \"a\"\n\n[[scorer]]\nid = \"b\"\nweight = 2\n";
        let root = DeTable::parse(text).expect("parses");
        let at = offset_of(root.get_ref(), "scorer[1].weight").expect("found");
        assert_eq!(line_col(text, at), (9, 1));
        let at = offset_of(root.get_ref(), "policy.name").expect("found");
        assert_eq!(line_col(text, at), (2, 1));
        // A missing key points at its deepest existing parent.
        let at = offset_of(root.get_ref(), "scorer[1].nope").expect("parent");
        assert_eq!(line_col(text, at).0, 7);
    }

    #[test]
    fn parses_segments() {
        assert_eq!(
            segments("stage[2].gate[0].subject"),
            vec![
                Segment::Key("stage"),
                Segment::Index(2),
                Segment::Key("gate"),
                Segment::Index(0),
                Segment::Key("subject")
            ]
        );
    }
}
