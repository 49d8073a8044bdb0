import Foundation
import Logging
import ServiceLifecycle

/// Tells systemd (a `Type=notify` unit) where the daemon is in its life: `READY=1` once
/// intake takes requests, `STOPPING=1` when graceful shutdown begins.
///
/// The sd_notify protocol without libsystemd: one datagram per message on the unix socket
/// systemd names in `NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace). As a
/// service of the group it waits for graceful shutdown and then announces it; place it
/// last, so it hears of the shutdown before intake stops. A failed send is logged, never
/// fatal: systemd then times the start out, which says more than a daemon that refuses to run.
public struct SystemdNotifier: Service {
    let socketPath: String
    let logger: Logger

    /// A notifier for the socket in `NOTIFY_SOCKET`; nil when the variable is unset or
    /// empty (not started by systemd).
    public init?(socketPath: String?, logger: Logger) {
        guard let socketPath, !socketPath.isEmpty else { return nil }
        self.socketPath = socketPath
        self.logger = logger
    }

    /// Intake is taking requests: systemd marks the unit started.
    public func ready() { send("READY=1\nSTATUS=taking requests") }

    public func run() async throws {
        try await gracefulShutdown()
        send("STOPPING=1\nSTATUS=finishing jobs in flight")
    }

    func send(_ message: String) {
        do {
            try Self.send(message, to: socketPath)
        } catch {
            logger.warning("cannot notify systemd at NOTIFY_SOCKET", metadata: ["socket": "\(socketPath)", "error": "\(error)"])
        }
    }

    /// Sends `message` as one datagram to the unix socket at `path`.
    static func send(_ message: String, to path: String) throws(SystemdNotifyError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // "@name" is an abstract socket: a leading NUL and no terminating one.
        let abstract = path.hasPrefix("@")
        var pathBytes = Array(path.utf8)
        if abstract { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else {
            throw SystemdNotifyError("\(path): longer than the \(capacity - 1) bytes a unix socket path may have")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + pathBytes.count + (abstract ? 0 : 1)

        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw SystemdNotifyError("socket: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, bytes, bytes.count, Int32(MSG_NOSIGNAL), $0, socklen_t(length))
            }
        }
        guard sent == bytes.count else { throw SystemdNotifyError("\(path): \(String(cString: strerror(errno)))") }
    }
}

/// Why a message did not reach systemd's notification socket.
public struct SystemdNotifyError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
