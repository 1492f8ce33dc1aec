// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "harvest",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "harvest", targets: ["harvest"]),
        .executable(name: "harvest-bench", targets: ["harvest-bench"]),
        .library(name: "HarvestKit", targets: ["HarvestKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // 1.16 for `LogHandler.log(event:)` (the daemon's journald-friendly handler).
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The daemon's service group, signal handling and graceful shutdown (the project moved to swift-server).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        // C seams: libcurl (with fixed-signature wrappers for its variadic calls) and SQLite.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libpq, for the PostgreSQL store.
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // SHA-256 block compression with the x86 SHA instructions (portable fallback in HarvestCrypto).
        .target(name: "CSHA256"),
        // The one SHA-256 (one-shot and streaming), used by every module that hashes.
        .target(name: "HarvestCrypto", dependencies: ["CSHA256"], swiftSettings: strict),
        // Domain: values, policies, errors. No I/O.
        .target(name: "HarvestCore", dependencies: ["HarvestCrypto", "HarvestJSON"], swiftSettings: strict),
        // A fast byte-level JSON reader and writer.
        .target(name: "HarvestJSON", swiftSettings: strict),
        // OpenAI-compatible wire format: request bodies and lenient response decoding.
        .target(name: "OpenAIWire", dependencies: ["HarvestCore", "HarvestJSON"], swiftSettings: strict),
        // HTTP over the libcurl multi interface.
        .target(name: "CurlTransport", dependencies: ["HarvestCore", "CCurl"], swiftSettings: strict),
        // The store seam: value types and protocols both backends share (no I/O).
        .target(name: "HarvestStore", dependencies: ["HarvestCore"], swiftSettings: strict),
        // SQLite store: migrations, prompts, jobs, attempts, responses.
        .target(name: "SQLiteStore", dependencies: ["HarvestCore", "HarvestStore", "CSQLite"], swiftSettings: strict),
        // PostgreSQL store (preview): libpq connection layer, migrations, setup and the JobStore for many daemons.
        .target(name: "PostgresStore", dependencies: ["HarvestCore", "HarvestStore", "SQLiteStore", "CPostgres"], swiftSettings: strict),
        // `harvest db copy`: a whole harvest between SQLite and PostgreSQL, verified and resumable.
        .target(name: "StoreCopy", dependencies: ["HarvestCore", "HarvestCrypto", "SQLiteStore", "PostgresStore"], swiftSettings: strict),
        // Corpus export writers.
        .target(name: "HarvestExport", dependencies: ["HarvestCore", "HarvestCrypto", "HarvestJSON", "CZlib"], swiftSettings: strict),
        // Curation: normalization, exact and near-duplicate detection (MinHash-LSH), decontamination, filters.
        .target(name: "HarvestCurate", dependencies: ["HarvestCore", "HarvestCrypto", "HarvestJSON"], swiftSettings: strict),
        // Verified answers: final-answer extraction, math equivalence, choice/exact/regex/JSON verifiers.
        .target(name: "HarvestVerify", dependencies: ["HarvestCore", "HarvestJSON"], swiftSettings: strict),
        // The one loopback HTTP/1.1 server socket layer (thread per connection, head deadline), for the mock teacher
        // and the daemon's metrics endpoint.
        .target(name: "LoopbackHTTP", swiftSettings: strict),
        // Built-in OpenAI-compatible mock teacher (on LoopbackHTTP).
        .target(name: "MockTeacher", dependencies: ["HarvestCore", "HarvestCrypto", "HarvestJSON", "LoopbackHTTP"], swiftSettings: strict),
        // Engine: import, teacher client, sweep runner, export driver. The composition helpers live here.
        .target(
            name: "HarvestKit",
            dependencies: [
                "HarvestCore", "HarvestJSON", "OpenAIWire", "CurlTransport", "SQLiteStore", "PostgresStore", "HarvestExport", "HarvestCurate",
                "HarvestVerify", "HarvestStore", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The daemon: durable sweep queue, `harvest serve` services, metrics endpoint, systemd notifications.
        .target(
            name: "HarvestDaemon",
            dependencies: [
                "HarvestKit", "HarvestCore", "HarvestJSON", "CurlTransport", "SQLiteStore", "PostgresStore", "LoopbackHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "harvest",
            dependencies: [
                "HarvestKit", "HarvestDaemon", "HarvestCore", "HarvestCrypto", "HarvestJSON", "CurlTransport", "SQLiteStore", "PostgresStore", "HarvestExport", "MockTeacher",
                "HarvestCurate", "HarvestVerify", "StoreCopy", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "harvest-bench",
            dependencies: ["HarvestKit", "HarvestCore", "HarvestExport", "CurlTransport", "SQLiteStore", "PostgresStore", "MockTeacher", "OpenAIWire", "HarvestDaemon",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // Answers/s stored into PostgreSQL (docs/BENCHMARKS.md, *PostgreSQL store*).
        .executableTarget(name: "harvest-pg-bench", dependencies: ["PostgresStore", "HarvestCore"], swiftSettings: strict),

        // Loopback servers and HTTP clients shared by the test targets (not part of any product).
        .target(name: "HarvestTestSupport", dependencies: ["HarvestJSON"], path: "Tests/HarvestTestSupport"),
        .testTarget(name: "HarvestCryptoTests", dependencies: ["HarvestCrypto"]),
        .testTarget(name: "LoopbackHTTPTests", dependencies: ["LoopbackHTTP", "HarvestTestSupport"]),
        .testTarget(name: "HarvestCoreTests", dependencies: ["HarvestCore", "HarvestJSON"]),
        .testTarget(name: "HarvestJSONTests", dependencies: ["HarvestJSON"]),
        .testTarget(name: "OpenAIWireTests", dependencies: ["OpenAIWire"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CurlTransportTests", dependencies: ["CurlTransport", "HarvestTestSupport"]),
        .testTarget(name: "SQLiteStoreTests", dependencies: ["SQLiteStore"]),
        .testTarget(name: "HarvestExportTests", dependencies: ["HarvestExport", "HarvestCore", "HarvestCrypto", "HarvestJSON"]),
        .testTarget(name: "HarvestCurateTests", dependencies: ["HarvestCurate", "HarvestCore"]),
        .testTarget(name: "HarvestVerifyTests", dependencies: ["HarvestVerify"], resources: [.copy("Fixtures")]),
        .testTarget(name: "MockTeacherTests", dependencies: ["MockTeacher", "HarvestJSON", "HarvestTestSupport"]),
        .testTarget(name: "HarvestKitTests", dependencies: ["HarvestKit", "MockTeacher", "HarvestTestSupport"]),
        .testTarget(name: "HarvestDaemonTests", dependencies: ["HarvestDaemon", "HarvestKit", "HarvestTestSupport"]),
        // The JobStore conformance suite (SQLite and PostgreSQL) and the PostgreSQL store's own tests.
        .testTarget(name: "PostgresStoreTests", dependencies: ["PostgresStore", "SQLiteStore", "HarvestKit", "MockTeacher", "HarvestExport"]),
        // `harvest db copy` (SQLite ⇄ PostgreSQL round trips, resume, refusals).
        .testTarget(name: "StoreCopyTests", dependencies: ["StoreCopy", "SQLiteStore", "PostgresStore", "HarvestCore", "harvest", "MockTeacher"]),
        .testTarget(name: "HarvestCLITests", dependencies: ["harvest", "MockTeacher", "SQLiteStore", "PostgresStore", "HarvestTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
