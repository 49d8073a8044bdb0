import CFFmpeg
import Foundation

/// How far one decode pass has come: handed to ``MediaPassPlan/progress`` a few times a
/// second from the decode thread, and once more at the end.
public struct DecodeProgress: Sendable, Equatable {
    /// Video frames decoded so far (audio frames when the file has no video).
    public var frames: Int64
    /// Frames decoded since the previous report: what a frames counter adds.
    public var newFrames: Int64
    /// Frames the file declares or its duration implies; nil when unknown.
    public var expectedFrames: Int64?
    /// Position reached in the media, seconds.
    public var seconds: Double
    /// The file's duration, when known.
    public var durationSeconds: Double?
    /// Wall time since the pass started, seconds.
    public var elapsedSeconds: Double
    /// True on the last report of the pass.
    public var finished: Bool

    /// Share of the file decoded, 0…1, by position (else by frames); nil when neither is
    /// known. 1 once the pass has finished (the last frame starts before the end).
    public var fraction: Double? {
        if finished { return 1 }
        if let durationSeconds, durationSeconds > 0 { return min(1, seconds / durationSeconds) }
        if let expectedFrames, expectedFrames > 0 { return min(1, Double(frames) / Double(expectedFrames)) }
        return nil
    }

    /// Frames decoded per wall-clock second so far.
    public var framesPerSecond: Double { elapsedSeconds > 0 ? Double(frames) / elapsedSeconds : 0 }

    /// Seconds left at the pace so far; nil until the share decoded is known and above zero.
    public var remainingSeconds: Double? {
        guard let fraction, fraction > 0 else { return nil }
        return elapsedSeconds * (1 - fraction) / fraction
    }
}

/// A frame consumer that counts frames and reports ``DecodeProgress`` at most every
/// `interval`: one decode pass feeds the progress display and the frames metric alike.
final class ProgressReporter: FrameConsumer {
    private let report: @Sendable (DecodeProgress) -> Void
    private let interval: Duration
    private let clock = ContinuousClock()
    private var started = ContinuousClock.now
    private var lastReport = ContinuousClock.now
    private var hasVideo = false
    private var progress = DecodeProgress(frames: 0, newFrames: 0, seconds: 0, elapsedSeconds: 0, finished: false)

    init(interval: Duration = .milliseconds(250), report: @escaping @Sendable (DecodeProgress) -> Void) {
        self.interval = interval
        self.report = report
    }

    func start(_ setup: DecodeSetup) throws {
        hasVideo = setup.video != nil
        progress.expectedFrames = setup.video?.expectedFrames
        progress.durationSeconds = setup.durationSeconds
        started = clock.now
        lastReport = started
    }

    func consumeVideo(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws { count(at: seconds) }

    func consumeAudio(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        if !hasVideo { count(at: seconds) }
    }

    func finish() throws { send(finished: true) }

    private func count(at seconds: Double) {
        progress.frames += 1
        progress.newFrames += 1
        progress.seconds = max(progress.seconds, seconds)
        if clock.now - lastReport >= interval { send(finished: false) }
    }

    private func send(finished: Bool) {
        let now = clock.now
        lastReport = now
        progress.elapsedSeconds = (now - started).seconds
        progress.finished = finished
        report(progress)
        progress.newFrames = 0
    }
}
