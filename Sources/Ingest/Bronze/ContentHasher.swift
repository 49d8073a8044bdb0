import Crypto
import Foundation

/// A SHA-256 of a file's bytes, lower-case hex: the identity of content in the lake.
public struct ContentHash: Sendable, Codable, Hashable, CustomStringConvertible {
    public var hex: String
    public var description: String { hex }
    /// Short form for folder fan-out and log lines.
    public var prefix: String { String(hex.prefix(2)) }
}

/// Bronze step (b): a streaming SHA-256 that reads in fixed chunks, so memory stays flat
/// whatever the file size.
public enum ContentHasher {
    static let chunkBytes = 4 << 20

    /// Hashes the file; blocking I/O, run it off the cooperative pool.
    /// `expectedSize` guards against a file that changes while it is read.
    public static func sha256(path: String, expectedSize: Int64? = nil) throws(IngestError) -> (hash: ContentHash, bytes: Int64) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw IngestError(.notReadable, path: path, "cannot open for hashing: \(String(cString: strerror(errno)))", isRetryable: true)
        }
        defer { close(descriptor) }
        _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL)

        var hasher = SHA256()
        var total: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, chunkBytes)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw IngestError(.ioError, path: path, "read failed after \(total) bytes: \(String(cString: strerror(errno)))", isRetryable: true)
            }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += Int64(count)
        }
        if let expectedSize, expectedSize != total {
            throw IngestError(.fileChanged, path: path, "size changed while reading (\(expectedSize) → \(total) bytes)",
                              hint: "wait until the file is completely written, then send it again", isRetryable: true)
        }
        let hex = hasher.finalize().map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
        }.joined()
        return (ContentHash(hex: hex), total)
    }
}
