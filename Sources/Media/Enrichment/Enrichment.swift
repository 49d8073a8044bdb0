import Execution

/// The enrichment consumers for one decode pass, built together so the orchestrator can add
/// them to its pass and collect one report afterwards:
///
/// ```swift
/// let enrichment = EnrichmentConsumers(options: options)
/// let report = try pass.run(consumers: qc + enrichment.all + others)
/// let result = enrichment.report()   // after run returns
/// ```
final class EnrichmentConsumers {
    let sceneCuts: SceneCutDetector
    let packets: PacketStatistics
    let fingerprint: FingerprintSampler

    init(options: EnrichmentOptions = EnrichmentOptions()) {
        sceneCuts = SceneCutDetector(options: options)
        packets = PacketStatistics()
        fingerprint = FingerprintSampler()
    }

    var all: [any FrameConsumer] { [sceneCuts, packets, fingerprint] }

    /// The results; valid once the pass has called `finish()`.
    func report() -> EnrichmentReport {
        EnrichmentReport(sceneCuts: sceneCuts.cuts, gop: packets.gop, bitrate: packets.bitrate,
                         fingerprint: fingerprint.fingerprint)
    }
}

/// Enrichment on its own: one decode pass feeding only the enrichment consumers.
public enum Enrichment {
    /// Decodes `path` once and returns its scene cuts, GOP statistics, bit-rate profile and
    /// fingerprint. Blocking C work: call it from a thread of its own, not the cooperative pool.
    public static func analyze(path: String, options: EnrichmentOptions = EnrichmentOptions()) throws -> EnrichmentReport {
        let pass = try DecodePass(path: path)
        let consumers = EnrichmentConsumers(options: options)
        _ = try pass.run(consumers: consumers.all)
        return consumers.report()
    }

    /// A fingerprint-only pass on a ``DedicatedThread``, for `vidpipe similar FILE`; nil
    /// when the file has no video.
    public static func fingerprint(path: String) async throws(MediaError) -> VideoFingerprint? {
        try await DedicatedThread.run(name: "fingerprint") { () throws(MediaError) -> VideoFingerprint? in
            let sampler = FingerprintSampler()
            _ = try MediaPass.run(path: path, consumers: [sampler])
            return sampler.fingerprint
        }
    }
}
