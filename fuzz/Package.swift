// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets, one executable per parser, built apart from the main package so its
// normal build and tests never see the sanitizer flags. Build and run them with
// `scripts/fuzz TARGET SECONDS` (README "Fuzzing"): it passes
// `-sanitize=fuzzer,address -parse-as-library` and builds into `.build-fuzz`.
let package = Package(
    name: "vidpipe-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "vidpipe", path: "..")],
    targets: [
        .executableTarget(name: "fuzz-request", dependencies: [.product(name: "Ingest", package: "vidpipe")]),
        .executableTarget(name: "fuzz-sidecar", dependencies: [.product(name: "Ingest", package: "vidpipe")]),
        .executableTarget(
            name: "fuzz-configuration",
            dependencies: [.product(name: "VidpipeConfiguration", package: "vidpipe"), .product(name: "Media", package: "vidpipe")]
        ),
        .executableTarget(name: "fuzz-media", dependencies: [.product(name: "Media", package: "vidpipe")]),
    ],
    swiftLanguageModes: [.v6]
)
