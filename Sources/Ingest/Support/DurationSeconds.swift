extension Duration {
    /// The duration in seconds, for configuration values, logs and JSON fields.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// The duration in milliseconds, for job-log fields.
    public var milliseconds: Double { seconds * 1000 }
}
