import Media

/// `VIDPIPE_RENDITIONS`: comma-separated rungs `NAME:HEIGHT:VIDEO_KBPS:AUDIO_KBPS`, e.g.
/// `720p:720:2800:128`; maxrate and buffer follow the default ladder's ratios (1.07×, 1.5×).
public enum LadderSyntax {
    /// Tallest rung: 16K; no delivery format is taller.
    static let heights = 2...8640
    /// Bit rates in kb/s; the upper bounds keep maxrate and buffer (×1070, ×1500 bit/s)
    /// far from overflowing and are beyond any delivery rendition.
    static let videoKbps = 1...1_000_000
    static let audioKbps = 1...10_000

    public static func parse(_ text: String, variable: String) throws(ConfigurationError) -> [RenditionLadder.Rung] {
        if text.lowercased() == "none" { return [] }
        var rungs: [RenditionLadder.Rung] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 4, !parts[0].isEmpty, let height = Int(parts[1]), let video = Int(parts[2]),
                  let audio = Int(parts[3]) else {
                throw ConfigurationError(variable: variable,
                                         message: "\"\(item)\" is not NAME:HEIGHT:VIDEO_KBPS:AUDIO_KBPS, e.g. 720p:720:2800:128")
            }
            guard heights.contains(height), height % 2 == 0 else {
                throw ConfigurationError(variable: variable,
                                         message: "\"\(item)\": the height \(height) is not an even number of lines from \(heights.lowerBound) to \(heights.upperBound)")
            }
            guard videoKbps.contains(video), audioKbps.contains(audio) else {
                throw ConfigurationError(variable: variable,
                                         message: "\"\(item)\": video must be \(videoKbps.lowerBound)–\(videoKbps.upperBound) kb/s and audio \(audioKbps.lowerBound)–\(audioKbps.upperBound) kb/s")
            }
            rungs.append(RenditionLadder.Rung(name: parts[0], height: height, videoBitRate: video * 1000,
                                              maxRate: video * 1070, bufferSize: video * 1500, audioBitRate: audio * 1000))
        }
        return rungs
    }

    static func describe(_ rung: RenditionLadder.Rung) -> String {
        "\(rung.name):\(rung.height):\((rung.videoBitRate ?? 0) / 1000):\(rung.audioBitRate / 1000)"
    }
}
