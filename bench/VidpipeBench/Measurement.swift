import Execution
import Foundation

/// Wall and CPU time of one timed run. CPU time (user + system, all threads) sits next to
/// wall time because this machine is shared: wall time also measures the neighbours.
struct Timing {
    var wall: Double
    var cpu: Double
}

/// Timings collected per contender over several rounds, summarised as medians.
struct TimingTable {
    private(set) var names: [String] = []
    private var timings: [String: [Timing]] = [:]

    mutating func add(_ name: String, _ timing: Timing) {
        if timings[name] == nil { names.append(name) }
        timings[name, default: []].append(timing)
    }

    func medianWall(_ name: String) -> Double { Measurement.median(timings[name, default: []].map(\.wall)) }
    func medianCPU(_ name: String) -> Double { Measurement.median(timings[name, default: []].map(\.cpu)) }

    /// One line: both medians of `name`, and both ratios against `baseline`.
    func line(_ name: String, against baseline: String, width: Int = 44) -> String {
        let wall = medianWall(name), cpu = medianCPU(name)
        let baseWall = medianWall(baseline), baseCPU = medianCPU(baseline)
        return String(format: "  %@ wall %7.2f s (%.3f×)  CPU %7.2f s (%.3f×)", name.padding(toLength: width, withPad: " ", startingAt: 0),
                      wall, baseWall > 0 ? wall / baseWall : .infinity, cpu, baseCPU > 0 ? cpu / baseCPU : .infinity)
    }

    /// One line per round: every contender's wall and CPU time in that round and `name`'s
    /// ratios against each of `baselines` in the same round; then the median of those
    /// per-round ratios. Under a load that drifts between rounds, a ratio taken within a round
    /// compares runs that met the same neighbours; the ratio of medians may pair runs that didn't.
    func rounds(_ name: String, against baselines: [String]) -> [String] {
        let count = names.map { timings[$0, default: []].count }.min() ?? 0
        func ratio(_ baseline: String, _ round: Int) -> Timing {
            let ours = timings[name]![round], base = timings[baseline]![round]
            return Timing(wall: ours.wall / base.wall, cpu: ours.cpu / base.cpu)
        }
        let perRound = (0..<count).map { round in
            let times = names.map { contender in
                let timing = timings[contender]![round]
                return String(format: "%@ %.2f s (CPU %.2f s)", contender, timing.wall, timing.cpu)
            }
            let ratios = baselines.map { baseline in
                String(format: "/ %@: wall %.3f×, CPU %.3f×", baseline, ratio(baseline, round).wall, ratio(baseline, round).cpu)
            }
            return "  round \(round + 1): " + times.joined(separator: ", ") + "; " + ratios.joined(separator: "; ")
        }
        let medians = baselines.map { baseline in
            let ratios = (0..<count).map { ratio(baseline, $0) }
            return String(format: "  %@ / %@, median of the rounds' ratios: wall %.3f×, CPU %.3f×", name, baseline,
                          Measurement.median(ratios.map(\.wall)), Measurement.median(ratios.map(\.cpu)))
        }
        return perRound + medians
    }

    /// A ratio against its goal, wall and CPU, with a verdict on each.
    func goal(_ label: String, _ name: String, over baseline: String, atMost goal: Double) -> String {
        let wall = medianWall(name) / medianWall(baseline)
        let cpu = medianCPU(name) / medianCPU(baseline)
        func verdict(_ value: Double) -> String { value <= goal ? "met" : "NOT met" }
        return String(format: "  %@: wall %.3f× (%@), CPU %.3f× (%@); goal ≤ %.2f×", label, wall, verdict(wall), cpu, verdict(cpu), goal)
    }
}

/// Timing, process and statistics helpers shared by the benchmarks.
enum Measurement {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Median; the mean of the middle two for an even count, 0 for none.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[mid - 1] + sorted[mid]) / 2 : sorted[mid]
    }

    /// The 1, 5 and 15 minute load averages (`/proc/loadavg`), to print beside timings taken
    /// on a shared machine.
    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// User + system CPU seconds of this process (every thread), or of its waited-for children.
    static func cpuSeconds(_ who: __rusage_who) -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(who.rawValue), &usage)
        func value(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return value(usage.ru_utime) + value(usage.ru_stime)
    }

    /// Times in-process work: wall clock, and this process's CPU time.
    static func inProcess(_ body: () async throws -> Void) async rethrows -> Timing {
        let cpuBefore = cpuSeconds(RUSAGE_SELF)
        let start = ContinuousClock.now
        try await body()
        let wall = (ContinuousClock.now - start).seconds
        return Timing(wall: wall, cpu: cpuSeconds(RUSAGE_SELF) - cpuBefore)
    }

    /// Times child processes run one after another: wall clock, and the children's CPU time.
    static func children(_ commands: [[String]]) throws -> Timing {
        let cpuBefore = cpuSeconds(RUSAGE_CHILDREN)
        let start = ContinuousClock.now
        for command in commands { _ = try run(command) }
        let wall = (ContinuousClock.now - start).seconds
        return Timing(wall: wall, cpu: cpuSeconds(RUSAGE_CHILDREN) - cpuBefore)
    }

    /// Runs `command` (looked up on PATH), stdin and stderr closed, and returns its stdout;
    /// throws when it exits non-zero.
    @discardableResult
    static func run(_ command: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        process.standardInput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        // Read before waiting: a child that fills the pipe would otherwise never exit.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(command.joined(separator: " ")) exited \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// A command line as a shell would take it: arguments with shell metacharacters quoted.
    static func shellLine(_ command: [String]) -> String {
        command.map { argument in
            let plain = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=+,@".contains($0) }
            return plain && !argument.isEmpty ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}
