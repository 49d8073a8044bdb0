/// Thumbnails on their own: one decode pass feeding only the thumbnail renderer.
public enum Thumbnails {
    /// Decodes `path` once and writes poster.jpg, sprite.jpg and storyboard.vtt into
    /// `directory` (created if missing). Nil when the source has no video frames. Blocking C
    /// work: call it from a thread of its own, not the cooperative pool.
    public static func render(path: String, into directory: String,
                              options: ThumbnailOptions = ThumbnailOptions()) throws -> ThumbnailSet? {
        let pass = try DecodePass(path: path)
        let renderer = ThumbnailRenderer(directory: directory, options: options)
        _ = try pass.run(consumers: [renderer])
        return renderer.result
    }
}
