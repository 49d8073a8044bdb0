import Foundation

/// The value of a `processed` event: the job's outcome (as `vidpipe process --json` shows
/// it) with the event schema's version. The Kafka event and the webhook body both use it,
/// so their keys cannot drift apart.
public struct ProcessedEvent: Encodable, Sendable {
    public static let schemaVersion = 1
    public static let schemaHeader = "vidpipe-schema-version"
    public var outcome: JobOutcome

    public init(outcome: JobOutcome) {
        self.outcome = outcome
    }

    enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version" }

    public func encode(to encoder: any Encoder) throws {
        try outcome.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.schemaVersion, forKey: .schemaVersion)
    }
}
