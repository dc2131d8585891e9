//! Settings of mimalloc, the global allocator of the `paperdex` binary and the peers bench.

/// mimalloc's `mi_option_purge_delay` (its index in `mimalloc.h`, v3).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory for 100 ms before returning it to the OS (mimalloc's default is 10 ms).
/// Ingest frees and reallocates batch buffers and per-segment arenas many times a second; at
/// 10 ms each reuse faulted in fresh, kernel-zeroed pages (a tenth of the indexing CPU in a
/// profile). An explicit `MIMALLOC_PURGE_DELAY` in the environment wins.
pub fn tune_mimalloc() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one numeric option; called at start-up before other threads exist.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 100) };
    }
}
