import Catalog
import Foundation
import Media
import Notifications

/// Writes the mail a job sends: `ready`, `modified`, `deleted` and `missing_metadata`, the
/// original system's kinds, plus `rejected`, as plain text with an HTML alternative.
struct NotificationComposer {
    /// Header carrying the notification kind, so the catalog row and the mail agree.
    static let kindHeader = "X-Vidpipe-Kind"
    /// The line naming the report page, shown as a link in the HTML part.
    static let reportLabel = "Report"

    var configuration: IngestConfiguration

    func messages(for result: JobResult, ticket: JobTicket, probe: ProbeReport?, silver: SilverOutputs?,
                  missingSidecar: Bool) throws -> [EmailMessage] {
        let recipients = try recipients(for: ticket)
        guard !recipients.isEmpty else { return [] }
        let name = (ticket.request.path as NSString).lastPathComponent
        let title = ticket.request.title ?? name
        var messages: [EmailMessage] = []
        switch result.job.state {
        case .succeeded where ticket.request.fileEvent == .deleted:
            messages.append(try message(kind: .deleted, to: recipients, ticket: ticket,
                                        subject: "[vidpipe] Deleted: \(title)",
                                        lines: [("File", ticket.request.path), ("Job", result.job.id),
                                                ("Event", "the file was deleted at its source")]))
        case .succeeded:
            let modified = ticket.request.fileEvent == .modified
            messages.append(try message(kind: modified ? .modified : .ready, to: recipients, ticket: ticket,
                                        subject: "[vidpipe] \(modified ? "Modified" : "Ready"): \(title) (\(result.job.verdict ?? "pass"))",
                                        lines: summaryLines(result, probe: probe, silver: silver)))
        case .rejected, .failed:
            let heading = result.job.state == .rejected ? "Rejected" : "Failed"
            messages.append(try message(kind: .rejected, to: recipients, ticket: ticket,
                                        subject: "[vidpipe] \(heading): \(title)",
                                        lines: summaryLines(result, probe: probe, silver: silver)))
        case .duplicate:
            break
        }
        if missingSidecar {
            messages.append(try message(kind: .missingMetadata, to: recipients, ticket: ticket,
                                        subject: "[vidpipe] Missing metadata: \(title)",
                                        lines: [("File", ticket.request.path),
                                                ("Problem", "no metadata sidecar (\(Sidecar.candidates(for: ticket.request.path).map { ($0 as NSString).lastPathComponent }.joined(separator: " or "))) was found"),
                                                ("What to do", "send the metadata JSON next to the video; the video itself was processed")]))
        }
        return messages
    }

    private func recipients(for ticket: JobTicket) throws -> [EmailAddress] {
        var addresses: [String] = []
        if let own = ticket.request.email { addresses.append(own) }
        if let team = configuration.emailReceiver {
            addresses += team.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        var seen = Set<String>()
        return try addresses.filter { seen.insert($0.lowercased()).inserted }.map { try EmailAddress($0) }
    }

    private func summaryLines(_ result: JobResult, probe: ProbeReport?, silver: SilverOutputs?) -> [(String, String)] {
        let job = result.job
        var lines: [(String, String)] = [("File", job.sourcePath), ("Job", job.id), ("State", job.state.rawValue)]
        if let verdict = job.verdict { lines.append(("Verdict", verdict)) }
        if let video = result.video {
            lines.append(("Video", video.id))
            lines.append(("SHA-256", video.contentSHA256))
            lines.append(("Size", "\(video.sizeBytes) bytes"))
        }
        if let probe {
            lines.append(("Container", probe.container.formatName))
            if let duration = probe.container.durationSeconds { lines.append(("Duration", String(format: "%.3f s", duration))) }
            if let video = probe.primaryVideo {
                var description = "\(video.codecName) \(video.width ?? 0)x\(video.height ?? 0)"
                if let rate = video.averageFrameRate?.value { description += String(format: " @ %.3f fps", rate) }
                lines.append(("Video stream", description))
            }
            if let audio = probe.primaryAudio {
                lines.append(("Audio stream", "\(audio.codecName) \(audio.sampleRate ?? 0) Hz, \(audio.channels ?? 0) ch"))
            }
        }
        if let loudness = silver?.result.qc.loudness {
            lines.append(("Loudness", String(format: "%.1f LUFS, range %.1f LU", loudness.integrated, loudness.range)
                          + (loudness.peak.map { String(format: ", peak %.1f dB%@", $0, loudness.peakIsTruePeak ? "TP" : "FS") } ?? "")))
        }
        if let cuts = silver?.result.enrichment?.sceneCuts { lines.append(("Scene cuts", "\(cuts.count)")) }
        if let code = job.errorCode { lines.append(("Error", code)) }
        if let message = job.errorMessage { lines.append(("Reason", message)) }
        for finding in result.findings {
            var text = finding.message
            if let start = finding.startSeconds {
                text = "[\(DisplayText.timecode(start))" + (finding.endSeconds.map { "–\(DisplayText.timecode($0))" } ?? "") + "] " + text
            }
            lines.append(("Finding (\(finding.severity))", text))
        }
        for rendition in result.renditions {
            var text = "\(rendition.width)x\(rendition.height), \(rendition.sizeBytes / 1024) KiB"
            if let psnr = rendition.psnr { text += String(format: ", PSNR %.1f dB", psnr) }
            if let ssim = rendition.ssim { text += String(format: ", SSIM %.3f", ssim) }
            if !rendition.verified { text += ", NOT VERIFIED" }
            lines.append(("Rendition \(rendition.name)", text))
        }
        if let thumbnails = silver?.result.thumbnails { lines.append(("Poster", thumbnails.posterPath)) }
        if let files = silver?.files { lines.append(("QC report", files.qcReport)) }
        if let page = silver?.reportPage { lines.append((Self.reportLabel, page)) }
        return lines
    }

    private func message(kind: NotificationKind, to recipients: [EmailAddress], ticket: JobTicket, subject: String,
                         lines: [(String, String)]) throws -> EmailMessage {
        let width = lines.map(\.0.count).max() ?? 0
        let text = lines.map { label, value in label.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value }
            .joined(separator: "\n") + "\n"
        let rows = lines.map { label, value in
            // The report page is a file in the lake: a link opens it where the lake is mounted,
            // or names its object when the lake is in object storage.
            let link = value.hasPrefix("s3://") ? value : URL(fileURLWithPath: value).absoluteString
            let cell = label == Self.reportLabel
                ? "<a href=\"\(DisplayText.html(link))\">\(DisplayText.html(value))</a>"
                : DisplayText.html(value)
            return "<tr><th align=\"left\">\(DisplayText.html(label))</th><td>\(cell)</td></tr>"
        }.joined()
        let html = "<!DOCTYPE html><html><body><h2>\(DisplayText.html(subject))</h2><table>\(rows)</table></body></html>"
        // Stable per request and kind, so a redelivered request cannot mail twice.
        let messageID = "<\(Self.idSafe(ticket.request.requestID)).\(kind.rawValue)@vidpipe>"
        return try EmailMessage(
            from: try EmailAddress(configuration.emailSender, displayName: "vidpipe"), to: recipients, subject: subject,
            date: Date(), messageID: messageID, textBody: text, htmlBody: html,
            headers: [EmailHeader(name: Self.kindHeader, value: kind.rawValue), EmailHeader(name: "X-Vidpipe-Job", value: ticket.id)])
    }

    private static func idSafe(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" })
    }
}
