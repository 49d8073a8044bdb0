import Foundation

/// Where a staged file lives in the lake.
public struct StagedObject: Sendable, Codable, Equatable {
    /// `bronze/sha256/ab/<hash>/source.<ext>`
    public var sourcePath: String
    /// The probe beside it.
    public var probePath: String
    /// The sidecar beside it, when there was one.
    public var sidecarPath: String?
    /// True when the content was hard-linked rather than copied.
    public var linked: Bool
    /// The local file silver decodes: the bronze object itself in a lake on disk, the job's
    /// local copy of it when the lake is in object storage.
    public var localSourcePath: String
}

/// Bronze step (d): content-addressed staging of raw files, written so that a crash never
/// leaves a half-written object under its final name.
public struct BronzeStore: Sendable {
    public var root: String

    public init(root: String) { self.root = root }

    /// The folder of one content hash.
    public func folder(for hash: ContentHash) -> String {
        "\(root)/sha256/\(hash.prefix)/\(hash.hex)"
    }

    /// Stages `file` under its hash with its probe (and sidecar) beside it. Idempotent: a
    /// second call for the same content keeps the first object.
    public func stage(_ file: ValidatedFile, hash: ContentHash, probeJSON: Data, sidecar: Sidecar?) throws(IngestError) -> StagedObject {
        let folder = folder(for: hash)
        let ext = URL(fileURLWithPath: file.originalName).pathExtension.lowercased()
        let source = folder + "/source" + (ext.isEmpty || ext.count > 8 ? "" : "." + ext)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw IngestError(.ioError, path: folder, "cannot create the bronze folder: \(error.localizedDescription)", isRetryable: true)
        }
        var linked = false
        if !FileManager.default.fileExists(atPath: source) {
            linked = try placeContent(of: file.resolvedPath, at: source, expectedSize: file.sizeBytes)
        }
        let probePath = folder + "/probe.json"
        try writeAtomically(probeJSON, to: probePath)
        var sidecarPath: String?
        if let sidecar {
            sidecarPath = folder + "/sidecar.json"
            try writeAtomically(Data(sidecar.json.utf8), to: sidecarPath!)
        }
        return StagedObject(sourcePath: source, probePath: probePath, sidecarPath: sidecarPath, linked: linked, localSourcePath: source)
    }

    /// Hard link when on the same file system (no copy, no extra space), else copy;
    /// either way into a temporary name first, then an atomic rename.
    private func placeContent(of original: String, at destination: String, expectedSize: Int64) throws(IngestError) -> Bool {
        let temporary = destination + ".tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        defer { unlink(temporary) }
        var linked = false
        if link(original, temporary) == 0 {
            linked = true
        } else {
            do {
                try FileManager.default.copyItem(atPath: original, toPath: temporary)
            } catch {
                if access(original, F_OK) != 0, errno == ENOENT {
                    throw IngestError(.fileNotFound, path: original, "was deleted or moved while the job was staging it",
                                      hint: "send the file again once it stays in place")
                }
                if Self.isOutOfSpace(error) {
                    throw IngestError(.diskFull, path: original, "cannot be copied into the lake: the disk holding \(root) is full",
                                      hint: "free space there (or move VIDPIPE_DATALAKE), then send the file again", isRetryable: true)
                }
                throw IngestError(.ioError, path: original, "cannot copy into the bronze layer: \(error.localizedDescription)", isRetryable: true)
            }
            var info = stat()
            guard stat(temporary, &info) == 0, Int64(info.st_size) == expectedSize else {
                throw IngestError(.fileChanged, path: original, "the file changed size while being staged",
                                  hint: "wait until the file is completely written, then send it again", isRetryable: true)
            }
            let descriptor = open(temporary, O_RDONLY)
            if descriptor >= 0 { fsync(descriptor); close(descriptor) }
        }
        guard rename(temporary, destination) == 0 else {
            throw IngestError(.ioError, path: destination, "cannot move the staged file into place: \(String(cString: strerror(errno)))", isRetryable: true)
        }
        return linked
    }

    private static func isOutOfSpace(_ error: any Error) -> Bool {
        if let cocoa = error as? CocoaError, cocoa.code == .fileWriteOutOfSpace { return true }
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        return underlying?.domain == NSPOSIXErrorDomain && underlying?.code == Int(ENOSPC)
    }

    private func writeAtomically(_ data: Data, to path: String) throws(IngestError) {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw IngestError(.ioError, path: path, "cannot write: \(error.localizedDescription)", isRetryable: true)
        }
    }
}
