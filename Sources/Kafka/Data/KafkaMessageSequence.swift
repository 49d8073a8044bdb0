/// The messages of a ``KafkaConsumer``, in partition order.
public struct KafkaMessageSequence: AsyncSequence, Sendable {
    public typealias Element = KafkaMessage
    let stream: AsyncThrowingStream<KafkaMessage, any Error>

    /// Iterates the messages.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<KafkaMessage, any Error>.AsyncIterator

        public mutating func next() async throws -> KafkaMessage? { try await base.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: stream.makeAsyncIterator()) }
}
