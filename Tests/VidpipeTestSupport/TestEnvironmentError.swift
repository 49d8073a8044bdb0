/// The test environment is not as a test needs it: a server missing, a CLI not installed,
/// a condition not reached in time. Thrown, so the test fails with the reason.
public struct TestEnvironmentError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
