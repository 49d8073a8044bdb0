// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "vidpipe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vidpipe", targets: ["vidpipe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // C libraries, each behind a shim header with prefixed static-inline wrappers.
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat libavcodec libavutil libswscale libswresample libavfilter",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev", "libswscale-dev", "libswresample-dev", "libavfilter-dev"])]
        ),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Swift modules, one per concern.
        .target(name: "Execution"),
        .target(name: "Media", dependencies: ["CFFmpeg", "Execution"]),
        .target(name: "Scheduler", dependencies: ["Execution"]),
        .target(name: "Catalog", dependencies: [.product(name: "SQLiteNIO", package: "sqlite-nio")]),
        .target(
            name: "CatalogPostgres",
            dependencies: ["Catalog", .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .target(name: "Notifications", dependencies: ["CCurl", "Execution"]),
        .target(name: "Kafka", dependencies: ["CRdKafka", "Execution"]),
        .target(
            name: "Pipeline",
            dependencies: [
                "Execution", "Media", "Scheduler", "Catalog", "Notifications", "Kafka",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "vidpipe",
            dependencies: [
                "Pipeline", "Kafka", "CatalogPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "vidpipe-bench",
            dependencies: ["Execution", "Media", "Scheduler", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "bench/VidpipeBench"
        ),

        .testTarget(name: "ExecutionTests", dependencies: ["Execution"]),
        .testTarget(name: "MediaTests", dependencies: ["Media", "Execution"]),
        .testTarget(name: "SchedulerTests", dependencies: ["Scheduler", "Execution"]),
        .testTarget(name: "CatalogTests", dependencies: ["Catalog"]),
        .testTarget(name: "CatalogPostgresTests", dependencies: ["CatalogPostgres", "Catalog"]),
        .testTarget(name: "NotificationsTests", dependencies: ["Notifications"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Catalog", "Media", "Kafka"]),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka"]),
    ],
    swiftLanguageModes: [.v6]
)
