import AdminAPI
import AWSJSON
import Console
import DynamoDBAPI
import Foundation
import FrontDoors
import Hummingbird
import HummingbirdCore
import KeyService
import KMSAPI
import Logging
import NIOCore
import S3API
import ServiceLifecycle
import STSAPI
import Store
import TerraformHTTPBackend

public enum ServerStartError: Error, CustomStringConvertible {
    case unusableDataDirectory(String, String)
    case keys(String)
    case portInUse(address: String, port: Int)
    case cannotListen(address: String, port: Int, String)

    public var description: String {
        switch self {
        case .unusableDataDirectory(let path, let why): return "cannot use data directory \(path): \(why)"
        case .keys(let why): return why
        case .portInUse(let address, let port):
            return "port \(port) on \(address) is in use; stop what holds it or choose another with --port (0 picks a free one)"
        case .cannotListen(let address, let port, let why): return "cannot listen on \(address) port \(port): \(why)"
        }
    }
}

/// Runs Lockstep: opens the store, serves S3 on the configured address, stops cleanly on SIGTERM/SIGINT.
public struct LockstepServer {
    public var configuration: ServerConfiguration
    /// The last requests answered, newest last: what the console's live request page is given.
    public let recentRequests = RecentRequests()
    /// nil with `--no-metrics`.
    public let metrics: ServerMetrics?

    public init(configuration: ServerConfiguration) {
        self.configuration = configuration
        metrics = configuration.metricsEnabled ? ServerMetrics() : nil
    }

