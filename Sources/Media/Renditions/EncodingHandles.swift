import CFFmpeg

/// Why one rendition could not be made; becomes a line of `RenditionResult.problems`.
struct RenditionFailure: Error {
    var message: String

    /// Throws when a libav call returned a negative status.
    static func check(_ status: Int32, _ what: @autoclosure () -> String) throws(RenditionFailure) {
        guard status < 0 else { return }
        throw RenditionFailure(message: "\(what()): \(AVErrorText.describe(status))")
    }
}

/// One reference to an `AVFrame`, freed in `deinit`.
///
/// `@unchecked Sendable`: a reference is handed from the decode thread to one encoder
/// thread through a `FrameQueue` and never touched by the sender afterwards, so exactly
/// one thread uses it at a time.
final class FrameReference: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVFrame>

    /// An empty frame; nil when out of memory.
    init?() {
        guard let frame = av_frame_alloc() else { return nil }
        pointer = frame
    }

    /// A new reference to the same buffers (no pixel copy); nil when out of memory.
    init?(cloning frame: UnsafeMutablePointer<AVFrame>) {
        guard let clone = av_frame_clone(frame) else { return nil }
        pointer = clone
    }

    deinit {
        var frame: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&frame)
    }
}

/// An `AVPacket` owned by one encoder thread, freed in `deinit`.
final class PacketBuffer {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() throws(RenditionFailure) {
        guard let packet = av_packet_alloc() else { throw RenditionFailure(message: "out of memory (packet)") }
        pointer = packet
    }

    deinit {
        var packet: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&packet)
    }
}

/// An encoder or decoder context, freed in `deinit`.
final class CodecContext {
    let pointer: UnsafeMutablePointer<AVCodecContext>

    init(codec: UnsafePointer<AVCodec>) throws(RenditionFailure) {
        guard let context = avcodec_alloc_context3(codec) else { throw RenditionFailure(message: "out of memory (codec context)") }
        pointer = context
    }

    /// Opens the codec with the fields set so far; `name` is for the error message.
    func open(_ codec: UnsafePointer<AVCodec>, name: String) throws(RenditionFailure) {
        try RenditionFailure.check(avcodec_open2(pointer, codec, nil), "cannot open \(name)")
    }

    deinit {
        var context: UnsafeMutablePointer<AVCodecContext>? = pointer
        avcodec_free_context(&context)
    }
}
