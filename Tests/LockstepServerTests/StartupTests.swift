import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KeyService
@testable import LockstepServer
import NIOCore
import Testing

/// What `serve` tells a new user at start-up: the endpoint to use, the root key's fate, and why it cannot start.
@Suite struct StartupTests {
    @Test func wildcardAddressesAdvertiseLoopback() {
        #expect(Banner.endpoint(address: "0.0.0.0", port: 9000) == "http://127.0.0.1:9000")
        #expect(Banner.endpoint(address: "::", port: 9000) == "http://[::1]:9000")
        #expect(Banner.endpoint(address: "127.0.0.1", port: 9000) == "http://127.0.0.1:9000")
        #expect(Banner.endpoint(address: "::1", port: 80) == "http://[::1]:80")
        #expect(Banner.endpoint(address: "localhost", port: 80) == "http://localhost:80")
    }

    @Test func bannerSaysAWildcardListensOnAllInterfaces() throws {
        var configuration = ServerConfiguration(address: "0.0.0.0", port: 0)
        let text = Banner.text(configuration: configuration, port: 9123, dataDirectory: "/data", rootKey: .environment)
        let firstLine = try #require(text.split(separator: "\n").first)
        let ready = try #require(try JSONSerialization.jsonObject(with: Data(firstLine.utf8)) as? [String: Any])
        #expect(ready["endpoint"] as? String == "http://127.0.0.1:9123")
        #expect(text.contains("listening on all interfaces (0.0.0.0:9123)"))
        #expect(!text.contains("0.0.0.0:9123\"") && !text.contains("http://0.0.0.0"), "no client is told to connect to the wildcard")

        configuration.address = "::"
        #expect(Banner.text(configuration: configuration, port: 9123, dataDirectory: "/data", rootKey: .environment)
            .contains("listening on all interfaces ([::]:9123)"))
        configuration.address = "127.0.0.1"
        #expect(!Banner.text(configuration: configuration, port: 9123, dataDirectory: "/data", rootKey: .environment).contains("all interfaces"))
    }

    @Test func onlyAKeptRootKeyIsToBeKept() {
        let generated = RootKey.Source.generated("/data/root.key")
        #expect(Banner.rootKeyAdvice(generated, ephemeral: false).contains("keep it"))
        let ephemeral = Banner.rootKeyAdvice(generated, ephemeral: true)
        #expect(!ephemeral.contains("keep"))
        #expect(ephemeral.contains("for this run only") && ephemeral.contains("removed on exit"))
        #expect(Banner.rootKeyAdvice(.environment, ephemeral: true) == "")
        #expect(Banner.rootKeyAdvice(.existing("/data/root.key"), ephemeral: false) == "")
    }

    @Test func aBusyPortIsRefusedInOneLine() throws {
        let holder = try ListeningSocket()
        defer { withExtendedLifetime(holder) {} }
        do {
            try LockstepServer.checkCanListen(address: "127.0.0.1", port: holder.port)
            Issue.record("port \(holder.port) is held, yet the check passed")
        } catch let error as ServerStartError {
            #expect(error.description.hasPrefix("port \(holder.port) on 127.0.0.1 is in use"))
            #expect(!error.description.contains("\n"))
        }
        #expect(throws: Never.self) { try LockstepServer.checkCanListen(address: "127.0.0.1", port: 0) }
    }

    @Test func aFreePortPassesTheCheck() throws {
        let port = try ListeningSocket().port  // closed again at once, so free
        #expect(throws: Never.self) { try LockstepServer.checkCanListen(address: "127.0.0.1", port: port) }
    }

    @Test func aLaterBindFailureReadsTheSame() {
        let late = LockstepServer.startError(for: IOError(errnoCode: EADDRINUSE, reason: "bind(descriptor:ptr:bytes:)"),
                                             address: "127.0.0.1", port: 9000)
        #expect("\(late)".hasPrefix("port 9000 on 127.0.0.1 is in use"))
        let other = LockstepServer.startError(for: IOError(errnoCode: ECONNRESET, reason: "read"), address: "127.0.0.1", port: 9000)
        #expect(!(other is ServerStartError))
    }
}

/// A socket listening on a free loopback port until it goes away.
final class ListeningSocket {
    struct Failure: Error { let call: String; let code: Int32 }
    let descriptor: Int32
    let port: Int

    init() throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(call: "socket", code: errno) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let descriptor = self.descriptor
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && listen(descriptor, 1) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        guard bound else {
            let code = errno
            close(descriptor)
            throw Failure(call: "bind/listen", code: code)
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}
