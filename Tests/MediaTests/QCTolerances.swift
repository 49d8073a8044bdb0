import Foundation
import Media

/// One frame at 30 fps: the tolerance for video segment boundaries.
let videoFrame = 1.0 / 30
/// The tolerance for audio segment boundaries.
let audioTolerance = 0.02

func isClose(_ a: Double?, _ b: Double?, within tolerance: Double) -> Bool {
    guard let a, let b else { return false }
    return abs(a - b) <= tolerance + 1e-9
}

/// Segments match pairwise, in order, within a tolerance.
func segmentsMatch(_ found: [QCSegment], _ expected: [(Double, Double)], within tolerance: Double) -> Bool {
    found.count == expected.count && zip(found, expected).allSatisfy { segment, planted in
        isClose(segment.start, planted.0, within: tolerance) && isClose(segment.end, planted.1, within: tolerance)
    }
}

extension QCReport {
    var findingKinds: Set<String> { Set(findings.map(\.kind.rawValue)) }
}
