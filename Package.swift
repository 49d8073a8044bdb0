// swift-tools-version: 6.1
import PackageDescription

// The module graph follows a request to its record:
// C* → Execution → Media / Scheduler / Catalog / Notifications / Kafka / Webhooks → Ingest → Daemon → VidpipeConfiguration → vidpipe;
// Observability (the HTTP endpoint) stands apart: only vidpipe uses it.
let package = Package(
    name: "vidpipe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vidpipe", targets: ["vidpipe"]),
        // For the libFuzzer package in fuzz/, which reaches these modules as a path dependency.
        .library(name: "Ingest", targets: ["Ingest"]),
        .library(name: "Media", targets: ["Media"]),
        .library(name: "VidpipeConfiguration", targets: ["VidpipeConfiguration"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/vapor/sqlite-nio", from: "1.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
        // glibc's allocator controls; part of libc, nothing to link.
        .systemLibrary(name: "CMalloc"),

        // How work runs: the thread for blocking C calls, backoff, retryable errors.
        .target(name: "Execution"),

        // Leaf modules, one per concern.
        .target(name: "Media", dependencies: ["CFFmpeg", "Execution"]),
        .target(name: "Scheduler", dependencies: ["Execution"]),
        .target(name: "Catalog", dependencies: ["Execution"]),
        .target(
            name: "CatalogSQLite",
            dependencies: ["Catalog", .product(name: "SQLiteNIO", package: "sqlite-nio")]
        ),
        .target(
            name: "CatalogPostgres",
            dependencies: ["Catalog", "Execution", .product(name: "PostgresNIO", package: "postgres-nio")]
        ),
        .target(name: "Notifications", dependencies: ["CCurl", "Execution"]),
        .target(name: "Kafka", dependencies: ["CRdKafka", "Execution"]),
        // Signed webhooks: the signature, the HTTP POST (libcurl) and the sender of the outbox.
        .target(
            name: "Webhooks",
            dependencies: ["CCurl", "Execution", "Catalog", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics")]
        ),
        .target(
            name: "ObjectStorage",
            dependencies: ["CCurl", "Execution", .product(name: "Crypto", package: "swift-crypto")]
        ),

        // The job: bronze, silver and gold stages composed into one DAG, and its runner.
        .target(
            name: "Ingest",
            dependencies: [
                "Execution", "Media", "Scheduler", "Catalog", "Notifications", "ObjectStorage", "Webhooks",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The long-running services around jobs: Kafka and inbox intake, notifier, watcher.
        .target(
            name: "Daemon",
            dependencies: [
                "Execution", "Ingest", "Kafka", "Catalog", "Notifications", "ObjectStorage", "Webhooks",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The daemon's HTTP endpoint: Prometheus text of what the libraries recorded through
        // swift-metrics, liveness and readiness.
        .target(
            name: "Observability",
            dependencies: [
                "Execution",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Variables, `.env` and config files parsed into typed settings; the environment
        // itself is handed in by the executable, which alone reads it.
        .target(name: "VidpipeConfiguration", dependencies: ["Daemon", "Execution", "Ingest", "Kafka", "Media", "Notifications", "ObjectStorage", "Webhooks"]),
        .executableTarget(
            name: "vidpipe",
            dependencies: [
                "VidpipeConfiguration", "Observability",
                "Execution", "Ingest", "Daemon", "Kafka", "Media", "Catalog", "CatalogSQLite", "CatalogPostgres",
                "Notifications", "ObjectStorage", "Scheduler", "Webhooks", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "vidpipe-bench",
            dependencies: [
                "Execution", "Media", "ObjectStorage", "Scheduler", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/VidpipeBench"
        ),

        // Shared test kit: servers, oracles and fixtures, one concern per file.
        .target(
            name: "VidpipeTestSupport",
            dependencies: ["Catalog", "CatalogPostgres", .product(name: "Logging", package: "swift-log")],
            path: "Tests/VidpipeTestSupport"
        ),
        .testTarget(name: "ExecutionTests", dependencies: ["Execution", "CMalloc"]),
        .testTarget(name: "MediaTests", dependencies: ["Media", "Execution", "VidpipeTestSupport"]),
        .testTarget(name: "SchedulerTests", dependencies: ["Scheduler", "Execution"]),
        .testTarget(
            name: "CatalogTests",
            dependencies: ["Catalog", "CatalogSQLite", "CatalogPostgres", "VidpipeTestSupport"]
        ),
        .testTarget(name: "CatalogSQLiteTests", dependencies: ["CatalogSQLite", "Catalog", "VidpipeTestSupport"]),
        .testTarget(name: "CatalogPostgresTests", dependencies: ["CatalogPostgres", "Catalog", "VidpipeTestSupport"]),
        .testTarget(name: "NotificationsTests", dependencies: ["Notifications", "VidpipeTestSupport"]),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "VidpipeTestSupport"]),
        .testTarget(name: "WebhooksTests", dependencies: ["Webhooks", "Catalog", "Execution", "VidpipeTestSupport"]),
        .testTarget(name: "ObjectStorageTests", dependencies: ["Execution", "ObjectStorage", "VidpipeTestSupport"]),
        .testTarget(
            name: "VidpipeTests",
            dependencies: [
                "Ingest", "Daemon", "vidpipe", "VidpipeConfiguration", "Observability", "Catalog", "CatalogSQLite", "Media", "Kafka", "Notifications", "Scheduler",
                "ObjectStorage", "Webhooks",
                "VidpipeTestSupport",
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
