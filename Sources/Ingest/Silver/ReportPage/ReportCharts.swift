import Catalog
import Foundation
import Media

/// The report page's charts as inline SVG: no script and no library, so the page renders
/// the same in a mail client's preview, a browser, or a screenshot.
///
/// Every mark carries its value in `data-*` attributes, so a test can compare the drawing
/// with an oracle without reading pixels.
enum ReportCharts {
    private static let width = 900.0
    private static let plotLeft = 110.0
    private static let plotWidth = 770.0

    /// Black, frozen and silent segments, scene cuts and decode errors on one time axis.
    static func qcTimeline(qc: QCReport, decode: DecodeReport, cuts: [SceneCut], duration: Double) -> String {
        let rowHeight = 22.0
        let span = max(duration, 0.001)
        func x(_ seconds: Double) -> Double { plotLeft + min(max(seconds, 0), span) / span * plotWidth }
        var marks: [String] = []
        func segments(_ list: [QCSegment], kind: String, row: Int) {
            for segment in list {
                let left = x(segment.start)
                marks.append(#"<rect class="segment \#(kind)" data-start="\#(f3(segment.start))" data-end="\#(f3(segment.end))" "#
                             + #"x="\#(f1(left))" y="\#(f1(Double(row) * rowHeight + 4))" width="\#(f1(max(x(segment.end) - left, 1.5)))" "#
                             + #"height="\#(f1(rowHeight - 8))"><title>\#(kind) \#(DisplayText.timecode(segment.start))–\#(DisplayText.timecode(segment.end))</title></rect>"#)
            }
        }
        func ticks(_ seconds: [Double], kind: String, row: Int, label: (Double) -> String) {
            for second in seconds {
                marks.append(#"<line class="\#(kind)" data-seconds="\#(f3(second))" x1="\#(f1(x(second)))" x2="\#(f1(x(second)))" "#
                             + #"y1="\#(f1(Double(row) * rowHeight + 3))" y2="\#(f1(Double(row + 1) * rowHeight - 3))"><title>\#(label(second))</title></line>"#)
            }
        }
        segments(qc.black, kind: "black", row: 0)
        segments(qc.frozen, kind: "frozen", row: 1)
        segments(qc.silence, kind: "silence", row: 2)
        ticks(cuts.map(\.seconds), kind: "cut", row: 3) { "scene cut at \(DisplayText.timecode($0))" }
        // Errors without a time (container-level) are counted in the summary, not drawn.
        let errors = decode.issues.compactMap(\.seconds)
        ticks(errors, kind: "decode-error", row: 4) { "decode error at \(DisplayText.timecode($0))" }

        let rows = ["black", "frozen", "silent", "scene cuts", "decode errors"]
        let height = Double(rows.count) * rowHeight
        var svg = #"<svg class="timeline" width="\#(f1(width))" height="\#(f1(height + 24))" viewBox="0 0 \#(f1(width)) \#(f1(height + 24))">"#
        for (row, name) in rows.enumerated() {
            let top = Double(row) * rowHeight
            svg += #"<rect class="lane" x="\#(f1(plotLeft))" y="\#(f1(top + 2))" width="\#(f1(plotWidth))" height="\#(f1(rowHeight - 4))"/>"#
            svg += #"<text class="label" x="\#(f1(plotLeft - 8))" y="\#(f1(top + rowHeight / 2 + 4))" text-anchor="end">\#(name)</text>"#
        }
        svg += timeAxis(duration: span, y: height, x: x)
        return svg + marks.joined() + "</svg>"
    }

    /// Video bit rate per second as bars, audio as a line, on a shared kbit/s scale.
    static func bitrate(_ profile: BitrateProfile) -> String {
        let height = 160.0
        let seconds = max(profile.videoKbps.count, profile.audioKbps.count)
        guard seconds > 0 else { return "<p>No packets.</p>" }
        let top = max((profile.videoKbps + profile.audioKbps).max() ?? 0, 1) * 1.1
        let step = plotWidth / Double(seconds)
        func y(_ kbps: Double) -> Double { 8 + height - kbps / top * height }
        var svg = #"<svg class="bitrate" width="\#(f1(width))" height="\#(f1(height + 36))" viewBox="0 0 \#(f1(width)) \#(f1(height + 36))">"#
        for fraction in [0.0, 0.5, 1.0] {
            let value = top / 1.1 * fraction
            svg += #"<line class="grid-line" x1="\#(f1(plotLeft))" x2="\#(f1(plotLeft + plotWidth))" y1="\#(f1(y(value)))" y2="\#(f1(y(value)))"/>"#
            svg += #"<text class="muted" x="\#(f1(plotLeft - 8))" y="\#(f1(y(value) + 4))" text-anchor="end">\#(String(format: "%.0f kbit/s", value))</text>"#
        }
        for (second, kbps) in profile.videoKbps.enumerated() {
            svg += #"<rect class="kbps video" data-second="\#(second)" data-kbps="\#(f1(kbps))" x="\#(f1(plotLeft + Double(second) * step + 1))" "#
                + #"y="\#(f1(y(kbps)))" width="\#(f1(max(step - 2, 1)))" height="\#(f1(8 + height - y(kbps)))"><title>\#(second) s: \#(f1(kbps)) kbit/s video</title></rect>"#
        }
        if !profile.audioKbps.isEmpty {
            let points = profile.audioKbps.enumerated().map { "\(f1(plotLeft + (Double($0.offset) + 0.5) * step)),\(f1(y($0.element)))" }
            svg += #"<polyline class="kbps audio" data-count="\#(profile.audioKbps.count)" points="\#(points.joined(separator: " "))"/>"#
        }
        svg += #"<text class="muted" x="\#(f1(plotLeft))" y="\#(f1(height + 30))">seconds 0–\#(seconds); bars: video, line: audio</text>"#
        return svg + "</svg>"
    }

    /// Integrated loudness on a −40…0 LUFS scale, beside the EBU R128 target of −23.
    static func loudnessScale(_ integrated: Double) -> String {
        let scaleWidth = 400.0
        func x(_ lufs: Double) -> Double { 10 + (min(max(lufs, -40), 0) + 40) / 40 * scaleWidth }
        return #"<svg class="loudness-scale" width="\#(f1(scaleWidth + 60))" height="40" viewBox="0 0 \#(f1(scaleWidth + 60)) 40">"#
            + #"<rect class="lane" x="10" y="8" width="\#(f1(scaleWidth))" height="12"/>"#
            + #"<rect class="integrated" x="10" y="8" width="\#(f1(x(integrated) - 10))" height="12"/>"#
            + #"<line x1="\#(f1(x(-23)))" x2="\#(f1(x(-23)))" y1="4" y2="24" class="target"/>"#
            + #"<text class="muted" x="\#(f1(x(-23)))" y="36" text-anchor="middle">−23 LUFS target</text>"#
            + #"<text class="muted" x="10" y="36">−40</text><text class="muted" x="\#(f1(scaleWidth + 10))" y="36" text-anchor="end">0</text></svg>"#
    }

    /// One bar per finished task attempt, from the job's start.
    static func gantt(_ runs: [TaskRunRecord], origin: Date) -> String {
        let timed = runs.compactMap { run in run.startedAt.flatMap { start in run.finishedAt.map { (run, start, $0) } } }
        guard !timed.isEmpty else { return "<p>No task runs.</p>" }
        let start = min(origin, timed.map(\.1).min() ?? origin)
        let span = max((timed.map(\.2).max() ?? start).timeIntervalSince(start), 0.001)
        let rowHeight = 20.0
        func x(_ date: Date) -> Double { plotLeft + date.timeIntervalSince(start) / span * plotWidth }
        let height = Double(timed.count) * rowHeight
        var svg = #"<svg class="gantt" width="\#(f1(width))" height="\#(f1(height + 24))" viewBox="0 0 \#(f1(width)) \#(f1(height + 24))">"#
        for (row, (run, began, ended)) in timed.enumerated() {
            let top = Double(row) * rowHeight
            let name = run.attempt > 1 ? "\(run.task) #\(run.attempt)" : run.task
            let milliseconds = ended.timeIntervalSince(began) * 1000
            let left = x(began)
            svg += #"<text class="label" x="\#(f1(plotLeft - 8))" y="\#(f1(top + 14))" text-anchor="end">\#(DisplayText.html(name))</text>"#
            svg += #"<rect class="task-bar \#(run.state.rawValue)" data-task="\#(DisplayText.html(run.task))" data-milliseconds="\#(f1(milliseconds))" "#
                + #"x="\#(f1(left))" y="\#(f1(top + 3))" width="\#(f1(max(x(ended) - left, 1.5)))" height="\#(f1(rowHeight - 6))">"#
                + #"<title>\#(DisplayText.html(name)): \#(f1(milliseconds)) ms, \#(run.state.rawValue)</title></rect>"#
            // Right of the bar; at the edge, inside a long bar or left of a short one.
            let (labelClass, labelX, anchor) = x(ended) + 60 <= width ? ("muted", x(ended) + 4, "start")
                : x(ended) - left > 70 ? ("on-bar", x(ended) - 4, "end") : ("muted", left - 4, "end")
            svg += #"<text class="\#(labelClass)" x="\#(f1(labelX))" y="\#(f1(top + 14))" text-anchor="\#(anchor)">"#
                + #"\#(String(format: "%.0f ms", milliseconds))</text>"#
        }
        svg += timeAxis(duration: span, y: height) { plotLeft + $0 / span * plotWidth }
        return svg + "</svg>"
    }

    /// A baseline with round-second ticks (about ten), labelled in seconds.
    private static func timeAxis(duration: Double, y: Double, x: (Double) -> Double) -> String {
        let step = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600]
            .first { duration / $0 <= 10 } ?? 7200
        var svg = #"<line class="axis" x1="\#(f1(plotLeft))" x2="\#(f1(plotLeft + plotWidth))" y1="\#(f1(y + 2))" y2="\#(f1(y + 2))"/>"#
        var tick = 0.0
        while tick <= duration + step / 1000 {
            let position = x(tick)
            svg += #"<line class="axis" x1="\#(f1(position))" x2="\#(f1(position))" y1="\#(f1(y + 2))" y2="\#(f1(y + 6))"/>"#
            svg += #"<text class="muted" x="\#(f1(position))" y="\#(f1(y + 18))" text-anchor="middle">\#(axisLabel(tick, step: step))</text>"#
            tick += step
        }
        return svg
    }

    private static func axisLabel(_ seconds: Double, step: Double) -> String {
        step < 1 ? String(format: step < 0.1 ? "%.2f s" : "%.1f s", seconds) : String(format: "%.0f s", seconds)
    }

    private static func f1(_ value: Double) -> String { String(format: "%.1f", value) }
    private static func f3(_ value: Double) -> String { String(format: "%.3f", value) }
}
