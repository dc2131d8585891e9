//! Settings of mimalloc, the global allocator of the `paperdex` binary and the peers bench.

/// mimalloc's `mi_option_purge_delay` (its index in `mimalloc.h`, v3).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
/// mimalloc's `mi_option_allow_thp` (its index in `mimalloc.h`, v3).
const ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// Keeps freed memory for 100 ms before returning it to the OS (mimalloc's default is 10 ms),
/// and turns transparent huge pages off for the process. Ingest frees and reallocates batch
/// buffers and per-segment arenas many times a second: at 10 ms each reuse faulted in fresh,
/// kernel-zeroed pages (a tenth of the indexing CPU in a profile), and with huge pages every
/// such fault zeroes 2 MiB however little of it is used (sys time 2.0 -> 1.3 s and peak RSS
/// -55 MB indexing the 115k listings, BENCHMARKS.md). Explicit `MIMALLOC_PURGE_DELAY` or
/// `MIMALLOC_ALLOW_THP` in the environment win.
pub fn tune_mimalloc() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one numeric option; called at start-up before other threads exist.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 100) };
    }
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // mimalloc reads this option when it starts, before main: off from now on, it stops
        // asking for huge pages (MADV_HUGEPAGE) on the memory it maps.
        // SAFETY: as above.
        unsafe { libmimalloc_sys::mi_option_set(ALLOW_THP, 0) };
        // What mimalloc does itself for `MIMALLOC_ALLOW_THP=0`, so that a system whose THP
        // mode is "always" does not hand out huge pages either.
        #[cfg(target_os = "linux")]
        // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no memory of ours.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0)
        };
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn tuning_turns_transparent_huge_pages_off_for_the_process() {
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
            return; // the environment decides, as documented
        }
        // SAFETY: reads one numeric option.
        let before = unsafe { libmimalloc_sys::mi_option_get(ALLOW_THP) };
        assert_eq!(
            before, 1,
            "ALLOW_THP must name mimalloc's allow_thp (default 1)"
        );
        tune_mimalloc();
        // SAFETY: as above; PR_GET_THP_DISABLE takes no pointers.
        let (after, disabled) = unsafe {
            (
                libmimalloc_sys::mi_option_get(ALLOW_THP),
                libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0),
            )
        };
        assert_eq!(after, 0);
        assert_eq!(disabled, 1);
    }
}
