import Media

/// What a job is doing now, for a progress display: the task it entered, or how far its
/// decode has come.
public struct JobProgress: Sendable {
    public var jobID: String
    public var path: String
    /// The DAG node running (`bronze.checksum`, `silver.media`, …).
    public var stage: String
    /// Set while `silver.media` decodes.
    public var decode: DecodeProgress?
}
