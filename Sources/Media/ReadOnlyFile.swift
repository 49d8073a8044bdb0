#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file descriptor opened read-only, closed in `deinit`. Used to size the file and to
/// sniff its first bytes when libavformat cannot open it.
final class ReadOnlyFile {
    /// The POSIX error from `open`/`fstat`, or `EISDIR` for a directory.
    struct OpenFailure: Error {
        var errno: Int32
        var reason: String { String(cString: strerror(errno)) }
    }

    private let descriptor: Int32
    /// Size in bytes at open time.
    let size: Int64

    init(path: String) throws(OpenFailure) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw OpenFailure(errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let failure = OpenFailure(errno: errno)
            close(fd)
            throw failure
        }
        guard (info.st_mode & S_IFMT) != S_IFDIR else {
            close(fd)
            throw OpenFailure(errno: EISDIR)
        }
        descriptor = fd
        size = Int64(info.st_size)
    }

    deinit { close(descriptor) }

    /// Up to `count` bytes starting at `offset`; fewer at end of file or on a read error.
    func read(at offset: Int64, count: Int) -> [UInt8] {
        guard count > 0, offset >= 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        bytes.withUnsafeMutableBytes { buffer in
            while filled < count {
                let n = pread(descriptor, buffer.baseAddress! + filled, count - filled, off_t(offset) + off_t(filled))
                if n > 0 {
                    filled += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
        }
        bytes.removeSubrange(filled...)
        return bytes
    }
}
