//! Interning of the short strings a plugin repeats on every call.
//!
//! A reason's code, its evidence field paths, a fact's name and a
//! disqualifier's code come from a small set fixed in each scorer's source
//! (`intent.recent_demo_request`, `bant.authority`, ...). The host copies
//! every string a plugin hands back, because the plugin's memory is only
//! borrowed for the duration of a callback; copying these into a fresh
//! `String` each time was most of the cost of the ABI boundary (one
//! allocation, one UTF-8 check and one free per string, a few hundred per
//! decision).
//!
//! Instead each distinct string is validated and leaked once, and later
//! copies are found by their bytes: first in a per-thread table (no lock on
//! the hot path), then in the process-wide one. The process-wide table is
//! bounded ([`MAX_STRINGS`], [`MAX_LEN`] bytes each), so a plugin that puts
//! changing text where a code belongs cannot grow memory: past the bound its
//! strings are copied as before. Strings survive reloads on purpose: the new
//! policy's scorers repeat the same codes.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;

use foldhash::fast::FixedState;

/// Longest string interned; longer ones are copied.
pub const MAX_LEN: usize = 96;
/// Most distinct strings interned per process (at most 96 KiB of text).
pub const MAX_STRINGS: usize = 1024;

type Table = HashMap<&'static [u8], &'static str, FixedState>;

struct Global {
    table: Table,
}

static GLOBAL: Mutex<Option<Global>> = Mutex::new(None);

thread_local! {
    static LOCAL: RefCell<Table> = RefCell::new(Table::with_hasher(FixedState::default()));
}

/// The interned copy of `bytes`, or `None` when they are not UTF-8, too
/// long, or the process-wide table is full.
pub(crate) fn intern(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() > MAX_LEN {
        return None;
    }
    if let Some(found) = LOCAL.with(|local| local.borrow().get(bytes).copied()) {
        return Some(found);
    }
    let found = intern_global(bytes)?;
    LOCAL.with(|local| local.borrow_mut().insert(found.as_bytes(), found));
    Some(found)
}

fn intern_global(bytes: &[u8]) -> Option<&'static str> {
    // A poisoned lock only means another thread panicked mid-insert; the
    // table is still a valid map of leaked strings.
    let mut guard = GLOBAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let global = guard.get_or_insert_with(|| Global { table: Table::with_hasher(FixedState::default()) });
    find_or_leak(&mut global.table, bytes, MAX_STRINGS)
}

fn find_or_leak(table: &mut Table, bytes: &[u8], cap: usize) -> Option<&'static str> {
    if let Some(found) = table.get(bytes) {
        return Some(found);
    }
    if table.len() >= cap {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
    table.insert(leaked.as_bytes(), leaked);
    Some(leaked)
}

/// `bytes` as text: interned when it can be, else copied (lossily when it
/// is not UTF-8, as every string from a plugin).
pub(crate) fn text(bytes: &[u8]) -> Cow<'static, str> {
    match intern(bytes) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(String::from_utf8_lossy(bytes).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_give_the_same_string() {
        let a = intern(b"bant.authority").expect("interned");
        let b = intern(String::from("bant.authority").as_bytes()).expect("interned");
        assert_eq!(a, "bant.authority");
        assert!(std::ptr::eq(a, b));
        // Another thread finds it in the process-wide table.
        let c = std::thread::spawn(|| intern(b"bant.authority").expect("interned")).join().expect("joins");
        assert!(std::ptr::eq(a, c));
    }

    #[test]
    fn long_or_invalid_text_is_copied() {
        let long = "x".repeat(MAX_LEN + 1);
        assert!(intern(long.as_bytes()).is_none());
        assert_eq!(text(long.as_bytes()), long);
        assert!(intern(b"bad \xff utf8").is_none());
        assert_eq!(text(b"bad \xff utf8"), "bad \u{fffd} utf8");
    }

    #[test]
    fn the_table_stops_growing_at_its_bound() {
        let mut table = Table::with_hasher(FixedState::default());
        assert!(find_or_leak(&mut table, b"a.one", 2).is_some());
        assert!(find_or_leak(&mut table, b"a.two", 2).is_some());
        assert!(find_or_leak(&mut table, b"a.three", 2).is_none(), "full: copied, not leaked");
        assert!(find_or_leak(&mut table, b"a.one", 2).is_some(), "still found when full");
        assert_eq!(table.len(), 2);
    }
}
