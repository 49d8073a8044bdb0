import Foundation

/// A TCP relay from a local port to another that a test can cut and restore: an outage of a
/// server as its clients see it, without stopping the server other tests share. The relay
/// is a small Python program (Debian's python3); cutting it kills it, closing every
/// connection, and restoring it listens on the same port again.
public final class TCPRelay: @unchecked Sendable {
    /// The port clients connect to.
    public private(set) var port = 0
    private let target: Int
    private var process: Process?

    private static let program = """
        import socket, sys, threading
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", int(sys.argv[1])))
        listener.listen(64)
        print(listener.getsockname()[1], flush=True)
        def pipe(source, sink):
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        while True:
            client, _ = listener.accept()
            try:
                upstream = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
            except OSError:
                client.close()
                continue
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=pipe, args=(source, sink), daemon=True).start()
        """

    /// Starts relaying a free local port to `target`.
    public init(to target: Int) throws {
        self.target = target
        try restore()
    }

    /// Starts the relay again (on the same port once it has one).
    public func restore() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.program, "\(port)", "\(target)"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw TestEnvironmentError("the TCP relay exited before it listened (port \(port) taken?)") }
            line += chunk
        }
        port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        self.process = process
    }

    /// Stops relaying: connections break and new ones are refused.
    public func cut() {
        guard let process else { return }
        self.process = nil
        kill(process.processIdentifier, SIGKILL)
        // Polled: `waitUntilExit` needs a run loop that a test's task may never turn.
        for _ in 0..<500 where process.isRunning { usleep(10_000) }
    }

    deinit { cut() }
}
