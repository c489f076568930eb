//! Reading Prometheus' text format as a scraper does: `GET /metrics` over
//! plain HTTP/1.1 and a parser for samples, so tests assert exact series
//! (name, full label set, value) rather than substrings.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One sample of the text format: name, labels, value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Metric name.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Value.
    pub value: f64,
}

/// Everything `/metrics` answered.
#[derive(Debug)]
pub struct Scrape {
    /// The body as served.
    pub text: String,
    /// Every sample in it.
    pub samples: Vec<Sample>,
}

impl Scrape {
    /// The value of the one sample named `name` whose label set is exactly
    /// `labels`. Panics, listing the samples of that name, otherwise.
    pub fn value(&self, name: &str, labels: &[(&str, String)]) -> f64 {
        let wanted: BTreeMap<String, String> =
            labels.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        let found: Vec<&Sample> =
            self.samples.iter().filter(|s| s.name == name && s.labels == wanted).collect();
        match found.as_slice() {
            [one] => one.value,
            _ => panic!(
                "{} sample(s) {name}{wanted:?}; the samples named {name}:\n{:#?}",
                found.len(),
                self.samples.iter().filter(|s| s.name == name).collect::<Vec<_>>()
            ),
        }
    }

    /// The samples named `name`.
    pub fn named(&self, name: &str) -> Vec<&Sample> {
        self.samples.iter().filter(|s| s.name == name).collect()
    }
}

/// `GET /metrics` over a plain TCP connection (HTTP/1.1, `Connection:
/// close`): the status must be 200 and the body the text format.
pub fn scrape(addr: SocketAddr) -> Scrape {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("read timeout");
    write!(stream, "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read the response");
    let (head, body) = response.split_once("\r\n\r\n").expect("headers and a body");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("content-type: text/plain; version=0.0.4; charset=utf-8"),
        "{head}"
    );
    Scrape { text: body.to_string(), samples: body.lines().filter_map(parse_line).collect() }
}

/// Parses `name{k="v",...} value` or `name value`; `None` for comments and
/// blank lines. Label values may hold `\\`, `\"` and `\n` escapes.
pub fn parse_line(line: &str) -> Option<Sample> {
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (series, value) = line.rsplit_once(' ').expect("`series value`");
    let value = value.parse().unwrap_or_else(|e| panic!("value of {line:?}: {e}"));
    let Some((name, rest)) = series.split_once('{') else {
        return Some(Sample { name: series.to_string(), labels: BTreeMap::new(), value });
    };
    let mut labels = BTreeMap::new();
    let mut chars = rest.strip_suffix('}').expect("labels end with }").chars().peekable();
    while chars.peek().is_some() {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        assert_eq!(chars.next(), Some('"'), "{line}");
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => panic!("dangling escape in {line}"),
                },
                c => value.push(c),
            }
        }
        labels.insert(key, value);
        if chars.peek() == Some(&',') {
            chars.next();
        }
    }
    Some(Sample { name: name.to_string(), labels, value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_parser_reads_labels_and_escapes() {
        let sample = parse_line(r#"x_total{a="1",b="q\"uo\\te",c=""} 2.5"#).expect("a sample");
        assert_eq!(sample.name, "x_total");
        assert_eq!(sample.value, 2.5);
        let labels: Vec<(&str, &str)> = sample.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(labels, [("a", "1"), ("b", "q\"uo\\te"), ("c", "")]);
        assert_eq!(parse_line("y 3").expect("a sample").labels.len(), 0);
        assert_eq!(parse_line("# HELP y stuff"), None);
    }
}
