import Execution
import Foundation
import Synchronization
import Testing

@Suite struct DedicatedThreadTests {
    struct Refused: Error, Equatable {
        let reason: String
    }

    @Test func runsTheBodyOnANamedThreadOfItsOwn() async {
        let (name, isMain) = await DedicatedThread.run(name: "test-run") { () -> (String?, Bool) in
            (osThreadName(), Thread.isMainThread)
        }
        #expect(name == "test-run")
        #expect(!isMain)
    }

    @Test func aThrowingBodysTypedErrorArrives() async {
        do throws(Refused) {
            _ = try await DedicatedThread.run(name: "test-throw") { () throws(Refused) -> Int in
                throw Refused(reason: "no")
            }
            Issue.record("expected an error")
        } catch {
            // `error` is statically `Refused`: typed throws survive the hop.
            #expect(error == Refused(reason: "no"))
        }
    }

    @Test func blockingBodiesDoNotHoldTheCooperativePool() async {
        // More blocked bodies than the pool has threads: if they ran on the pool, the
        // releasing task below could never run and the test would hang.
        let gate = Gate()
        let count = ProcessInfo.processInfo.activeProcessorCount + 2
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                group.addTask { await DedicatedThread.run(name: "test-block-\(index)") { gate.wait() } }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(50))
                gate.open()
            }
        }
        #expect(gate.isOpen)
    }

    @Test func joinWaitsForTheStartedThread() {
        let finished = Counter()
        let handles = (0..<3).map { index in
            DedicatedThread.start(name: "test-start-\(index)") {
                Thread.sleep(forTimeInterval: 0.02)
                finished.increment()
            }
        }
        for handle in handles { handle.join() }
        #expect(finished.value == 3)
        // Joining again returns at once.
        handles[0].join()
    }

    @Test func startedThreadsAreNamed() {
        let name = NameBox()
        DedicatedThread.start(name: "test-named") { name.set(osThreadName()) }.join()
        #expect(name.value == "test-named")
    }

    @Test func longNamesKeepTheirBeginning() async {
        let long = String(repeating: "n", count: DedicatedThread.maximumNameLength) + "-cut-off"
        let name = await DedicatedThread.run(name: long) { osThreadName() }
        #expect(name == String(repeating: "n", count: DedicatedThread.maximumNameLength))
    }
}

/// A one-shot gate that blocks threads until opened.
private final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var opened = false

    var isOpen: Bool {
        condition.lock()
        defer { condition.unlock() }
        return opened
    }

    func wait() {
        condition.lock()
        defer { condition.unlock() }
        while !opened { condition.wait() }
    }

    func open() {
        condition.lock()
        defer { condition.unlock() }
        opened = true
        condition.broadcast()
    }
}

private final class Counter: Sendable {
    private let count = Atomic(0)
    var value: Int { count.load(ordering: .acquiring) }
    func increment() { count.add(1, ordering: .releasing) }
}

private final class NameBox: Sendable {
    private let name = Mutex<String?>(nil)
    var value: String? { name.withLock { $0 } }
    func set(_ value: String?) { name.withLock { $0 = value } }
}

/// The calling thread's name as the OS keeps it (what `ps -L` shows).
private func osThreadName() -> String {
    let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
    return comm.trimmingCharacters(in: .newlines)
}
