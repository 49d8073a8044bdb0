import Foundation
import Ingest

/// The memory this process may use, for the default `VIDPIPE_MEMORY_BUDGET`: the machine's
/// available memory (`MemAvailable` in /proc/meminfo), or the limit of the process's memory
/// cgroup or one of its parents when lower.
enum MachineMemory {
    /// Read once per process, so every default built in it is the same.
    static let usableBytes: Int64? = usable(
        meminfo: try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
        cgroupLimits: cgroupLimitFiles().compactMap { try? String(contentsOfFile: $0, encoding: .utf8) })

    /// Half of ``usableBytes`` (jobs can then grow past their estimates and the machine still
    /// has room), at least ``IngestConfiguration/minimumMemoryBudgetBytes``; nil when neither
    /// file could be read (not Linux): no bound.
    static let defaultBudgetBytes: Int64? = usableBytes.map { max($0 / 2, IngestConfiguration.minimumMemoryBudgetBytes) }

    /// The lowest of `MemAvailable` and the numeric cgroup limits (`max` means none).
    static func usable(meminfo: String?, cgroupLimits: [String]) -> Int64? {
        let available = meminfo?.split(separator: "\n").first { $0.hasPrefix("MemAvailable:") }
            .flatMap { line in line.split(separator: " ").dropFirst().first.flatMap { Int64($0) } }
            .map { $0 * 1024 }
        let limits = cgroupLimits.compactMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return (limits + (available.map { [$0] } ?? [])).min()
    }

    /// The limit files of this process's memory cgroup and of each of its parents: cgroup v2
    /// (`0::/path`, `memory.max`) and v1 (`N:memory:/path`, `memory.limit_in_bytes`).
    private static func cgroupLimitFiles() -> [String] {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return [] }
        var files: [String] = []
        for line in membership.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[0] == "0" && fields[1].isEmpty {
                files += groupAndParents(String(fields[2])).map { "/sys/fs/cgroup\($0)/memory.max" }
            } else if fields[1].split(separator: ",").contains("memory") {
                files += groupAndParents(String(fields[2])).map { "/sys/fs/cgroup/memory\($0)/memory.limit_in_bytes" }
            }
        }
        return files
    }

    /// `/a/b` → `/a/b`, `/a`, `` (the root, as a prefix to append file names to).
    private static func groupAndParents(_ group: String) -> [String] {
        var groups: [String] = []
        var current = group
        while current != "/" && !current.isEmpty {
            groups.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        return groups + [""]
    }
}
