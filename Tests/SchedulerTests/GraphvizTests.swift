import Foundation
import Scheduler
import Testing

@Suite struct GraphvizTests {
    let url = Artifact<String>("videoURL")
    let metadata = Artifact<Int>("metadata")
    let frames = Artifact<[Int]>("frames")
    let embedding = Artifact<Double>("embedding")

    func fragments() throws -> (bronze: DAG, silver: DAG, job: DAG) {
        var bronze = DAGBuilder(name: "bronze")
        bronze.input(url)
        bronze.task("probe", inputs: url, output: metadata) { $0.count }
        bronze.task("decode", inputs: url, metadata, output: frames, options: TaskOptions(resource: .cpuHeavy)) { _, count in [count] }
        var silver = DAGBuilder(name: "silver")
        silver.input(frames)
        silver.task("embed", inputs: frames, output: embedding, options: TaskOptions(timeout: .seconds(5))) { Double($0.count) }
        let built = (try bronze.build(), try silver.build())
        return (built.0, built.1, try DAG(name: "job", merging: [built.0, built.1]))
    }

    @Test func dotContainsEveryTaskAndEdge() throws {
        let dot = try fragments().job.dot()
        for task in ["probe", "decode", "embed"] {
            #expect(dot.contains("\"task:\(task)\" [label=\"\(task)\""))
        }
        #expect(dot.contains("\"input:videoURL\" [label=\"videoURL\", shape=ellipse"))
        #expect(dot.contains("\"input:videoURL\" -> \"task:probe\" [label=\"videoURL\"];"))
        #expect(dot.contains("\"input:videoURL\" -> \"task:decode\" [label=\"videoURL\"];"))
        #expect(dot.contains("\"task:probe\" -> \"task:decode\" [label=\"metadata\"];"))
        #expect(dot.contains("\"task:decode\" -> \"task:embed\" [label=\"frames\"];"))
        #expect(dot.components(separatedBy: " -> ").count - 1 == 4)
        #expect(dot.contains("\"task:decode\" [label=\"decode\", style=\"rounded,filled\""))
        #expect(dot.contains("subgraph \"cluster_bronze\""))
        #expect(dot.contains("subgraph \"cluster_silver\""))
    }

    @Test func fragmentDOTShowsItsExternalInputsWithoutClusters() throws {
        let dot = try fragments().silver.dot()
        #expect(dot.contains("\"input:frames\" -> \"task:embed\" [label=\"frames\"];"))
        #expect(!dot.contains("subgraph"))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/dot")))
    func graphvizAcceptsTheDOT() throws {
        let (bronze, silver, job) = try fragments()
        for dag in [bronze, silver, job] {
            // A file, not a pipe: Foundation's pipe I/O crashes on EINTR from other tests' SIGCHLD.
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("vidpipe-\(UUID().uuidString).dot")
            try Data(dag.dot().utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/dot")
            process.arguments = ["-Tsvg", file.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "dot rejected the DOT of \(dag.name)")
        }
    }

    @Test func textOutlineListsTasksInTopologicalOrder() throws {
        let outline = try fragments().job.textOutline()
        #expect(outline == """
            DAG job: 3 tasks
              external inputs: videoURL: String
              1. probe(videoURL) -> metadata: Int  [bronze]
              2. decode(videoURL, metadata) -> frames: Array<Int>  [bronze, cpuHeavy]
              3. embed(frames) -> embedding: Double  [silver, timeout 5.0 seconds]

            """)
    }
}
