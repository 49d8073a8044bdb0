import CRdKafka

/// Owns an `rd_kafka_topic_partition_list_t` and destroys it in `deinit`.
final class RDKafkaTopicPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(_ partitions: some Collection<KafkaTopicPartition>, offsets: [KafkaTopicPartition: Int64] = [:]) {
        pointer = rd_kafka_topic_partition_list_new(Int32(partitions.count))
        for partition in partitions {
            let entry = rd_kafka_topic_partition_list_add(pointer, partition.topic, partition.partition)!
            if let offset = offsets[partition] { entry.pointee.offset = offset }
        }
    }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }

    /// Entries with their offsets and per-partition errors, read back after a C call.
    var entries: [(partition: KafkaTopicPartition, offset: Int64, error: rd_kafka_resp_err_t)] {
        Self.entries(of: pointer)
    }

    /// Reads a list librdkafka owns (e.g. one passed to the rebalance callback).
    static func entries(
        of list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
    ) -> [(partition: KafkaTopicPartition, offset: Int64, error: rd_kafka_resp_err_t)] {
        UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)).map {
            (KafkaTopicPartition(topic: String(cString: $0.topic), partition: $0.partition), $0.offset, $0.err)
        }
    }
}
