import ArgumentParser
import Foundation
import Media

/// `vidpipe probe FILE`: the in-process libavformat probe, like ffprobe.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "probe", abstract: "Describe a media file's container and streams.")

    @Argument(help: "The media file.")
    var file: String

    @Flag(help: "Print the full probe as JSON.")
    var json = false

    func run() async throws {
        FFmpegLibraries.setLogLevel(.quiet)  // errors are reported below, once
        let report: ProbeReport
        do {
            report = try MediaProbe.probe(path: file)
        } catch {
            FileHandle.standardError.write(Data("vidpipe: \(error)\n".utf8))
            throw ExitStatus.someRejected
        }
        if json {
            print(String(decoding: try JSONEncoder.vidpipe.encode(report), as: UTF8.self))
            return
        }
        let container = report.container
        print("\(file): \(container.formatLongName) (\(container.formatName)), \(container.sizeBytes) bytes"
              + (container.durationSeconds.map { String(format: ", %.3f s", $0) } ?? "")
              + (container.bitRate.map { ", \($0 / 1000) kb/s" } ?? ""))
        let rows = report.streams.map { stream -> [String] in
            var detail: [String] = []
            if let width = stream.width, let height = stream.height { detail.append("\(width)x\(height)") }
            if let rate = stream.averageFrameRate, let value = rate.value { detail.append(String(format: "%.3f fps", value)) }
            if let format = stream.pixelFormat { detail.append(format) }
            if let rotation = stream.rotationDegrees, rotation != 0 { detail.append("rotated \(Int(rotation))°") }
            if let rate = stream.sampleRate { detail.append("\(rate) Hz") }
            if let layout = stream.channelLayout ?? stream.channels.map({ "\($0) ch" }) { detail.append(layout) }
            if let language = stream.language { detail.append(language) }
            return ["#\(stream.index)", stream.kind.rawValue, stream.codecName + (stream.profile.map { " (\($0))" } ?? ""),
                    detail.joined(separator: ", ")]
        }
        print(TextTable.render(header: ["STREAM", "KIND", "CODEC", "DETAIL"], rows: rows))
    }
}
