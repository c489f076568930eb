//! The file layer: a TOML config file (`--config FILE`, `HQL_CONFIG`).
//!
//! The file is read as a spanned TOML document and walked against the key
//! list ([`super::keys`]) rather than deserialized into a struct of its own:
//! the list already names every setting for the flags and the environment,
//! and a second spelling of the same keys in a struct would drift from it.
//! The walk refuses what a typed struct with `deny_unknown_fields` would
//! (a key or table that is not a setting, a table where a value belongs, an
//! array), and every error carries the place: `hqld.toml:3:1: unknown key
//! limits.max_evnts ...`.
//!
//! Values are kept as the text they would have on the command line: a
//! string as is, an integer or boolean as written in decimal. Each is then
//! parsed by the same function as the flag and the variable (see
//! [`super::value`]), so `max_batch_size = 0` and `--max-batch-size 0` fail
//! alike; quoting a number (`max_batch_size = "5"`) is accepted.
//!
//! A relative path in the file (`policy`, `plugin_dir`) is relative to the
//! file's directory, so a config works whatever directory `hqld` starts in;
//! relative paths given as flags or variables stay relative to the working
//! directory, as anywhere on a command line.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::ConfigError;
use super::keys::{self, Key};

/// A config file, read and checked for unknown keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ConfigFile {
    /// The path as given (`--config`, `HQL_CONFIG`), for messages.
    path: PathBuf,
    /// Each setting present, by file key.
    values: BTreeMap<&'static str, FileValue>,
}

/// One value in the file: its text and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FileValue {
    /// The value as a command-line text.
    pub(super) text: String,
    /// Where the value is.
    pub(super) at: Location,
}

/// A place in a config file: `hqld.toml:3:14`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as given.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

impl ConfigFile {
    /// Reads and checks the file at `path`.
    pub(super) fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::ReadFile { path: path.to_path_buf(), source })?;
        ConfigFile::parse(path, &text)
    }

    /// Checks `text`, the content of the file at `path`.
    pub(super) fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
        let locate = |span: Range<usize>| locate(path, text, span.start);
        let document = DeTable::parse(text).map_err(|error| ConfigError::File {
            at: locate(error.span().unwrap_or(0..0)),
            message: error.message().trim_end().to_owned(),
        })?;
        let mut values = BTreeMap::new();
        for (name, value) in document.get_ref() {
            let at = locate(name.span());
            let name = name.get_ref().as_ref();
            let is_table = keys::tables().any(|known| known == name);
            match value.get_ref() {
                DeValue::Table(table) if is_table => {
                    for (entry, entry_value) in table {
                        let file_key = format!("{name}.{}", entry.get_ref());
                        let key = keys::by_file_key(&file_key)
                            .ok_or_else(|| unknown(locate(entry.span()), &file_key, Some(name)))?;
                        values.insert(key.file, value_of(key, entry_value, &locate)?);
                    }
                }
                _ if is_table => {
                    return Err(ConfigError::File {
                        at: locate(value.span()),
                        message: format!(
                            "{name}: expected a table ([{name}]), found {}",
                            value.get_ref().type_str()
                        ),
                    });
                }
                _ => {
                    let key = keys::by_file_key(name)
                        .filter(|key| key.table().is_none())
                        .ok_or_else(|| unknown(at, name, None))?;
                    values.insert(key.file, value_of(key, value, &locate)?);
                }
            }
        }
        Ok(ConfigFile { path: path.to_path_buf(), values })
    }

    /// The value of `key`, if the file sets it.
    pub(super) fn get(&self, key: &Key) -> Option<&FileValue> {
        self.values.get(key.file)
    }

    /// `value` (a path read from this file) made relative to the file's
    /// directory when it is relative.
    pub(super) fn resolve_path(&self, value: PathBuf) -> PathBuf {
        match self.path.parent() {
            Some(dir) if value.is_relative() && !dir.as_os_str().is_empty() => dir.join(value),
            _ => value,
        }
    }
}

/// The text of `value`, the value of `key`; a table or array is refused.
fn value_of(
    key: &Key,
    value: &Spanned<DeValue<'_>>,
    locate: &impl Fn(Range<usize>) -> Location,
) -> Result<FileValue, ConfigError> {
    let text = match value.get_ref() {
        DeValue::String(text) => Some(text.to_string()),
        DeValue::Integer(integer) => {
            i128::from_str_radix(integer.as_str(), integer.radix()).ok().map(|n| n.to_string())
        }
        DeValue::Boolean(flag) => Some(flag.to_string()),
        DeValue::Float(_) | DeValue::Datetime(_) | DeValue::Array(_) | DeValue::Table(_) => None,
    };
    let at = locate(value.span());
    match text {
        Some(text) => Ok(FileValue { text, at }),
        None => Err(ConfigError::File {
            at,
            message: format!(
                "{}: expected a string or a whole number, found {}",
                key.file,
                value.get_ref().type_str()
            ),
        }),
    }
}

