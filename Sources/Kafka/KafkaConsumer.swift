import CRdKafka
import Execution

/// A consumer-group member that hands messages to the application as an `AsyncSequence`
/// and commits each partition's offset only as far as the application finished in order.
///
/// Delivery is at least once: a message is committed after ``commit(_:)`` and after every
/// earlier message of its partition was committed too, so a crash or rebalance redelivers
/// anything unfinished. `rd_kafka_consumer_poll` blocks, so polling, committing and
/// closing run on a ``DedicatedThread`` started by ``run()``.
///
/// ```swift
/// let consumer = try KafkaConsumer(configuration: config, topics: [config.topics.requests])
/// async let polling: Void = consumer.run()
/// for try await message in consumer.messages {
///     try await handle(message)
///     try await consumer.commit(message)
/// }
/// ```
///
/// Backpressure: at most `maxInFlight` messages are handed out and not yet committed; at
/// that bound every assigned partition is paused, and resumed once half of them are
/// committed (so a resume, which re-fetches what the pause dropped, buys several messages).
public final class KafkaConsumer: Sendable {
    /// The messages, in partition order. Ends when the consumer is closed; throws on a
    /// fatal client error.
    public let messages: KafkaMessageSequence

    private let handle: RDKafkaHandle
    private let state: ConsumerState
    private let stream: AsyncThrowingStream<KafkaMessage, any Error>.Continuation
    private let pollTimeoutMilliseconds: Int32

    /// Creates a group member subscribed to `topics`; nothing is fetched before ``run()``.
    ///
    /// Sets `group.id` from the configuration, `enable.auto.commit=false`,
    /// `enable.auto.offset.store=false` and `auto.offset.reset=earliest`;
    /// `configuration.extraProperties` may override the last one or add e.g.
    /// `session.timeout.ms`.
    /// - Parameters:
    ///   - maxInFlight: messages handed out and not yet committed before partitions pause.
    ///     Default 16.
    ///   - pollTimeout: how long one poll blocks; bounds how late a close is noticed.
    ///   - logHandler: receives librdkafka's log lines (secrets removed).
    public init(
        configuration: KafkaConfiguration, topics: [String], maxInFlight: Int = 16,
        pollTimeout: Duration = .milliseconds(100), logHandler: KafkaLogHandler? = nil
    ) throws {
        try configuration.validate()
        guard maxInFlight > 0 else { throw KafkaError(.configuration, "maxInFlight: must be at least 1") }
        guard !topics.isEmpty else { throw KafkaError(.configuration, "topics: at least one topic is required") }

        let state = ConsumerState(maxInFlight: maxInFlight)
        let context = RDKafkaCallbackContext(
            logHandler: logHandler, secrets: configuration.secrets, consumerState: state)
        let properties =
            [
                ("group.id", configuration.groupID),
                ("enable.auto.commit", "false"),
                // Positions are not stored for commit: every commit carries explicit offsets.
                ("enable.auto.offset.store", "false"),
                ("auto.offset.reset", "earliest"),
                ("enable.partition.eof", "false"),
            ] + configuration.clientProperties
        handle = try RDKafkaHandle(type: RD_KAFKA_CONSUMER, properties: properties, context: context) { conf in
            rd_kafka_conf_set_rebalance_cb(conf) { rk, err, list, _ in
                guard let rk, let list, let context = RDKafkaCallbackContext.from(rk),
                    let state = context.consumerState
                else { return }
                state.rebalance(rk, err, list, context: context)
            }
        }

        let subscription = RDKafkaTopicPartitionList(
            topics.map { KafkaTopicPartition(topic: $0, partition: vp_rd_kafka_partition_unassigned()) })
        let err = rd_kafka_subscribe(handle.pointer, subscription.pointer)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(.client, "subscribe to \(topics.joined(separator: ","))", rdKafka: err)
        }

