import Foundation
import ObjectStorage

/// A file that passed bronze validation.
public struct ValidatedFile: Sendable, Codable, Equatable {
    /// The path as the request or command line gave it (an `s3://` URI for an object).
    public var requestedPath: String
    /// The real path after resolving symlinks: the file actually read (for an object, its
    /// copy in the job's scratch folder).
    public var resolvedPath: String
    public var sizeBytes: Int64
    public var modifiedAt: Date
    /// The SHA-256 (hex) already computed while the file was fetched, so bronze.checksum
    /// need not read it again; nil for a local file.
    public var contentSHA256: String?

    public init(requestedPath: String, resolvedPath: String, sizeBytes: Int64, modifiedAt: Date, contentSHA256: String? = nil) {
        self.requestedPath = requestedPath
        self.resolvedPath = resolvedPath
        self.sizeBytes = sizeBytes
        self.modifiedAt = modifiedAt
        self.contentSHA256 = contentSHA256
    }
    /// The file name people know the video by.
    public var originalName: String { (requestedPath as NSString).lastPathComponent }
}

/// Bronze step (a): the path is allowed, and names a readable regular file of sane size.
public struct FileValidator: Sendable {
    /// Real paths of the allowed folders; local request paths must resolve inside one of them.
    public var allowedRoots: [String]
    /// The allowed `s3://bucket/prefix` roots; `s3://` request paths must lie inside one.
    public var allowedObjectRoots: [S3Location]
    public var maxFileBytes: Int64

    /// `allowedRoots` may mix folders and `s3://bucket/prefix` locations; each kind only
    /// ever admits paths of its own kind.
    public init(allowedRoots: [String], maxFileBytes: Int64) {
        // Roots are compared by real path so a root that is itself a symlink still works.
        self.allowedRoots = allowedRoots.filter { !$0.hasPrefix("s3://") }
            .map { Self.realPath($0) ?? URL(fileURLWithPath: $0).standardizedFileURL.path }
        // The configuration has parsed these already; one it could not parse admits nothing.
        self.allowedObjectRoots = allowedRoots.filter { $0.hasPrefix("s3://") }.compactMap { try? S3Location(uri: $0) }
        self.maxFileBytes = maxFileBytes
    }

    /// The object an `s3://` request path names, refused when it is malformed, climbs with
    /// `..` or lies outside the `s3://` allowed roots. Looks nothing up in the store.
    public func confine(objectURI uri: String) throws(IngestError) -> S3Location {
        let location = try ObjectSource.location(of: uri, origin: uri)
        try confine(location, uri: uri)
        return location
    }

    /// Refuses an object outside the `s3://` allowed roots: same bucket, and under the
    /// root's prefix taken as a folder (`s3://b/in` does not admit `s3://b/inbox/x`).
    func confine(_ location: S3Location, uri: String) throws(IngestError) {
        guard allowedObjectRoots.contains(where: { $0.contains(location) }) else {
            throw IngestError(.outsideAllowedRoots, path: uri, "is outside the allowed roots (\(rootsDescription))",
                              hint: "upload the object under an allowed s3:// root or extend VIDPIPE_ALLOWED_ROOTS")
        }
    }

