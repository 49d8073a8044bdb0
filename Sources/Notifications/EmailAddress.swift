/// A mailbox: an ASCII `local@domain` address and an optional display name (any Unicode).
///
/// Only the common dot-atom form is accepted (no quoted local parts, no IP literals, no
/// internationalised addresses), which every SMTP server takes without extensions.
public struct EmailAddress: Sendable, Equatable, CustomStringConvertible {
    public let address: String
    public let displayName: String?

    /// - Throws: ``MailError/Code/invalidAddress`` when `address` is not a dot-atom
    ///   `local@domain`, or the display name holds control characters.
    public init(_ address: String, displayName: String? = nil) throws {
        guard Self.isValid(address) else {
            throw MailError(.invalidAddress, "not a valid email address: \(address.debugDescription)")
        }
        if let displayName, displayName.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw MailError(.invalidAddress, "display name has control characters: \(displayName.debugDescription)")
        }
        self.address = address
        self.displayName = displayName?.isEmpty == true ? nil : displayName
    }

    public var description: String {
        displayName.map { "\($0) <\(address)>" } ?? address
    }

    private static func isValid(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")), bytes.count <= 254 else { return false }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard (1...64).contains(local.count), (1...253).contains(domain.count) else { return false }

        let atomSpecials = Set("!#$%&'*+/=?^_`{|}~-".utf8)
        let localAtoms = local.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let localIsDotAtom = localAtoms.allSatisfy { atom in
            !atom.isEmpty && atom.allSatisfy { isAlphanumeric($0) || atomSpecials.contains($0) }
        }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        let domainIsHostname = labels.allSatisfy { label in
            (1...63).contains(label.count)
                && label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
                && label.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
        }
        return localIsDotAtom && domainIsHostname
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
