import Catalog
import Execution
import Foundation
import Media
import ObjectStorage
import Scheduler

/// What the sidecar lookup found; `sidecar` is nil when the video came without metadata.
public struct SidecarLookup: Sendable {
    public var sidecar: Sidecar?
}

/// Proof that this job holds the only claim on content not yet in the catalog, and the
/// id its video will have (silver writes under `silver/<video id>/` before gold records it).
public struct NewContent: Sendable {
    public var hash: ContentHash
    public var videoID: String
}

/// Bronze: validate the file, read its sidecar, checksum, probe, deduplicate and stage the
/// raw bytes in the lake. Its tasks, its artifacts and its rules live here.
struct BronzeStage: Sendable {
    static let file = Artifact<ValidatedFile>("file")
    static let sidecar = Artifact<SidecarLookup>("sidecar")
    static let hash = Artifact<ContentHash>("sha256")
    static let probe = Artifact<ProbeReport>("probe")
    static let newContent = Artifact<NewContent>("new_content")
    static let staged = Artifact<StagedObject>("staged")

    let configuration: IngestConfiguration
    let catalog: any Catalog
    let validator: FileValidator
    let lake: any LakeStore
    /// Fetches `s3://` sources into ``scratch``.
    let objects: ObjectSource
    /// Where jobs download their `s3://` sources; each job's part goes when it ends.
    let scratch: ScratchSpace
    /// Shared by every job of the runner, so identical files processed at once dedup.
    let claims = ContentClaims()

    init(configuration: IngestConfiguration, catalog: any Catalog, lake: any LakeStore) {
        self.configuration = configuration
        self.catalog = catalog
        self.validator = FileValidator(allowedRoots: configuration.allowedRoots, maxFileBytes: configuration.maxFileBytes)
        self.lake = lake
        self.scratch = ScratchSpace(root: configuration.scratch, maxBytes: configuration.scratchMaxBytes)
        self.objects = ObjectSource(client: configuration.objectStorage.map { S3Client(configuration: $0) }, validator: validator, scratch: scratch)
    }

    func addTasks(to dag: inout DAGBuilder) {
        let io = TaskOptions.io(configuration)
        let infrastructure = TaskOptions.infrastructure(configuration)
        dag.task("bronze.validate", inputs: JobTicket.artifact, output: Self.file, options: io) { ticket in
            guard ticket.request.path.hasPrefix("s3://") else {
                return try validator.validate(path: ticket.request.path, confined: ticket.origin.isConfined)
            }
            return try await objects.fetch(ticket.request.path, confined: ticket.origin.isConfined, jobID: ticket.id)
        }
        dag.task("bronze.sidecar", inputs: JobTicket.artifact, Self.file, output: Self.sidecar, options: io) { ticket, file in
            try await lookUpSidecar(of: file, for: ticket)
        }
        dag.task("bronze.checksum", inputs: Self.file, output: Self.hash, options: .cpuHeavy(configuration, retry: true)) { file in
            // Hashed on the way in already: an object downloaded into scratch.
            if let known = file.contentSHA256 { return ContentHash(hex: known) }
            return try await DedicatedThread.run(name: "checksum") { () throws(IngestError) in
                try ContentHasher.sha256(path: file.resolvedPath, expectedSize: file.sizeBytes).hash
            }
        }
        dag.task("bronze.probe", inputs: Self.file, output: Self.probe, options: .cpuHeavy(configuration, retry: false)) { file in
            do {
                return try await DedicatedThread.run(name: "probe") { () throws(MediaError) in try MediaProbe.probe(path: file.resolvedPath) }
            } catch var error as MediaError {
                error.path = file.requestedPath  // name the file as the sender knows it
                throw IngestError(error)
            }
        }
        dag.task("bronze.dedup", inputs: JobTicket.artifact, Self.hash, output: Self.newContent, options: infrastructure) { ticket, hash in
            try await claimNewContent(hash, for: ticket)
        }
        dag.task("bronze.stage", inputs: JobTicket.artifact, Self.file, Self.newContent, Self.probe, Self.sidecar, output: Self.staged,
                 options: infrastructure) { ticket, file, content, probe, lookup in
            let probeJSON = try JSONEncoder.vidpipe.encode(probe)
            return try await lake.stageBronze(file, hash: content.hash, probeJSON: probeJSON, sidecar: lookup.sidecar, jobID: ticket.id)
        }
    }

    /// The sidecar (merged with the request's metadata); a missing one rejects the video
    /// when `VIDPIPE_MISSING_SIDECAR=reject`.
    private func lookUpSidecar(of file: ValidatedFile, for ticket: JobTicket) async throws(IngestError) -> SidecarLookup {
        let sidecar: Sidecar?
        if file.requestedPath.hasPrefix("s3://") {
            let found = try await objects.fetchSidecar(of: file, confined: ticket.origin.isConfined, jobID: ticket.id)
            sidecar = try Sidecar.merged(found: found.map { (path: $0.uri, data: $0.data) }, requestMetadata: ticket.request.metadata)
        } else {
            sidecar = try Sidecar.load(for: file, requestMetadata: ticket.request.metadata, validator: validator, confined: ticket.origin.isConfined)
        }
        if sidecar == nil, configuration.missingSidecar == .reject {
            let names = Sidecar.candidates(for: ticket.request.path).map { ($0 as NSString).lastPathComponent }
            throw IngestError(.missingSidecar, path: ticket.request.path,
                              "has no metadata sidecar (\(names.joined(separator: " or ")))",
                              hint: "send the metadata JSON next to the video, or set VIDPIPE_MISSING_SIDECAR=notify")
        }
        return SidecarLookup(sidecar: sidecar)
    }

    /// Claims the content for this job, then stops the job's branch as a duplicate when the
    /// catalog already holds it. The claim is held until ``releaseClaims(of:)``.
    private func claimNewContent(_ hash: ContentHash, for ticket: JobTicket) async throws -> NewContent {
        await claims.claim(hash, for: ticket.id)
        if let existing = try await catalog.video(contentSHA256: hash.hex) {
            ticket.log.videoID = existing.id
            throw SkipDownstream(reason: "duplicate of video \(existing.id) (\(existing.originalName), first seen \(existing.firstSeenAt.formatted(.iso8601)))")
        }
        let content = NewContent(hash: hash, videoID: UUID().uuidString.lowercased())
        ticket.log.videoID = content.videoID
        return content
    }

    /// Removes the job's scratch folder (its downloaded source) once nothing reads it any more.
    func releaseScratch(of ticket: JobTicket) {
        scratch.end(jobID: ticket.id)
    }

    /// Lets the next job with the same content go ahead, once this one has been recorded.
    func releaseClaims(of ticket: JobTicket) async {
        await claims.release(heldBy: ticket.id)
    }
}