    /// Validates `path`. `confined` is true for requests from the inbox or Kafka, false for
    /// files named on the command line, which are the user's explicit choice.
    public func validate(path: String, confined: Bool) throws(IngestError) -> ValidatedFile {
        guard !path.isEmpty, !path.contains("\0") else {
            throw IngestError(.invalidRequest, path: path, "the path is empty or contains a NUL byte")
        }
        if confined {
            try checkConfinement(path)
        }
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path

        var link = stat()
        guard lstat(absolute, &link) == 0 else { throw Self.lookUpFailure(path: path, absolute: absolute, errno: errno) }
        var info = stat()
        guard stat(absolute, &info) == 0, let resolved = Self.realPath(absolute) else {
            if errno == ELOOP { throw Self.lookUpFailure(path: path, absolute: absolute, errno: errno) }
            throw IngestError(.fileNotFound, path: path, "the symlink points to a file that does not exist")
        }
        if confined, !isInsideAllowedRoots(resolved) {
            throw IngestError(.symlinkEscape, path: path, "resolves through a symlink to \(resolved), outside the allowed roots",
                              hint: "copy the file into an allowed root instead of linking to it")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw IngestError(.notRegularFile, path: path, "is a directory, not a video file", hint: "name the video files inside it")
        case S_IFIFO: throw IngestError(.notRegularFile, path: path, "is a FIFO (named pipe); only regular files are ingested")
        case S_IFCHR, S_IFBLK: throw IngestError(.notRegularFile, path: path, "is a device; only regular files are ingested")
        case S_IFSOCK: throw IngestError(.notRegularFile, path: path, "is a socket; only regular files are ingested")
        default: throw IngestError(.notRegularFile, path: path, "is not a regular file")
        }
        guard access(resolved, R_OK) == 0 else {
            throw IngestError(.notReadable, path: path, "cannot be read by this process (uid \(getuid()))", hint: "fix the file's permissions")
        }
        let size = Int64(info.st_size)
        guard size > 0 else {
            throw IngestError(.emptyFile, path: path, "is empty (0 bytes)", hint: "the upload or copy probably failed: send the file again")
        }
        guard size <= maxFileBytes else {
            throw IngestError(.fileTooLarge, path: path, "is \(size) bytes, over the \(maxFileBytes)-byte limit (VIDPIPE_MAX_FILE_BYTES)")
        }
        let modified = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
        return ValidatedFile(requestedPath: path, resolvedPath: resolved, sizeBytes: size, modifiedAt: modified)
    }

    /// Why `lstat` found nothing: a name too long for the system, a name whose bytes were not
    /// UTF-8 (read as U+FFFD), a symlink loop, or simply no such file.
    private static func lookUpFailure(path: String, absolute: String, errno code: Int32) -> IngestError {
        switch code {
        case ENAMETOOLONG:
            let longest = absolute.split(separator: "/").map(\.utf8.count).max() ?? 0
            return IngestError(.pathTooLong, path: path,
                               "the path is \(absolute.utf8.count) bytes (longest component \(longest)); the system limit is \(PATH_MAX) bytes for a path and \(NAME_MAX) for one name",
                               hint: "move the file to a shorter path")
        case ELOOP:
            return IngestError(.fileNotFound, path: path, "symbolic links loop (a link leads back to itself)", hint: "fix the links")
        case ENOTDIR:
            return IngestError(.fileNotFound, path: path, "a folder in the path is a file", hint: "check the path")
        default:
            if absolute.contains("\u{FFFD}") {
                return IngestError(.invalidFileName, path: path,
                                   "no such file: the name holds bytes that are not UTF-8 (shown as \u{FFFD}), so it cannot be passed on as it is",
                                   hint: "rename the file to a UTF-8 name")
            }
            return IngestError(.fileNotFound, path: path, "no such file", hint: "check the path; the file may have been moved or deleted")
        }
    }

    /// Lexical checks that need no file system: absolute, no `..`, under a root.
    private func checkConfinement(_ path: String) throws(IngestError) {
        guard path.hasPrefix("/") else {
            throw IngestError(.invalidRequest, path: path, "request paths must be absolute")
        }
        if path.split(separator: "/").contains("..") {
            throw IngestError(.pathTraversal, path: path, "contains a \"..\" component; request paths may not climb out of their folder")
        }
        let lexical = URL(fileURLWithPath: path).standardizedFileURL.path
        // Compare against the roots both as given and as resolved, so a root reached
        // through a symlinked parent (e.g. /tmp on some systems) still matches.
        let resolvedParent = Self.realPath((lexical as NSString).deletingLastPathComponent).map { $0 + "/" + (lexical as NSString).lastPathComponent }
        guard isInsideAllowedRoots(lexical) || resolvedParent.map(isInsideAllowedRoots) == true else {
            throw IngestError(.outsideAllowedRoots, path: path, "is outside the allowed roots (\(rootsDescription))",
                              hint: "move the file under an allowed root or extend VIDPIPE_ALLOWED_ROOTS")
        }
    }

    /// Every allowed root, folders then `s3://` prefixes, for error messages.
    private var rootsDescription: String {
        (allowedRoots + allowedObjectRoots.map(\.description)).joined(separator: ", ")
    }

    private func isInsideAllowedRoots(_ path: String) -> Bool {
        allowedRoots.contains { root in path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/") }
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
