import Foundation

/// Reads `KEY=VALUE` files in the dotenv style: `#` comments, blank lines,
/// optional `export ` prefix, optional single or double quotes around the value.
enum EnvironmentFile {
    static func parse(_ text: String, origin: String) throws(ConfigurationError) -> [String: String] {
        var values: [String: String] = [:]
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line.removeFirst("export ".count) }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigurationError(variable: nil, message: "\(origin):\(offset + 1): expected KEY=VALUE, found \"\(line)\"")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            } else if let comment = value.range(of: " #") {
                value = value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            values[key] = value
        }
        return values
    }

    static func load(path: String) throws(ConfigurationError) -> [String: String]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigurationError(variable: nil, message: "cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(text, origin: path)
    }
}
