import Foundation
import Testing
import VidpipeTestSupport

/// `report.html` through `vidpipe process`, opened in headless Chromium: what the browser
/// built from it is checked against the ffmpeg CLI's filters, ffprobe and the catalog.
@Suite struct ReportPageTests {
    /// 640x360, 10 s: moving pattern, 2.5 s black, 2.5 s still colour bars, moving fractal;
    /// a tone with 3 s of silence in the middle; a container title that is markup.
    static func clipWithPlantedDefects(_ path: String, title: String) throws {
        try CommandLineTool.ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=2", "-f", "lavfi", "-i", "color=black:s=640x360:r=25:d=2.5",
            "-f", "lavfi", "-i", "smptebars=s=640x360:r=25:d=2.5", "-f", "lavfi", "-i", "mandelbrot=s=640x360:r=25",
            "-f", "lavfi", "-i", "sine=f=440:d=10",
            "-filter_complex", "[3:v]trim=duration=3,setpts=PTS-STARTPTS[m];[0:v][1:v][2:v][m]concat=n=4:v=1:a=0,format=yuv420p[v];"
                + "[4:a]volume=enable='between(t,3,6)':volume=0[a]",
            "-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
            "-metadata", "title=\(title)", path,
        ])
    }

    static let hostileTitle = "</td><script>document.body.dataset.pwned = 1</script><b>bold"
    static let window = (width: 1000, height: 2500)

    @Test func pageShowsEverySilverResultAndMatchesTheOracles() throws {
        let lake = try TestLake(environment: ["EMAIL_RECEIVER": "a@example.com", "VIDPIPE_MISSING_SIDECAR": "ignore",
                                              "VIDPIPE_RENDITIONS": "360p:360:800:96,240p:240:400:64"])
        defer { lake.remove() }
        // The file name is markup too: it becomes the page title.
        let clip = lake.incoming + "/<i>planted & defects.mp4"
        try Self.clipWithPlantedDefects(clip, title: Self.hostileTitle)

        let (status, report) = try lake.process([clip])
        #expect(status == 0)
        let job = try #require(report.jobs.first)
        let videoID = try #require(job.videoId, "\(job)")
        let folder = lake.root + "/silver/" + videoID
        let page = folder + "/report.html"
        #expect(FileManager.default.fileExists(atPath: page))
        #expect(!FileManager.default.fileExists(atPath: lake.root + "/staging/" + job.jobId), "staging left behind")

        let dom = try ParsedHTML(try HeadlessChromium.dumpDOM(of: page))

        // Loaded: the browser built the whole page, down to the last section.
        for section in ["poster", "summary", "findings", "qc-timeline", "bitrate", "loudness", "contact-sheet", "metadata",
                        "renditions", "tasks"] {
            #expect(dom.elements.contains { $0.tag == "section" && $0.attributes["id"] == section }, "no section \(section)")
        }

        // Escaped: the title and the tag read as text; no markup from the file reached the DOM.
        #expect(dom.all("script").isEmpty, "a script element from the file's metadata")
        #expect(dom.all("body").first?.attributes["data-pwned"] == nil)
        #expect(dom.all("i").isEmpty && dom.all("b").allSatisfy { $0.attributes.isEmpty && !$0.text.contains("bold") })
        #expect(dom.all("h1").first?.text == "<i>planted & defects.mp4")
        #expect(dom.all("td").contains { $0.text == Self.hostileTitle }, "the title tag is not shown as text")

        // Self-contained: every image and link is a file in the page's folder (the HLS
        // stream's master playlist in its hls/ subfolder); nothing from the network.
        let references = dom.elements.compactMap { $0.attributes["src"] ?? $0.attributes["href"] }
        #expect(references.contains("hls/master.m3u8"), "\(references)")
        for reference in references {
            #expect(!reference.hasPrefix("/") && !reference.contains("..") && !reference.contains(":"),
                    "\(reference) is not a file in the page's folder")
            #expect(FileManager.default.fileExists(atPath: folder + "/" + reference), "\(reference) is missing")
        }
        let images = dom.all("img").compactMap { $0.attributes["src"] }
        #expect(Set(images) == ["poster.jpg", "sprite.jpg"], "\(images)")

        // QC timeline: one mark per segment the ffmpeg CLI's filters find, at its times.
        let oracle = try CLIQualityReport.measure(clip, in: lake.scratch.url)
        let frame = 1.0 / 25
        for (kind, expected) in [("black", oracle.black), ("frozen", oracle.frozen), ("silence", oracle.silence)] {
            let marks = dom.all("rect", classes: ["segment", kind])
            #expect(marks.count == expected.count && !expected.isEmpty, "\(kind): \(marks.count) marks, ffmpeg found \(expected)")
            for (mark, segment) in zip(marks, expected) {
                #expect(abs((mark.number("data-start") ?? -1) - segment.start) <= frame + 0.001, "\(kind) \(mark.attributes)")
                if let end = segment.end { #expect(abs((mark.number("data-end") ?? -1) - end) <= frame + 0.001, "\(kind) \(mark.attributes)") }
            }
        }
        let cuts = dom.all("line", classes: ["cut"]).compactMap { $0.number("data-seconds") }
        let cutOracle = try CLIQualityReport.sceneCutTimes(clip, in: lake.scratch.url)
        #expect(cuts.count == cutOracle.count && cutOracle.count == 3, "cuts \(cuts), scdet \(cutOracle)")
        for (cut, time) in zip(cuts, cutOracle) { #expect(abs(cut - time) <= frame + 0.001) }
        #expect(dom.all("line", classes: ["decode-error"]).isEmpty, "a clean file drew decode errors")

        // Bit-rate plot: one bar per second of video, each the bytes ffprobe counts in it.
        let bars = dom.all("rect", classes: ["kbps", "video"]).compactMap { $0.number("data-kbps") }
        let expectedKbps = try Self.videoKbpsPerSecond(clip)
        #expect(bars.count == expectedKbps.count, "\(bars.count) bars, ffprobe gives \(expectedKbps.count) seconds")
        for (second, (bar, expected)) in zip(bars, expectedKbps).enumerated() {
            #expect(abs(bar - expected) <= 0.05, "second \(second): plotted \(bar) kbit/s, ffprobe \(expected)")
        }
        #expect(dom.all("polyline", classes: ["kbps", "audio"]).count == 1)

        // Loudness: the integrated value ebur128 measures.
        let loudness = dom.all("section").first { $0.attributes["id"] == "loudness" }
        #expect(loudness != nil)
        let integrated = dom.all("td").first { $0.text.hasSuffix(" LUFS") }.flatMap { Double($0.text.dropLast(5)) }
        #expect(Self.isClose(integrated, oracle.integrated, within: 0.15), "page \(String(describing: integrated)), ebur128 \(String(describing: oracle.integrated))")

        // Renditions: one row per file, with ffprobe's size and bit rate and the catalog's PSNR and SSIM.
        let rows = dom.all("tr", classes: ["rendition"])
        let recorded = try lake.query("SELECT name, path, psnr, ssim FROM renditions WHERE video_id = '\(videoID)' ORDER BY height DESC")
        #expect(rows.count == 2 && recorded.count == 2, "\(rows.count) rows, \(recorded.count) recorded")
        for (row, rendition) in zip(rows, recorded) {
            let probe = try CommandLineTool.ffprobe(try #require(rendition["path"]?.text))
            #expect(row.number("data-bytes") == probe.format.size.flatMap(Double.init), "\(row.attributes)")
            #expect(row.number("data-bit-rate") == probe.format.bitRate.flatMap(Double.init), "\(row.attributes)")
            #expect(Self.isClose(row.number("data-psnr"), rendition["psnr"]?.number, within: 0.0001))
            #expect(Self.isClose(row.number("data-ssim"), rendition["ssim"]?.number, within: 0.000001))
        }

        // Task timings: a bar for every bronze and silver task the catalog recorded, no longer than its run.
        let tasks = dom.all("rect", classes: ["task-bar"])
        let runs = try lake.query("SELECT task, duration_ms FROM task_runs WHERE job_id = '\(job.jobId)' AND task NOT LIKE 'gold.%' AND task <> 'silver.report_page'")
        #expect(Set(tasks.compactMap { $0.attributes["data-task"] }) == Set(runs.compactMap { $0["task"]?.text }), "\(tasks.map(\.attributes))")
        for run in runs {
            let bar = tasks.first { $0.attributes["data-task"] == run["task"]?.text }
            #expect(Self.isClose(bar?.number("data-milliseconds"), run["duration_ms"]?.number, within: 0.1), "\(run)")
        }

        // Metadata: a row per stream and per tag ffprobe lists.
        let probe = try CommandLineTool.ffprobe(clip)
        let streams = probe.streams ?? []
        #expect(dom.all("tr", classes: ["meta", "stream"]).count == streams.count)
        let tagCount = (probe.format.tags?.count ?? 0) + streams.map { $0.tags?.count ?? 0 }.reduce(0, +)
        #expect(dom.all("tr", classes: ["meta", "tag"]).count == tagCount)

        // The mail links the page.
        let mails = try FileManager.default.contentsOfDirectory(atPath: lake.outbox).filter { $0.hasSuffix(".eml") }
        let mail = try PythonEmail.parse(lake.outbox + "/" + (mails.first ?? ""))
        #expect(mail.text.contains(page), "\(mail.text)")
        #expect(mail.html.contains("href=\"\(URL(fileURLWithPath: page).absoluteString)\""), "\(mail.html)")

        // A screenshot of the page: the size asked for, and not blank.
        let png = lake.scratch.path("report.png")
        try HeadlessChromium.screenshot(of: page, to: png, width: Self.window.width, height: Self.window.height)
        let picture = try #require(try CommandLineTool.ffprobe(png).streams?.first)
        #expect(picture.width == Self.window.width && picture.height == Self.window.height)
        let luma = try Self.lumaRange(png)
        #expect(luma.max - luma.min > 150, "the screenshot is nearly flat: luma \(luma)")
        // How docs/report.png is made: the screenshot this test checked.
        if let keep = ProcessInfo.processInfo.environment["VIDPIPE_TEST_REPORT_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: png, toPath: keep)
        }
    }

    @Test func decodeErrorsAreDrawnWhereTheFileIsDamaged() throws {
        let lake = try TestLake(environment: ["VIDPIPE_MISSING_SIDECAR": "ignore", "VIDPIPE_RENDITIONS": "none"])
        defer { lake.remove() }
        let clip = lake.incoming + "/damaged.mp4"
        try CommandLineTool.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=8", "-c:v", "libx264", "-preset", "ultrafast",
                                    "-pix_fmt", "yuv420p", clip])
        // Scramble the middle half of the video packet ffprobe places nearest 5 s.
        let packets = try CommandLineTool.checked("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries",
                                                              "packet=pts_time,pos,size", "-of", "csv=p=0", clip]).text
            .split(separator: "\n").compactMap { line -> (time: Double, position: Int, size: Int)? in
                let fields = line.split(separator: ",").compactMap { Double($0) }
                return fields.count == 3 ? (fields[0], Int(fields[2]), Int(fields[1])) : nil
            }
        let damaged = try #require(packets.min { abs($0.time - 5) < abs($1.time - 5) })
        var bytes = try Data(contentsOf: URL(fileURLWithPath: clip))
        for index in (damaged.position + damaged.size / 4)..<(damaged.position + damaged.size * 3 / 4) { bytes[index] ^= 0x5A }
        try bytes.write(to: URL(fileURLWithPath: clip))

        let (_, report) = try lake.process([clip])
        let videoID = try #require(report.jobs.first?.videoId, "\(report.jobs)")
        let dom = try ParsedHTML(try HeadlessChromium.dumpDOM(of: lake.root + "/silver/" + videoID + "/report.html"))
        let marks = dom.all("line", classes: ["decode-error"]).compactMap { $0.number("data-seconds") }
        let frame = 1.0 / 25
        #expect(marks.contains { abs($0 - damaged.time) <= frame + 0.001 }, "marks \(marks), damaged packet at \(damaged.time) s")
        #expect(marks.allSatisfy { $0 >= damaged.time - frame }, "an error drawn before the damage: \(marks)")
        #expect(dom.all("span", classes: ["verdict", "fail"]).count == 1)
    }

    static func isClose(_ a: Double?, _ b: Double?, within tolerance: Double) -> Bool {
        guard let a, let b else { return false }
        return abs(a - b) <= tolerance + 1e-9
    }

    /// Video kbit/s per second from ffprobe's packets, counted from the first packet of any
    /// stream in file order, as `BitrateProfile` documents.
    static func videoKbpsPerSecond(_ path: String) throws -> [Double] {
        let csv = try CommandLineTool.checked("ffprobe", ["-v", "error", "-show_entries", "packet=codec_type,pts_time,size",
                                                          "-of", "csv=p=0", path]).text
        var origin: Double?
        var bytes: [Int] = []
        for line in csv.split(separator: "\n") {
            let fields = line.split(separator: ",").map(String.init)
            guard fields.count == 3, let time = Double(fields[1]), let size = Int(fields[2]) else { continue }
            if origin == nil { origin = time }
            guard fields[0] == "video", let origin else { continue }
            let second = max(0, Int((time - origin).rounded(.down)))
            if bytes.count <= second { bytes += Array(repeating: 0, count: second + 1 - bytes.count) }
            bytes[second] += size
        }
        return bytes.map { Double($0) * 8 / 1000 }
    }

    /// Darkest and brightest luma in a picture, from ffmpeg's `signalstats`.
    static func lumaRange(_ path: String) throws -> (min: Double, max: Double) {
        let result = try CommandLineTool.checked("ffmpeg", ["-nostdin", "-hide_banner", "-i", path, "-vf",
                                                            "signalstats,metadata=print", "-f", "null", "-"])
        func value(_ key: String) -> Double? {
            result.stderr.split(separator: "\n").compactMap { line -> Double? in
                guard let range = line.range(of: "lavfi.signalstats.\(key)=") else { return nil }
                return Double(line[range.upperBound...])
            }.first
        }
        return (value("YMIN") ?? -1, value("YMAX") ?? -1)
    }
}
