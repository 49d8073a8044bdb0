import Catalog
import Metrics
import Scheduler

/// The jobs' metrics, through the swift-metrics API only: the executable chooses the
/// backend (Prometheus for the daemon). Names are documented in the README's operations part.
enum JobMetrics {
    /// Jobs that hold a job slot now.
    static var inFlight: Meter { Meter(label: "vidpipe_jobs_in_flight") }

    /// A job recorded in the catalog, by the state and verdict the catalog holds for it.
    static func recorded(state: JobState, verdict: String?) {
        Counter(label: "vidpipe_jobs_total", dimensions: [("state", state.rawValue), ("verdict", verdict ?? "none")]).increment()
    }

    /// A task attempt's running time, by DAG node, when it ends (succeeded or failed).
    static func taskEnded(_ transition: TaskTransition) {
        guard transition.state == .succeeded || transition.state == .failed || transition.state == .retrying,
              let duration = transition.duration else { return }
        Timer(label: "vidpipe_task_duration_seconds", dimensions: [("task", transition.task)]).recordNanoseconds(duration.nanoseconds)
    }

    /// Frames decoded; `rate(vidpipe_decode_frames_total[1m])` is frames per second.
    static func decoded(frames: Int64) {
        guard frames > 0 else { return }
        Counter(label: "vidpipe_decode_frames_total").increment(by: frames)
    }

    /// Bytes of source files taken in (read and hashed by bronze).
    static func bytesIn(_ bytes: Int64) { Counter(label: "vidpipe_bytes_in_total").increment(by: bytes) }

    /// Bytes of derived files published into silver (renditions, thumbnails, reports).
    static func bytesOut(_ bytes: Int64) { Counter(label: "vidpipe_bytes_out_total").increment(by: bytes) }
}

extension Duration {
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