    public func run() async throws {
        let logger = configuration.logFormat.logger(level: configuration.logLevel)
        let startedMillis = WallClock().nowMillis()
        let openFileLimit = OpenFiles.raiseLimit()
        // Before the data dir is created: a busy port must not leave a new directory and root key behind.
        try Self.checkCanListen(address: configuration.address, port: configuration.port)
        let dataDirectory = configuration.ephemeral ? Self.makeEphemeralDirectory() : configuration.dataDirectory
        let store: ObjectStore
        let tables: TableStore
        let clock: OffsetClock
        let directoryLock: DataDirectoryLock
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            directoryLock = try DataDirectoryLock(dataDirectory: dataDirectory)
            clock = try OffsetClock(dataDirectory: dataDirectory)
            store = try ObjectStore(dataDirectory: dataDirectory, clock: clock, logger: logger)
            tables = try TableStore(dataDirectory: dataDirectory)
        } catch let error as DataDirectoryLock.Failure {
            throw ServerStartError.unusableDataDirectory(dataDirectory, error.description)
        } catch {
            throw ServerStartError.unusableDataDirectory(dataDirectory, Self.describe(error))
        }
        defer {
            withExtendedLifetime(directoryLock) {}
            if configuration.ephemeral { try? FileManager.default.removeItem(atPath: dataDirectory) }
        }
        let (rootKey, keyring) = try Self.openKeyring(configuration, dataDirectory: dataDirectory, clock: store.clock)
        let configuration = self.configuration
        let sweep = SweepTask()
        let metrics = self.metrics
        let lifecycle = LifecycleRunner(store: store, schedule: configuration.lifecycleSchedule) { metrics?.recordLifecyclePass($0) }
        let accessLog: AccessLog
        do {
            accessLog = AccessLog(spool: try AccessLogSpool(dataDirectory: dataDirectory, now: { store.clock.nowMillis() }, logger: logger),
                                  flushIntervalMillis: max(1, Int64((configuration.accessLogFlushSeconds * 1000).rounded())))
        } catch {
            throw ServerStartError.unusableDataDirectory(dataDirectory, Self.describe(error))
        }
        let protocols = Self.frontDoors(configuration, store: store, tables: tables, clock: clock, keyring: keyring, lifecycle: lifecycle,
                                        accessLog: accessLog, metrics: metrics, recentRequests: recentRequests,
                                        rootKeyOrigin: rootKey.source.origin, logger: logger)
        let s3 = protocols.s3 as? S3Service
        let maxConnections = configuration.maxConnections ?? OpenFiles.defaultMaxConnections(openFileLimit: openFileLimit)
        let app = Self.application(protocols: protocols, address: configuration.address, port: configuration.port,
                                   idleTimeoutSeconds: configuration.idleTimeoutSeconds, maxConnections: maxConnections,
                                   observer: RequestObserver(recent: recentRequests, metrics: metrics, logger: logger),
                                   services: [LifecycleWorker(runner: lifecycle, logger: logger),
                                              AccessLogWorker(accessLog: accessLog, flush: { _ = await s3?.flushAccessLogs() }, logger: logger)],
                                   logger: logger) { channel in
            let port = channel.localAddress?.port ?? configuration.port
            Banner.print(configuration: configuration, port: port, dataDirectory: dataDirectory, rootKey: rootKey.source)
            // Blobs left by a crash between install and commit; off the start-up path.
            sweep.start { _ = try? await store.sweepOrphanBlobs(startedMillis: startedMillis) }
        }
        // SIGTERM/SIGINT: stop accepting, let in-flight requests finish for a bounded time, then close the store.
        var groupConfiguration = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(Self.shutdownGraceSeconds)
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch {
            throw Self.startError(for: error, address: configuration.address, port: configuration.port)
        }
        await sweep.wait()
        await lifecycle.waitUntilIdle()
        // Every request has been answered: what they recorded is delivered now, or kept on disk for the next start.
        _ = await s3?.flushAccessLogs()
        try store.close()
        try tables.close()
    }

    /// The HTTP server: HTTP/1.1 with `100 Continue` on demand, answering through `LockstepResponder`; idle connections
    /// are closed, past `maxConnections` new ones wait in the backlog while the others are served, and memory freed by
    /// a burst goes back to the system once it is over.
    public static func application(protocols: ProtocolRouter, address: String, port: Int, idleTimeoutSeconds: Int = 30,
                                   maxConnections: Int, observer: RequestObserver? = nil, services: [any Service] = [], logger: Logger,
                                   onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }) -> some ApplicationProtocol {
        let trimmer = MemoryTrimmer()
        return Application(
            responder: LockstepResponder(protocols: protocols, trimmer: trimmer, observer: observer),
            server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()],
                                                idleTimeout: .seconds(Int64(idleTimeoutSeconds)))),
            configuration: ApplicationConfiguration(address: .hostname(address, port: port), serverName: nil,
                                                    availableConnectionsDelegate: MaximumAvailableConnections(maxConnections)),
            services: [trimmer] + services,
            onServerRunning: onServerRunning,
            logger: logger)
    }

    /// One front door per protocol, all authenticating through one `Authenticator`.
    /// Signatures are checked against real time (`signingClock`), never the store clock, so moving the store clock
    /// never breaks signing.
    public static func frontDoors(_ configuration: ServerConfiguration, store: ObjectStore, tables: TableStore, clock: any AdvanceableClock, keyring: Keyring,
                                  lifecycle: LifecycleRunner, accessLog: AccessLog? = nil, metrics: ServerMetrics? = nil,
                                  recentRequests: RecentRequests = RecentRequests(), rootKeyOrigin: String = "",
                                  signingClock: any StoreClock = WallClock(), logger: Logger) -> ProtocolRouter {
        let users = UserDirectory(rootAccessKey: configuration.accessKey, rootSecretKey: configuration.secretKey, users: configuration.users)
        let authenticator = Authenticator(users: users, allowAnyCredentials: configuration.allowAnyCredentials, nowMillis: { signingClock.nowMillis() })
        let s3Configuration = S3ServiceConfiguration(region: configuration.region, domain: configuration.domain,
                                                     lifecycleSchedule: lifecycle.schedule,
                                                     legacyBucketDefaults: configuration.legacyBucketDefaults)
        let s3 = S3Service(store: store, keyring: keyring, configuration: s3Configuration, authenticator: authenticator,
                           accessLog: accessLog, logger: logger)
        let kms = AWSJSONFrontDoor(service: KMSService(keyring: keyring, region: configuration.region), authenticator: authenticator, logger: logger)
        let dynamoDB = AWSJSONFrontDoor(service: DynamoDBService(store: tables, keyring: keyring, region: configuration.region,
                                                                 now: { clock.nowMillis() }),
                                        authenticator: authenticator, logger: logger)
        // Work a clock move made due is done now rather than at the worker's next wake.
        let clockMoved: @Sendable () -> Void = { Task { _ = try? await lifecycle.runPass() } }
        let admin = AdminFrontDoor(s3: s3, clock: clock, lifecycle: lifecycle, clockMoved: clockMoved)
        let console = ConsoleFrontDoor(s3: s3, clock: clock, schedule: lifecycle.schedule, dynamodb: dynamoDB.service,
                                       recentRequests: recentRequests, rootKeyOrigin: rootKeyOrigin, clockMoved: clockMoved)
        return ProtocolRouter(s3: s3, jsonServices: [kms.service.targetPrefix: kms, dynamoDB.service.targetPrefix: dynamoDB], admin: admin,
                              sts: STSFrontDoor(authenticator: authenticator, logger: logger),
                              httpBackend: HTTPBackendFrontDoor(s3: s3, authenticator: authenticator, logger: logger),
                              metrics: metrics.map { MetricsFrontDoor(metrics: $0, authenticator: authenticator, isPublic: configuration.metricsPublic,
                                                                      store: store, accessLog: accessLog?.spool) },
                              console: console)
    }

    /// Loads the root key and opens the keyring; a key that does not open the keyring stops the start, never replaces it.
    static func openKeyring(_ configuration: ServerConfiguration, dataDirectory: String, clock: any StoreClock) throws -> (RootKey, Keyring) {
        let rootKey: RootKey
        do {
            rootKey = try RootKey.load(environment: configuration.rootKeyBase64, file: configuration.rootKeyFile, dataDirectory: dataDirectory)
        } catch let error as RootKey.LoadError {
            throw ServerStartError.keys(error.description)
        }
        do {
            return (rootKey, try Keyring(dataDirectory: dataDirectory, rootKey: rootKey, now: { clock.nowMillis() }))
        } catch KeyringError.wrongRootKey {
            throw ServerStartError.keys("the keyring in \(dataDirectory) does not open with the root key \(rootKey.source.origin); "
                                        + "start with the root key it was created with (nothing was changed)")
        } catch {
            throw ServerStartError.keys("cannot open the keyring in \(dataDirectory): \(error)")
        }
    }

    /// The background orphan sweep, awaited before the store closes.
    final class SweepTask: @unchecked Sendable {
        // Unchecked: `start` runs once, from the server's start-up callback, before `wait` runs at shutdown.
        private var task: Task<Void, Never>?
        func start(_ work: @escaping @Sendable () async -> Void) { task = Task.detached(priority: .background, operation: work) }
        func wait() async { await task?.value }
    }

    /// Fails when `address:port` cannot be bound, by binding a socket as the server will (SO_REUSEADDR, as NIO sets it)
    /// and closing it. Port 0 always binds. Whatever this cannot decide is left to the server's own bind.
    static func checkCanListen(address: String, port: Int) throws {
        guard port != 0 else { return }
        // NIO's own resolution, so the check binds the address the server will.
        guard let socketAddress = try? SocketAddress.makeAddressResolvingHost(address, port: port) else { return }
        #if canImport(Glibc)
        let stream = Int32(SOCK_STREAM.rawValue)
        #else
        let stream = SOCK_STREAM
        #endif
        let descriptor = socket(socketAddress.protocolFamily, stream, 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var on: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        let bound = socketAddress.withSockAddr { bind(descriptor, $0, socklen_t($1)) }
        guard bound != 0 else { return }
        let code = errno
        if code == EADDRINUSE { throw ServerStartError.portInUse(address: address, port: port) }
        throw ServerStartError.cannotListen(address: address, port: port, String(cString: strerror(code)))
    }

    /// A bind that fails after `checkCanListen` passed (another process took the port in between) reads the same.
    static func startError(for error: any Error, address: String, port: Int) -> any Error {
        if let error = error as? IOError, error.errnoCode == EADDRINUSE { return ServerStartError.portInUse(address: address, port: port) }
        return error
    }

    /// How long in-flight requests may take to finish after SIGTERM/SIGINT.
    static let shutdownGraceSeconds: Int64 = 10

    /// A one-line reason: the POSIX error behind a Foundation error when there is one.
    static func describe(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = (ns.userInfo[NSUnderlyingErrorKey] as? any Error).map({ $0 as NSError }), underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return "\(error)"
    }

    static func makeEphemeralDirectory() -> String {
        let path = NSTemporaryDirectory() + "lockstep-" + UUID().uuidString.lowercased()
        return path
    }
}
