import CFFmpeg

/// In-process replacement for `ffprobe -show_format -show_streams`.
public enum MediaProbe {
    /// Probes a file in-process with libavformat/libavcodec.
    ///
    /// Blocking C work (file reads, a little demuxing): callers run it off the cooperative
    /// pool. Beyond what ffprobe reports, it rejects files ffprobe calls healthy but that
    /// cannot be processed: a front-`moov` MP4 cut short (`.truncated`) and a container
    /// with no streams (`.noStreams`).
    public static func probe(path: String) throws(MediaError) -> ProbeReport {
        let file: ReadOnlyFile
        do {
            file = try ReadOnlyFile(path: path)
        } catch {
            throw MediaError(
                code: .openFailed, path: path,
                message: "\(path): cannot open for reading: \(error.reason). Check that the file exists and is readable by this process.")
        }
        guard file.size > 0 else {
            throw MediaError(
                code: .emptyFile, path: path,
                message: "\(path): the file is empty (0 bytes): its writer or transfer failed. Fetch or render it again.")
        }

        let context: InputFormatContext
        do {
            context = try InputFormatContext(path: path)
        } catch {
            throw diagnoseOpenFailure(path: path, file: file, averror: error.averror)
        }
        do {
            try context.findStreamInfo()
        } catch {
            throw MediaError(
                code: .streamInfoFailed, path: path,
                message: "\(path): the container opened but its stream parameters could not be read (\(error.reason)). The file is probably corrupt; re-fetch or re-mux it.",
                averror: error.averror)
        }

        let container = containerInfo(context, fileSize: file.size)
        // The tty demuxer happily opens any text as "ANSI art"; that is never wanted here.
        if container.formatName == "tty", let preview = OpenFailureDiagnosis.textPreview(of: file) {
            throw textFileError(path: path, preview: preview)
        }
        let streams = context.streams
        guard !streams.isEmpty else {
            throw MediaError(
                code: .noStreams, path: path,
                message: "\(path): the \(container.formatName) container is valid but holds no audio, video or subtitle streams. There is nothing to process; check the program that wrote it.")
        }
        try checkIndexWithinFile(streams, path: path, fileSize: file.size)
        return ProbeReport(container: container, streams: streams.map { streamInfo($0, in: context) })
    }

    // MARK: - Failures

    private static func diagnoseOpenFailure(path: String, file: ReadOnlyFile, averror: Int32) -> MediaError {
        let reason = AVErrorText.describe(averror)
        if let boxes = OpenFailureDiagnosis.topLevelBoxes(of: file), !boxes.hasMovieBox {
            var detail = "top-level boxes: \(boxes.types.joined(separator: ", "))"
            if boxes.bytesPastEnd > 0, let last = boxes.types.last {
                detail += "; '\(last)' runs \(boxes.bytesPastEnd) bytes past the end of the file"
            }
            return MediaError(
                code: .missingMovieIndex, path: path,
                message: "\(path): moov atom not found: the file is truncated or was not finalised by its writer (\(detail)). Re-transfer it, or have the writer finish it (e.g. stop a recorder cleanly); the samples cannot be located without the moov.",
                averror: averror)
        }
        if let preview = OpenFailureDiagnosis.textPreview(of: file) {
            return textFileError(path: path, preview: preview)
        }
        if averror == vp_AVERROR_INVALIDDATA() {
            return MediaError(
                code: .unrecognizedFormat, path: path,
                message: "\(path): not a recognised media container (\(file.size) bytes; FFmpeg: \(reason)). The file is corrupt or not audio/video at all; check the source it came from.",
                averror: averror)
        }
        if averror == vp_AVERROR(EIO) || averror == vp_AVERROR(EACCES) || averror == vp_AVERROR(ENOENT) {
            return MediaError(
                code: .openFailed, path: path,
                message: "\(path): libavformat could not read the file: \(reason). Check the storage and permissions, then retry.",
                averror: averror)
        }
        return MediaError(
            code: .invalidContainer, path: path,
            message: "\(path): the container header could not be read: \(reason). The file is damaged; re-fetch it or re-mux it with ffmpeg.",
            averror: averror)
    }

    private static func textFileError(path: String, preview: String) -> MediaError {
        MediaError(
            code: .textFile, path: path,
            message: "\(path): this is a text file, not media (it starts with \"\(preview)\"). It is probably an error page or log saved under a media name; fetch the real file.")
    }

