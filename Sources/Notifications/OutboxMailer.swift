import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedded-mode transport: writes each message to `<directory>/<Message-ID>.eml`.
///
/// A file appears whole or not at all (written to a hidden temporary file, synced, then
/// linked into place), and a Message-ID that already has a file is never written again.
public struct OutboxMailer: MailTransport {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The file a message with `messageID` is written to.
    ///
    /// The angle brackets are dropped and every byte outside `A-Z a-z 0-9 . _ @ + -` is
    /// percent-encoded, so distinct ids give distinct names and no id can name a path elsewhere.
    public func path(for messageID: String) -> String {
        var name = messageID
        if name.hasPrefix("<"), name.hasSuffix(">") {
            name = String(name.dropFirst().dropLast())
        }
        let kept = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@+-".utf8)
        let safe = name.utf8.map { kept.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
        return directory + "/" + safe + ".eml"
    }

    public func deliver(_ envelope: MailEnvelope) async throws -> MailDelivery {
        let target = path(for: envelope.messageID)
        let delivered = MailDelivery(messageID: envelope.messageID, destination: target, wasAlreadyDelivered: true)
        if FileManager.default.fileExists(atPath: target) {
            return delivered
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw MailError(.outboxWriteFailed, "cannot create outbox \(directory): \(error)", isRetryable: true)
        }
        let temporary = directory + "/.tmp-" + UUID().uuidString + ".eml"
        defer { unlink(temporary) }
        try Self.writeSynced(envelope.content, to: temporary)
        // link() fails if the target exists where rename() would replace it: two senders racing
        // on one Message-ID leave the first file untouched.
        if link(temporary, target) != 0 {
            let code = errno
            if code == EEXIST {
                return delivered
            }
            throw MailError(.outboxWriteFailed, "cannot link \(target): \(String(cString: strerror(code)))", isRetryable: true)
        }
        Self.syncDirectory(directory)
        return MailDelivery(messageID: envelope.messageID, destination: target, wasAlreadyDelivered: false)
    }

    private static func writeSynced(_ data: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw MailError(.outboxWriteFailed, "cannot create \(path): \(String(cString: strerror(errno)))", isRetryable: true)
        }
        defer { close(descriptor) }
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw MailError(.outboxWriteFailed, "cannot write \(path): \(String(cString: strerror(errno)))", isRetryable: true)
                }
                offset += written
            }
        }
        guard fsync(descriptor) == 0 else {
            throw MailError(.outboxWriteFailed, "cannot sync \(path): \(String(cString: strerror(errno)))", isRetryable: true)
        }
    }

    /// Makes the new directory entry durable; a failure here only weakens crash safety.
    private static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
