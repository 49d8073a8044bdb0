import CFFmpeg

/// An exact fraction such as a frame rate (`30000/1001`) or time base (`1/90000`).
///
/// Encodes in JSON as the string `"num/den"` (the form ffprobe prints), so `0/0`, the
/// FFmpeg convention for "unknown", round-trips unchanged.
public struct Rational: Codable, Sendable, Hashable, CustomStringConvertible {
    public var numerator: Int32
    public var denominator: Int32

    public init(_ numerator: Int32, _ denominator: Int32) {
        self.numerator = numerator
        self.denominator = denominator
    }

    init(_ q: AVRational) { self.init(q.num, q.den) }

    /// The value as a `Double`, or nil when the denominator is zero (unknown).
    public var value: Double? {
        denominator == 0 ? nil : Double(numerator) / Double(denominator)
    }

    public var description: String { "\(numerator)/\(denominator)" }

    /// Parses `"num/den"` or `"num:den"` (ffprobe uses `:` for aspect ratios).
    public init?(parsing text: some StringProtocol) {
        guard let separator = text.firstIndex(where: { $0 == "/" || $0 == ":" }),
              let num = Int32(text[..<separator]),
              let den = Int32(text[text.index(after: separator)...])
        else { return nil }
        self.init(num, den)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = Rational(parsing: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected \"num/den\", got \"\(text)\"")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