    /// A file cut after a front `moov` still opens and probes cleanly: only the demuxer's
    /// sample index shows that samples lie past the end. Demuxers that build no index
    /// (e.g. MPEG-TS) cannot be checked this way.
    private static func checkIndexWithinFile(
        _ streams: [UnsafeMutablePointer<AVStream>], path: String, fileSize: Int64
    ) throws(MediaError) {
        var indexedEnd: Int64 = 0
        var entriesPastEnd = 0
        var entryCount = 0
        for stream in streams {
            let count = avformat_index_get_entries_count(stream)
            entryCount += Int(count)
            for i in 0..<count {
                guard let entry = avformat_index_get_entry(stream, i) else { continue }
                let end = entry.pointee.pos + Int64(entry.pointee.size)
                if end > fileSize { entriesPastEnd += 1 }
                indexedEnd = max(indexedEnd, end)
            }
        }
        guard indexedEnd > fileSize else { return }
        throw MediaError(
            code: .truncated, path: path,
            message: "\(path): truncated: the container index references bytes up to offset \(indexedEnd) but the file has \(fileSize) bytes (\(indexedEnd - fileSize) bytes missing; \(entriesPastEnd) of \(entryCount) indexed samples lie past the end). Re-transfer the file; the missing tail cannot be recovered from this copy.")
    }

    // MARK: - Report building

    private static func containerInfo(_ context: InputFormatContext, fileSize: Int64) -> ContainerInfo {
        let format = context.pointer.pointee
        return ContainerInfo(
            formatName: swiftString(format.iformat?.pointee.name) ?? "unknown",
            formatLongName: swiftString(format.iformat?.pointee.long_name) ?? "unknown",
            durationSeconds: seconds(format.duration, vp_AV_TIME_BASE_Q()),
            bitRate: format.bit_rate > 0 ? format.bit_rate : nil,
            sizeBytes: fileSize,
            startTimeSeconds: seconds(format.start_time, vp_AV_TIME_BASE_Q()),
            tags: swiftDictionary(format.metadata))
    }

    private static func streamInfo(_ stream: UnsafeMutablePointer<AVStream>, in context: InputFormatContext) -> StreamInfo {
        let st = stream.pointee
        guard let parameters = st.codecpar else {
            return StreamInfo(index: Int(st.index), kind: .unknown, codecName: "unknown", codecLongName: "unknown", timeBase: Rational(st.time_base))
        }
        let par = parameters.pointee
        let descriptor = avcodec_descriptor_get(par.codec_id)
        var info = StreamInfo(
            index: Int(st.index), kind: kind(par.codec_type),
            codecName: swiftString(descriptor?.pointee.name) ?? "unknown",
            codecLongName: swiftString(descriptor?.pointee.long_name) ?? "unknown",
            timeBase: Rational(st.time_base))
        info.profile = swiftString(avcodec_profile_name(par.codec_id, par.profile))
        info.level = par.level != FF_LEVEL_UNKNOWN ? Int(par.level) : nil
        info.bitRate = par.bit_rate > 0 ? par.bit_rate : nil
        info.bitsPerRawSample = par.bits_per_raw_sample > 0 ? Int(par.bits_per_raw_sample) : nil
        info.frameCount = st.nb_frames > 0 ? st.nb_frames : nil
        info.durationSeconds = seconds(st.duration, st.time_base)
        info.startTimeSeconds = seconds(st.start_time, st.time_base)
        info.isDefault = st.disposition & AV_DISPOSITION_DEFAULT != 0
        info.isAttachedPicture = st.disposition & AV_DISPOSITION_ATTACHED_PIC != 0
        info.tags = swiftDictionary(st.metadata)
        info.language = info.tags["language"]
        info.title = info.tags["title"]

        switch par.codec_type {
        case AVMEDIA_TYPE_VIDEO:
            describeVideo(stream, parameters: parameters, in: context, into: &info)
        case AVMEDIA_TYPE_AUDIO:
            describeAudio(parameters, into: &info)
        default:
            break
        }
        return info
    }

