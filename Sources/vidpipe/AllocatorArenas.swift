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

    /// Caps the number of arenas at ``limit``. Call it first thing in `main`: an arena
    /// created before the call stays.
    static func applyLimit() {
        #if os(Linux)
        // mallopt accepts any M_ARENA_MAX above 0; it only affects arenas created later.
        _ = mallopt(M_ARENA_MAX, Int32(limit))
        #endif
    }
}
