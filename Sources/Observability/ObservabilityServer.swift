import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// Where the HTTP endpoint listens. Default 127.0.0.1:9464; port 0 picks a free one.
public struct ObservabilityEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 9464) {
        self.host = host
        self.port = port
    }
}

/// The daemon's HTTP endpoint, one service of its group: `/metrics` (Prometheus text of the
/// registry the executable bootstrapped swift-metrics with), `/health` (the process answers)
/// and `/ready` (the configured dependencies answer), the last two as JSON.
///
/// Once listening it logs the bound address and writes it, as `host:port`, to
/// `addressFile`, so a caller that asked for port 0 can find it.
public struct ObservabilityServer: Service {
    let application: Application<RouterResponder<BasicRequestContext>>

    public init(endpoint: ObservabilityEndpoint, registry: PrometheusCollectorRegistry, readiness: [ReadinessCheck],
                readinessTimeout: Duration = .seconds(5), addressFile: String?, logger: Logger) {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("health") { _, _ -> Response in
            try Self.json(.ok, ["status": "ok"])
        }
        router.get("ready") { _, _ -> Response in
            let report = await ReadinessReport.run(readiness, timeout: readinessTimeout)
            return try Self.json(report.ready ? .ok : .serviceUnavailable, report)
        }
        application = Application(
            router: router,
            configuration: .init(address: .hostname(endpoint.host, port: endpoint.port), serverName: "vidpipe"),
            onServerRunning: { channel in
                let address = Self.describe(channel.localAddress) ?? "\(endpoint.host):\(endpoint.port)"
                if let addressFile {
                    try? FileManager.default.createDirectory(atPath: (addressFile as NSString).deletingLastPathComponent,
                                                             withIntermediateDirectories: true)
                    try? Data((address + "\n").utf8).write(to: URL(fileURLWithPath: addressFile), options: .atomic)
                }
                logger.info("HTTP endpoint listening", metadata: ["address": "\(address)"])
            },
            logger: logger)
    }

    public func run() async throws {
        try await application.run()
    }

    private static func json(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    private static func describe(_ address: SocketAddress?) -> String? {
        guard let address, let ip = address.ipAddress, let port = address.port else { return nil }
        return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
