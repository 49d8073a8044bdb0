import Foundation
import VidpipeTestSupport

/// The `vidpipe` executable the end-to-end tests run: the one built with this test bundle,
/// and never one older than the sources.
///
/// Found in the test bundle's own build products folder (`/proc/self/exe`, i.e.
/// `.build/<triple>/debug/vidpipePackageTests.xctest`, sits next to `vidpipe`), else in
/// `swift build --show-bin-path`. Refused when it is older than any file under `Sources/`:
/// run `swift build --build-tests` again.
enum VidpipeBinary {
    /// The binary's path.
    ///
    /// - Throws: ``TestEnvironmentError`` when no binary was built, or it is stale.
    static func path() throws -> String { try located.get() }

    private static let located = Result { try locate() }

    private static func locate() throws -> String {
        let besideTheTests = [productsFolder(ofExecutable: "/proc/self/exe"), productsFolder(ofExecutable: CommandLine.arguments[0])]
            .compactMap { $0 }.map { $0 + "/vidpipe" }
        guard let binary = besideTheTests.first(where: FileManager.default.isExecutableFile(atPath:))
            ?? (try? binPathFromSwiftBuild() + "/vidpipe").flatMap({ FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil })
        else {
            throw TestEnvironmentError("no vidpipe binary beside the test bundle or in `swift build --show-bin-path`: run swift build --build-tests")
        }
        let built = try modificationDate(binary)
        if let newer = newestSource(), newer.date > built {
            throw TestEnvironmentError(
                "\(binary) (built \(built)) is older than \(newer.path) (changed \(newer.date)): "
                    + "run swift build --build-tests; the tests do not run a stale vidpipe")
        }
        return binary
    }

    /// The folder of an executable, symbolic links resolved (the test bundle is one).
    private static func productsFolder(ofExecutable path: String) -> String? {
        guard let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else {
            return path.hasPrefix("/") ? URL(fileURLWithPath: path).deletingLastPathComponent().path : nil
        }
        return URL(fileURLWithPath: resolved).deletingLastPathComponent().path
    }

    private static func binPathFromSwiftBuild() throws -> String {
        let result = try CommandLineTool.checked("swift", ["build", "--show-bin-path"], in: PackageDirectory.root)
        return result.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func modificationDate(_ path: String) throws -> Date {
        guard let date = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date else {
            throw TestEnvironmentError("no modification date for \(path)")
        }
        return date
    }

    /// The most recently changed file under `Sources/`.
    private static func newestSource() -> (path: String, date: Date)? {
        let sources = PackageDirectory.root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: [.contentModificationDateKey, .isRegularFileKey])
        var newest: (path: String, date: Date)?
        while let url = files?.nextObject() as? URL {
            guard let values = try? url.resourceValues(forKeys: [.contentModificationDateKey, .isRegularFileKey]),
                  values.isRegularFile == true, let date = values.contentModificationDate
            else { continue }
            if date > newest?.date ?? .distantPast { newest = (url.path, date) }
        }
        return newest
    }
}
