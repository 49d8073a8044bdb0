/// A bucket and a key (or key prefix) in an S3-compatible store: `s3://bucket/key`.
public struct S3Location: Sendable, Hashable, CustomStringConvertible {
    public var bucket: String
    /// The object key, without a leading slash; empty for the bucket's root.
    public var key: String

    public init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    /// Parses `s3://bucket/key`. The bucket follows S3's naming rules (3-63 characters of
    /// lower-case letters, digits, `.` and `-`); the key may not hold `.` or `..` segments, an
    /// empty segment, or control characters, so a key always names one place.
    public init(uri: String) throws(S3Error) {
        guard uri.hasPrefix("s3://") else {
            throw S3Error(.storageInvalidLocation, "\(uri.debugDescription) is not an s3://bucket/key URI")
        }
        let rest = uri.dropFirst("s3://".count)
        let bucket = String(rest.prefix { $0 != "/" })
        let key = String(rest.dropFirst(bucket.count).drop { $0 == "/" })
        guard Self.isValidBucket(bucket) else {
            throw S3Error(.storageInvalidLocation,
                          "\(uri.debugDescription): bucket \(bucket.debugDescription) is not a valid bucket name (3-63 of a-z, 0-9, '.', '-')")
        }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        if !key.isEmpty, segments.dropLast().contains(where: \.isEmpty) || segments.contains(where: { $0 == "." || $0 == ".." }) {
            throw S3Error(.storageInvalidLocation, "\(uri.debugDescription): the key has an empty, '.' or '..' segment")
        }
        if key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) || key.utf8.count > 1024 {
            throw S3Error(.storageInvalidLocation, "\(uri.debugDescription): the key holds control characters or is over 1024 bytes")
        }
        self.init(bucket: bucket, key: key)
    }

    public var description: String { "s3://\(bucket)/\(key)" }

    /// The location of `name` under this one, taken as a folder.
    public func appending(_ name: String) -> S3Location {
        let folder = key.isEmpty || key.hasSuffix("/") ? key : key + "/"
        return S3Location(bucket: bucket, key: folder + name)
    }

    /// True when `other` is this location or lies under it taken as a folder: same bucket,
    /// and the key starts with this key followed by `/` (so `s3://b/in` does not contain `s3://b/inbox`).
    public func contains(_ other: S3Location) -> Bool {
        guard other.bucket == bucket else { return false }
        if key.isEmpty || other.key == key { return true }
        let folder = key.hasSuffix("/") ? key : key + "/"
        return other.key.hasPrefix(folder)
    }

    static func isValidBucket(_ name: String) -> Bool {
        (3...63).contains(name.count)
            && name.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
            && name.first.map { $0.isLetter || $0.isNumber } == true && name.last.map { $0.isLetter || $0.isNumber } == true
    }
}
