import Foundation

/// Typed access to string variables; an empty value counts as unset.
struct VariableReader {
    var values: [String: String]

    func string(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func integer(_ name: String, minimum: Int64) throws(ConfigurationError) -> Int64? {
        guard let text = string(name) else { return nil }
        guard let value = Int64(text), value >= minimum else {
            throw ConfigurationError(variable: name, message: "\"\(text)\" is not a whole number ≥ \(minimum)")
        }
        return value
    }

    /// Longest duration accepted (about 31 years): the daemon turns these values into
    /// `Duration`s, which trap beyond about 1.7e20 s, and into FFmpeg filter options.
    static let maximumSeconds = 1e9

    func seconds(_ name: String) throws(ConfigurationError) -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), value > 0, value <= Self.maximumSeconds else {
            throw ConfigurationError(variable: name,
                                     message: "\"\(text)\" is not a positive number of seconds up to \(Int(Self.maximumSeconds))")
        }
        return value
    }

    func number(_ name: String) throws(ConfigurationError) -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw ConfigurationError(variable: name, message: "\"\(text)\" is not a number")
        }
        return value
    }

    func fraction(_ name: String) throws(ConfigurationError) -> Double? {
        guard let value = try number(name) else { return nil }
        guard (0...1).contains(value) else {
            throw ConfigurationError(variable: name, message: "\(value) is not between 0 and 1")
        }
        return value
    }

    func choice<C: RawRepresentable & CaseIterable>(_ name: String, of _: C.Type) throws(ConfigurationError) -> C? where C.RawValue == String {
        guard let text = string(name) else { return nil }
        guard let value = C(rawValue: text.lowercased()) else {
            throw ConfigurationError(variable: name, message: "\"\(text)\" is not one of \(C.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    func list(_ name: String) -> Set<String>? {
        guard let text = values[name] else { return nil }
        return Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty })
    }

    func resolution(_ name: String) throws(ConfigurationError) -> (Int, Int)? {
        guard let text = string(name) else { return nil }
        let parts = text.lowercased().split(separator: "x")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0 else {
            throw ConfigurationError(variable: name, message: "\"\(text)\" is not WIDTHxHEIGHT, e.g. 1920x1080")
        }
        return (width, height)
    }
}
