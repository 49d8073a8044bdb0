import Foundation

/// Polls `condition` every `interval` until it holds or `seconds` pass; returns whether it
/// held. For `#expect(try await eventually(within: 20) { ... })`.
public func eventually(
    within seconds: Double, every interval: Duration = .milliseconds(100), _ condition: () throws -> Bool
) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try await Task.sleep(for: interval)
    }
    return try condition()
}

/// Polls `condition` like ``eventually(within:every:_:)`` and throws when it does not hold in
/// time, for a step the rest of a test cannot do without.
///
/// - Throws: ``TestEnvironmentError`` naming `what` after `timeout`.
public func waitUntil(
    _ what: String, timeout: Duration = .seconds(20), every interval: Duration = .milliseconds(20), _ condition: () throws -> Bool
) async throws {
    let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
    guard try await eventually(within: seconds, every: interval, condition) else {
        throw TestEnvironmentError("timed out waiting for \(what)")
    }
}
