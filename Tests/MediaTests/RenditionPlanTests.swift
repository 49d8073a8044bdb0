import Foundation
import Testing
@testable import Media

@Suite("Rendition ladder planning")
struct RenditionPlanTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var source: RenditionSource
        /// name: width x height, tallest first.
        var expected: [String]
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "1080p30 landscape gets the whole ladder",
             source: RenditionSource(width: 1920, height: 1080, frameRate: 30),
             expected: ["1080p 1920x1080", "720p 1280x720", "480p 854x480", "360p 640x360"]),
        Case(label: "720p never upscales to 1080p",
             source: RenditionSource(width: 1280, height: 720, frameRate: 30),
             expected: ["720p 1280x720", "480p 854x480", "360p 640x360"]),
        Case(label: "4K keeps every rung",
             source: RenditionSource(width: 3840, height: 2160, frameRate: 24),
             expected: ["1080p 1920x1080", "720p 1280x720", "480p 854x480", "360p 640x360"]),
        Case(label: "90° rotation swaps the display size",
             source: RenditionSource(width: 1920, height: 1080, rotationDegrees: -90, frameRate: 30),
             expected: ["1080p 608x1080", "720p 406x720", "480p 270x480", "360p 202x360"]),
        Case(label: "270° rotation swaps too",
             source: RenditionSource(width: 1280, height: 720, rotationDegrees: 90, frameRate: 30),
             expected: ["1080p 608x1080", "720p 406x720", "480p 270x480", "360p 202x360"]),
        Case(label: "180° keeps the size",
             source: RenditionSource(width: 1280, height: 720, rotationDegrees: 180, frameRate: 30),
             expected: ["720p 1280x720", "480p 854x480", "360p 640x360"]),
        Case(label: "anamorphic SAR widens the picture",
             source: RenditionSource(width: 720, height: 576, sampleAspectRatio: Rational(64, 45), frameRate: 25),
             expected: ["480p 854x480", "360p 640x360"]),
        Case(label: "smaller than the smallest rung: one rendition at source size",
             source: RenditionSource(width: 320, height: 240, frameRate: 30),
             expected: ["240p 320x240"]),
        Case(label: "odd source size rounds down to even",
             source: RenditionSource(width: 321, height: 181, frameRate: 30),
             expected: ["180p 320x180"]),
        Case(label: "exactly 360 tall keeps 360p",
             source: RenditionSource(width: 640, height: 360, frameRate: 30),
             expected: ["360p 640x360"]),
    ]

    @Test("plan table", arguments: cases)
    func plans(_ testCase: Case) {
        let plans = RenditionLadder.default.plan(for: testCase.source)
        #expect(plans.map { "\($0.name) \($0.width)x\($0.height)" } == testCase.expected)
        for plan in plans {
            #expect(plan.width % 2 == 0 && plan.height % 2 == 0)
            #expect(plan.audioSampleRate == 48_000 && plan.audioChannels == 2)
            #expect(plan.preset == "veryfast")
        }
    }

    @Test("rotation becomes clockwise quarter turns applied to the pixels")
    func quarterTurns() {
        #expect(RenditionSource(width: 4, height: 2, rotationDegrees: 0, frameRate: nil).quarterTurns == 0)
        #expect(RenditionSource(width: 4, height: 2, rotationDegrees: -90, frameRate: nil).quarterTurns == 1)
        #expect(RenditionSource(width: 4, height: 2, rotationDegrees: 180, frameRate: nil).quarterTurns == 2)
        #expect(RenditionSource(width: 4, height: 2, rotationDegrees: -180, frameRate: nil).quarterTurns == 2)
        #expect(RenditionSource(width: 4, height: 2, rotationDegrees: 90, frameRate: nil).quarterTurns == 3)
        #expect(RenditionLadder.default.plan(for: RenditionSource(width: 1280, height: 720, rotationDegrees: -90, frameRate: 30))
            .allSatisfy { $0.rotation == 1 })
    }

    @Test("frame rate is kept up to 60 and capped above")
    func frameRateCap() throws {
        let normal = try #require(RenditionLadder.default.plan(for: RenditionSource(width: 640, height: 360, frameRate: 29.97)).first)
        #expect(normal.frameRate == 29.97 && !normal.dropsFrames)
        let sixty = try #require(RenditionLadder.default.plan(for: RenditionSource(width: 640, height: 360, frameRate: 60)).first)
        #expect(sixty.frameRate == 60 && !sixty.dropsFrames)
        let fast = try #require(RenditionLadder.default.plan(for: RenditionSource(width: 640, height: 360, frameRate: 120)).first)
        #expect(fast.frameRate == 60 && fast.dropsFrames)
    }

    @Test("ladder config round-trips through JSON with its settings")
    func codable() throws {
        var ladder = RenditionLadder.default
        ladder.preset = "medium"
        ladder.rungs[0].videoBitRate = nil
        ladder.rungs[0].crf = 20
        let data = try JSONEncoder().encode(ladder)
        #expect(try JSONDecoder().decode(RenditionLadder.self, from: data) == ladder)
        let plan = try #require(ladder.plan(for: RenditionSource(width: 1920, height: 1080, frameRate: 30)).first)
        #expect(plan.preset == "medium" && plan.videoBitRate == nil && plan.crf == 20)
    }

    @Test("x264 threads follow each rung's pixels, at least one each; a configured count wins")
    func threadShares() {
        let ladder = [1920 * 1080, 1280 * 720, 854 * 480, 640 * 360]
        #expect(RenditionPlan.threadShares(pixelCounts: ladder, cores: 2) == [2, 1, 1, 1])
        #expect(RenditionPlan.threadShares(pixelCounts: ladder, cores: 8) == [7, 3, 1, 1])
        #expect(RenditionPlan.threadShares(pixelCounts: [640 * 360], cores: 4) == [6])
        let planned = RenditionLadder.default.plan(for: RenditionSource(width: 1920, height: 1080, frameRate: 30))
        #expect(planned.first?.encoderThreads ?? 0 >= planned.last?.encoderThreads ?? 0)
        var fixed = RenditionLadder.default
        fixed.encoderThreads = 3
        #expect(fixed.plan(for: RenditionSource(width: 1920, height: 1080, frameRate: 30)).allSatisfy { $0.encoderThreads == 3 })
    }

    @Test("no video size, no plans")
    func degenerate() {
        #expect(RenditionLadder.default.plan(for: RenditionSource(width: 0, height: 0, frameRate: nil)).isEmpty)
        #expect(RenditionLadder(rungs: []).plan(for: RenditionSource(width: 1920, height: 1080, frameRate: 30)).isEmpty)
    }
}
