import Foundation
import VidpipeTestSupport

/// What a lake holds, for "nothing changed" checks: every catalog table's rows (read by the
/// `sqlite3` CLI) and every file under the lake with its size, logs and the inbox apart
/// (jobs and requests write there by design).
struct LakeSnapshot: Equatable, CustomStringConvertible {
    /// Table name to its rows, one `|`-separated line each, sorted.
    var tables: [String: [String]]
    /// Paths relative to the lake root, with sizes.
    var files: [String: Int]

    init(_ lake: TestLake) throws {
        tables = [:]
        if FileManager.default.fileExists(atPath: lake.catalog) {
            for table in try SQLite3Oracle.query(lake.catalog, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") {
                tables[table] = try SQLite3Oracle.query(lake.catalog, "SELECT * FROM \"\(table)\"").sorted()
            }
        }
        files = [:]
        let root = URL(fileURLWithPath: lake.root).resolvingSymlinksInPath().path
        let walker = FileManager.default.enumerator(atPath: root)
        while let relative = walker?.nextObject() as? String {
            // run/ holds the daemon's runtime state (its HTTP address), not data.
            guard !relative.hasPrefix("logs"), !relative.hasPrefix("inbox"), !relative.hasPrefix("catalog.sqlite"),
                  !relative.hasPrefix("run/") else { continue }
            let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + relative)
            guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            files[relative] = (attributes[.size] as? Int) ?? -1
        }
    }

    /// Rows of `table` added since `before`.
    func added(in table: String, since before: LakeSnapshot) -> [String] {
        let old = Set(before.tables[table] ?? [])
        return (tables[table] ?? []).filter { !old.contains($0) }
    }

    /// Files added since `before`.
    func addedFiles(since before: LakeSnapshot) -> [String] {
        files.keys.filter { before.files[$0] == nil }.sorted()
    }

    /// Every table but those listed is as in `before`, and no file changed or vanished.
    func keepsEverything(of before: LakeSnapshot, except changing: Set<String>) -> Bool {
        before.tables.allSatisfy { changing.contains($0.key) || tables[$0.key] == $0.value }
            && before.files.allSatisfy { files[$0.key] == $0.value }
    }

    var description: String { "\(tables.mapValues(\.count)) tables, \(files.count) files" }
}
