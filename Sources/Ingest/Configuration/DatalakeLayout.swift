/// Where things are: the lake (bronze and silver, a folder or an `s3://bucket/prefix`), the
/// local state beside it (inbox, outbox, logs, run files, the SQLite catalog) and the local
/// scratch space jobs work in.
///
/// With the lake on disk, the state lives in the lake folder and silver is staged there too,
/// so publishing is a rename. With the lake in object storage, state and staging are local.
public struct DatalakeLayout: Sendable, Equatable {
    /// A folder, or `s3://bucket/prefix` (no trailing slash).
    public var root: String
    /// Local folder of the inbox, outbox, logs and run files. The lake folder when the lake is on disk.
    public var stateRoot: String
    /// Local folder where jobs download sources and stage outputs bound for object storage.
    public var scratch: String
    /// The SQLite catalog file (when the catalog is not PostgreSQL).
    public var catalog: String

    /// Everything in one folder: the layout of a lake on disk with the defaults.
    public init(root: String) {
        self.init(root: root, stateRoot: root, scratch: root + "/scratch", catalog: nil)
    }

    public init(root: String, stateRoot: String, scratch: String, catalog: String?) {
        self.root = root
        self.stateRoot = stateRoot
        self.scratch = scratch
        self.catalog = catalog ?? stateRoot + "/catalog.sqlite"
    }

    /// True when bronze and silver live in an S3-compatible store.
    public var isObjectStore: Bool { root.hasPrefix("s3://") }

    public var bronze: String { root + "/bronze" }
    public var silver: String { root + "/silver" }
    /// Derived media and reports of one video: renditions, thumbnails, qc.json, metadata.json.
    public func silverFolder(videoID: String) -> String { silver + "/" + videoID }
    /// Where jobs write silver before gold records it: one folder per job, each beside a
    /// lock file its job holds while it runs. On the lake's own file system when the lake is
    /// on disk, so publishing is a rename; in scratch when it is in object storage.
    public var staging: String { (isObjectStore ? scratch : root) + "/staging" }
    public func stagingFolder(jobID: String) -> String { staging + "/" + jobID }
    public var inbox: String { stateRoot + "/inbox" }
    public var outbox: String { stateRoot + "/outbox" }
    public var logs: String { stateRoot + "/logs" }
    /// Files a running daemon leaves for others to find (the HTTP endpoint's address).
    public var run: String { stateRoot + "/run" }
    /// Requests the daemon has taken from the inbox, kept for audit.
    public var inboxDone: String { inbox + "/done" }
    /// Requests the daemon could not use, each beside a `.error.txt` saying why.
    public var inboxRejected: String { inbox + "/rejected" }
}
