/// A small 8-bit picture owned by Swift: one plane (gray) or three (YUV 4:2:0), rows packed
/// without padding. Sampled frames are copied into this so no decoder buffer is kept.
struct PlanarImage: Equatable {
    var width: Int
    var height: Int
    /// Luma first; for 4:2:0 then Cb and Cr at `(width + 1) / 2` × `(height + 1) / 2`.
    var planes: [[UInt8]]

    var isGray: Bool { planes.count == 1 }

    /// A 4:2:0 picture filled with full-range black.
    static func black(width: Int, height: Int) -> PlanarImage {
        let chroma = ((width + 1) / 2) * ((height + 1) / 2)
        return PlanarImage(width: width, height: height,
                           planes: [[UInt8](repeating: 0, count: width * height),
                                    [UInt8](repeating: 128, count: chroma), [UInt8](repeating: 128, count: chroma)])
    }

    func planeSize(_ index: Int) -> (width: Int, height: Int) {
        index == 0 ? (width, height) : ((width + 1) / 2, (height + 1) / 2)
    }

    /// The picture turned clockwise by `quarterTurns` × 90°.
    func rotated(clockwiseQuarterTurns quarterTurns: Int) -> PlanarImage {
        let turns = ((quarterTurns % 4) + 4) % 4
        guard turns != 0 else { return self }
        let swapsAxes = turns % 2 == 1
        var result = PlanarImage(width: swapsAxes ? height : width, height: swapsAxes ? width : height, planes: [])
        for (index, plane) in planes.enumerated() {
            let (w, h) = planeSize(index)
            let outWidth = swapsAxes ? h : w
            var out = [UInt8](repeating: 0, count: w * h)
            for y in 0..<h {
                for x in 0..<w {
                    // Where source pixel (x, y) lands after the turn.
                    let (nx, ny): (Int, Int)
                    switch turns {
                    case 1: (nx, ny) = (h - 1 - y, x)
                    case 2: (nx, ny) = (w - 1 - x, h - 1 - y)
                    default: (nx, ny) = (y, w - 1 - x)
                    }
                    out[ny * outWidth + nx] = plane[y * w + x]
                }
            }
            result.planes.append(out)
        }
        return result
    }

    /// Copies `tile` into this picture with its top-left corner at (`x`, `y`); both even so
    /// chroma samples line up.
    mutating func paste(_ tile: PlanarImage, x: Int, y: Int) {
        precondition(x % 2 == 0 && y % 2 == 0 && tile.planes.count == planes.count)
        for index in planes.indices {
            let (w, h) = planeSize(index)
            let (tw, th) = tile.planeSize(index)
            let scale = index == 0 ? 1 : 2
            let (ox, oy) = (x / scale, y / scale)
            for row in 0..<min(th, h - oy) {
                let count = min(tw, w - ox)
                guard count > 0 else { break }
                planes[index].replaceSubrange((oy + row) * w + ox ..< (oy + row) * w + ox + count,
                                              with: tile.planes[index][row * tw ..< row * tw + count])
            }
        }
    }

    /// The top `rows` rows (a contact sheet with fewer tiles than its grid has cells).
    func cropped(toHeight rows: Int) -> PlanarImage {
        var result = PlanarImage(width: width, height: rows, planes: [])
        for index in planes.indices {
            let (w, _) = planeSize(index)
            let keep = index == 0 ? rows : (rows + 1) / 2
            result.planes.append(Array(planes[index].prefix(w * keep)))
        }
        return result
    }
}

/// Clockwise quarter turns that show a stored picture upright, from `DecodeSetup`'s
/// rotation in ffprobe's sign convention. Checked against the ffmpeg 5.1 CLI's autorotate:
/// `rotate=90` metadata gives +90, displayed turned 90° counterclockwise (3 clockwise turns).
func displayQuarterTurns(rotationDegrees: Double) -> Int {
    let clockwise = (-rotationDegrees / 90).rounded()
    return ((Int(clockwise) % 4) + 4) % 4
}

/// How a video stream is shown: the turn that puts it upright and its displayed aspect
/// ratio (sample aspect ratio applied), for sizing posters, tiles and fingerprints.
struct DisplayGeometry {
    /// Clockwise quarter turns from the stored picture to the displayed one.
    let quarterTurns: Int
    /// Displayed width in pixels of the full-size picture (after SAR and rotation).
    let displayWidth: Int
    /// Displayed width / height.
    let aspect: Double

    init(_ video: DecodeSetup.Video) {
        quarterTurns = displayQuarterTurns(rotationDegrees: video.rotationDegrees)
        let sar = video.sampleAspectRatio
        let pixelAspect = sar.num > 0 && sar.den > 0 ? Double(sar.num) / Double(sar.den) : 1
        let storedWidth = Double(max(video.width, 1)) * pixelAspect
        let storedHeight = Double(max(video.height, 1))
        let turnsSideways = quarterTurns % 2 == 1
        displayWidth = Int((turnsSideways ? storedHeight : storedWidth).rounded())
        aspect = turnsSideways ? storedHeight / storedWidth : storedWidth / storedHeight
    }

    /// The even displayed size `width` pixels wide.
    func displaySize(width: Int) -> (width: Int, height: Int) {
        (Self.even(Double(width)), Self.even(Double(width) / aspect))
    }

    /// The size to scale the stored picture to so that turning it gives `display`.
    func storedSize(for display: (width: Int, height: Int)) -> (width: Int, height: Int) {
        quarterTurns % 2 == 1 ? (display.height, display.width) : display
    }

    static func even(_ value: Double) -> Int { max(2, Int((value / 2).rounded()) * 2) }
}
