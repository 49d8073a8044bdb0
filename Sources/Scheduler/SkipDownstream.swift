/// Thrown by a node to stop its branch without failing the run, e.g. "duplicate of an earlier
/// video: nothing more to do".
///
/// The throwing node is recorded as ``TaskState/skipped`` with `reason` (it produced no output, so
/// it cannot count as succeeded), its transitive dependents are recorded `skipped`, independent
/// branches continue, the run still counts as succeeded, and ``DAGRunResult/skipReason`` carries `reason`.
public struct SkipDownstream: Error, Hashable {
    public let reason: String

    public init(reason: String) {
        self.reason = reason
    }
}
