import Foundation
import HTTPTypes
import HummingbirdTesting
import LockstepCrypto
import LockstepTestSupport
import Store
import Testing

/// The admin API under `/_lockstep/`: signed like S3, JSON answers, a store clock that moves only forward without
/// disturbing signatures, and lifecycle passes on demand.
@Suite("Admin API")
struct AdminAPITests {
    func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
    }

    @Test func onlySignedRequestsReachTheClock() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let anonymous = try await client.execute(uri: "/_lockstep/clock", method: .get)
            #expect(anonymous.status == .forbidden)
            #expect(anonymous.xml?.value("Code") == "AccessDenied")
            let forged = try await fixture.send(client, .post, "/_lockstep/clock", query: "advance=60", auth: .credentials(accessKey: testAccessKey, secretKey: "not-the-secret"))
            #expect(forged.status == .forbidden)
            #expect(forged.xml?.value("Code") == "SignatureDoesNotMatch")
            #expect(fixture.storeClock.offsetMillis == 0)
            // Health stays open; unknown endpoints are Lockstep's 404s.
            #expect(try await client.execute(uri: "/_lockstep/health", method: .get).status == .ok)
            #expect(try await fixture.send(client, .get, "/_lockstep/nothing").status == .notFound)
        }
    }

    @Test func theClockMovesForwardOnlyAndSigningDoesNotNotice() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let shown = json(try await fixture.send(client, .get, "/_lockstep/clock"))
            #expect(shown["offsetSeconds"] as? Double == 0)
            #expect(shown["daySeconds"] as? Double == 86_400)
            #expect(shown["now"] as? String == "2025-03-01T12:00:00.250Z")

            let advanced = try await fixture.send(client, .post, "/_lockstep/clock", query: "advance=2592000")
            #expect(advanced.status == .ok)
            #expect(advanced.headers[.contentType] == "application/json")
            #expect(json(advanced)["offsetSeconds"] as? Double == 2_592_000)
            #expect(json(advanced)["now"] as? String == "2025-03-31T12:00:00.250Z")
            #expect(fixture.storeClock.offsetMillis == 2_592_000_000)

            for bad in ["advance=-1", "advance=abc", "advance=", "advance=inf", "later=5", ""] {
                let refused = try await fixture.send(client, .post, "/_lockstep/clock", query: bad)
                #expect(refused.status == .badRequest, "\(bad)")
            }
            #expect(fixture.storeClock.offsetMillis == 2_592_000_000)

            // Thirty days on for the store, requests signed now still pass, and what they write is stamped on the store clock.
            #expect(try await fixture.send(client, .put, "/clocked").status == .ok)
            #expect(try await fixture.send(client, .put, "/clocked/k", body: [1]).status == .ok)
            let head = try await fixture.send(client, .head, "/clocked/k")
            #expect(head.headers[HTTPField.Name("Last-Modified")!] == "Mon, 31 Mar 2025 12:00:00 GMT")
            // The Date header is real time, as signatures are checked against it.
            #expect(head.headers[HTTPField.Name("Date")!] == "Sat, 01 Mar 2025 12:00:00 GMT")
        }
    }

    @Test func aLifecyclePassRunsOnDemand() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            #expect(try await fixture.send(client, .put, "/pruned").status == .ok)
            let rules = Array("""
                <LifecycleConfiguration><Rule><ID>one-day</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>
                """.utf8)
            let put = try await fixture.send(client, .put, "/pruned", query: "lifecycle", headers: [("Content-MD5", Base64.encode(Digest.md5(rules)))], body: rules)
            #expect(put.status == .ok, "\(put.text)")
            #expect(try await fixture.send(client, .put, "/pruned/a", body: [1]).status == .ok)

            let early = json(try await fixture.send(client, .post, "/_lockstep/lifecycle/run"))
            #expect(early["expired"] as? Int == 0)
            #expect(Set(early.keys) == ["expired", "noncurrentExpired", "deleteMarkersRemoved", "transitioned", "uploadsAborted"])
            try fixture.storeClock.advance(byMillis: 2 * 86_400_000)
            let due = json(try await fixture.send(client, .post, "/_lockstep/lifecycle/run"))
            #expect(due["expired"] as? Int == 1)
            #expect(try await fixture.send(client, .get, "/pruned/a").status == .notFound)
        }
    }
}
