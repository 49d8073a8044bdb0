import Crypto
import Foundation

/// The `vidpipe-signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
///
/// The timestamp is signed with the body, so a receiver that refuses old timestamps refuses
/// a captured request replayed later; it is fresh for each attempt, the body is not.
public struct WebhookSignature: Sendable, Equatable, CustomStringConvertible {
    /// The header's name.
    public static let header = "vidpipe-signature"

    public var timestamp: Int64
    /// Lower-case hex of the HMAC.
    public var v1: String

    /// Signs `body` at `timestamp` with `secret`.
    public init(body: some DataProtocol, secret: String, timestamp: Int64) {
        self.timestamp = timestamp
        self.v1 = Self.hmac(body: body, secret: secret, timestamp: timestamp)
    }

    /// Reads a header value; nil when it is not `t=…,v1=…`.
    public init?(header value: String) {
        var timestamp: Int64?
        var v1: String?
        for part in value.split(separator: ",") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return nil }
            switch pair[0] {
            case "t": timestamp = Int64(pair[1])
            case "v1": v1 = String(pair[1]).lowercased()
            default: continue  // later schemes may add their own parts
            }
        }
        guard let timestamp, let v1 else { return nil }
        self.timestamp = timestamp
        self.v1 = v1
    }

    public var description: String { "t=\(timestamp),v1=\(v1)" }

    /// Why a signature was refused.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case malformed
        case mismatch
        /// Further from now than the tolerance allows, in seconds.
        case stale(ageSeconds: Int64, toleranceSeconds: Int64)

        public var description: String {
            switch self {
            case .malformed: "the signature header is not t=<unix seconds>,v1=<hex>"
            case .mismatch: "the signature does not match the body and secret"
            case let .stale(age, tolerance): "the timestamp is \(age) s from now; at most \(tolerance) s is accepted (a replay?)"
            }
        }
    }

    /// Checks `header` against `body`, and that its timestamp is within `tolerance` seconds
    /// of `now`, comparing the HMACs in constant time.
    public static func verify(header: String, body: some DataProtocol, secret: String, toleranceSeconds: Int64,
                              now: Date = Date()) throws(Refusal) {
        guard let signature = WebhookSignature(header: header) else { throw .malformed }
        let expected = Self.hmac(body: body, secret: secret, timestamp: signature.timestamp)
        guard expected.utf8.count == signature.v1.utf8.count,
              zip(expected.utf8, signature.v1.utf8).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else { throw .mismatch }
        let age = abs(Int64(now.timeIntervalSince1970) - signature.timestamp)
        guard age <= toleranceSeconds else { throw .stale(ageSeconds: age, toleranceSeconds: toleranceSeconds) }
    }

    private static func hmac(body: some DataProtocol, secret: String, timestamp: Int64) -> String {
        var authenticator = HMAC<SHA256>(key: SymmetricKey(data: Data(secret.utf8)))
        authenticator.update(data: Data("\(timestamp).".utf8))
        authenticator.update(data: body)
        return authenticator.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
