import Foundation
import HTTPTypes
import HummingbirdTesting
import LockstepTestSupport
import Testing

/// `/_lockstep/health` and `/_lockstep/ready` are what container probes and `lockstep health` call without credentials;
/// opening them must not open anything else under `/_lockstep/`.
@Suite("Health endpoint")
struct HealthEndpointTests {
    func json(_ response: TestResponse) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any]
    }

    @Test func healthAndReadyAnswerStatusOkWithoutCredentials() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            for path in ["/_lockstep/health", "/_lockstep/ready"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers[.contentType] == "application/json", "\(path)")
                #expect(json(response) as? [String: String] == ["status": "ok"], "\(path): \(response.text)")
            }
        }
    }

    @Test func nothingElseUnderThePrefixIsOpen() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let signedOnly: [(HTTPRequest.Method, String)] = [
                (.get, "/_lockstep/clock"), (.post, "/_lockstep/clock?advance=60"),
                (.post, "/_lockstep/lifecycle/run"), (.post, "/_lockstep/logs/flush"),
            ]
            for (method, path) in signedOnly {
                let response = try await client.execute(uri: path, method: method)
                #expect(response.status == .forbidden, "\(method) \(path)")
                #expect(response.xml?.value("Code") == "AccessDenied", "\(method) \(path)")
            }
            #expect(fixture.storeClock.offsetMillis == 0, "the unsigned advance did nothing")

            // Only GET is a health check, and only on the exact paths.
            let notHealth: [(HTTPRequest.Method, String)] = [
                (.post, "/_lockstep/health"), (.put, "/_lockstep/health"), (.delete, "/_lockstep/ready"),
                (.get, "/_lockstep/health/"), (.get, "/_lockstep/healthz"), (.get, "/_lockstep/health/clock"),
            ]
            for (method, path) in notHealth {
                let response = try await client.execute(uri: path, method: method)
                #expect(response.status == .notFound, "\(method) \(path)")
                #expect(json(response)?["error"] as? String == "NotFound", "\(method) \(path): \(response.text)")
            }
        }
    }
}
