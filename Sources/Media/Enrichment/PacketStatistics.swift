import CFFmpeg

/// Keyframe/GOP statistics and the per-second bit-rate profile, from packets alone (no
/// pixels): sizes and `AV_PKT_FLAG_KEY` of the video and audio packets.
///
/// Construct with `PacketStatistics()`, run it in a decode pass, then read `gop` and `bitrate`.
final class PacketStatistics: FrameConsumer {
    /// Where second 0 of the profile starts: the first packet's time. Earlier packets (B-frame
    /// reordering, audio priming) count into second 0.
    private var origin: Double?
    private var videoBytesPerSecond: [Int64] = []
    private var audioBytesPerSecond: [Int64] = []
    private var lastVideoSecond = 0
    private var lastAudioSecond = 0

    private var videoPackets = 0
    private var keyframes = 0
    /// Packet count and time of the keyframe opening the current GOP.
    private var gopStart: (packet: Int, seconds: Double?)?
    /// Running aggregates of finished GOPs, so memory does not grow with duration.
    private var frameLengths = RunningStatistics()
    private var secondLengths = RunningStatistics()
    private var lastVideoSeconds: Double?

    private(set) var bitrate = BitrateProfile()
    private(set) var gop = GOPStatistics()

    func consumePacket(_ packet: UnsafeMutablePointer<AVPacket>, isVideo: Bool, seconds: Double?) throws {
        let size = Int64(max(packet.pointee.size, 0))
        if origin == nil, let seconds { origin = seconds }
        var second = isVideo ? lastVideoSecond : lastAudioSecond
        if let seconds, let origin { second = max(0, Int((seconds - origin).rounded(.down))) }
        if isVideo {
            add(size, at: second, to: &videoBytesPerSecond)
            lastVideoSecond = second
            countGOP(isKey: (packet.pointee.flags & AV_PKT_FLAG_KEY) != 0, seconds: seconds)
        } else {
            add(size, at: second, to: &audioBytesPerSecond)
            lastAudioSecond = second
        }
    }

    private func add(_ bytes: Int64, at second: Int, to buckets: inout [Int64]) {
        if buckets.count <= second { buckets.append(contentsOf: repeatElement(0, count: second + 1 - buckets.count)) }
        buckets[second] += bytes
    }

    private func countGOP(isKey: Bool, seconds: Double?) {
        if isKey {
            keyframes += 1
            if let gopStart {
                frameLengths.add(Double(videoPackets - gopStart.packet))
                if let start = gopStart.seconds, let seconds { secondLengths.add(seconds - start) }
            }
            gopStart = (videoPackets, seconds)
        }
        videoPackets += 1
        if let seconds { lastVideoSeconds = max(lastVideoSeconds ?? seconds, seconds) }
    }

    func finish() throws {
        bitrate.videoKbps = videoBytesPerSecond.map { Double($0) * 8 / 1000 }
        bitrate.audioKbps = audioBytesPerSecond.map { Double($0) * 8 / 1000 }
        bitrate.videoBytes = videoBytesPerSecond.reduce(0, +)
        bitrate.audioBytes = audioBytesPerSecond.reduce(0, +)

        gop.keyframeCount = keyframes
        gop.videoPacketCount = videoPackets
        if frameLengths.count == 0, let gopStart {
            // One keyframe only: the whole stream is its GOP.
            frameLengths.add(Double(videoPackets - gopStart.packet))
            if let start = gopStart.seconds, let end = lastVideoSeconds { secondLengths.add(end - start) }
        }
        guard frameLengths.count > 0 else { return }
        gop.minFrames = Int(frameLengths.minimum)
        gop.maxFrames = Int(frameLengths.maximum)
        gop.meanFrames = frameLengths.mean
        if secondLengths.count > 0 {
            gop.minSeconds = secondLengths.minimum
            gop.maxSeconds = secondLengths.maximum
            gop.meanSeconds = secondLengths.mean
        }
    }
}

/// Count, sum, minimum and maximum of a stream of values.
struct RunningStatistics {
    private(set) var count = 0
    private(set) var minimum = Double.infinity
    private(set) var maximum = -Double.infinity
    private var sum = 0.0

    var mean: Double { count == 0 ? 0 : sum / Double(count) }

    mutating func add(_ value: Double) {
        count += 1
        sum += value
        minimum = min(minimum, value)
        maximum = max(maximum, value)
    }
}
