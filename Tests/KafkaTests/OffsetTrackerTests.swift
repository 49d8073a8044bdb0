import Testing

@testable import Kafka

@Suite struct OffsetTrackerTests {
    let partition = KafkaTopicPartition(topic: "t", partition: 0)

    @Test func outOfOrderCompletionCommitsOnlyTheContiguousPrefix() {
        var tracker = OffsetTracker()
        tracker.assign(partition)
        // Offsets with a gap (compaction): 10, 11, 13, 14.
        let generation = [10, 11, 13, 14].map { tracker.deliver(partition, offset: $0) }.last!!
        #expect(tracker.finish(partition, offset: 13, generation: generation) == .pending)
        #expect(tracker.finish(partition, offset: 11, generation: generation) == .pending)
        #expect(tracker.finish(partition, offset: 10, generation: generation) == .committed(nextOffset: 14))
        #expect(tracker.finish(partition, offset: 10, generation: generation) == nil)
        #expect(tracker.finish(partition, offset: 14, generation: generation) == .committed(nextOffset: 15))
    }

    @Test func revokedPartitionsCommitNothingEvenWhenReassigned() {
        var tracker = OffsetTracker()
        tracker.assign(partition)
        let old = tracker.deliver(partition, offset: 0)!
        tracker.revoke(partition)
        #expect(tracker.deliver(partition, offset: 1) == nil)
        tracker.assign(partition)
        let new = tracker.deliver(partition, offset: 0)!
        #expect(tracker.finish(partition, offset: 0, generation: old) == .revoked)
        #expect(tracker.finish(partition, offset: 0, generation: new) == .committed(nextOffset: 1))
    }
}
