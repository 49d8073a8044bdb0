import Foundation

/// A fresh, empty folder of one test under the system's temporary folder.
///
/// Either create one and `defer { scratch.remove() }`, or let ``with(prefix:_:)`` remove it
/// when the body returns or throws.
public struct ScratchDirectory: Sendable {
    /// The folder's absolute path.
    public let path: String

    /// Creates a folder named `prefix-<UUID>`.
    public init(prefix: String = "vidpipe-test") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Creates a fresh folder, runs `body` with it, then removes it.
    public static func with<T>(prefix: String = "vidpipe-test", _ body: (ScratchDirectory) async throws -> T) async throws -> T {
        let scratch = try ScratchDirectory(prefix: prefix)
        defer { scratch.remove() }
        return try await body(scratch)
    }

    /// The folder as a file URL.
    public var url: URL { URL(fileURLWithPath: path, isDirectory: true) }

    /// The path of `relativePath` inside this folder (which need not exist yet).
    public func path(_ relativePath: String) -> String { path + "/" + relativePath }

    /// Deletes the folder and everything in it.
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
