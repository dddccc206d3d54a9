// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .unsafeFlags(["-warnings-as-errors"]),
]

// The scoring engine hashes four tokens per vector step; 32-bit lane multiplies need SSE4.1, so on
// x86-64 it is compiled for x86-64-v2 (Intel since Nehalem, 2008; AMD since Bulldozer, 2011), and
// `steward` checks the processor at start-up (Runtime/CPUBaseline.swift). Set this to false for older
// processors: the same code is correct, only slower (the compiler does the lane multiplies one at a
// time), and the start-up check is compiled out with the flag.
#if arch(x86_64)
let buildForX8664V2 = true
#else
let buildForX8664V2 = false
#endif
let scoringSettings: [SwiftSetting] =
    strict + (buildForX8664V2 ? [.unsafeFlags(["-Xcc", "-march=x86-64-v2"])] : [])
// The redaction scanner classifies bytes with SSSE3 `pshufb` look-ups on the same baseline; the define
// selects that code (Detectors/ByteClass.swift), the SSE2 compares otherwise.
let redactionSettings: [SwiftSetting] = scoringSettings + (buildForX8664V2 ? [.define("STEWARD_X86_64_V2")] : [])
// The check itself is built without the flag, so it runs on any processor.
let runtimeSettings: [SwiftSetting] = strict + (buildForX8664V2 ? [.define("STEWARD_X86_64_V2")] : [])

// `steward --version` prints this and the commit the binary was built from.
let stewardVersion = "0.1.0"
// The Makefile and scripts/test.sh pass STEWARD_BUILD_COMMIT (SwiftPM re-reads the manifest when an
// environment value it uses changes, but not when only the git state does); a plain `swift build`
// falls back to the git state the manifest was last evaluated with.
let buildCommit =
    Context.environment["STEWARD_BUILD_COMMIT"]
    ?? Context.gitInformation.map { $0.currentCommit + ($0.hasUncommittedChanges ? "-dirty" : "") } ?? "unknown"

