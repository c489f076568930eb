//! How `hqld` uses memory: mimalloc as the global allocator (declared in
//! `main.rs`), transparent huge pages off, freed memory returned soon.
//!
//! Why mimalloc: a decision allocates (a lead's strings as decoded, the
//! answer's strings), and on glibc's allocator that was a third of the
//! engine's time in an explanation (`_int_malloc`, `malloc_consolidate`,
//! `_int_free`), and arena locks taken when a decision thread's strings are
//! freed on a tokio worker. With mimalloc the in-process Explain takes 30 %
//! less time and Qualify 4-14 % less (docs/performance.md, "Allocator").
//!
//! Why huge pages off: mimalloc asks for transparent huge pages on the
//! regions it reserves, and one touched 2 MiB page counts whole in RSS: an
//! idle `hqld` grew from 10 to 17.5 MiB. Built without that request
//! (`no_thp`) and with the process opted out (for hosts whose THP setting
//! is `always`), it idles at about 11 MiB. A server whose heap is a few MiB
//! gains nothing from huge pages.
//!
//! Why a purge delay of 10 ms: mimalloc 3 keeps freed pages for a second
//! before giving them back, so a burst (64 batches of 100 leads in flight)
//! peaked at 65-82 MiB. Giving them back at once peaked at 54.3 MiB but cost
//! about a quarter more CPU per batch lead (madvise calls); after 10 ms
//! (mimalloc 2's default) the peak was 56 MiB and the CPU cost within the
//! load harness's noise (docs/performance.md, "Allocator").
//!
//! Plugins are separate libraries with their own allocator (glibc's, for a
//! Rust plugin built with the SDK); nothing one side allocates is freed by
//! the other (docs/plugins.md, "ABI guarantees"), so the host's choice does
//! not reach them.

/// mimalloc's `mi_option_purge_delay`: its number in `mi_option_e`
/// (mimalloc.h), the same in mimalloc 2 and 3. The Rust bindings name only
/// the options of mimalloc 2; a test checks the number still means it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed pages are kept before they are given back to the OS.
const PURGE_DELAY_MS: std::ffi::c_long = 10;

/// Sets up memory as described above. Call first thing in `main`.
pub fn configure() {
    no_huge_pages();
    // SAFETY: sets one integer option; any delay in ms is valid.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
    }
}

/// Opts the process out of transparent huge pages (Linux; elsewhere
/// nothing): the setting applies to every page faulted in after it.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_THP_DISABLE takes one integer argument and only
        // sets a flag on this process; a kernel without it returns EINVAL,
        // which changes nothing and is ignored.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// If a mimalloc upgrade renumbered its options, 15 would set some
    /// other option: it must still read as the purge delay, whose default
    /// (mimalloc 3) is 1000 ms unless MIMALLOC_PURGE_DELAY says otherwise.
    #[test]
    fn option_15_is_the_purge_delay() {
        let expected =
            std::env::var("MIMALLOC_PURGE_DELAY").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
        // SAFETY: reads one option.
        let value = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(value, expected, "mi_option_e numbering changed: check MI_OPTION_PURGE_DELAY");
    }
}
