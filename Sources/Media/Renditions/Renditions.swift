/// Renditions on their own: one decode pass that feeds only the ladder's encoders.
///
/// In a ``MediaPass`` the same encoders share the decode with QC and enrichment: add a
/// `RenditionLadderEncoder(ladder:directory:)` to the pass's consumers and read its
/// `results` after `run(consumers:)` returns.
public enum Renditions {
    /// Encodes `ladder` from the file at `path` into `directory` (one `<rung>.mp4` each),
    /// then probes and scores every output.
    ///
    /// Blocking C work on several threads: call it off the cooperative pool. Throws when
    /// the source cannot be opened or decoded at all; a rung that fails is reported in its
    /// result's `problems`, never thrown.
    public static func encode(path: String, ladder: RenditionLadder = .default, into directory: String) throws -> [RenditionResult] {
        let pass = try DecodePass(path: path)
        let encoder = RenditionLadderEncoder(ladder: ladder, directory: directory)
        _ = try pass.run(consumers: [encoder])
        return encoder.results
    }
}
