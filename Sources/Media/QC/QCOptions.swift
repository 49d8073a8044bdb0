/// Thresholds of the quality checks. Where a check mirrors an ffmpeg filter, the default is
/// that filter's default, so a report reads the same as `ffmpeg -vf blackdetect,...`.
public struct QCOptions: Sendable, Equatable {
    /// Shortest black run reported, in seconds (blackdetect `black_min_duration`). Default 2.0.
    public var blackMinDuration = 2.0
    /// Share of a picture's pixels that must be black for the picture to count as black
    /// (blackdetect `picture_black_ratio_th`). Default 0.98.
    public var pictureBlackRatio = 0.98
    /// Luma at or below which a pixel is black, as a share of the legal range
    /// (blackdetect `pixel_black_th`). Default 0.10.
    public var pixelBlackThreshold = 0.10

    /// Mean frame difference below which two pictures are the same (freezedetect `noise`,
    /// linear; 0.001 is -60 dB). Default 0.001.
    public var freezeNoise = 0.001
    /// Shortest frozen run reported, in seconds (freezedetect `duration`). Default 2.0.
    public var freezeMinDuration = 2.0

    /// Amplitude below which a sample is silent (silencedetect `noise`, linear; 0.001 is
    /// -60 dB). Default 0.001.
    public var silenceNoise = 0.001
    /// Shortest silent run reported, in seconds (silencedetect `duration`). Default 2.0.
    public var silenceMinDuration = 2.0

    /// Measure the true (4× oversampled) peak as `ebur128=peak=true` does; false measures
    /// the sample peak (`peak=sample`), which is cheaper. Default true.
    public var measureTruePeak = true
    /// Integrated loudness the programme should have, in LUFS (EBU R128). Default -23.
    public var loudnessTarget = -23.0
    /// Allowed distance from `loudnessTarget`, in LU, before a finding is raised. Default 2.0.
    public var loudnessTolerance = 2.0
    /// Highest allowed peak, in dBTP (dBFS for the sample peak) (EBU R128). Default -1.0.
    public var maximumPeak = -1.0

    /// Largest allowed difference between where video and audio end, in seconds. Default 0.5.
    public var maximumAudioVideoMismatch = 0.5

    /// Two frame durations differing by at most this many seconds count as equal; absorbs
    /// millisecond time bases (Matroska) that alternate 33/34 ms at 30 fps. Default 0.001.
    public var frameDurationTolerance = 0.001
    /// Share of frame-duration changes (vfrdet's `VFR` ratio) above which the video is
    /// reported as variable frame rate. Default 0: any change.
    public var maximumVFRRatio = 0.0

    /// idet `intl_thres`: how much likelier interlaced must be than progressive. Default 1.04.
    public var interlaceThreshold = 1.04
    /// idet `prog_thres`: how much likelier progressive must be than interlaced. Default 1.5.
    public var progressiveThreshold = 1.5
    /// idet is the costliest check, so it runs on windows of consecutive frames:
    /// `interlaceSampleWindow` seconds at the start of every `interlaceSampleInterval`
    /// seconds. An interval of 0 runs it on every frame. Defaults 2.0 and 10.0 (a fifth of
    /// the frames; all of them for the first 2 s of any clip).
    public var interlaceSampleWindow = 2.0
    public var interlaceSampleInterval = 10.0
    /// The interlacing hint is raised when most frames are coded interlaced, or when this
    /// share of idet's classified frames (multi-frame detection, undetermined excluded)
    /// shows one and the same field order. Busy progressive pictures fool idet (testsrc2
    /// reads 60-85 % TFF), interlaced video reads near 100 %. Default 0.95.
    public var interlacedMinShare = 0.95

    public init() {}
}
