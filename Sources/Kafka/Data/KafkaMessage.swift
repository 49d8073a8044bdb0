/// A topic and partition: the unit Kafka assigns, pauses and commits.
public struct KafkaTopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The topic name.
    public var topic: String
    /// The partition number within the topic.
    public var partition: Int32

    /// Creates a topic-partition pair.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }

    public static func < (a: Self, b: Self) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
}

/// One consumed message; its bytes are copies, valid after the consumer is gone.
///
/// Hand it back to ``KafkaConsumer/commit(_:)`` once its work is done: that both frees an
/// in-flight slot and lets the partition's committed offset move past it.
public struct KafkaMessage: Sendable, CustomStringConvertible {
    /// The topic it was read from.
    public var topic: String
    /// The partition it was read from.
    public var partition: Int32
    /// Its offset in the partition.
    public var offset: Int64
    /// The key; nil when the producer sent none.
    public var key: [UInt8]?
    /// The payload; empty for a null value.
    public var value: [UInt8]
    /// Headers in order; a null header value reads as empty.
    public var headers: [(key: String, value: [UInt8])]
    /// Which assignment of the partition delivered it: a commit from an older assignment
    /// (revoked since) is dropped.
    let assignmentGeneration: UInt64

    /// The topic and partition it was read from.
    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }

    public var description: String {
        "KafkaMessage(\(topic)[\(partition)]@\(offset), key \(key.map { "\($0.count) B" } ?? "nil"), \(value.count) B)"
    }
}

/// Where the broker stored a produced message.
public struct KafkaDeliveryReport: Sendable, Hashable {
    /// The topic written to.
    public var topic: String
    /// The partition the message landed in.
    public var partition: Int32
    /// Its offset there.
    public var offset: Int64
}

/// What ``KafkaConsumer/commit(_:)`` did with a finished message.
public enum KafkaCommitOutcome: Sendable, Hashable {
    /// The partition's committed offset is now `nextOffset` (the next message to read).
    case committed(nextOffset: Int64)
    /// Recorded; an earlier message of the partition is unfinished, so nothing moved yet.
    case pending
    /// The partition was revoked since the message was delivered; its new owner redoes it.
    case revoked
}
