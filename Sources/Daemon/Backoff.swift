/// Exponential backoff: `initial`, doubling, at most `maximum`.
struct Backoff {
    var current: Duration
    let maximum: Duration

    init(initial: Duration, maximum: Duration) {
        current = initial
        self.maximum = maximum
    }

    mutating func next() -> Duration {
        defer { current = min(current * 2, maximum) }
        return current
    }
}