/// The error for a key or table that is not a setting.
fn unknown(at: Location, name: &str, table: Option<&str>) -> ConfigError {
    let known: Vec<&str> = match table {
        Some(table) => keys::ALL.iter().filter(|key| key.table() == Some(table)).map(Key::name).collect(),
        None => keys::ALL
            .iter()
            .filter(|key| key.table().is_none())
            .map(Key::name)
            .chain(keys::tables())
            .collect(),
    };
    let scope = match table {
        Some(table) => format!("in [{table}]"),
        None => "at the top level".to_owned(),
    };
    ConfigError::File {
        at,
        message: format!("unknown key {name} (known keys {scope}: {})", known.join(", ")),
    }
}

/// The line and column of byte `offset` in `text`.
fn locate(path: &Path, text: &str, offset: usize) -> Location {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    let column = before[line_start..].chars().count() + 1;
    Location { path: path.to_path_buf(), line, column }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::keys::{LISTEN, MAX_BATCH_SIZE, SHUTDOWN_GRACE};

    fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        ConfigFile::parse(Path::new("hqld.toml"), text)
    }

    fn error(text: &str) -> String {
        parse(text).expect_err("refused").to_string()
    }

    #[test]
    fn values_are_read_as_text_with_their_place() {
        let file =
            parse("listen = \"0.0.0.0:50051\"\nshutdown_grace = 25\n\n[limits]\nmax_batch_size = 0x10\n")
                .expect("valid");
        let listen = file.get(&LISTEN).expect("listen");
        assert_eq!(listen.text, "0.0.0.0:50051");
        assert_eq!(listen.at.to_string(), "hqld.toml:1:10");
        assert_eq!(file.get(&SHUTDOWN_GRACE).expect("grace").text, "25");
        let batch = file.get(&MAX_BATCH_SIZE).expect("batch");
        assert_eq!(batch.text, "16");
        assert_eq!((batch.at.line, batch.at.column), (5, 18));
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_place_and_the_known_ones() {
        let err = error("[limits]\nmax_batch_size = 5\nmax_evnts = 3\n");
        assert!(
            err.starts_with("hqld.toml:3:1: unknown key limits.max_evnts (known keys in [limits]: "),
            "{err}"
        );
        assert!(err.contains("max_events_per_lead"), "{err}");

        let err = error("listen = \"0.0.0.0:1\"\nlisten_addr = \"x\"\n");
        assert!(
            err.starts_with("hqld.toml:2:1: unknown key listen_addr (known keys at the top level: "),
            "{err}"
        );

        let err = error("[limit]\nmax_batch_size = 5\n");
        assert!(err.starts_with("hqld.toml:1:2: unknown key limit "), "{err}");

        // A setting of a table, written at the top level, is not that setting.
        let err = error("max_batch_size = 5\n");
        assert!(err.starts_with("hqld.toml:1:1: unknown key max_batch_size "), "{err}");
    }

    #[test]
    fn tables_arrays_and_floats_are_refused_where_a_value_belongs() {
        let err = error("[limits]\nmax_batch_size = [5]\n");
        assert_eq!(
            err,
            "hqld.toml:2:18: limits.max_batch_size: expected a string or a whole number, found array"
        );
        let err = error("shutdown_grace = 2.5\n");
        assert_eq!(err, "hqld.toml:1:18: shutdown_grace: expected a string or a whole number, found float");
        let err = error("listen = { ip = \"x\" }\n");
        assert_eq!(err, "hqld.toml:1:10: listen: expected a string or a whole number, found table");
        let err = error("limits = 5\n");
        assert_eq!(err, "hqld.toml:1:10: limits: expected a table ([limits]), found integer");
    }

    #[test]
    fn syntax_errors_have_a_place() {
        let err = error("listen = \"0.0.0.0:1\"\n[limits\n");
        assert!(err.starts_with("hqld.toml:2:"), "{err}");
        let err = error("listen = 1\nlisten = 2\n");
        assert!(err.starts_with("hqld.toml:2:"), "{err}");
    }

    #[test]
    fn relative_paths_are_relative_to_the_file() {
        let file = ConfigFile::parse(Path::new("/etc/hql/hqld.toml"), "").expect("empty is valid");
        assert_eq!(file.resolve_path("policy.toml".into()), Path::new("/etc/hql/policy.toml"));
        assert_eq!(file.resolve_path("/srv/p.toml".into()), Path::new("/srv/p.toml"));
        let here = ConfigFile::parse(Path::new("hqld.toml"), "").expect("empty is valid");
        assert_eq!(here.resolve_path("policy.toml".into()), Path::new("policy.toml"));
    }
}
