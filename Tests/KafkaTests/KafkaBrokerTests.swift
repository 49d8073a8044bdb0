import Foundation
import Kafka
import Testing
import VidpipeTestSupport

/// Against a real tansu broker, with scripts/kafka_client.py (confluent-kafka) as the
/// independent oracle. Every test uses its own topics and groups.
@Suite(.enabled(if: KafkaTestBroker.isEnabled, Comment(rawValue: KafkaTestBroker.skipReason)), .timeLimit(.minutes(1)))
struct KafkaBrokerTests {
    /// The independent client, on the test broker.
    let oracle = KafkaOracle(bootstrap: KafkaTestBroker.bootstrap ?? "")

    @Test func producedMessagesReadBackByTheOracle() async throws {
        let topic = KafkaTestBroker.uniqueName("produce")
        try oracle.createTopic(topic)
        let producer = try KafkaProducer(configuration: try KafkaTestBroker.configuration())
        var reports: [KafkaDeliveryReport] = []
        for index in 0..<5 {
            reports.append(try await producer.send(
                topic: topic, key: "key-\(index)", value: Array("value-\(index)".utf8),
                headers: [("request-id", Array("r\(index)".utf8)), ("schema", [0x31])]))
        }
        await producer.close()
        #expect(reports.map(\.offset) == [0, 1, 2, 3, 4])
        #expect(reports.allSatisfy { $0.topic == topic && $0.partition == 0 })

        let records = try oracle.consume(topic, group: KafkaTestBroker.uniqueName("oracle"), max: 5)
        #expect(records.map(\.key) == (0..<5).map { "key-\($0)" })
        #expect(records.map(\.value) == (0..<5).map { "value-\($0)" })
        #expect(records.map(\.headers) == (0..<5).map { [["request-id", "r\($0)"], ["schema", "1"]] })
        #expect(records.map(\.offset) == reports.map(\.offset))

        let closed = try await #require(throws: KafkaError.self) {
            try await producer.send(topic: topic, key: nil, value: Data("late".utf8))
        }
        #expect(closed.code == .closed)
    }

    @Test func groupResumesAfterTheLastCommittedOffset() async throws {
        let topic = KafkaTestBroker.uniqueName("resume")
        let group = KafkaTestBroker.uniqueName("group")
        try oracle.createTopic(topic)
        for index in 0..<5 { try oracle.produce(topic, key: "k\(index)", value: "v\(index)") }

        let first = try ConsumerHarness(try KafkaTestBroker.configuration(group: group), topic: topic)
        let messages = try await first.waitForMessages(5)
        #expect(messages.map { String(decoding: $0.value, as: UTF8.self) } == (0..<5).map { "v\($0)" })
        #expect(messages[0].key == Array("k0".utf8))
        for message in messages.prefix(3) {
            #expect(try await first.consumer.commit(message) == .committed(nextOffset: message.offset + 1))
        }
        try await first.close()

        let second = try ConsumerHarness(try KafkaTestBroker.configuration(group: group), topic: topic)
        let resumed = try await second.waitForMessages(2)
        #expect(resumed.map(\.offset) == [3, 4])
        try await second.close()
    }

    @Test func outOfOrderCompletionCommitsTheContiguousPrefix() async throws {
        let topic = KafkaTestBroker.uniqueName("order")
        let group = KafkaTestBroker.uniqueName("group")
        try oracle.createTopic(topic)
        for index in 0..<5 { try oracle.produce(topic, key: "k\(index)", value: "v\(index)") }

        let harness = try ConsumerHarness(try KafkaTestBroker.configuration(group: group), topic: topic)
        let messages = try await harness.waitForMessages(5)
        let consumer = harness.consumer
        #expect(try await consumer.commit(messages[1]) == .pending)
        #expect(try await consumer.commit(messages[3]) == .pending)
        #expect(try await consumer.commit(messages[0]) == .committed(nextOffset: 2))
        // 2 never finishes: the committed offset must stay at 2 although 3 is done.
        try await harness.close()

        let records = try oracle.consume(topic, group: group, max: 3)
        #expect(records.map(\.offset) == [2, 3, 4])
    }

    @Test func backpressurePausesAtTheInFlightBound() async throws {
        let topic = KafkaTestBroker.uniqueName("pressure")
        try oracle.createTopic(topic)
        for index in 0..<6 { try oracle.produce(topic, key: "k\(index)", value: "v\(index)") }

        let harness = try ConsumerHarness(try KafkaTestBroker.configuration(), topic: topic, maxInFlight: 2)
        let consumer = harness.consumer
        try await harness.waitForMessages(2)
        // Proving that nothing more arrives needs a wait: 1.5 s is many fetch rounds (100 ms each).
        try await Task.sleep(for: .milliseconds(1500))
        #expect(harness.messages.count == 2)
        #expect(consumer.messagesInFlight == 2)
        #expect(consumer.isPaused)

        try await consumer.commit(harness.messages[0])
        try await harness.waitForMessages(3)
        // As above: a fourth message would arrive within a few fetch rounds.
        try await Task.sleep(for: .milliseconds(500))
        #expect(harness.messages.count == 3)

        // Finish as they come: never more than 2 handed out and unfinished.
        var committed = 1
        while committed < 6 {
            let messages = try await harness.waitForMessages(committed + 1)
            #expect(messages.count - committed <= 2)
            try await consumer.commit(messages[committed])
            committed += 1
        }
        #expect(harness.messages.map(\.offset) == [0, 1, 2, 3, 4, 5])
        try await waitUntil("resume") { !consumer.isPaused }
        try await harness.close()
    }

    @Test func twoConsumersSplitPartitionsAndTheSurvivorTakesOver() async throws {
        let topic = KafkaTestBroker.uniqueName("split")
        let group = KafkaTestBroker.uniqueName("group")
        try oracle.createTopic(topic, partitions: 4)
        let all = Set((0..<4).map { KafkaTopicPartition(topic: topic, partition: Int32($0)) })

        let a = try ConsumerHarness(try KafkaTestBroker.configuration(group: group), topic: topic)
        try await waitUntil("a assigned", timeout: .seconds(15)) { a.consumer.assignment == all }
        let b = try ConsumerHarness(try KafkaTestBroker.configuration(group: group), topic: topic)
        try await waitUntil("split", timeout: .seconds(20)) {
            let (left, right) = (a.consumer.assignment, b.consumer.assignment)
            return !left.isEmpty && !right.isEmpty && left.isDisjoint(with: right) && left.union(right) == all
        }

        for partition in 0..<4 { try oracle.produce(topic, key: "first-\(partition)", value: "\(partition)", partition: partition) }
        try await waitUntil("first batch") { a.messages.count + b.messages.count == 4 }
        #expect(Set(a.messages.map(\.topicPartition)).isSubset(of: a.consumer.assignment))
        #expect(Set(b.messages.map(\.topicPartition)).isSubset(of: b.consumer.assignment))
        for message in a.messages { try await a.consumer.commit(message) }
        for message in b.messages { try await b.consumer.commit(message) }

        try await b.close()
        try await waitUntil("a takes over", timeout: .seconds(20)) { a.consumer.assignment == all }
        let receivedBefore = a.messages.count
        for partition in 0..<4 { try oracle.produce(topic, key: "second-\(partition)", value: "\(partition)", partition: partition) }
        try await a.waitForMessages(receivedBefore + 4)
        // Proving that no committed message comes back needs a wait: a redelivery would
        // follow within a few fetch rounds.
        try await Task.sleep(for: .milliseconds(500))

        // Nothing committed came back: every (partition, offset) was handed out once.
        let delivered = (a.messages + b.messages).map { "\($0.partition)@\($0.offset)" }
        #expect(delivered.count == 8)
        #expect(Set(delivered).count == 8)
        try await a.close()
    }
}
