// swift-tools-version:6.2
import PackageDescription

// Lockstep: a local, S3-compatible object store. Module map in docs/architecture.md.
let package = Package(
    name: "lockstep",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lockstep", targets: ["lockstep"]),
        .library(name: "LockstepServer", targets: ["LockstepServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Foundations: system libraries, crypto, XML, SigV4.
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "LockstepCrypto", dependencies: ["CLibCrypto"]),
        .target(name: "LockstepXML", dependencies: ["CLibXML2"]),
        .target(name: "HTTPDates"),
        .target(name: "SigV4", dependencies: [
            "HTTPDates", "LockstepCrypto",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // State: objects and their bodies, and keys.
        .target(name: "Store", dependencies: [
            "LockstepCrypto",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "KeyService", dependencies: ["LockstepCrypto"]),
        // Front doors: what every protocol shares, then one module per protocol.
        .target(name: "FrontDoors", dependencies: [
            "LockstepCrypto", "HTTPDates", "SigV4",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .target(name: "AccessPolicy"),
        .target(name: "S3API", dependencies: [
            "AccessPolicy", "FrontDoors", "HTTPDates", "KeyService", "LockstepCrypto", "LockstepXML", "SigV4", "Store",
            .product(name: "MultipartKit", package: "multipart-kit"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "AWSJSON", dependencies: [
            "FrontDoors", "HTTPDates", "LockstepCrypto", "SigV4",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "KMSAPI", dependencies: [
            "AWSJSON", "KeyService", "LockstepCrypto",
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .target(name: "DynamoDBModel", dependencies: ["AWSJSON", "LockstepCrypto"]),
        .target(name: "DynamoDBAPI", dependencies: [
            "AWSJSON", "DynamoDBModel", "KeyService", "LockstepCrypto", "Store",
        ]),
        .target(name: "STSAPI", dependencies: [
            "FrontDoors", "HTTPDates", "KeyService", "LockstepCrypto", "LockstepXML", "SigV4",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "TerraformHTTPBackend", dependencies: [
            "FrontDoors", "HTTPDates", "LockstepCrypto", "S3API", "SigV4", "Store",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "AdminAPI", dependencies: [
            "FrontDoors", "HTTPDates", "S3API", "Store",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        // The console: pages over the store, the keyring and the request log, for a signed-in user.
        .target(name: "Console", dependencies: [
            "DynamoDBAPI", "AWSJSON", "FrontDoors", "HTTPDates", "KeyService", "LockstepCrypto", "S3API", "SigV4", "Store",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        // The server: Hummingbird wiring, protocol routing, lifecycle; and the executable.
        .target(name: "LockstepServer", dependencies: [
            "AdminAPI", "Console", "FrontDoors", "KMSAPI", "AWSJSON", "DynamoDBAPI", "S3API", "STSAPI", "TerraformHTTPBackend", "Store", "KeyService",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .executableTarget(name: "lockstep", dependencies: [
            "FrontDoors", "LockstepServer", "KeyService", "SigV4", "Store",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Load generator for docs/benchmarks.md: s3bench's scenarios against any S3 endpoint (Tests/bench/lockstep-bench.sh).
        .executableTarget(name: "lockstep-bench", dependencies: [
            "SigV4", "LockstepCrypto",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Fuzzing: the parsers of untrusted input under libFuzzer (Tests/Fuzz/run.sh); built normally, it replays the corpus.
        .executableTarget(name: "lockstep-fuzz", dependencies: [
            "AccessPolicy", "AWSJSON", "DynamoDBModel", "FrontDoors", "HTTPDates", "LockstepCrypto", "LockstepXML", "S3API", "SigV4",
            .product(name: "NIOCore", package: "swift-nio"),
        ], path: "Tests/Fuzz", exclude: ["corpus", "run.sh"]),

        // Tests. `LockstepTestSupport` signs requests the way clients do, for every front door's tests.
        .target(name: "LockstepTestSupport", dependencies: [
            "FrontDoors", "LockstepCrypto", "LockstepXML", "SigV4", "Store",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ], path: "Tests/Support"),
        .testTarget(name: "LockstepCryptoTests", dependencies: ["LockstepCrypto", "LockstepTestSupport"]),
        .testTarget(name: "AccessPolicyTests", dependencies: ["AccessPolicy"]),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "FrontDoors"]),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4", "LockstepCrypto", "LockstepTestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store"]),
        .testTarget(name: "KeyServiceTests", dependencies: ["KeyService", "LockstepCrypto"]),
        .testTarget(name: "S3APITests", dependencies: [
            "S3API", "AccessPolicy", "FrontDoors", "HTTPDates", "Store", "KeyService", "SigV4", "LockstepXML", "LockstepCrypto", "LockstepTestSupport",
            .product(name: "MultipartKit", package: "multipart-kit"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "KMSAPITests", dependencies: [
            "KMSAPI", "AWSJSON", "FrontDoors", "KeyService", "SigV4", "LockstepCrypto", "LockstepTestSupport",
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .testTarget(name: "DynamoDBModelTests", dependencies: ["DynamoDBModel", "AWSJSON", "LockstepTestSupport"]),
        .testTarget(name: "DynamoDBAPITests", dependencies: [
            "DynamoDBAPI", "DynamoDBModel", "AWSJSON", "FrontDoors", "KeyService", "LockstepCrypto", "LockstepTestSupport", "SigV4", "Store",
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .testTarget(name: "LockstepServerTests", dependencies: [
            "LockstepServer", "FrontDoors", "S3API", "KMSAPI", "AWSJSON", "Store", "KeyService", "LockstepCrypto", "LockstepXML",
            "LockstepTestSupport", "SigV4",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "LockstepCLITests", dependencies: [
            "lockstep",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
    ]
)