let package = Package(
    name: "steward",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "steward", targets: ["steward"]),
        .executable(name: "steward-bench", targets: ["steward-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // No default traits: they add swift-configuration and nothing this service uses.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    ],
    targets: [
        // librdkafka, from Debian's librdkafka-dev.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // The Kafka adapter: owns every librdkafka handle.
        .target(
            name: "Kafka",
            dependencies: ["CRdKafka", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // Test helpers that speak the Kafka protocol: librdkafka's mock cluster and a bootstrap relay.
        // Used by `steward broker`, `steward demo` and the tests; the production adapter never needs them.
        .target(
            name: "KafkaTesting",
            dependencies: ["Kafka", "CRdKafka", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strict
        ),
        // The version and the git commit, compiled in (a C target, since Swift defines carry no values).
        .target(
            name: "BuildInfo",
            cSettings: [
                .define("STEWARD_VERSION", to: "\"\(stewardVersion)\""),
                .define("STEWARD_GIT_COMMIT", to: "\"\(buildCommit)\""),
            ]
        ),
        // JSON values that keep member order and number lexemes, a strict parser and a compact writer.
        .target(name: "JSON", swiftSettings: strict),
        // Event time as RFC 3339 text: one parser and one formatter for every module.
        .target(name: "Timestamps", swiftSettings: strict),
        // Pure domain engines: no I/O, no clocks.
        .target(
            name: "Redaction",
            dependencies: [
                "JSON",
                .product(name: "Crypto", package: "swift-crypto"),
                // AES-GCM-SIV (deterministic, misuse-resistant encryption) lives in _CryptoExtras.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: redactionSettings
        ),
        .target(
            name: "Privacy",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .target(
            name: "Scoring",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Crypto", package: "swift-crypto"),
                "Yams",
            ],
            swiftSettings: scoringSettings
        ),
        .target(name: "Fairness", dependencies: ["Privacy", "Timestamps"], swiftSettings: strict),
        // The tamper-evident audit log: RFC 6962 Merkle trees and proofs, signed checkpoints, the entry
        // format and its verifier. Pure: no I/O, no clocks.
        .target(
            name: "Audit",
            dependencies: ["JSON", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The pure pipeline core: the topology value, the processor, the stage protocols, records,
        // CloudEvents, dead-letter reasons. No engines, no YAML.
        .target(name: "Pipeline", dependencies: ["JSON", "Timestamps", "Audit"], swiftSettings: strict),
        // Reads a topology from YAML (file:line:column errors); stages register their sections by name.
        .target(name: "TopologyYAML", dependencies: ["Pipeline", "Yams"], swiftSettings: strict),
        // The engines as pipeline stages: redaction and scoring per record, fairness with DP counts per
        // window; decodes their topology sections and builds a processor with them.
        .target(
            name: "EngineStages",
            dependencies: ["Pipeline", "TopologyYAML", "Yams", "Audit", "BuildInfo", "Redaction", "Privacy", "Scoring", "Fairness"],
            swiftSettings: strict
        ),
        // Runtimes (offline replay, Kafka) and the service that runs them.
        .target(
            name: "Runtime",
            dependencies: [
                "Pipeline", "Kafka", "Fairness",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: runtimeSettings
        ),
        // The operator's surface of `steward run`: metrics (swift-metrics, exposed by swift-prometheus),
        // fed once per batch from the Kafka runtime; an HTTP service (Hummingbird) with /health, /ready,
        // /metrics and the status page.
        .target(
            name: "Monitoring",
            dependencies: [
                "Runtime", "Pipeline", "Fairness", "Privacy", "EngineStages", "JSON", "Timestamps",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Realistic input records for the shipped topologies (`steward generate`, `steward demo`).
        .target(name: "Generator", dependencies: ["JSON", "Pipeline", "Timestamps"], swiftSettings: strict),
        // What the two executables share: loading topologies and files, printing summaries.
        .target(
            name: "CommandSupport",
            dependencies: [
                "Pipeline", "EngineStages", "Privacy", "BuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "steward",
            dependencies: [
                "CommandSupport", "Runtime", "Monitoring", "Pipeline", "TopologyYAML", "EngineStages", "Kafka",
                "KafkaTesting", "Audit", "Redaction", "Privacy", "Scoring", "Fairness", "Generator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // The benchmarks, apart from the product binary; `steward bench …` runs this executable.
        .executableTarget(
            name: "steward-bench",
            dependencies: [
                "CommandSupport", "Runtime", "Pipeline", "EngineStages", "Redaction", "Privacy", "Scoring", "Fairness",
                "Generator", "Kafka", "JSON", "Timestamps",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AuditTests", dependencies: ["Audit", "JSON", "Pipeline", "Runtime", "EngineStages"],
            exclude: ["Data"], swiftSettings: strict),
        .testTarget(name: "RedactionTests", dependencies: ["Redaction", "Yams"], swiftSettings: strict),
        .testTarget(
            name: "PrivacyTests", dependencies: ["Privacy", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        .testTarget(name: "ScoringTests", dependencies: ["Scoring"], swiftSettings: strict),
        .testTarget(name: "GeneratorTests", dependencies: ["Generator", "JSON", "Pipeline"], swiftSettings: strict),
        .testTarget(name: "FairnessTests", dependencies: ["Fairness", "Privacy", "EngineStages"], swiftSettings: strict),
        .testTarget(
            name: "PipelineTests",
            dependencies: ["Pipeline", "TopologyYAML", "EngineStages", "Runtime", "Scoring", "Privacy", "Fairness"],
            swiftSettings: strict),
        .testTarget(
            name: "MonitoringTests",
            dependencies: [
                "Monitoring", "Runtime", "Pipeline", "EngineStages", "Fairness", "Privacy", "JSON",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "IntegrationTests", dependencies: ["Pipeline", "EngineStages", "Runtime", "Kafka", "KafkaTesting"], swiftSettings: strict),
    ]
)
