import Foundation

/// The checkout the tests belong to, found from this file's location, so helpers can reach
/// `scripts/`, `Sources/` and `.deps/` wherever the repository is cloned.
public enum PackageDirectory {
    /// The package root (the folder holding `Package.swift`).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The absolute path of `relativePath` inside the package root.
    public static func path(_ relativePath: String) -> String {
        root.appendingPathComponent(relativePath).path
    }
}
