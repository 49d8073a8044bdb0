import CRdKafka
import Synchronization

/// The consumer's shared state: what the poll thread, the rebalance callback (which runs
/// on the poll thread) and the application's tasks see, behind one lock. C calls happen
/// outside the lock.
final class ConsumerState: Sendable {
    enum Lifecycle { case idle, running, finished }

    struct Shared {
        var lifecycle = Lifecycle.idle
        var closeRequested = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var tracker = OffsetTracker()
        var assignment: Set<KafkaTopicPartition> = []
        /// Handed to the application and not yet committed.
        var inFlight = 0
        /// Whether the assigned partitions are paused for backpressure.
        var paused = false
        /// Messages the application finished, waiting for the poll thread to commit them.
        var finished: [(KafkaMessage, CheckedContinuation<KafkaCommitOutcome, any Error>)] = []
    }

    let shared = Mutex(Shared())
    let maxInFlight: Int

    init(maxInFlight: Int) {
        self.maxInFlight = maxInFlight
    }

    /// Called by librdkafka from inside `rd_kafka_consumer_poll`/`close` on the poll thread.
    func rebalance(
        _ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>,
        context: RDKafkaCallbackContext
    ) {
        let partitions = RDKafkaTopicPartitionList.entries(of: list).map(\.partition)
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            let paused = shared.withLock { shared in
                for partition in partitions {
                    shared.tracker.assign(partition)
                    shared.assignment.insert(partition)
                }
                return shared.paused
            }
            context.log(level: 6, facility: "REBALANCE", "assigned \(partitions.sorted())")
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, list) {
                    context.log(level: 3, facility: "REBALANCE", "\(KafkaError(.rebalance, "incremental assign", consuming: error))")
                }
            } else {
                rd_kafka_assign(rk, list)
            }
            // Still over the in-flight bound: new partitions start paused too.
            if paused { rd_kafka_pause_partitions(rk, list) }
        default:
            // Revoked, or lost (an error): either way another member may own these now,
            // so nothing delivered from them before may be committed by us.
            shared.withLock { shared in
                for partition in partitions {
                    shared.tracker.revoke(partition)
                    shared.assignment.remove(partition)
                }
            }
            let lost = err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(rk) != 0
            context.log(level: 6, facility: "REBALANCE", "\(lost ? "lost" : "revoked") \(partitions.sorted())")
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, list) {
                    context.log(level: 3, facility: "REBALANCE", "\(KafkaError(.rebalance, "incremental unassign", consuming: error))")
                }
            } else {
                rd_kafka_assign(rk, nil)
            }
        }
    }
}
