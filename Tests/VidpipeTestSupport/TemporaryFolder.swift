import Foundation

/// A scratch folder of one test: created empty under the system's temporary folder,
/// removed with everything in it when the test's body returns or throws.
public struct TemporaryFolder: Sendable {
    /// The folder's absolute path.
    public let path: String

    /// Creates a fresh folder named `prefix-<UUID>`, runs `body` with it, then removes it.
    public static func with<T>(
        prefix: String = "vidpipe-test", _ body: (TemporaryFolder) async throws -> T
    ) async throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(TemporaryFolder(path: path))
    }

    /// The path of `relativePath` inside this folder (which need not exist yet).
    public func appending(_ relativePath: String) -> String {
        path + "/" + relativePath
    }
}
