import Execution
import Foundation
import Scheduler

/// Measures DAG build (validation and planning) and run overhead with no-op tasks, against the
/// goal of running 1,000 nodes in under 50 ms.
enum DAGBenchmark {
    static let goal = Duration.milliseconds(50)

    /// Builds and runs a chain and a fan-out of `nodeCount` no-op tasks `repetitions` times each
    /// (after one warm-up) and reports median build and run times.
    static func run(nodeCount: Int = 1000, repetitions: Int) async throws -> String {
        precondition(nodeCount >= 2 && repetitions >= 1, "need at least 2 nodes and 1 repetition")
        let scheduler = TaskScheduler()
        var lines = ["DAG scheduler, \(nodeCount) no-op tasks, median of \(repetitions) (goal: run < \(milliseconds(goal)))"]
        for shape in Shape.allCases {
            var buildTimes: [Duration] = []
            var runTimes: [Duration] = []
            for repetition in 0...repetitions {
                let clock = ContinuousClock()
                var dag: DAG?
                let buildTime = try clock.measure { dag = try shape.dag(nodeCount: nodeCount) }
                var result: DAGRunResult?
                let runTime = await clock.measure { result = await scheduler.run(dag!) }
                guard result?.succeeded == true else { throw BenchmarkFailure(shape: shape) }
                // Repetition 0 warms up caches and the cooperative pool.
                if repetition > 0 {
                    buildTimes.append(buildTime)
                    runTimes.append(runTime)
                }
            }
            let runMedian = median(runTimes)
            let verdict = runMedian < goal ? "ok" : "OVER GOAL"
            lines.append(
                "  \(shape.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) build \(milliseconds(median(buildTimes)))"
                    + "  run \(milliseconds(runMedian))  (min \(milliseconds(runTimes.min()!)), max \(milliseconds(runTimes.max()!)))  \(verdict)"
            )
        }
        return lines.joined(separator: "\n")
    }

    enum Shape: String, CaseIterable {
        /// Each task consumes the previous one's output: measures per-hop latency.
        case chain
        /// One root feeding every other task: measures launching many ready tasks at once.
        case fanOut = "fan-out"

        func dag(nodeCount: Int) throws -> DAG {
            var builder = DAGBuilder(name: rawValue)
            let root = Artifact<Int>("value0")
            builder.task("task0", output: root) { 0 }
            for index in 1..<nodeCount {
                let input = self == .chain ? Artifact<Int>("value\(index - 1)") : root
                builder.task("task\(index)", inputs: input, output: Artifact<Int>("value\(index)")) { $0 + 1 }
            }
            return try builder.build()
        }
    }

    struct BenchmarkFailure: Error, CustomStringConvertible {
        let shape: Shape
        var description: String { "the \(shape.rawValue) DAG did not succeed" }
    }

    private static func median(_ durations: [Duration]) -> Duration {
        durations.sorted()[durations.count / 2]
    }

    private static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.2f ms", duration.milliseconds)
    }
}
