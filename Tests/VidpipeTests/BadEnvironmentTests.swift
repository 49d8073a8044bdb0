import Foundation
import Testing
import VidpipeTestSupport

/// The machine around vidpipe gone wrong: a lake it cannot write, a full disk, a catalog
/// that is not a database or is locked by another process, a broker that never answers.
/// Each gives one line with a stable code and the file or variable at fault, and leaves
/// what is stored as it was. The mounts need root (as the project's machines and CI run).
@Suite(.serialized) struct BadEnvironmentTests {
    @Test func readOnlyLakeIsOneErrorBeforeAnyJob() throws {
        let lake = try TestLake()
        defer { lake.remove() }
        try FileManager.default.createDirectory(atPath: lake.root, withIntermediateDirectories: true)
        let mount = try TemporaryMount(at: lake.root, options: "ro,size=1m")
        defer { mount.unmount() }
        try Clip.good(lake.incoming + "/clip.mp4")

        let result = try lake.vidpipe(["process", lake.incoming + "/clip.mp4"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("vidpipe: the data lake \(lake.root) (VIDPIPE_DATALAKE) cannot be written (Read-only file system)"), "\(result.stderr)")
        #expect(result.stderr.contains("[datalake_unwritable]"))
        #expect((FileManager.default.subpaths(atPath: lake.root) ?? []).isEmpty)
    }

    /// A full lake is the infrastructure's fault, not the video's: the job is left
    /// unrecorded (to be redone once there is room), with the lake's own code.
    @Test func fullDiskLeavesTheJobUnrecordedWithDiskFullAndStagesNothing() throws {
        let lake = try TestLake(environment: ["VIDPIPE_TASK_ATTEMPTS": "1", "VIDPIPE_OUTAGE_TOLERANCE_SECONDS": "1"])
        defer { lake.remove() }
        try FileManager.default.createDirectory(atPath: lake.root, withIntermediateDirectories: true)
        // Room for the catalog and logs, not for an 8 s 640x360 clip (about 1.9 MB).
        let mount = try TemporaryMount(at: lake.root, options: "size=1m")
        defer { mount.unmount() }
        let clip = lake.incoming + "/big.mp4"
        try Clip.make("good", clip, seconds: 8, size: "640x360")

        let (status, report) = try lake.process([clip])
        #expect(status == 1)
        let job = try #require(report.jobs.first)
        #expect(job.errorCode == "disk_full", "\(job.errorCode ?? "-"): \(job.message ?? "")")
        #expect(job.recorded == false)
        #expect(try lake.query("SELECT id FROM jobs").isEmpty)
        #expect(job.message?.contains("the disk holding \(lake.root)/bronze is full") == true, "\(job.message ?? "")")
        #expect(try lake.query("SELECT id FROM videos").isEmpty)
        let bronze = FileManager.default.subpaths(atPath: lake.root + "/bronze") ?? []
        #expect(!bronze.contains { $0.contains("source") }, "no source or half-copied temporary left: \(bronze)")
    }

    @Test func corruptCatalogIsNamedAndLeftAsItWas() throws {
        let lake = try TestLake()
        defer { lake.remove() }
        try Clip.good(lake.incoming + "/clip.mp4")
        #expect(try lake.process([lake.incoming + "/clip.mp4"]).status == 0)
        // A crash of the disk, or a copy over it: bytes that are no SQLite file.
        try Clip.noise(lake.catalog, count: 64 * 1024)
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: lake.catalog + suffix) }
        let catalogBytes = try CommandLineTool.sha256sum(lake.catalog)
        let listing = FileManager.default.subpaths(atPath: lake.root + "/bronze")?.sorted()

        try Clip.good(lake.incoming + "/next.mp4", seconds: 2)
        let result = try lake.vidpipe(["process", lake.incoming + "/next.mp4"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("vidpipe: the catalog \(lake.catalog) is not a readable SQLite database (file is not a database)"), "\(result.stderr)")
        #expect(result.stderr.contains("[catalog_corrupt]"))
        #expect(try CommandLineTool.sha256sum(lake.catalog) == catalogBytes, "the damaged file is kept for recovery")
        #expect(FileManager.default.subpaths(atPath: lake.root + "/bronze")?.sorted() == listing)
    }

    @Test func catalogLockedByAnotherProcessIsNamedAndNothingIsWritten() async throws {
        let lake = try TestLake()
        defer { lake.remove() }
        try Clip.good(lake.incoming + "/clip.mp4")
        #expect(try lake.process([lake.incoming + "/clip.mp4"]).status == 0)
        let before = try LakeSnapshot(lake)

        // A sqlite3 shell holding an exclusive transaction, as a backup or a person might.
        let locker = Process()
        locker.executableURL = URL(fileURLWithPath: SQLite3Oracle.executablePath)
        locker.arguments = [lake.catalog]
        let input = Pipe()
        let answer = lake.scratch.path("locker.out")
        _ = FileManager.default.createFile(atPath: answer, contents: nil)
        locker.standardInput = input
        locker.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: answer))
        try locker.run()
        defer { if locker.isRunning { locker.terminate() } }
        input.fileHandleForWriting.write(Data("BEGIN EXCLUSIVE; SELECT 'locked';\n".utf8))
        try await waitUntil("sqlite3 to hold the lock") { (try? String(contentsOfFile: answer, encoding: .utf8))?.contains("locked") == true }

        try Clip.good(lake.incoming + "/next.mp4", seconds: 2)
        let result = try lake.vidpipe(["process", lake.incoming + "/next.mp4"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("vidpipe: the catalog \(lake.catalog) stayed locked by another process"), "\(result.stderr)")
        #expect(result.stderr.contains("[catalog_locked]"))
        try input.fileHandleForWriting.close()
        try await waitUntil("sqlite3 to exit") { !locker.isRunning }
        #expect(try LakeSnapshot(lake) == before)
    }

    @Test func unreachableBrokerAtStartIsSaidOnceAndNothingIsRecorded() async throws {
        let lake = try TestLake()
        defer { lake.remove() }
        // A port nothing listens on: bound and closed again.
        let port = try Self.closedPort()
        let daemon = try DaemonProcess(lake, environment: ["KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:\(port)"])
        let said = "no Kafka broker answers at 127.0.0.1:\(port) (KAFKA_BOOTSTRAP_SERVERS)"
        #expect(try await eventually(within: 30) { daemon.log.contains(said) }, "\(daemon.log.suffix(2000))")
        // librdkafka repeats "all brokers down" many times a second; the log keeps it short.
        let flooded = try await eventually(within: 5) { try daemon.count("_ALL_BROKERS_DOWN") > 10 }
        let downLines = try daemon.count("_ALL_BROKERS_DOWN")
        #expect(!flooded, "\(downLines) lines of _ALL_BROKERS_DOWN")
        #expect(daemon.log.contains("[broker_unreachable]"))
        #expect(try await daemon.stop(within: 30) == 0)
        #expect(try lake.query("SELECT id FROM jobs").isEmpty)
    }

    private static func closedPort() throws -> Int {
        let result = try CommandLineTool.checked("python3", ["-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        return Int(result.text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 1
    }
}

/// A tmpfs mounted over a folder for one test (root only), unmounted by ``unmount()``.
struct TemporaryMount {
    let path: String

    init(at path: String, options: String) throws {
        self.path = path
        try CommandLineTool.checked("mount", ["-t", "tmpfs", "-o", options, "tmpfs", path])
    }

    func unmount() { _ = try? CommandLineTool.run("umount", [path]) }
}
