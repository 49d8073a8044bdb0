/// A WebVTT storyboard: contiguous cues from 0 to the end, each pointing at one sprite tile
/// with a media fragment (`sprite.jpg#xywh=x,y,w,h`), the format players read for scrub
/// previews.
struct Storyboard {
    /// Cue boundaries in milliseconds: cue `i` runs from `boundaries[i]` to `boundaries[i + 1]`.
    var boundaries: [Int]
    var spriteName: String
    var columns: Int
    var tileWidth: Int
    var tileHeight: Int

    /// `count` cues; the first `count - 1` are `spacing` seconds long, the last ends at `end`.
    /// Integer milliseconds keep neighbouring cues exactly contiguous.
    init(count: Int, spacing: Double, end: Double, spriteName: String, columns: Int, tileWidth: Int, tileHeight: Int) {
        var boundaries = (0..<count).map { Int((Double($0) * spacing * 1000).rounded()) }
        let last = boundaries.last ?? 0
        boundaries.append(max(Int((end * 1000).rounded()), last + 1))
        self.boundaries = boundaries
        self.spriteName = spriteName
        self.columns = columns
        self.tileWidth = tileWidth
        self.tileHeight = tileHeight
    }

    var text: String {
        var lines = ["WEBVTT", ""]
        for index in 0..<(boundaries.count - 1) {
            let x = (index % columns) * tileWidth
            let y = (index / columns) * tileHeight
            lines.append("\(Self.timestamp(boundaries[index])) --> \(Self.timestamp(boundaries[index + 1]))")
            lines.append("\(spriteName)#xywh=\(x),\(y),\(tileWidth),\(tileHeight)")
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    /// `HH:MM:SS.mmm`.
    static func timestamp(_ milliseconds: Int) -> String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let seconds = milliseconds / 1000
        return "\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(milliseconds % 1000, 3))"
    }
}
