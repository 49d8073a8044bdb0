import Catalog
import Foundation
import Media

/// `report.html`: one video's silver results on a page a person opens in a browser.
///
/// Rendered from the job's own values, not from the JSON reports, and self-contained: styles
/// and charts (inline SVG) are in the file, images are the poster and sprite beside it, and
/// a content security policy forbids scripts and anything from the network. Every string
/// from the file or the request is escaped.
struct ReportPage {
    static let fileName = "report.html"

    var title: String
    var videoID: String
    var jobID: String
    var sourcePath: String
    var sha256: String
    var probe: ProbeReport
    var silver: MediaPassResult
    var policy: PolicyVerdict
    var jobStartedAt: Date
    /// The task runs finished when the page is written.
    var taskRuns: [TaskRunRecord]

    /// Writes the page into the job's staging folder; the path returned is where gold publishes it.
    func write(stagingFolder: String, publishedFolder: String) throws -> SilverReportPage {
        let staged = stagingFolder + "/" + Self.fileName
        do {
            try FileManager.default.createDirectory(atPath: stagingFolder, withIntermediateDirectories: true)
            try Data(html.utf8).write(to: URL(fileURLWithPath: staged), options: .atomic)
        } catch {
            throw IngestError(.ioError, path: staged, "cannot write the report page: \(error.localizedDescription)", isRetryable: true)
        }
        return SilverReportPage(path: publishedFolder + "/" + Self.fileName)
    }

    /// Seconds the timeline spans: the container's duration, else the last decoded frame.
    private var duration: Double {
        probe.container.durationSeconds ?? max(silver.decode.lastVideoSeconds ?? 0, silver.decode.lastAudioSeconds ?? 0)
    }

