import Foundation
import FrontDoors
import HTTPTypes
import Hummingbird
import KeyService
import LockstepCrypto
import LockstepServer
import LockstepTestSupport
import Logging
import NIOCore
import SigV4
import ServiceLifecycle
import Store

/// A whole Lockstep server (every front door, the admin middleware, the HTTP wiring) over a fresh store, for
/// HummingbirdTesting's `.router` (in process) and `.live` (a real socket) modes.
final class ServerFixture: @unchecked Sendable {
    // Unchecked: every member is a constant of a Sendable type.
    let directory: String
    /// Real time as far as signatures go: requests are signed at it and the server checks them against it.
    let clock = ManualClock()
    /// The store clock, moved by the admin API; separate, so a test can show that moving it never breaks signing.
    let storeClock = ManualClock()
    let store: ObjectStore
    let tables: TableStore
    let keyring: Keyring
    let lifecycle: LifecycleRunner
    let protocols: ProtocolRouter
    let signer = RequestSigner()

    /// `users`: a users file's users beside the test root.
    init(users: [UsersFile.User] = []) throws {
        directory = NSTemporaryDirectory() + "lockstep-servertests-" + UUID().uuidString
        store = try ObjectStore(dataDirectory: directory, clock: storeClock)
        tables = try TableStore(dataDirectory: directory)
        let storeClock = self.storeClock
        keyring = try Keyring(dataDirectory: directory, rootKey: RootKey(bytes: secureRandomBytes(32), source: .environment),
                              now: { storeClock.nowMillis() })
        lifecycle = LifecycleRunner(store: store, schedule: LifecycleSchedule())
        var configuration = ServerConfiguration(accessKey: testAccessKey, secretKey: testSecretKey)
        configuration.users = users
        protocols = LockstepServer.frontDoors(configuration,
                                              store: store, tables: tables, clock: storeClock, keyring: keyring, lifecycle: lifecycle,
                                              signingClock: clock, logger: Logger(label: "server-tests"))
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func application(idleTimeoutSeconds: Int = 30, maxConnections: Int = 64) -> some ApplicationProtocol {
        LockstepServer.application(protocols: protocols, address: "127.0.0.1", port: 0, idleTimeoutSeconds: idleTimeoutSeconds,
                                   maxConnections: maxConnections, logger: Logger(label: "server-tests"))
    }

    /// Runs the real server (not HummingbirdTesting's, which drops the connection cap) on a free port for `body`.
    func withLiveServer<T: Sendable>(idleTimeoutSeconds: Int = 30, maxConnections: Int = 64,
                                     _ body: @Sendable (Int) async throws -> T) async throws -> T {
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = LockstepServer.application(protocols: protocols, address: "127.0.0.1", port: 0, idleTimeoutSeconds: idleTimeoutSeconds,
                                             maxConnections: maxConnections, logger: Logger(label: "server-tests")) { channel in
            portSink.yield(channel.localAddress?.port ?? 0)
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "server-tests")))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            defer { Task { await group.triggerGracefulShutdown() } }
            let result = try await body(port)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }

    /// Signed headers for a request the test client sends with `Host: <host>` (its authority; not repeated in the fields).
    func signedHeaders(_ method: HTTPRequest.Method, _ path: String, query: String = "", headers: [(String, String)] = [],
                       body: [UInt8] = [], payload: PayloadStyle = .sha256, auth: AuthStyle = .signed, host: String = "localhost",
                       signingService: String = "s3") -> HTTPFields {
        let (signable, _) = signer.sign(method, path, query: query, headers: headers, body: body, payload: payload, auth: auth,
                                        date: clock.date, host: host, signingService: signingService)
        var fields = HTTPFields()
        for (name, value) in signable.headers where name.lowercased() != "host" {
            fields.append(HTTPField(name: HTTPField.Name(name)!, value: value))
        }
        return fields
    }

    /// The raw bytes of a signed HTTP/1.1 request (head only; the body is the caller's to send).
    func rawHead(_ method: HTTPRequest.Method, _ path: String, query: String = "", headers: [(String, String)] = [],
                 body: [UInt8] = [], payload: PayloadStyle = .sha256, auth: AuthStyle = .signed, host: String) -> [UInt8] {
        let (signable, _) = signer.sign(method, path, query: query, headers: headers, body: body, payload: payload, auth: auth,
                                        date: clock.date, host: host)
        var text = "\(method.rawValue) \(signable.rawPath)\(signable.rawQuery.isEmpty ? "" : "?" + signable.rawQuery) HTTP/1.1\r\n"
        for (name, value) in signable.headers { text += "\(name): \(value)\r\n" }
        return Array((text + "\r\n").utf8)
    }
}
