import CFFmpeg

/// Converts decoded audio of any layout, format and rate to the AAC encoder's input and
/// cuts it into encoder-sized frames: libswresample into an `AVAudioFifo`, because AAC
/// takes exactly `frame_size` samples per frame while decoders hand out any count.
///
/// Owned by one encoder thread; frees its C state in `deinit`.
final class AudioResampler {
    private var resampler: OpaquePointer?
    private let fifo: OpaquePointer
    private let scratch: FrameReference
    private let outputRate: Int32
    private let outputFormat: AVSampleFormat
    private var outputLayout = AVChannelLayout()

    /// Output follows `encoder`'s sample rate, format and channel layout; the input side
    /// is configured from the first frame.
    init(encoder: UnsafeMutablePointer<AVCodecContext>) throws(RenditionFailure) {
        outputRate = encoder.pointee.sample_rate
        outputFormat = encoder.pointee.sample_fmt
        try RenditionFailure.check(av_channel_layout_copy(&outputLayout, &encoder.pointee.ch_layout), "cannot copy the channel layout")
        guard let fifo = av_audio_fifo_alloc(outputFormat, outputLayout.nb_channels, max(encoder.pointee.frame_size, 1024)),
              let scratch = FrameReference()
        else { throw RenditionFailure(message: "out of memory (audio FIFO)") }
        self.fifo = fifo
        self.scratch = scratch
    }

    /// Samples waiting in the FIFO.
    var buffered: Int32 { av_audio_fifo_size(fifo) }

    /// Resamples one decoded frame into the FIFO; `nil` flushes the resampler's delay.
    func write(_ frame: UnsafeMutablePointer<AVFrame>?) throws(RenditionFailure) {
        if resampler == nil {
            guard let frame else { return }
            try configure(for: frame)
        }
        let inputSamples = frame?.pointee.nb_samples ?? 0
        let capacity = swr_get_out_samples(resampler, inputSamples)
        guard capacity > 0 else { return }
        try prepareScratch(samples: capacity)
        let converted: Int32 = scratch.pointer.pointee.extended_data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: Int(outputLayout.nb_channels)) { output in
            guard let frame else { return swr_convert(resampler, output, capacity, nil, 0) }
            return frame.pointee.extended_data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: Int(frame.pointee.ch_layout.nb_channels)) { input in
                swr_convert(resampler, output, capacity, input, inputSamples)
            }
        }
        try RenditionFailure.check(converted, "audio resampling failed")
        guard converted > 0 else { return }
        let written = scratch.pointer.pointee.extended_data.withMemoryRebound(to: UnsafeMutableRawPointer?.self, capacity: Int(outputLayout.nb_channels)) { data in
            av_audio_fifo_write(fifo, data, converted)
        }
        try RenditionFailure.check(written, "audio FIFO write failed")
    }

    /// Moves up to `samples` samples from the FIFO into a new encoder-ready frame.
    func read(samples: Int32) throws(RenditionFailure) -> FrameReference {
        guard let frame = FrameReference() else { throw RenditionFailure(message: "out of memory (frame)") }
        let count = min(samples, buffered)
        frame.pointer.pointee.nb_samples = count
        frame.pointer.pointee.format = outputFormat.rawValue
        frame.pointer.pointee.sample_rate = outputRate
        try RenditionFailure.check(av_channel_layout_copy(&frame.pointer.pointee.ch_layout, &outputLayout), "cannot copy the channel layout")
        try RenditionFailure.check(av_frame_get_buffer(frame.pointer, 0), "out of memory (audio frame)")
        let read = frame.pointer.pointee.extended_data.withMemoryRebound(to: UnsafeMutableRawPointer?.self, capacity: Int(outputLayout.nb_channels)) { data in
            av_audio_fifo_read(fifo, data, count)
        }
        try RenditionFailure.check(read, "audio FIFO read failed")
        return frame
    }

    /// Drops everything buffered.
    func discardBuffered() {
        av_audio_fifo_reset(fifo)
    }

    private func configure(for frame: UnsafeMutablePointer<AVFrame>) throws(RenditionFailure) {
        var inputLayout = AVChannelLayout()
        defer { av_channel_layout_uninit(&inputLayout) }
        // Streams without a declared layout (order UNSPEC) get the default for their count.
        if frame.pointee.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC {
            av_channel_layout_default(&inputLayout, frame.pointee.ch_layout.nb_channels)
        } else {
            try RenditionFailure.check(av_channel_layout_copy(&inputLayout, &frame.pointee.ch_layout), "cannot copy the channel layout")
        }
        try RenditionFailure.check(
            swr_alloc_set_opts2(&resampler, &outputLayout, outputFormat, outputRate,
                                &inputLayout, AVSampleFormat(rawValue: frame.pointee.format), frame.pointee.sample_rate, 0, nil),
            "cannot set up audio resampling")
        try RenditionFailure.check(swr_init(resampler), "cannot start audio resampling")
    }

    /// Makes the scratch frame hold at least `samples` samples.
    private func prepareScratch(samples: Int32) throws(RenditionFailure) {
        let frame = scratch.pointer
        if frame.pointee.nb_samples >= samples, frame.pointee.data.0 != nil { return }
        av_frame_unref(frame)
        frame.pointee.nb_samples = samples
        frame.pointee.format = outputFormat.rawValue
        frame.pointee.sample_rate = outputRate
        try RenditionFailure.check(av_channel_layout_copy(&frame.pointee.ch_layout, &outputLayout), "cannot copy the channel layout")
        try RenditionFailure.check(av_frame_get_buffer(frame, 0), "out of memory (audio scratch)")
    }

    deinit {
        swr_free(&resampler)
        av_audio_fifo_free(fifo)
        av_channel_layout_uninit(&outputLayout)
    }
}