    private static func describeVideo(
        _ stream: UnsafeMutablePointer<AVStream>, parameters: UnsafeMutablePointer<AVCodecParameters>,
        in context: InputFormatContext, into info: inout StreamInfo
    ) {
        let st = stream.pointee
        let par = parameters.pointee
        info.width = par.width > 0 ? Int(par.width) : nil
        info.height = par.height > 0 ? Int(par.height) : nil

        // ffprobe's rule: the container's SAR wins over the codec's; no SAR means no DAR.
        let sar = av_guess_sample_aspect_ratio(context.pointer, stream, nil)
        if sar.num != 0 {
            info.sampleAspectRatio = Rational(sar)
            var darNum: Int32 = 0
            var darDen: Int32 = 0
            av_reduce(&darNum, &darDen, Int64(par.width) * Int64(sar.num), Int64(par.height) * Int64(sar.den), 1024 * 1024)
            info.displayAspectRatio = Rational(darNum, darDen)
        }

        let pixelFormat = AVPixelFormat(rawValue: par.format)
        info.pixelFormat = swiftString(av_get_pix_fmt_name(pixelFormat))
        if let descriptor = av_pix_fmt_desc_get(pixelFormat) {
            info.bitDepth = Int(descriptor.pointee.comp.0.depth)
        }
        info.averageFrameRate = st.avg_frame_rate.den != 0 ? Rational(st.avg_frame_rate) : nil
        info.realFrameRate = st.r_frame_rate.den != 0 ? Rational(st.r_frame_rate) : nil
        info.fieldOrder = fieldOrderName(par.field_order)
        info.rotationDegrees = displayMatrixRotation(stream)

        if par.color_range != AVCOL_RANGE_UNSPECIFIED { info.colorRange = swiftString(av_color_range_name(par.color_range)) }
        if par.color_space != AVCOL_SPC_UNSPECIFIED { info.colorSpace = swiftString(av_color_space_name(par.color_space)) }
        if par.color_trc != AVCOL_TRC_UNSPECIFIED { info.colorTransfer = swiftString(av_color_transfer_name(par.color_trc)) }
        if par.color_primaries != AVCOL_PRI_UNSPECIFIED {
            info.colorPrimaries = swiftString(av_color_primaries_name(par.color_primaries))
        }
    }

    private static func describeAudio(_ parameters: UnsafeMutablePointer<AVCodecParameters>, into info: inout StreamInfo) {
        let par = parameters.pointee
        info.sampleRate = par.sample_rate > 0 ? Int(par.sample_rate) : nil
        info.channels = par.ch_layout.nb_channels > 0 ? Int(par.ch_layout.nb_channels) : nil
        info.sampleFormat = swiftString(av_get_sample_fmt_name(AVSampleFormat(rawValue: par.format)))
        guard par.ch_layout.order != AV_CHANNEL_ORDER_UNSPEC,
              let layout = parameters.pointer(to: \.ch_layout)
        else { return }
        info.channelLayout = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 128) { buffer in
            guard let base = buffer.baseAddress, av_channel_layout_describe(layout, base, buffer.count) > 0 else {
                return nil
            }
            return String(cString: base)
        }
    }

    /// `av_display_rotation_get` on the stream's display matrix, nil without one.
    private static func displayMatrixRotation(_ stream: UnsafeMutablePointer<AVStream>) -> Double? {
        var size = 0
        guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size),
              size >= 9 * MemoryLayout<Int32>.size
        else { return nil }
        let matrix = UnsafeRawPointer(data).assumingMemoryBound(to: Int32.self)
        let degrees = av_display_rotation_get(matrix)
        return degrees.isNaN ? nil : degrees
    }

    private static func fieldOrderName(_ order: AVFieldOrder) -> String? {
        switch order {
        case AV_FIELD_PROGRESSIVE: "progressive"
        case AV_FIELD_TT: "tt"
        case AV_FIELD_BB: "bb"
        case AV_FIELD_TB: "tb"
        case AV_FIELD_BT: "bt"
        default: nil
        }
    }

    private static func kind(_ type: AVMediaType) -> StreamKind {
        switch type {
        case AVMEDIA_TYPE_VIDEO: .video
        case AVMEDIA_TYPE_AUDIO: .audio
        case AVMEDIA_TYPE_SUBTITLE: .subtitle
        case AVMEDIA_TYPE_DATA: .data
        case AVMEDIA_TYPE_ATTACHMENT: .attachment
        default: .unknown
        }
    }

    /// A timestamp in `timeBase` units as seconds; nil for AV_NOPTS_VALUE or a 0 denominator.
    private static func seconds(_ timestamp: Int64, _ timeBase: AVRational) -> Double? {
        guard timestamp != vp_AV_NOPTS_VALUE(), timeBase.den != 0 else { return nil }
        return Double(timestamp) * av_q2d(timeBase)
    }
}
