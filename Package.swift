// swift-tools-version:6.2
import PackageDescription

// Lockstep: a local, S3-compatible object store. Module map in docs/architecture.md.
let v5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

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
    ],
    targets: [
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "LockstepCrypto", dependencies: ["CLibCrypto"], swiftSettings: v5),
        .target(name: "LockstepXML", dependencies: ["CLibXML2"], swiftSettings: v5),
        .target(name: "SigV4", dependencies: [
            "LockstepCrypto",
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: v5),
        .target(name: "Store", dependencies: [
            "LockstepCrypto",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: v5),
        .target(name: "KeyService", dependencies: ["LockstepCrypto"], swiftSettings: v5),
        .target(name: "S3API", dependencies: [
            "KeyService",
            "LockstepCrypto", "LockstepXML", "SigV4", "Store",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: v5),
        .target(name: "LockstepServer", dependencies: [
            "S3API", "Store", "KeyService",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: v5),
        .executableTarget(name: "lockstep", dependencies: [
            "LockstepServer", "KeyService",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: v5),
        .testTarget(name: "LockstepCryptoTests", dependencies: ["LockstepCrypto"], swiftSettings: v5),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4", "LockstepCrypto"], swiftSettings: v5),
        .testTarget(name: "StoreTests", dependencies: ["Store"], swiftSettings: v5),
        .testTarget(name: "KeyServiceTests", dependencies: ["KeyService", "LockstepCrypto"], swiftSettings: v5),
        .testTarget(name: "S3APITests", dependencies: ["S3API", "Store", "KeyService", "SigV4", "LockstepXML", "LockstepCrypto",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ], swiftSettings: v5),
    ]
)
