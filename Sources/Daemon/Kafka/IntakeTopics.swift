/// The topics the daemon reads and writes.
public struct IntakeTopics: Sendable, Equatable {
    /// Incoming processing requests. Default `vidpipe.requests`.
    public var requests: String
    /// The outcome of every accepted job. Default `vidpipe.processed`.
    public var processed: String
    /// Requests that can never succeed, with the reason. Default `vidpipe.dead-letter`.
    public var deadLetter: String

    /// Creates the topic names; each defaults to its documented name.
    public init(requests: String = "vidpipe.requests", processed: String = "vidpipe.processed",
                deadLetter: String = "vidpipe.dead-letter") {
        self.requests = requests
        self.processed = processed
        self.deadLetter = deadLetter
    }
}
