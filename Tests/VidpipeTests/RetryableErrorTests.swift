import Catalog
import Ingest
import Kafka
import Media
import Notifications
import Scheduler
import Synchronization
import Testing

/// Every module's error that says it is retryable is retried by the scheduler, and one that
/// says it is not fails at its first attempt: no error type is left out of the retry rule.
@Suite struct RetryableErrorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var error: any Error & Sendable
        var retryable: Bool
        var testDescription: String { "\(name) (\(retryable ? "retryable" : "final"))" }
    }

    static let cases: [Case] = [
        Case(name: "CatalogError", error: CatalogError(.busy, "database is locked", isRetryable: true), retryable: true),
        Case(name: "CatalogError", error: CatalogError(.constraintViolation, "duplicate key"), retryable: false),
        Case(name: "MailError", error: MailError(.smtpUnavailable, "connection refused", isRetryable: true), retryable: true),
        Case(name: "MailError", error: MailError(.smtpRejected, "550 no such user"), retryable: false),
        Case(name: "MediaError", error: MediaError(code: .openFailed, path: "/a.mp4", message: "I/O error"), retryable: true),
        Case(name: "MediaError", error: MediaError(code: .truncated, path: "/a.mp4", message: "cut short"), retryable: false),
        Case(name: "KafkaError", error: KafkaError(.delivery, "timed out", isRetryable: true), retryable: true),
        Case(name: "KafkaError", error: KafkaError(.configuration, "bad key"), retryable: false),
        Case(name: "IngestError wrapping MediaError",
             error: IngestError(MediaError(code: .openFailed, path: "/a.mp4", message: "I/O error")), retryable: true),
        Case(name: "IngestError wrapping MediaError",
             error: IngestError(MediaError(code: .truncated, path: "/a.mp4", message: "cut short")), retryable: false),
    ]

    @Test(arguments: cases)
    func schedulerRetriesExactlyTheRetryableErrors(_ testCase: Case) async throws {
        let attempts = Mutex(0)
        let output = Artifact<Int>("output")
        var builder = DAGBuilder(name: "retry")
        let policy = RetryPolicy.exponential(maxAttempts: 3, initialBackoff: .milliseconds(1), jitter: 0)
        builder.task("flaky", output: output, options: TaskOptions(retry: policy)) {
            let attempt = attempts.withLock { count in
                count += 1
                return count
            }
            if attempt == 1 { throw testCase.error }
            return attempt
        }
        let result = await TaskScheduler().run(try builder.build())

        if testCase.retryable {
            #expect(result.values[output] == 2, "a retryable \(testCase.name) gets a second attempt")
        } else {
            #expect(result.states["flaky"] == .failed)
            #expect(attempts.withLock { $0 } == 1, "a final \(testCase.name) is not tried again")
        }
    }

    @Test func wrappingKeepsTheUnderlyingError() {
        let media = MediaError(code: .openFailed, path: "/a.mp4", message: "/a.mp4: I/O error")
        let wrapped = IngestError(media)
        #expect((wrapped.underlying as? MediaError)?.code == .openFailed)
        #expect(wrapped.code.rawValue == "open_failed")
        #expect(wrapped.message == "I/O error")
    }
}
