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

    /// A size in bytes: a whole number, or a number with a 1024-based suffix K, M, G or T
    /// (`512M`, `1.5G`; `KiB`, `MB` and the like read the same). Values below `minimum` other
    /// than 0 are refused; 0 passes through (the caller's "automatic").
    func byteSize(_ name: String, minimum: Int64) throws(ConfigurationError) -> Int64? {
        guard let text = string(name) else { return nil }
        let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        var digits = Substring(text.uppercased())
        for suffix in ["IB", "B"] where digits.hasSuffix(suffix) { digits = digits.dropLast(suffix.count); break }
        let multiplier = digits.last.flatMap { units[$0] }
        if multiplier != nil { digits = digits.dropLast() }
        guard let number = Double(digits.trimmingCharacters(in: .whitespaces)), number.isFinite, number >= 0,
              number * (multiplier ?? 1) < 0x1p62 else {
            throw ConfigurationError(variable: name, message: "\"\(text)\" is not a size: give bytes, or a number with K, M, G or T (1024-based), e.g. 2G or 512M")
        }
        let bytes = Int64(number * (multiplier ?? 1))
        guard bytes == 0 || bytes >= minimum else {
            throw ConfigurationError(variable: name, message: "\"\(text)\" is below the smallest usable size, \(minimum >> 20)M")
        }
        return bytes
    }

    /// Longest duration accepted (about 31 years): the daemon turns these values into
    /// `Duration`s, which trap beyond about 1.7e20 s, and into FFmpeg filter options.
    static let maximumSeconds = 1e9

    func seconds(_ name: String) throws(ConfigurationError) -> Double? {
        try positive(name, unit: "seconds", maximum: Self.maximumSeconds)
    }

    /// A positive number of hours, fractions allowed (0.5 is 30 minutes), returned as hours.
    func hours(_ name: String) throws(ConfigurationError) -> Double? {
        try positive(name, unit: "hours", maximum: Self.maximumSeconds / 3600)
    }

    private func positive(_ name: String, unit: String, maximum: Double) throws(ConfigurationError) -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), value > 0, value <= maximum else {
            throw ConfigurationError(variable: name, message: "\"\(text)\" is not a positive number of \(unit) up to \(Int(maximum))")
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

    /// A switch: `1` on, `0` off.
    func flag(_ name: String) throws(ConfigurationError) -> Bool? {
        guard let text = string(name) else { return nil }
        guard text == "0" || text == "1" else {
            throw ConfigurationError(variable: name, message: "\"\(text)\" is not 0 or 1: give 1 to turn it on, 0 (or nothing) to leave it off")
        }
        return text == "1"
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
