import CFFmpeg
import Foundation

/// Silent runs (silencedetect) and EBU R128 loudness (ebur128) of the decoded audio.
///
/// Two chains rather than `silencedetect,ebur128`: ebur128 makes the graph resample, and a
/// resampler that emits no samples for an input frame would drop that frame's silence
/// metadata. Both chains take references to the same decoded frame, so nothing is copied
/// twice before the resampler.
final class AudioQualityAnalyzer: FrameConsumer {
    private let options: QCOptions
    private let path: String
    private var silenceChain: FilterChain?
    private var loudnessChain: FilterChain?
    private var silenceStart: Double?
    private var integrated: Double?
    private var range: Double?
    private var linearPeak: Double?

    private(set) var hasAudio = false
    private(set) var silence: [QCSegment] = []
    /// End of the last audio frame seen.
    private(set) var lastFrameEnd: Double?
    private(set) var incompleteReason: String?

    init(options: QCOptions, path: String) {
        self.options = options
        self.path = path
    }

    var loudness: QCLoudness? {
        guard let integrated, let range else { return nil }
        let peak = linearPeak.flatMap { $0 > 0 ? 20 * log10($0) : nil }
        return QCLoudness(integrated: integrated, range: range, peak: peak, peakIsTruePeak: options.measureTruePeak)
    }

    private var peakKey: String { options.measureTruePeak ? "lavfi.r128.true_peak" : "lavfi.r128.sample_peak" }

    func start(_ setup: DecodeSetup) throws {
        hasAudio = setup.audio != nil
    }

    func consumeAudio(_ frame: UnsafeMutablePointer<AVFrame>, seconds: Double) throws {
        let sampleRate = Double(frame.pointee.sample_rate)
        guard sampleRate > 0 else { return }
        lastFrameEnd = max(lastFrameEnd ?? 0, seconds + Double(frame.pointee.nb_samples) / sampleRate)
        guard incompleteReason == nil else { return }
        let pts = Int64((seconds * sampleRate).rounded())
        do throws(MediaError) {
            if let current = silenceChain, !current.accepts(frame) {
                // abuffer refuses a new rate or layout mid-stream: start new chains there.
                try finishChains()
                closeSilence(at: seconds)
            }
            let silence: FilterChain, loudness: FilterChain
            if let silenceChain, let loudnessChain {
                (silence, loudness) = (silenceChain, loudnessChain)
            } else {
                let peak = options.measureTruePeak ? "true" : "sample"
                silence = try FilterChain(audioLike: frame, filters: "silencedetect=n=\(options.silenceNoise):d=\(options.silenceMinDuration)", path: path)
                loudness = try FilterChain(audioLike: frame, filters: "ebur128=peak=\(peak):metadata=1", path: path)
                (silenceChain, loudnessChain) = (silence, loudness)
            }
            try silence.push(frame, pts: pts, handle: readSilence)
            try loudness.push(frame, pts: pts, handle: readLoudness)
        } catch {
            incompleteReason = "audio analysis stopped at \(VideoQualityAnalyzer.format(seconds)) s: \(error.message)"
            silenceChain = nil
            loudnessChain = nil
        }
    }

    func finish() throws {
        do throws(MediaError) { try finishChains() } catch {
            incompleteReason = "audio analysis could not finish: \(error.message)"
        }
        // silencedetect only logs a run still open at the end; it ends with the last sample.
        if let lastFrameEnd { closeSilence(at: lastFrameEnd) }
    }

    private func finishChains() throws(MediaError) {
        defer {
            silenceChain = nil
            loudnessChain = nil
        }
        try silenceChain?.finish(handle: readSilence)
        try loudnessChain?.finish(handle: readLoudness)
    }

    private func readSilence(_ frame: UnsafeMutablePointer<AVFrame>) {
        // silencedetect computes both times to the sample and prints them with %.6g.
        if let value = FilterChain.metadata(frame, "lavfi.silence_start").flatMap(Double.init), silenceStart == nil {
            silenceStart = value
        }
        if let value = FilterChain.metadata(frame, "lavfi.silence_end").flatMap(Double.init) { closeSilence(at: value) }
    }

    private func readLoudness(_ frame: UnsafeMutablePointer<AVFrame>) {
        // Running values: after the last frame they are ebur128's summary.
        if let value = FilterChain.metadata(frame, "lavfi.r128.I").flatMap(Double.init) { integrated = value }
        if let value = FilterChain.metadata(frame, "lavfi.r128.LRA").flatMap(Double.init) { range = value }
        if let value = FilterChain.metadata(frame, peakKey).flatMap(Double.init) { linearPeak = max(linearPeak ?? 0, value) }
    }

    private func closeSilence(at end: Double) {
        guard let start = silenceStart else { return }
        silenceStart = nil
        silence.append(QCSegment(start: start, end: end))
    }
}
