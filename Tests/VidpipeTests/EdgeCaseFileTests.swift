import Foundation
import Ingest
import Testing
import VidpipeTestSupport

/// Every ``EdgeCaseFile`` in one `vidpipe process` call (one call keeps the suite fast):
/// each job gets the expected code and message, accepted files are recorded as the oracles
/// (ffprobe, sqlite3) see them, and what the lake held before is untouched.
@Suite struct EdgeCaseFileTests {
    /// The files, made once per lake (in input order) and run as one batch.
    struct Batch {
        let lake: TestLake
        let paths: [EdgeCaseFile: String]
        let status: Int32
        let report: ProcessReport
        let before: LakeSnapshot
        let after: LakeSnapshot

        init() throws {
            lake = try TestLake(environment: ["VIDPIPE_RENDITIONS": "240p:240:300:64"])
            // A video already in the lake, so "untouched" has something to keep.
            try Clip.good(lake.incoming + "/earlier.mp4", seconds: 2)
            #expect(try lake.process([lake.incoming + "/earlier.mp4"]).status == 0)
            before = try LakeSnapshot(lake)

            var paths: [EdgeCaseFile: String] = [:]
            for file in EdgeCaseFile.allCases { paths[file] = try file.make(in: lake.incoming) }
            self.paths = paths
            let arguments = EdgeCaseFile.allCases.map { $0 == .nonUTF8Name ? "@NON_UTF8@" : paths[$0]! }
            // The non-UTF-8 name goes in as raw bytes, the way a shell glob hands it over.
            let result = try CommandLineTool.run("bash", ["-c", #"""
                args=(); for a in "$@"; do [ "$a" = @NON_UTF8@ ] && a="$FOLDER/$(printf 'clip-\xff\xfe.mp4')"; args+=("$a"); done
                exec "$VIDPIPE" process --json "${args[@]}"
                """#, "bash"] + arguments,
                environment: lake.processEnvironment.merging(["FOLDER": lake.incoming, "VIDPIPE": try VidpipeBinary.path()]) { _, new in new },
                in: lake.scratch.url)
            status = result.status
            report = try JSONDecoder.snakeCase.decode(ProcessReport.self, from: result.stdout)
            after = try LakeSnapshot(lake)
        }

        func job(_ file: EdgeCaseFile) -> ProcessReport.Job? {
            report.jobs.indices.contains(file.index) ? report.jobs[file.index] : nil
        }

        func remove() {
            // Folders past PATH_MAX defeat FileManager; rm walks them one step at a time.
            _ = try? CommandLineTool.run("rm", ["-rf", lake.scratch.path])
        }
    }

    @Test func everyEdgeCaseGetsItsExpectedOutcomeInOneCall() throws {
        let batch = try Batch()
        defer { batch.remove() }
        let lake = batch.lake
        #expect(batch.status == 1)
        #expect(batch.report.jobs.count == EdgeCaseFile.allCases.count)

        for file in EdgeCaseFile.allCases {
            let job = try #require(batch.job(file), "\(file)")
            let row = try lake.query("SELECT state, error_code, source_path, video_id FROM jobs WHERE id = '\(job.jobId)'").first
            #expect(row?["source_path"]?.text == batch.paths[file], "\(file)")
            switch file.expectation {
            case let .rejected(code, message, recordsVideo):
                #expect(job.state == "rejected" && job.errorCode == code, "\(file): \(job.state) \(job.errorCode ?? "-") \(job.message ?? "")")
                #expect(job.message?.contains(message) == true, "\(file): \(job.message ?? "no message")")
                #expect(row?["state"]?.text == "rejected" && row?["error_code"]?.text == code, "\(file)")
                let videos = try job.videoId.map { try lake.query("SELECT id FROM videos WHERE id = '\($0)'") } ?? []
                #expect(videos.count == (recordsVideo ? 1 : 0), "\(file): recorded videos \(videos.count)")
            case let .accepted(finding):
                #expect(job.state == "succeeded" && job.recorded, "\(file): \(job.state) \(job.errorCode ?? "-") \(job.message ?? "")")
                #expect(row?["state"]?.text == "succeeded", "\(file)")
                if let finding {
                    let kinds = try lake.query("SELECT kind FROM qc_findings WHERE job_id = '\(job.jobId)'").compactMap { $0["kind"]?.text }
                    #expect(kinds.contains(finding), "\(file): \(kinds)")
                }
            }
            let finished = try lake.logEntries(job.logPath).filter { $0["event"]?.text == "job.finished" }
            #expect(finished.count == 1 && finished.first?["error_code"]?.text == job.errorCode, "\(file)")
        }

        // Nothing the lake held before changed; only the new jobs' rows and objects came.
        #expect(batch.after.keepsEverything(of: batch.before, except: ["jobs", "task_runs", "qc_findings", "notifications", "videos",
                                                                       "streams", "renditions", "scene_cuts", "fingerprints"]))
        #expect(try lake.query("SELECT id FROM jobs").count == 1 + EdgeCaseFile.allCases.count)
        #expect(try lake.query("SELECT id FROM videos").count == 1 + Self.recordedVideos)
        #expect(try lake.query("SELECT id FROM videos WHERE original_name = 'earlier.mp4'").count == 1)
        // A staged source per recorded video; of the refused files, only those that passed
        // the probe (silver found no audio or video in them) were staged, without a video row.
        let staged = batch.after.addedFiles(since: batch.before).filter { $0.hasPrefix("bronze/") && $0.contains("/source") }
        #expect(staged.count == Self.recordedVideos + 2, "\(staged)")
        try checkAcceptedContent(batch)
    }

    /// Accepted files whose content says what to expect: names kept exactly, streams
    /// counted, renditions converted to what the ladder promises (8-bit 4:2:0, ≤ 60 fps).
    private func checkAcceptedContent(_ batch: Batch) throws {
        let lake = batch.lake
        for file in [EdgeCaseFile.nameWithSpaces, .nameWithQuotes, .nameWithNewline] {
            let videoID = try #require(batch.job(file)?.videoId, "\(file)")
            let name = try lake.query("SELECT original_name FROM videos WHERE id = '\(videoID)'").first?["original_name"]?.text
            #expect(name == file.fileName)
        }
        let twenty = try #require(batch.job(.twentyAudioStreams)?.videoId)
        let kinds = try lake.query("SELECT kind FROM streams WHERE video_id = '\(twenty)'").compactMap { $0["kind"]?.text }
        let oracle = try CommandLineTool.ffprobe(batch.paths[.twentyAudioStreams]!)
        #expect(kinds.filter { $0 == "audio" }.count == 20 && oracle.streams?.filter { $0.codecType == "audio" }.count == 20)

        for file in [EdgeCaseFile.fps240, .hevc10Bit, .yuv444, .singleFrame] {
            let videoID = try #require(batch.job(file)?.videoId, "\(file)")
            let renditions = try lake.query("SELECT path FROM renditions WHERE video_id = '\(videoID)'").compactMap { $0["path"]?.text }
            let rendition = try #require(renditions.first, "\(file): no rendition")
            let video = try #require(try CommandLineTool.ffprobe(rendition).streams?.first { $0.codecType == "video" })
            #expect(video.codecName == "h264" && video.pixFmt == "yuv420p", "\(file): \(video.codecName ?? "-") \(video.pixFmt ?? "-")")
            if file == .fps240 { #expect(video.rFrameRate == "60/1", "\(video.rFrameRate ?? "-")") }
            if file == .singleFrame { #expect(video.nbFrames == "1", "\(video.nbFrames ?? "-")") }
        }
    }

    private static var recordedVideos: Int {
        EdgeCaseFile.allCases.filter {
            switch $0.expectation {
            case .accepted: true
            case let .rejected(_, _, recordsVideo): recordsVideo
            }
        }.count
    }
}

private extension EdgeCaseFile {
    var index: Int { Self.allCases.firstIndex(of: self)! }
}
