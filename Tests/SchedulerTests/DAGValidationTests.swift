import Scheduler
import Testing

@Suite struct DAGValidationTests {
    let seed = Artifact<Int>("seed")
    let doubled = Artifact<Int>("doubled")
    let label = Artifact<String>("label")
    let report = Artifact<String>("report")

    @Test func typedWiringCarriesValuesThroughADiamond() async throws {
        var builder = DAGBuilder(name: "diamond")
        builder.input(seed)
        builder.task("double", inputs: seed, output: doubled) { $0 * 2 }
        builder.task("label", inputs: seed, output: label) { "seed-\($0)" }
        builder.task("report", inputs: doubled, label, output: report) { value, name in "\(name)=\(value)" }
        let dag = try builder.build()

        var inputs = ArtifactValues()
        inputs[seed] = 21
        let result = await TaskScheduler().run(dag, inputs: inputs)

        #expect(result.succeeded)
        #expect(result.values[doubled] == 42)
        #expect(result.values[report] == "seed-21=42")
        #expect(dag.taskNames.last == "report")
    }

    @Test func taskWithoutInputsOrOutputRuns() async throws {
        let ran = CallCounter()
        var builder = DAGBuilder(name: "side-effect")
        builder.task("produce", output: seed) { 7 }
        builder.task("consume", inputs: seed) { _ in _ = ran.next() }
        let result = await TaskScheduler().run(try builder.build())

        #expect(result.states == ["produce": .succeeded, "consume": .succeeded])
        #expect(ran.next() == 2)
    }

    @Test func rejectsCycle() {
        var builder = DAGBuilder(name: "loop")
        builder.input(seed)
        builder.task("start", inputs: seed, output: label) { "\($0)" }
        builder.task("a", inputs: label, report, output: doubled) { _, _ in 1 }
        builder.task("b", inputs: doubled, output: report) { "\($0)" }
        #expect {
            try builder.build()
        } throws: { error in
            let error = error as? DAGValidationError
            return error?.code == .cycle && error?.names == ["a", "b"]
        }
    }

    @Test func rejectsInputWithoutProducer() {
        var builder = DAGBuilder(name: "orphan")
        builder.task("double", inputs: seed, output: doubled) { $0 * 2 }
        #expect {
            try builder.build()
        } throws: { error in
            let error = error as? DAGValidationError
            return error?.code == .missingProducer && error?.names == ["seed"]
        }
    }

    @Test func rejectsTwoProducersOfOneArtifact() {
        var builder = DAGBuilder(name: "twice")
        builder.task("one", output: seed) { 1 }
        builder.task("two", output: seed) { 2 }
        #expect {
            try builder.build()
        } throws: { ($0 as? DAGValidationError)?.code == .duplicateProducer }
    }

    @Test func rejectsProducedArtifactAlsoDeclaredExternal() {
        var builder = DAGBuilder(name: "shadowed")
        builder.input(seed)
        builder.task("one", output: seed) { 1 }
        #expect {
            try builder.build()
        } throws: { ($0 as? DAGValidationError)?.code == .duplicateProducer }
    }

    @Test func rejectsDuplicateTaskName() {
        var builder = DAGBuilder(name: "names")
        builder.task("same", output: seed) { 1 }
        builder.task("same", output: label) { "x" }
        #expect {
            try builder.build()
        } throws: { error in
            let error = error as? DAGValidationError
            return error?.code == .duplicateTaskName && error?.names == ["same"]
        }
    }

    @Test func rejectsArtifactNameUsedWithTwoTypes() {
        var builder = DAGBuilder(name: "types")
        builder.task("number", output: seed) { 1 }
        builder.task("text", inputs: Artifact<String>("seed"), output: label) { $0 }
        #expect {
            try builder.build()
        } throws: { ($0 as? DAGValidationError)?.code == .artifactTypeMismatch }
    }

    @Test func mergedFragmentsRunAsOneDAG() async throws {
        var bronze = DAGBuilder(name: "bronze")
        bronze.input(seed)
        bronze.task("double", inputs: seed, output: doubled) { $0 * 2 }
        var silver = DAGBuilder(name: "silver")
        silver.input(doubled)
        silver.task("label", inputs: doubled, output: label) { "v\($0)" }
        var gold = DAGBuilder(name: "gold")
        gold.input(label)
        gold.input(doubled)
        gold.task("report", inputs: label, doubled, output: report) { "\($0):\($1)" }

        let job = try DAG(name: "job", merging: [bronze.build(), silver.build(), gold.build()])
        var inputs = ArtifactValues()
        inputs[seed] = 5
        let result = await TaskScheduler().run(job, inputs: inputs)

        #expect(job.taskNames == ["double", "label", "report"])
        #expect(result.values[report] == "v10:10")
        // Only bronze's input stays external once silver and gold are wired to their producers.
        #expect(!job.textOutline().contains("external inputs: seed: Int, "))
        #expect(job.textOutline().contains("external inputs: seed: Int\n"))
    }

    @Test func mergingRejectsFragmentsProducingTheSameArtifact() throws {
        var first = DAGBuilder(name: "first")
        first.task("one", output: seed) { 1 }
        var second = DAGBuilder(name: "second")
        second.task("two", output: seed) { 2 }
        let fragments = [try first.build(), try second.build()]
        #expect {
            try DAG(name: "job", merging: fragments)
        } throws: { ($0 as? DAGValidationError)?.code == .duplicateProducer }
    }

    @Test func missingExternalInputFailsOnlyItsConsumers() async throws {
        var builder = DAGBuilder(name: "unsupplied")
        builder.input(seed)
        builder.task("double", inputs: seed, output: doubled) { $0 * 2 }
        builder.task("label", inputs: doubled, output: label) { "\($0)" }
        builder.task("independent", output: report) { "ok" }
        let result = await TaskScheduler().run(try builder.build())

        #expect(result.states == ["double": .failed, "label": .skipped, "independent": .succeeded])
        #expect((result.failures.first?.error as? TaskExecutionError)?.code == .missingInput)
    }
}
