/// Paths inside the data lake.
public struct DatalakeLayout: Sendable, Equatable {
    public var root: String

    public init(root: String) { self.root = root }

    public var bronze: String { root + "/bronze" }
    public var silver: String { root + "/silver" }
    /// Derived media and reports of one video: renditions, thumbnails, qc.json, metadata.json.
    public func silverFolder(videoID: String) -> String { silver + "/" + videoID }
    /// Where jobs write silver before gold records it: one folder per job, each beside a
    /// lock file its job holds while it runs. On the lake's own file system, so publishing
    /// is a rename.
    public var staging: String { root + "/staging" }
    public func stagingFolder(jobID: String) -> String { staging + "/" + jobID }
    public var catalog: String { root + "/catalog.sqlite" }
    public var inbox: String { root + "/inbox" }
    public var outbox: String { root + "/outbox" }
    public var logs: String { root + "/logs" }
    /// Requests the daemon has taken from the inbox, kept for audit.
    public var inboxDone: String { inbox + "/done" }
    /// Requests the daemon could not use, each beside a `.error.txt` saying why.
    public var inboxRejected: String { inbox + "/rejected" }
}
