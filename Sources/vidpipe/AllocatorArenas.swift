#if os(Linux)
import CMalloc
#endif

/// glibc's malloc arenas, capped for a process that runs its blocking C calls on threads of
/// their own.
///
/// Every ``DedicatedThread`` is new, and the decoders, x264 and libavfilter start threads of
/// their own. glibc hands a thread that finds every arena busy a new arena, up to 8 per core,
/// and an arena keeps resident the pages that a few live allocations pin after its busiest
/// moment: `malloc_trim` returns only whole free pages. In `scripts/soak 300 inbox` the
/// daemon had 15 arenas holding 47 MB of its 130 MB RSS after 100 requests and kept growing;
/// with 2 arenas they held 3.4 MB of 91 MB, at the same throughput (the decode and encode
/// threads allocate little once their buffer pools are filled).
enum AllocatorArenas {
    /// The main arena and one that all other threads share.
    static let limit = 2
    /// Free bytes an arena may keep at its top before a `free` hands the rest back: glibc's
    /// default, fixed. Left dynamic, glibc raises it (up to 64 MiB) after freeing each big
    /// frame buffer, and `malloc_trim` never shrinks a non-main arena's top: in
    /// `scripts/soak 400 inbox` the shared arena's RSS went 3.5 to 9.4 MB (final 1.09× the
    /// RSS after 100) with it dynamic, 3.0 to 5.0 MB (1.05×) fixed, at the same throughput,
    /// with the same 6.4 MB in use at the end.
    static let trimThreshold = 128 << 10

    /// Caps the number of arenas at ``limit`` and fixes ``trimThreshold``. Call it first
    /// thing in `main`: an arena created before the call stays.
    static func applyLimit() {
        #if os(Linux)
        // mallopt accepts any M_ARENA_MAX above 0 and any M_TRIM_THRESHOLD; the cap only
        // affects arenas created later. A fixed trim threshold also fixes the mmap
        // threshold at its 128 KiB default: bigger blocks are mapped and unmapped whole.
        _ = mallopt(M_ARENA_MAX, Int32(limit))
        _ = mallopt(M_TRIM_THRESHOLD, Int32(trimThreshold))
        #endif
    }
}