        self.state = state
        let (stream, continuation) = AsyncThrowingStream<KafkaMessage, any Error>.makeStream()
        self.messages = KafkaMessageSequence(stream: stream)
        self.stream = continuation
        self.pollTimeoutMilliseconds = KafkaProducer.milliseconds(pollTimeout)
    }

    /// The partitions currently assigned to this member.
    public var assignment: Set<KafkaTopicPartition> { state.shared.withLock { $0.assignment } }

    /// Messages handed out and not yet passed to ``commit(_:)``.
    public var messagesInFlight: Int { state.shared.withLock { $0.inFlight } }

    /// Messages each assigned partition holds beyond this member's fetch position: the
    /// broker's high watermark (as last reported in a fetch, no request made) less the
    /// position. Partitions without both numbers yet are left out. Only as true as the
    /// broker's watermark (tansu's is wrong).
    public func lag() -> [KafkaTopicPartition: Int64] {
        let assigned = assignment
        guard !assigned.isEmpty else { return [:] }
        let list = RDKafkaTopicPartitionList(assigned)
        guard rd_kafka_position(handle.pointer, list.pointer) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var lag: [KafkaTopicPartition: Int64] = [:]
        for entry in list.entries where entry.error == RD_KAFKA_RESP_ERR_NO_ERROR && entry.offset >= 0 {
            var low: Int64 = -1
            var high: Int64 = -1
            let known = rd_kafka_get_watermark_offsets(handle.pointer, entry.partition.topic, entry.partition.partition, &low, &high)
            guard known == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { continue }
            lag[entry.partition] = max(0, high - entry.offset)
        }
        return lag
    }

    /// Whether fetching is paused because ``messagesInFlight`` reached the bound.
    public var isPaused: Bool { state.shared.withLock { $0.paused } }

    /// Polls until ``close()`` is called or the task is cancelled, then commits what
    /// finished, leaves the group and ends ``messages``. Returns at once if already closed.
    public func run() async throws {
        let start = state.shared.withLock { shared in
            guard shared.lifecycle == .idle else { return false }
            shared.lifecycle = .running
            return true
        }
        guard start else { return await waitUntilFinished() }
        let failure = await withTaskCancellationHandler {
            await DedicatedThread.run(name: "kafka-consumer") { self.pollUntilClosed() }
        } onCancel: {
            requestClose()
        }
        if let failure { throw failure }
    }

    /// Commits what finished, leaves the group (`rd_kafka_consumer_close`, which revokes
    /// the assignment) and ends ``messages``; returns when that is done.
    public func close() async {
        let startHere = state.shared.withLock { shared in
            shared.closeRequested = true
            guard shared.lifecycle == .idle else { return false }
            shared.lifecycle = .running
            return true
        }
        if startHere {
            _ = await DedicatedThread.run(name: "consumer-close") { self.pollUntilClosed() }
        } else {
            wakePoll()
            await waitUntilFinished()
        }
    }

    /// Marks `message` finished: frees its in-flight slot and, once every earlier message
    /// of its partition is finished too, commits the partition at the highest such offset
    /// + 1 (an explicit per-partition commit, never the consumed position).
    ///
    /// Returns what happened; ``KafkaCommitOutcome/revoked`` means another member now
    /// owns the partition and will redo the message. Committing a message twice changes
    /// nothing the second time. Throws when the broker refuses the
    /// commit or the consumer is closed.
    @discardableResult
    public func commit(_ message: KafkaMessage) async throws -> KafkaCommitOutcome {
        let outcome = try await withCheckedThrowingContinuation { continuation in
            let accepted = state.shared.withLock { shared in
                guard shared.lifecycle != .finished else { return false }
                shared.finished.append((message, continuation))
                return true
            }
            if accepted {
                wakePoll()
            } else {
                continuation.resume(throwing: KafkaError(.closed, "consumer closed before committing \(message.topicPartition)@\(message.offset)"))
            }
        }
        return outcome
    }

    private func requestClose() {
        state.shared.withLock { $0.closeRequested = true }
        wakePoll()
    }

    /// Makes a blocked `rd_kafka_consumer_poll` return now rather than at its timeout.
    private func wakePoll() {
        if let queue = handle.consumerQueue { rd_kafka_queue_yield(queue) }
    }

    private func waitUntilFinished() async {
        await withCheckedContinuation { continuation in
            let done = state.shared.withLock { shared in
                guard shared.lifecycle != .finished else { return true }
                shared.closeWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    // MARK: - The poll thread

    /// The poll thread's loop; returns the fatal error that ended it, if any.
    private func pollUntilClosed() -> (any Error)? {
        let rk = handle.pointer
        var held: [KafkaMessage] = []  // polled while at the bound; handed out first later
        var failure: (any Error)?
        while true {
            let (finished, closing) = state.shared.withLock { shared in
                defer { shared.finished = [] }
                return (shared.finished, shared.closeRequested)
            }
            commitFinished(finished)
            if closing { break }
            held = handOut(held)
            applyBackpressure(held: held.count)

            guard let polled = rd_kafka_consumer_poll(rk, pollTimeoutMilliseconds) else { continue }
            defer { rd_kafka_message_destroy(polled) }
            let err = polled.pointee.err
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let error = KafkaError(.poll, "consumer poll", rdKafka: err)
                if err == RD_KAFKA_RESP_ERR__FATAL {
                    failure = error
                    break
                }
                // Everything else is reported and retried by librdkafka itself.
                handle.context.log(level: 4, facility: "POLL", "\(error)")
                continue
            }
            if let message = copyMessage(polled) { held.append(message) }
            held = handOut(held)
        }

        commitFinished(state.shared.withLock { shared in
            defer { shared.finished = [] }
            return shared.finished
        })
        let closeError = rd_kafka_consumer_close(rk)
        if closeError != RD_KAFKA_RESP_ERR_NO_ERROR {
            handle.context.log(level: 4, facility: "CLOSE", "\(KafkaError(.client, "consumer close", rdKafka: closeError))")
        }
        let (leftover, waiters) = state.shared.withLock { shared in
            shared.lifecycle = .finished
            defer { shared.finished = []; shared.closeWaiters = [] }
            return (shared.finished, shared.closeWaiters)
        }
        for (message, continuation) in leftover {
            continuation.resume(throwing: KafkaError(.closed, "consumer closed before committing \(message.topicPartition)@\(message.offset)"))
        }
        stream.finish(throwing: failure)
        for waiter in waiters { waiter.resume() }
        return failure
    }

    /// Yields held messages while under the in-flight bound; returns the rest.
    private func handOut(_ held: [KafkaMessage]) -> [KafkaMessage] {
        guard !held.isEmpty else { return held }
        let count = state.shared.withLock { shared in
            let count = min(held.count, max(0, state.maxInFlight - shared.inFlight))
            shared.inFlight += count
            return count
        }
        for message in held.prefix(count) { stream.yield(message) }
        return Array(held.dropFirst(count))
    }

    /// Pauses every assigned partition at the bound and resumes them at half of it.
    private func applyBackpressure(held: Int) {
        let (change, assignment): (Bool?, Set<KafkaTopicPartition>) = state.shared.withLock { shared in
            let unfinished = shared.inFlight + held
            let change = shared.paused ? unfinished <= state.maxInFlight / 2 : unfinished >= state.maxInFlight
            guard change else { return (nil, []) }
            shared.paused.toggle()
            return (shared.paused, shared.assignment)
        }
        guard let pause = change, !assignment.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(assignment)
        let err = pause ? rd_kafka_pause_partitions(handle.pointer, list.pointer) : rd_kafka_resume_partitions(handle.pointer, list.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            handle.context.log(level: 3, facility: "PAUSE", "\(KafkaError(.client, pause ? "pause" : "resume", rdKafka: err))")
        } else if !pause {
            restartFetching(list)
        }
    }

    /// Seeks resumed partitions to where polling left off.
    ///
    /// librdkafka does not wake the partition's broker thread on resume: the next fetch
    /// waits for the thread's idle timeout, up to a second, with every job slot empty. A
    /// seek does wake it. The position is the offset after the last message polled, so no
    /// message is skipped or delivered twice, and nothing was polled since the pause.
    private func restartFetching(_ list: RDKafkaTopicPartitionList) {
        guard rd_kafka_position(handle.pointer, list.pointer) == RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        let positioned = list.entries.filter { $0.error == RD_KAFKA_RESP_ERR_NO_ERROR && $0.offset >= 0 }
        guard !positioned.isEmpty else { return }
        let seek = RDKafkaTopicPartitionList(
            positioned.map(\.partition), offsets: Dictionary(uniqueKeysWithValues: positioned.map { ($0.partition, $0.offset) }))
        // Timeout 0: asynchronous; the seek's version barrier still drops anything fetched before it.
        if let error = rd_kafka_seek_partitions(handle.pointer, seek.pointer, 0) {
            handle.context.log(level: 4, facility: "SEEK", String(cString: rd_kafka_error_string(error)))
            rd_kafka_error_destroy(error)
        }
    }

    /// Copies a polled message out of librdkafka's memory and stamps it with its
    /// partition's assignment generation; nil when the partition is no longer assigned.
    private func copyMessage(_ polled: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaMessage? {
        let raw = polled.pointee
        let topic = String(cString: rd_kafka_topic_name(raw.rkt))
        let topicPartition = KafkaTopicPartition(topic: topic, partition: raw.partition)
        guard let generation = state.shared.withLock({ $0.tracker.deliver(topicPartition, offset: raw.offset) }) else {
            return nil
        }
        let key = raw.key.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.key_len)) }
        let value = raw.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.len)) } ?? []
        var headers: [(key: String, value: [UInt8])] = []
        var list: OpaquePointer?
        if rd_kafka_message_headers(polled, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var bytes: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &bytes, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let headerValue = bytes.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                headers.append((name.map { String(cString: $0) } ?? "", headerValue))
                index += 1
            }
        }
        return KafkaMessage(
            topic: topic, partition: raw.partition, offset: raw.offset, key: key, value: value,
            headers: headers, assignmentGeneration: generation)
    }

    /// Commits, in one request, how far each partition may move; then answers every caller.
    private func commitFinished(_ finished: [(KafkaMessage, CheckedContinuation<KafkaCommitOutcome, any Error>)]) {
        guard !finished.isEmpty else { return }
        var nextOffsets: [KafkaTopicPartition: Int64] = [:]
        let outcomes = state.shared.withLock { shared in
            finished.map { message, _ in
                guard let outcome = shared.tracker.finish(
                    message.topicPartition, offset: message.offset, generation: message.assignmentGeneration)
                else { return KafkaCommitOutcome.pending }  // committed twice: nothing new
                shared.inFlight -= 1
                if case .committed(let next) = outcome {
                    nextOffsets[message.topicPartition] = max(next, nextOffsets[message.topicPartition] ?? next)
                }
                return outcome
            }
        }
        var failures: [KafkaTopicPartition: KafkaError] = [:]
        if !nextOffsets.isEmpty {
            let list = RDKafkaTopicPartitionList(nextOffsets.keys, offsets: nextOffsets)
            let err = rd_kafka_commit(handle.pointer, list.pointer, 0)
            for entry in list.entries {
                let partitionError = entry.error != RD_KAFKA_RESP_ERR_NO_ERROR ? entry.error : err
                if partitionError != RD_KAFKA_RESP_ERR_NO_ERROR {
                    failures[entry.partition] = KafkaError(.commit, "commit \(entry.partition)@\(entry.offset)", rdKafka: partitionError)
                }
            }
        }
        for ((message, continuation), outcome) in zip(finished, outcomes) {
            if case .committed = outcome, let failure = failures[message.topicPartition] {
                continuation.resume(throwing: failure)
            } else {
                continuation.resume(returning: outcome)
            }
        }
    }
}
