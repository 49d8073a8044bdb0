import Foundation
import Testing
import VidpipeTestSupport

/// The daemon's memory stays with few glibc malloc arenas however many threads its decodes,
/// encodes and blocking calls start (see `AllocatorArenas` in the executable); the soak's
/// RSS bound rests on it.
@Suite struct AllocatorArenaTests {
    @Test func daemonKeepsOneMallocArenaBesideTheMainHeapAfterMediaPasses() async throws {
        let lake = try TestLake()
        defer { lake.remove() }
        let daemon = try DaemonProcess(lake, environment: ["VIDPIPE_INBOX_POLL_SECONDS": "0.2"])
        // Distinct clips (different lengths), so each one decodes and encodes on threads of its own.
        let clips = (1...3).map { lake.incoming + "/clip-\($0).mp4" }
        for (index, clip) in clips.enumerated() { try Clip.good(clip, seconds: index + 1) }
        let produced = try lake.vidpipe(["produce", "--title", "Arenas"] + clips)
        #expect(produced.status == 0, "\(produced.stderr)")
        let done = try await eventually(within: 60) { try lake.requests(in: lake.inbox + "/done").count == clips.count }
        #expect(done, "\(daemon.log)")

        // The kernel's view: each arena other than the main one (which grows by brk as
        // `[heap]`) is an anonymous 64 MiB-aligned reservation, its used start rw-p.
        let heaps = try Self.arenaHeaps(ofProcess: daemon.process.processIdentifier)
        #expect(heaps.count <= 1, "arena heaps at \(heaps.map { String($0, radix: 16) })")
        #expect(try await daemon.stop(within: 30) == 0)
    }

    /// glibc's HEAP_MAX_SIZE on 64-bit: every non-main arena heap is a reservation this size, aligned to it.
    private static let arenaHeapSize: UInt64 = 64 << 20

    /// Start addresses of the non-main malloc arena heaps in `/proc/PID/maps`.
    static func arenaHeaps(ofProcess pid: Int32) throws -> [UInt64] {
        let mappings = try String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8).split(separator: "\n").map { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let range = fields[0].split(separator: "-").map { UInt64($0, radix: 16) ?? 0 }
            return (start: range[0], end: range[1], permissions: String(fields[1]), anonymous: fields.count < 6)
        }
        return mappings.indices.compactMap { index in
            let mapping = mappings[index]
            guard mapping.anonymous, mapping.permissions == "rw-p", mapping.start % arenaHeapSize == 0 else { return nil }
            let heapEnd = mapping.start + arenaHeapSize
            if mapping.end == heapEnd { return mapping.start }
            // The unused rest of the reservation follows, inaccessible, up to the 64 MiB boundary.
            guard index + 1 < mappings.count else { return nil }
            let rest = mappings[index + 1]
            return rest.anonymous && rest.permissions == "---p" && rest.start == mapping.end && rest.end == heapEnd ? mapping.start : nil
        }
    }
}
