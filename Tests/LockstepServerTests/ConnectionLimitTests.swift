import Foundation
import HummingbirdTesting
import LockstepTestSupport
import Testing

/// Nobody can take the server away from everyone else by holding connections: an idle connection, or one that stops
/// half-way through its headers or body, is closed after the idle timeout, and past the connection cap new clients wait
/// their turn while the others are served.
@Suite("Connection limits")
struct ConnectionLimitTests {
    /// These tests wait for real idle timeouts. Under a sanitizer everything runs many times slower, so a run there sets
    /// `LOCKSTEP_TEST_TIME_SCALE` (e.g. 10) to stretch the timeouts and the client's patience alike.
    static let scale = max(1, Int(ProcessInfo.processInfo.environment["LOCKSTEP_TEST_TIME_SCALE"] ?? "") ?? 1)

    @Test func idleAndStalledConnectionsAreClosed() async throws {
        let fixture = try ServerFixture()
        // 3 s: long enough that a loaded machine sends the partial requests before the server may close them (at
        // 1 s a busy run of the whole suite saw a connection closed before its half body went out).
        try await fixture.application(idleTimeoutSeconds: 3 * Self.scale).test(.live) { client in
            #expect(try await fixture.send(client, .put, "/idle").status == .ok)
            let port = try #require(client.port)
            let idle = try RawConnection(port: port, timeoutSeconds: 10 * Self.scale)
            let halfHeaders = try RawConnection(port: port, timeoutSeconds: 10 * Self.scale)
            try await halfHeaders.send(Array("GET /_lockstep/health HTTP/1.1\r\nHost: local".utf8))
            // Declares 100 bytes, sends 50, then nothing.
            let halfBody = try RawConnection(port: port, timeoutSeconds: 10 * Self.scale)
            let head = fixture.rawHead(.put, "/idle/k", headers: [("Content-Length", "100")], body: [UInt8](repeating: 1, count: 100),
                                       auth: .signed, host: "localhost:\(port)")
            try await halfBody.send(head + [UInt8](repeating: 1, count: 50))
            for connection in [idle, halfHeaders, halfBody] {
                // A client-side timeout (10 s, scaled) would throw instead: the server closed it.
                #expect(try await connection.isClosedByServer(), "closed by the server, not by the client's timeout")
            }
            // Nothing was stored from the stalled upload.
            let check = try RawConnection(port: port)
            try await check.send(fixture.rawHead(.get, "/idle/k", host: "localhost:\(port)"))
            #expect(try await check.readResponse().status == 404)
        }
    }

    @Test func pastTheCapNewClientsWaitWhileOthersAreServed() async throws {
        let fixture = try ServerFixture()
        try await fixture.withLiveServer(idleTimeoutSeconds: 2 * Self.scale, maxConnections: 2) { port in
            let health = Array("GET /_lockstep/health HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
            // Two clients fill the cap.
            let busy = try RawConnection(port: port, timeoutSeconds: 10 * Self.scale)
            let idle = try RawConnection(port: port, timeoutSeconds: 10 * Self.scale)
            for connection in [busy, idle] {
                try await connection.send(health)
                #expect(try await connection.readResponse().status == 200)
            }
            // A third is accepted by the kernel but not served until a slot frees up…
            let waiting = try RawConnection(port: port, timeoutSeconds: 10 * Self.scale)
            try await waiting.send(health)
            // …while the connected clients go on being served, until the idle one is closed and frees its slot.
            for _ in 0..<5 {
                try await busy.send(health)
                #expect(try await busy.readResponse().status == 200)
                try await Task.sleep(for: .milliseconds(200 * Self.scale))
            }
            #expect(try await idle.isClosedByServer())
            #expect(try await waiting.readResponse().status == 200, "served once a slot was free")
        }
    }
}
