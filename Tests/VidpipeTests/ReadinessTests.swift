import Observability
import Testing

/// `/ready`'s report when a dependency does not answer: it comes within the bound and names
/// the dependency, rather than waiting on it.
@Suite struct ReadinessTests {
    @Test func aDependencyThatDoesNotAnswerIsNotReadyWithinTheBound() async {
        // Answers "ready" after a minute, far past the bound: a report that waited says ok.
        let frozen = ReadinessCheck(name: "frozen") {
            (try? await Task.sleep(for: .seconds(60))) == nil ? "cancelled" : nil
        }
        let healthy = ReadinessCheck(name: "healthy") { nil }

        let report = await ReadinessReport.run([frozen, healthy], timeout: .seconds(1))

        let checks = report.checks.map { "\($0.name) ok=\($0.ok) \($0.reason ?? "-")" }
        #expect(!report.ready && checks == ["frozen ok=false no answer within 1 sec", "healthy ok=true -"], "\(report)")
    }
}
