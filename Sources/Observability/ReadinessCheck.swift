import Execution
import NIOCore
import NIOPosix

/// One dependency `/ready` asks about: the catalog, the broker, the mail server.
///
/// `probe` returns nil when the dependency answers, else the reason it does not, in words
/// a person can act on and never holding a secret (no password, no full connection URI).
public struct ReadinessCheck: Sendable {
    public var name: String
    public var probe: @Sendable () async -> String?

    public init(name: String, probe: @escaping @Sendable () async -> String?) {
        self.name = name
        self.probe = probe
    }
}

/// What `/ready` answers: every configured check with its reason when it failed.
public struct ReadinessReport: Codable, Sendable, Equatable {
    public struct Check: Codable, Sendable, Equatable {
        public var name: String
        public var ok: Bool
        public var reason: String?
    }

    public var ready: Bool
    public var checks: [Check]

    /// Runs every check at once, each bounded by `timeout`: a frozen database is a reason,
    /// not a hung request.
    public static func run(_ checks: [ReadinessCheck], timeout: Duration) async -> ReadinessReport {
        let results = await withTaskGroup(of: (Int, String?).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask { (index, await Self.bounded(check, timeout: timeout)) }
            }
            var reasons = [String?](repeating: nil, count: checks.count)
            for await (index, reason) in group { reasons[index] = reason }
            return reasons
        }
        let report = zip(checks, results).map { Check(name: $0.name, ok: $1 == nil, reason: $1) }
        return ReadinessReport(ready: report.allSatisfy(\.ok), checks: report)
    }

    private static func bounded(_ check: ReadinessCheck, timeout: Duration) async -> String? {
        await withTaskGroup(of: String??.self) { group in
            group.addTask { .some(await check.probe()) }
            group.addTask {
                // Not Task.sleep: a cancelled one holds its timer until the deadline.
                try? await CancellableSleep.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            // The timer finished first: the check did not answer in time.
            return first ?? "no answer within \(timeout.formatted(.units(allowed: [.seconds])))"
        }
    }
}

extension ReadinessCheck {
    /// Whether something accepts a TCP connection at one of `addresses` (`host:port`):
    /// enough to tell a broker or mail server that is down or unreachable from one that runs.
    public static func tcp(name: String, addresses: [(host: String, port: Int)], timeout: Duration = .seconds(3)) -> ReadinessCheck {
        ReadinessCheck(name: name) {
            var reasons: [String] = []
            for (host, port) in addresses {
                do {
                    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .connectTimeout(.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
                        .connect(host: host, port: port).get()
                    try? await channel.close()
                    return nil
                } catch {
                    reasons.append("\(host):\(port): \(error)")
                }
            }
            return "cannot connect to " + reasons.joined(separator: "; ")
        }
    }
}
