/// Which offsets of each assigned partition may be committed, given that messages finish
/// out of order.
///
/// A partition's commit point only moves past a message when it and every message
/// delivered before it are finished. Offsets are tracked as delivered rather than as
/// integers because compaction and transaction markers leave gaps.
struct OffsetTracker: Sendable {
    private struct Partition {
        var generation: UInt64
        /// Delivered, not yet committed, ascending.
        var delivered: [Int64] = []
        var finished: Set<Int64> = []
    }

    private var partitions: [KafkaTopicPartition: Partition] = [:]
    private var lastGeneration: UInt64 = 0

    /// Starts tracking a newly assigned partition with a fresh generation.
    mutating func assign(_ partition: KafkaTopicPartition) {
        lastGeneration += 1
        partitions[partition] = Partition(generation: lastGeneration)
    }

    /// Forgets a revoked partition: its unfinished and finished offsets are never committed.
    mutating func revoke(_ partition: KafkaTopicPartition) {
        partitions[partition] = nil
    }

    /// Records a delivery; returns the generation to stamp on the message, or nil when the
    /// partition is not assigned (a message racing a revoke, which must not be handed out).
    mutating func deliver(_ partition: KafkaTopicPartition, offset: Int64) -> UInt64? {
        guard partitions[partition] != nil else { return nil }
        partitions[partition]!.delivered.append(offset)
        return partitions[partition]!.generation
    }

    /// Records a finished message and says how far the partition's commit point may move;
    /// nil when the message was already finished (it is no longer in flight).
    mutating func finish(_ partition: KafkaTopicPartition, offset: Int64, generation: UInt64) -> KafkaCommitOutcome? {
        guard var state = partitions[partition], state.generation == generation else { return .revoked }
        guard state.delivered.contains(offset), !state.finished.contains(offset) else { return nil }
        state.finished.insert(offset)
        var done = 0
        while done < state.delivered.count, state.finished.contains(state.delivered[done]) { done += 1 }
        guard done > 0 else {
            partitions[partition] = state
            return .pending
        }
        let last = state.delivered[done - 1]
        for offset in state.delivered[..<done] { state.finished.remove(offset) }
        state.delivered.removeFirst(done)
        partitions[partition] = state
        return .committed(nextOffset: last + 1)
    }
}
