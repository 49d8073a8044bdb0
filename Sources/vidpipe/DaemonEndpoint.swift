import Catalog
import Foundation
import Logging
import Metrics
import Observability
import Prometheus

/// The daemon's HTTP endpoint and the metrics backend behind it.
extension Bootstrap {
    /// Sends what the libraries record through swift-metrics to a Prometheus registry,
    /// which `/metrics` renders. Task durations get buckets from 10 ms to 30 min.
    static func bootstrapPrometheus() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["vidpipe_task_duration_seconds"] = [
            .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300), .seconds(1800),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }

    /// The endpoint on `VIDPIPE_HTTP_HOST:VIDPIPE_HTTP_PORT`; `/ready` checks the catalog
    /// and, when configured, the Kafka brokers and the SMTP server.
    func observabilityServer(catalog: any Catalog, registry: PrometheusCollectorRegistry) -> ObservabilityServer {
        var checks = [ReadinessCheck(name: "catalog") {
            do {
                _ = try await catalog.pendingNotificationCount()
                return nil
            } catch {
                // CatalogError's message names the catalog without its password.
                return (error as? CatalogError)?.message ?? "\(error)"
            }
        }]
        if let kafka = configuration.kafka {
            checks.append(.tcp(name: "broker", addresses: kafka.bootstrapServers.compactMap(Self.hostAndPort)))
        }
        if let smtp = configuration.smtp {
            checks.append(.tcp(name: "smtp", addresses: [(smtp.server, smtp.port)]))
        }
        return ObservabilityServer(
            endpoint: ObservabilityEndpoint(host: configuration.httpHost, port: configuration.httpPort), registry: registry,
            readiness: checks, addressFile: configuration.layout.run + "/http.address", logger: logger)
    }

    /// `host:port` or `[v6]:port`, as in `KAFKA_BOOTSTRAP_SERVERS`.
    private static func hostAndPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return nil }
        let host = text[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return (host, port)
    }
}
