import Execution
import Scheduler
import Testing

@Suite struct TaskSchedulerTests {
    let seed = Artifact<Int>("seed")
    let left = Artifact<Int>("left")
    let right = Artifact<Int>("right")
    let joined = Artifact<Int>("joined")

    @Test func independentTasksOverlapInTime() async throws {
        let spans = ConcurrentLog<(name: String, start: ContinuousClock.Instant, end: ContinuousClock.Instant)>()
        var builder = DAGBuilder(name: "parallel")
        for (name, artifact) in [("left", left), ("right", right)] {
            builder.task(name, output: artifact) {
                let start = ContinuousClock.now
                try await Task.sleep(for: .milliseconds(100))
                spans.append((name, start, .now))
                return 1
            }
        }
        let result = await TaskScheduler().run(try builder.build())

        #expect(result.succeeded)
        let recorded = spans.all
        try #require(recorded.count == 2)
        #expect(recorded[0].start < recorded[1].end && recorded[1].start < recorded[0].end)
    }

    @Test(arguments: [FlakyError(isRetryable: false) as any Error, PlainError() as any Error])
    func nonRetryableErrorFailsAtFirstAttempt(error: any Error) async throws {
        let attempts = CallCounter()
        var builder = DAGBuilder(name: "fatal")
        builder.task("fail", output: seed, options: TaskOptions(retry: .exponential(maxAttempts: 3, initialBackoff: .milliseconds(1)))) {
            _ = attempts.next()
            throw error
        }
        let result = await TaskScheduler().run(try builder.build())

        #expect(result.states["fail"] == .failed)
        #expect(result.tasks["fail"]?.attempts == 1)
        #expect(attempts.next() == 2)
        #expect(!result.transitions.contains { $0.state == .retrying })
    }

    @Test func retryableErrorIsRetriedWithGrowingBackoff() async throws {
        let attempts = CallCounter()
        let policy = RetryPolicy.exponential(maxAttempts: 3, initialBackoff: .milliseconds(20), multiplier: 3, jitter: 0)
        var builder = DAGBuilder(name: "flaky")
        builder.task("flaky", output: seed, options: TaskOptions(retry: policy)) {
            let attempt = attempts.next()
            if attempt < 3 { throw FlakyError(isRetryable: true) }
            return attempt
        }
        let result = await TaskScheduler().run(try builder.build())

        #expect(result.values[seed] == 3)
        #expect(result.tasks["flaky"]?.attempts == 3)
        let states = result.transitions(of: "flaky").map(\.state)
        #expect(states == [.queued, .running, .retrying, .running, .retrying, .running, .succeeded])
        // Time spent in `retrying` is the backoff: at least 20 ms, then at least 60 ms. Only
        // lower bounds: a starved cooperative pool can stretch either wait, never shorten it.
        let backoffs = result.transitions(of: "flaky").filter { $0.state == .running && $0.attempt > 1 }.compactMap(\.duration)
        try #require(backoffs.count == 2)
        #expect(backoffs[0] >= .milliseconds(20))
        #expect(backoffs[1] >= .milliseconds(60))
        let retryingAt = result.transitions(of: "flaky").filter { $0.state == .retrying }.map(\.at)
        #expect(retryingAt[1].timeIntervalSince(retryingAt[0]) >= 0.019)
    }

    @Test func exponentialRetryIsAttemptsPlusABackoffPolicy() {
        let policy = RetryPolicy.exponential(maxAttempts: 4, initialBackoff: .milliseconds(100), multiplier: 10, maxBackoff: .seconds(2), jitter: 0.5)
        #expect(policy.maxAttempts == 4)
        #expect(policy.backoff == BackoffPolicy(initial: .milliseconds(100), multiplier: 10, maximum: .seconds(2), jitter: 0.5))
        #expect(RetryPolicy.none.maxAttempts == 1)
        #expect(RetryPolicy.none.backoff.delay(afterAttempt: 1) == .zero)
    }

    @Test func timeoutFailsASlowTask() async throws {
        let finishedSleeping = CallCounter()
        var builder = DAGBuilder(name: "slow")
        builder.task("slow", output: seed, options: TaskOptions(timeout: .milliseconds(50))) {
            try await Task.sleep(for: .seconds(10))
            finishedSleeping.next()
            return 1
        }
        let result = await TaskScheduler().run(try builder.build())

        #expect(result.states["slow"] == .failed)
        #expect((result.failures.first?.error as? TaskExecutionError)?.code == .timedOut)
        // The body was cancelled mid-sleep. A wall-clock bound would flake when parallel
        // suites starve the cooperative pool; this cannot.
        #expect(finishedSleeping.value == 0)
    }

    @Test func timeoutIsRetryable() async throws {
        let attempts = CallCounter()
        var builder = DAGBuilder(name: "slow-once")
        let options = TaskOptions(retry: .exponential(maxAttempts: 2, initialBackoff: .milliseconds(1)), timeout: .milliseconds(50))
        builder.task("slow-once", output: seed, options: options) {
            if attempts.next() == 1 { try await Task.sleep(for: .seconds(10)) }
            return 2
        }
        let result = await TaskScheduler().run(try builder.build())

        #expect(result.values[seed] == 2)
        #expect(result.transitions(of: "slow-once").first { $0.state == .retrying }?.errorCode == "timed_out")
    }

