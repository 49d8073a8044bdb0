import Execution
import Testing

@Suite struct BackoffPolicyTests {
    @Test(arguments: [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (6, 1000)])
    func delaysGrowByTheMultiplierUpToTheMaximum(attempt: Int, milliseconds: Int) {
        let policy = BackoffPolicy(initial: .milliseconds(100), maximum: .seconds(1))
        #expect(policy.delay(afterAttempt: attempt) == .milliseconds(milliseconds))
    }

    @Test func jitterTakesAtMostItsFractionAndNeverExceedsTheMaximum() {
        var generator = SystemRandomNumberGenerator()
        let policy = BackoffPolicy(initial: .milliseconds(100), multiplier: 10, maximum: .seconds(2), jitter: 0.5)
        for _ in 0..<200 {
            let first = policy.delay(afterAttempt: 1, using: &generator)
            #expect(first >= .milliseconds(50) && first <= .milliseconds(100))
            let late = policy.delay(afterAttempt: 9, using: &generator)
            #expect(late >= .seconds(1) && late <= .seconds(2))
        }
    }

    @Test func jitterActuallyVaries() {
        var generator = SystemRandomNumberGenerator()
        let policy = BackoffPolicy(initial: .seconds(1), maximum: .seconds(10), jitter: 1)
        let delays = Set((0..<20).map { _ in policy.delay(afterAttempt: 1, using: &generator) })
        #expect(delays.count > 1)
    }

    @Test(arguments: [64, 1_100, 10_000, Int.max])
    func hugeAttemptNumbersSaturateAtTheMaximum(attempt: Int) {
        let policy = BackoffPolicy(initial: .milliseconds(250), multiplier: 3, maximum: .seconds(30))
        #expect(policy.delay(afterAttempt: attempt) == .seconds(30))
    }

    @Test func aZeroInitialDelayStaysZero() {
        let policy = BackoffPolicy(initial: .zero, maximum: .seconds(5))
        #expect(policy.delay(afterAttempt: 1) == .zero)
        #expect(policy.delay(afterAttempt: 5_000) == .zero)
    }

    @Test func attemptsToWaitCoverTheOutageEvenWithTheShortestJitter() {
        // Waits 1, 2, 4, 4, 4 s at most; jitter 0.5 halves them at worst: 0.5, 1, 2, 2, 2.
        let policy = BackoffPolicy(initial: .seconds(1), multiplier: 2, maximum: .seconds(4), jitter: 0.5)
        #expect(policy.attempts(toWait: .zero) == 1)
        #expect(policy.attempts(toWait: .milliseconds(500)) == 2)
        #expect(policy.attempts(toWait: .seconds(3.5)) == 4)
        #expect(policy.attempts(toWait: .seconds(5.5)) == 5)
        #expect(policy.attempts(toWait: .seconds(5.6)) == 6)
        #expect(BackoffPolicy(initial: .zero, maximum: .zero).attempts(toWait: .seconds(10)) == 1)
    }

    @Test func attemptsBelowOneCountAsTheFirst() {
        let policy = BackoffPolicy(initial: .milliseconds(100), maximum: .seconds(1))
        #expect(policy.delay(afterAttempt: 0) == .milliseconds(100))
    }
}

@Suite struct DurationUnitsTests {
    @Test func secondsAndMillisecondsKeepTheFraction() {
        let duration = Duration.seconds(2) + .microseconds(500)
        #expect(abs(duration.seconds - 2.0005) < 1e-12)
        #expect(abs(duration.milliseconds - 2000.5) < 1e-9)
        #expect(Duration.zero.seconds == 0)
        #expect(Duration.milliseconds(-1500).seconds == -1.5)
    }
}
