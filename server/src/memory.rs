//! How `hqld` uses memory: mimalloc as the global allocator (declared in
//! `main.rs`), with transparent huge pages off.
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
//! Plugins are separate libraries with their own allocator (glibc's, for a
//! Rust plugin built with the SDK); nothing one side allocates is freed by
//! the other (docs/plugins.md, "ABI guarantees"), so the host's choice does
//! not reach them.

/// Opts the process out of transparent huge pages (Linux; elsewhere
/// nothing). Call first thing in `main`: the setting applies to every page
/// faulted in after it.
pub fn no_huge_pages() {
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
