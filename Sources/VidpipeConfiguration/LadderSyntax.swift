import Media

/// `VIDPIPE_RENDITIONS`: comma-separated rungs `NAME:HEIGHT:VIDEO_KBPS:AUDIO_KBPS`, e.g.
/// `720p:720:2800:128`; maxrate and buffer follow the default ladder's ratios (1.07×, 1.5×).
public enum LadderSyntax {
    public static func parse(_ text: String, variable: String) throws(ConfigurationError) -> [RenditionLadder.Rung] {
        if text.lowercased() == "none" { return [] }
        var rungs: [RenditionLadder.Rung] = []
        for item in text.split(separator: ",") {
            let parts = item.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 4, !parts[0].isEmpty, let height = Int(parts[1]), height >= 2, height % 2 == 0,
                  let video = Int(parts[2]), video > 0, let audio = Int(parts[3]), audio > 0 else {
                throw ConfigurationError(variable: variable,
                                         message: "\"\(item)\" is not NAME:HEIGHT:VIDEO_KBPS:AUDIO_KBPS with an even height, e.g. 720p:720:2800:128")
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
