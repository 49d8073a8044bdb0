import ArgumentParser
import Catalog
import CatalogSQLite
import Foundation
import Ingest
import Logging
import Notifications
import Scheduler

/// `vidpipe dag`: the job's DAGs, as Graphviz DOT or a text outline.
struct DagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dag",
        abstract: "Print the bronze, silver, gold and whole-job DAGs.",
        discussion: "Render with Graphviz: vidpipe dag --layer job | dot -Tsvg > job.svg"
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case dot, text }
    enum Layer: String, ExpressibleByArgument, CaseIterable { case all, bronze, silver, gold, job }

    @Option(help: "dot or text.")
    var format: Format = .dot

    @Option(help: "Which DAG: all, bronze, silver, gold or job.")
    var layer: Layer = .all

    func run() async throws {
        // The DAG's shape does not depend on stored data: an in-memory catalog and a
        // throwaway outbox stand behind it, so printing touches no lake.
        let catalog = try await SQLiteCatalog(path: ":memory:")
        defer { Task { try? await catalog.close() } }
        let context = JobContext(configuration: .defaults(), catalog: catalog,
                                 mailer: OutboxMailer(directory: NSTemporaryDirectory()), logger: Logger(label: "vidpipe.dag"))
        let dags = try JobRunner(context: context).dags
        let chosen: [DAG] = switch layer {
        case .all: [dags.bronze, dags.silver, dags.gold, dags.whole]
        case .bronze: [dags.bronze]
        case .silver: [dags.silver]
        case .gold: [dags.gold]
        case .job: [dags.whole]
        }
        print(chosen.map { format == .dot ? $0.dot() : $0.textOutline() }.joined(separator: "\n"))
    }
}
