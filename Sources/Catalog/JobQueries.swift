import Foundation

/// Which jobs a listing wants (`vidpipe jobs`): every filter left nil matches all.
public struct JobQuery: Sendable, Equatable {
    /// Only jobs in one of these states; empty: any state.
    public var states: [JobState]
    /// Only jobs created at or after this time.
    public var createdSince: Date?
    /// At most this many, newest first.
    public var limit: Int

    public init(states: [JobState] = [], createdSince: Date? = nil, limit: Int) {
        self.states = states
        self.createdSince = createdSince
        self.limit = limit
    }
}

/// How many jobs ended in one state and verdict, and the bytes of their videos.
public struct JobTally: Sendable, Equatable, Codable {
    public var state: JobState
    /// Nil for jobs that never reached quality control (duplicates, some failures).
    public var verdict: String?
    public var jobs: Int64
    /// Sum of the sizes of the jobs' videos (duplicates link no video of their own: 0).
    public var videoBytes: Int64

    public init(state: JobState, verdict: String?, jobs: Int64, videoBytes: Int64) {
        self.state = state
        self.verdict = verdict
        self.jobs = jobs
        self.videoBytes = videoBytes
    }
}