    var html: String {
        let e = DisplayText.html
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'">
        <title>\(e(title)) · vidpipe report</title>
        <style>\(Self.style)</style>
        </head>
        <body>
        <header>
        <h1 id="title">\(e(title))</h1>
        <p class="ids">video <code>\(e(videoID))</code> · job <code>\(e(jobID))</code> · <span class="verdict \(policy.verdict.rawValue)">\(policy.verdict.rawValue)</span></p>
        </header>
        <div class="top">
        \(posterSection)
        \(summarySection)
        </div>
        \(findingsSection)
        <section id="qc-timeline"><h2>QC timeline</h2>\(ReportCharts.qcTimeline(qc: silver.qc, decode: silver.decode,
                                                                                  cuts: silver.enrichment?.sceneCuts ?? [],
                                                                                  duration: duration))</section>
        <section id="bitrate"><h2>Bit rate per second</h2>\(silver.enrichment.map { ReportCharts.bitrate($0.bitrate) } ?? "<p>Not measured.</p>")</section>
        \(loudnessSection)
        \(contactSheetSection)
        \(metadataSection)
        \(renditionsSection)
        <section id="tasks"><h2>Task timings</h2>\(ReportCharts.gantt(taskRuns, origin: jobStartedAt))
        <p class="note">Tasks finished before this page was written. Gold's record and mail come after it: <code>vidpipe show</code> lists every run.</p></section>
        </body>
        </html>

        """
    }

    private var posterSection: String {
        guard let thumbnails = silver.thumbnails else { return #"<section id="poster"><h2>Poster</h2><p>No video frames.</p></section>"# }
        let name = DisplayText.html((thumbnails.posterPath as NSString).lastPathComponent)
        return """
        <section id="poster"><h2>Poster</h2><img class="poster" src="\(name)" alt="poster frame"><p class="caption">frame at \(DisplayText.timecode(thumbnails.posterSeconds))</p></section>
        """
    }

    private var summarySection: String {
        let e = DisplayText.html
        let decode = silver.decode
        var rows: [(String, String)] = [("Source", sourcePath), ("SHA-256", sha256),
                                        ("Duration", String(format: "%.3f s", duration)),
                                        ("Size", Self.bytes(probe.container.sizeBytes))]
        if let video = probe.primaryVideo {
            rows.append(("Video", "\(video.codecName) \(video.width ?? 0)x\(video.height ?? 0)"
                         + (video.averageFrameRate?.value.map { String(format: " @ %.3f fps", $0) } ?? "")))
        }
        if let audio = probe.primaryAudio {
            rows.append(("Audio", "\(audio.codecName) \(audio.sampleRate ?? 0) Hz, \(audio.channels ?? 0) ch"))
        }
        rows.append(("Frames decoded", "\(decode.videoFramesDecoded)" + (decode.expectedVideoFrames.map { " of \($0) expected" } ?? "")))
        rows.append(("Decode errors", "\(decode.errorCount)"))
        if let cuts = silver.enrichment?.sceneCuts { rows.append(("Scene cuts", "\(cuts.count)")) }
        let body = rows.map { "<tr><th>\(e($0.0))</th><td>\(e($0.1))</td></tr>" }.joined()
        return #"<section id="summary"><h2>Summary</h2><table class="facts">\#(body)</table></section>"#
    }

    private var findingsSection: String {
        guard !policy.findings.isEmpty else { return #"<section id="findings"><h2>Findings</h2><p>None.</p></section>"# }
        let items = policy.findings.map { finding in
            let when = finding.startSeconds.map { start in
                "<span class=\"when\">\(DisplayText.timecode(start))" + (finding.endSeconds.map { "–\(DisplayText.timecode($0))" } ?? "") + "</span> "
            } ?? ""
            return "<li class=\"finding \(finding.severity.rawValue)\"><b>\(finding.severity.rawValue)</b> \(when)"
                + "<code>\(DisplayText.html(finding.rule))</code> \(DisplayText.html(finding.message))</li>"
        }
        return #"<section id="findings"><h2>Findings</h2><ul>\#(items.joined())</ul></section>"#
    }

    private var loudnessSection: String {
        guard let loudness = silver.qc.loudness else { return #"<section id="loudness"><h2>Loudness</h2><p>No audio.</p></section>"# }
        var rows = [("Integrated", String(format: "%.1f LUFS", loudness.integrated)),
                    ("Loudness range", String(format: "%.1f LU", loudness.range))]
        rows.append(("Peak", loudness.peak.map { String(format: "%.1f %@", $0, loudness.peakIsTruePeak ? "dBTP" : "dBFS") } ?? "silent"))
        let body = rows.map { "<tr><th>\($0.0)</th><td>\($0.1)</td></tr>" }.joined()
        return #"<section id="loudness"><h2>Loudness (EBU R128)</h2><table class="facts">\#(body)</table>\#(ReportCharts.loudnessScale(loudness.integrated))</section>"#
    }

    private var contactSheetSection: String {
        guard let thumbnails = silver.thumbnails else { return "" }
        let name = DisplayText.html((thumbnails.spritePath as NSString).lastPathComponent)
        return """
        <section id="contact-sheet"><h2>Contact sheet</h2><img class="contact-sheet" src="\(name)" alt="contact sheet"><p class="caption">\(thumbnails.tileCount) frames evenly spaced over the video, \(thumbnails.tileWidth)x\(thumbnails.tileHeight) each</p></section>
        """
    }

    private var metadataSection: String {
        let e = DisplayText.html
        let container = probe.container
        // (kind, label, value): the kind classes the row, so streams and tags can be told apart.
        var rows: [(String, String, String)] = [("format", "container", "\(container.formatName) (\(container.formatLongName))")]
        if let bitRate = container.bitRate { rows.append(("format", "bit rate", Self.kbps(bitRate))) }
        if let start = container.startTimeSeconds { rows.append(("format", "start time", String(format: "%.3f s", start))) }
        rows += container.tags.sorted { $0.key < $1.key }.map { ("tag", "tag \($0.key)", $0.value) }
        for stream in probe.streams {
            var parts = [stream.kind.rawValue, stream.codecName]
            if let profile = stream.profile { parts.append(profile) }
            if let width = stream.width, let height = stream.height { parts.append("\(width)x\(height)") }
            if let rate = stream.averageFrameRate?.value { parts.append(String(format: "%.3f fps", rate)) }
            if let format = stream.pixelFormat { parts.append(format) }
            if let rate = stream.sampleRate { parts.append("\(rate) Hz") }
            if let layout = stream.channelLayout ?? stream.channels.map({ "\($0) ch" }) { parts.append(layout) }
            if let bitRate = stream.bitRate { parts.append(Self.kbps(bitRate)) }
            if let rotation = stream.rotationDegrees { parts.append(String(format: "rotated %.0f°", rotation)) }
            rows.append(("stream", "stream \(stream.index)", parts.joined(separator: ", ")))
            rows += stream.tags.sorted { $0.key < $1.key }.map { ("tag", "stream \(stream.index) tag \($0.key)", $0.value) }
        }
        let body = rows.map { "<tr class=\"meta \($0.0)\"><th>\(e($0.1))</th><td>\(e($0.2))</td></tr>" }.joined()
        return #"<section id="metadata"><h2>Metadata</h2><table class="facts">\#(body)</table></section>"#
    }

    private var renditionsSection: String {
        guard !silver.renditions.isEmpty else { return #"<section id="renditions"><h2>Renditions</h2><p>None.</p></section>"# }
        let e = DisplayText.html
        let rows = silver.renditions.map { rendition in
            let file = (rendition.path as NSString).lastPathComponent
            let values = "data-bytes=\"\(rendition.sizeBytes)\" data-bit-rate=\"\(rendition.bitRate.map(String.init) ?? "")\" "
                + "data-psnr=\"\(rendition.psnr.map { String(format: "%.4f", $0) } ?? "")\" data-ssim=\"\(rendition.ssim.map { String(format: "%.6f", $0) } ?? "")\""
            return "<tr class=\"rendition\" \(values)><td><a href=\"\(e(file))\">\(e(rendition.name))</a></td><td>\(rendition.width)x\(rendition.height)</td>"
                + "<td>\(Self.bytes(rendition.sizeBytes))</td><td>\(rendition.bitRate.map(Self.kbps) ?? "–")</td>"
                + "<td>\(rendition.psnr.map { String(format: "%.2f dB", $0) } ?? "–")</td>"
                + "<td>\(rendition.ssim.map { String(format: "%.4f", $0) } ?? "–")</td>"
                + "<td>\(rendition.verified ? "yes" : "no: " + e(rendition.problems.joined(separator: "; ")))</td></tr>"
        }
        return """
        <section id="renditions"><h2>Renditions</h2><table class="grid"><thead><tr><th>Rung</th><th>Size</th><th>File</th><th>Bit rate</th><th>PSNR</th><th>SSIM</th><th>Verified</th></tr></thead><tbody>\(rows.joined())</tbody></table>\(streamLink)</section>
        """
    }

    /// The HLS master playlist (and the DASH manifest, when written), linked relative to the
    /// page (all live in the silver folder).
    private var streamLink: String {
        guard let stream = silver.stream else { return "" }
        let e = DisplayText.html
        func relative(_ path: String) -> String {
            (((path as NSString).deletingLastPathComponent as NSString).lastPathComponent as NSString)
                .appendingPathComponent((path as NSString).lastPathComponent)
        }
        let master = relative(stream.masterPath)
        let dash = stream.dashManifestPath.map { " · DASH: <a href=\"\(e(relative($0)))\">\(e(relative($0)))</a>" } ?? ""
        let variants = stream.variants.map { "\($0.name) \($0.peakBitRate / 1000) kb/s peak" }.joined(separator: ", ")
        return "<p id=\"hls\">Adaptive stream (HLS, CMAF segments of \(String(format: "%g", stream.segmentSeconds)) s): "
            + "<a href=\"\(e(master))\">\(e(master))</a> (\(e(variants)))\(dash)</p>"
    }

    static func bytes(_ count: Int64) -> String {
        count >= 1 << 20 ? String(format: "%.1f MiB", Double(count) / 1_048_576) : String(format: "%.1f KiB", Double(count) / 1024)
    }

    static func kbps(_ bitsPerSecond: Int64) -> String { String(format: "%.0f kbit/s", Double(bitsPerSecond) / 1000) }

    private static let style = """
    body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff;max-width:960px}
    h1{margin:0 0 4px;font-size:22px;word-break:break-all}h2{font-size:16px;margin:20px 0 6px;border-bottom:1px solid #ddd}
    .ids{color:#555;margin:0}.verdict{padding:1px 8px;border-radius:8px;color:#fff;font-weight:bold}
    .verdict.pass{background:#2a7}.verdict.warn{background:#d80}.verdict.fail{background:#c33}
    .top{display:flex;gap:24px;align-items:flex-start}.top section{flex:1}
    .poster{max-width:420px;width:100%;border:1px solid #ccc}.contact-sheet{max-width:100%;border:1px solid #ccc}
    .caption,.note{color:#666;font-size:12px;margin:2px 0}
    table.facts th{text-align:left;padding-right:12px;font-weight:600;vertical-align:top;white-space:nowrap}
    table.facts td{word-break:break-all}
    table.grid{border-collapse:collapse}table.grid th,table.grid td{border:1px solid #ddd;padding:3px 8px;text-align:right}
    li.finding.fail b{color:#c33}li.finding.warn b{color:#d80}li.finding.info b{color:#27a}
    svg{font:11px system-ui,sans-serif;display:block}
    .segment.black{fill:#222}.segment.frozen{fill:#37c}.segment.silence{fill:#a5c}
    .cut{stroke:#e80;stroke-width:2}.decode-error{stroke:#d22;stroke-width:2}
    .kbps.video{fill:#4a8}.kbps.audio{fill:none;stroke:#a5c;stroke-width:2}
    .task-bar.succeeded{fill:#4a8}.task-bar.failed{fill:#c33}.task-bar.retrying{fill:#d80}.task-bar.skipped,.task-bar.cancelled{fill:#aaa}
    .lane{fill:#f4f4f4}.integrated{fill:#a5c}.target{stroke:#222;stroke-width:2}.axis{stroke:#999}.grid-line{stroke:#eee}.label{fill:#333}.muted{fill:#777}.on-bar{fill:#fff}
    """
}
