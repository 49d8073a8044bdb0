import Foundation

/// How long to wait between attempts: exponential growth from `initial`, capped at
/// `maximum`, with an optional random fraction taken off so concurrent retries spread out.
///
/// The one backoff type of the project: task retries, reconnect loops and mail redelivery
/// all describe their waits with it.
public struct BackoffPolicy: Sendable, Hashable {
    /// Delay after the first failed attempt.
    public var initial: Duration
    /// Factor applied to the delay after each further failure. Default: 2.
    public var multiplier: Double
    /// Upper bound of any delay, jitter included.
    public var maximum: Duration
    /// Fraction (0...1) of each delay that is randomised away: a delay `d` becomes a value
    /// in `d*(1-jitter)...d`, so it never exceeds `maximum`. Default: 0 (no jitter).
    public var jitter: Double

    public init(initial: Duration, multiplier: Double = 2, maximum: Duration, jitter: Double = 0) {
        precondition((0...1).contains(jitter), "BackoffPolicy jitter must be within 0...1")
        self.initial = initial
        self.multiplier = multiplier
        self.maximum = maximum
        self.jitter = jitter
    }

    /// The delay after failed attempt number `attempt` (1-based), randomised with the
    /// system's generator.
    public func delay(afterAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, using: &generator)
    }

    /// The delay after failed attempt number `attempt` (1-based):
    /// `initial * multiplier^(attempt-1)`, capped at `maximum`, minus up to `jitter` of it.
    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let kept = jitter > 0 ? 1 - jitter * Double.random(in: 0..<1, using: &generator) : 1
        return delay(afterAttempt: attempt, jitterKept: kept)
    }

    /// The fewest attempts whose waits in between add up to at least `total` even when
    /// jitter shortens every wait as far as it can: how a retry policy rides out an outage
    /// of known length. At least 1; waits that never grow are capped at 10,000 attempts.
    public func attempts(toWait total: Duration) -> Int {
        let shortestKept = 1 - jitter
        var waited = Duration.zero
        var attempts = 1
        while waited < total, attempts < 10_000 {
            let wait = delay(afterAttempt: attempts, jitterKept: shortestKept)
            guard wait > .zero else { break }
            waited += wait
            attempts += 1
        }
        return attempts
    }

    private func delay(afterAttempt attempt: Int, jitterKept kept: Double) -> Duration {
        guard initial > .zero else { return .zero }
        // In seconds, so a large exponent saturates at `maximum` (the Double goes to
        // infinity) instead of overflowing Duration's integer arithmetic.
        let exponential = initial.seconds * pow(multiplier, Double(max(attempt - 1, 0)))
        return exponential < maximum.seconds ? .seconds(exponential * kept) : maximum * kept
    }
}