    @Test func cancellingTheRunCancelsRunningAndUnstartedTasks() async throws {
        let (slowStarted, signal) = AsyncStream.makeStream(of: Void.self)
        var builder = DAGBuilder(name: "cancelled")
        builder.task("first", output: seed) { 1 }
        let finishedSleeping = CallCounter()
        builder.task("slow", inputs: seed, output: left) { value in
            try await Task.sleep(for: .seconds(30))
            finishedSleeping.next()
            return value
        }
        builder.task("after", inputs: left, output: joined) { $0 }
        let dag = try builder.build()

        let run = Task {
            await TaskScheduler().run(dag) { transition in
                if transition.task == "slow" && transition.state == .running { signal.yield() }
            }
        }
        for await _ in slowStarted { break }
        run.cancel()
        let result = await run.value

        // Cancellation reached the body mid-sleep (a wall-clock bound would flake when
        // parallel suites starve the cooperative pool).
        #expect(finishedSleeping.value == 0)
        #expect(result.states == ["first": .succeeded, "slow": .cancelled, "after": .cancelled])
        #expect(result.wasCancelled)
        #expect(!result.succeeded)
    }

    @Test func transitionsAreRecordedInOrderWithTimestampsAndDurations() async throws {
        let observed = ConcurrentLog<TaskTransition>()
        var builder = DAGBuilder(name: "chain")
        builder.task("first", output: seed) { 1 }
        builder.task("second", inputs: seed, output: left) { $0 + 1 }
        let result = await TaskScheduler().run(try builder.build()) { observed.append($0) }

        #expect(Set(observed.all) == Set(result.transitions))
        for task in ["first", "second"] {
            let transitions = result.transitions(of: task)
            #expect(transitions.map(\.state) == [.queued, .running, .succeeded])
            #expect(zip(transitions, transitions.dropFirst()).allSatisfy { $0.at <= $1.at })
            #expect(transitions[0].duration == nil)
            #expect(transitions.dropFirst().allSatisfy { $0.duration != nil })
        }
        #expect(result.transitions(of: "first").last!.at <= result.transitions(of: "second").first!.at)
    }

    @Test func failureSkipsDependentsButNotIndependentBranches() async throws {
        var builder = DAGBuilder(name: "partial")
        builder.task("bad", output: left) { throw PlainError() }
        builder.task("afterBad", inputs: left, output: right) { $0 }
        builder.task("afterAfterBad", inputs: right, output: joined) { $0 }
        builder.task("good", output: seed) { 1 }
        builder.task("afterGood", inputs: seed, output: Artifact<String>("summary")) { "\($0)" }
        let result = await TaskScheduler().run(try builder.build())

        #expect(result.states == [
            "bad": .failed, "afterBad": .skipped, "afterAfterBad": .skipped, "good": .succeeded, "afterGood": .succeeded,
        ])
        #expect(result.tasks["afterAfterBad"]?.detail?.contains("'bad'") == true)
        #expect(result.failures.map(\.task) == ["bad"])
        #expect(result.failures.first?.error is PlainError)
        #expect(result.values[Artifact<String>("summary")] == "1")
        #expect(!result.succeeded)
    }

    @Test func skipDownstreamStopsTheBranchWithoutFailingTheRun() async throws {
        var builder = DAGBuilder(name: "dedupe")
        builder.task("dedupe", output: seed) { throw SkipDownstream(reason: "duplicate of video 42") }
        builder.task("transcode", inputs: seed, output: left) { $0 }
        builder.task("publish", inputs: left) { _ in }
        builder.task("audit", output: right) { 1 }
        let result = await TaskScheduler().run(try builder.build())

        #expect(result.states == ["dedupe": .skipped, "transcode": .skipped, "publish": .skipped, "audit": .succeeded])
        #expect(result.tasks["dedupe"]?.detail == "duplicate of video 42")
        #expect(result.skipReason == "duplicate of video 42")
        #expect(result.succeeded)
    }

    @Test(arguments: [1, 2])
    func cpuHeavyLimitHoldsAcrossConcurrentRuns(limit: Int) async throws {
        let probe = ConcurrencyProbe()
        var builder = DAGBuilder(name: "decode")
        for index in 0..<4 {
            builder.task("decode\(index)", output: Artifact<Int>("frames\(index)"), options: TaskOptions(resource: .cpuHeavy)) {
                try await probe.measure {
                    try await Task.sleep(for: .milliseconds(20))
                    return index
                }
            }
        }
        let dag = try builder.build()
        let scheduler = TaskScheduler(cpuHeavyLimiter: AsyncSemaphore(permits: limit))

        async let first = scheduler.run(dag)
        async let second = scheduler.run(dag)
        let results = await [first, second]

        #expect(results.allSatisfy { $0.succeeded })
        #expect((1...limit).contains(probe.maximum))  // never above the limit; reaching it depends on the pool
    }
}
