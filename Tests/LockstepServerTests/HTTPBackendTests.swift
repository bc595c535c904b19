import Foundation
import HTTPTypes
import HummingbirdTesting
import LockstepCrypto
import LockstepTestSupport
import NIOCore
import Testing

/// The Terraform `http` backend under `/_lockstep/tfstate/`: Basic credentials, the state as an S3 object, and a lock
/// that is the s3 backend's `.tflock` object, so the two exclude each other.
@Suite("Terraform http backend")
struct HTTPBackendTests {
    static let statePath = "/_lockstep/tfstate/states/env/prod.tfstate"

    func basic(_ accessKey: String = testAccessKey, _ secretKey: String = testSecretKey) -> HTTPFields {
        var fields = HTTPFields()
        fields[.authorization] = "Basic " + Base64.encode(Array("\(accessKey):\(secretKey)".utf8))
        return fields
    }

    func call(_ client: some TestClientProtocol, _ method: String, _ path: String = statePath, body: String? = nil,
              headers: HTTPFields? = nil) async throws -> TestResponse {
        try await client.execute(uri: path, method: HTTPRequest.Method(method)!, headers: headers ?? basic(),
                                 body: body.map { ByteBuffer(string: $0) })
    }

    func lockInfo(_ id: String, who: String = "alice@laptop") -> String {
        #"{"ID":"\#(id)","Operation":"OperationTypeApply","Info":"","Who":"\#(who)","Version":"1.11.2","Created":"2026-12-05T00:00:00Z","Path":"states/env/prod.tfstate"}"#
    }

    @Test func stateIsTheS3ObjectAndWritesNeedTheHeldLock() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            #expect(try await fixture.send(client, .put, "/states").status == .ok)
            #expect(try await call(client, "GET").status == .notFound)

            #expect(try await call(client, "LOCK", body: lockInfo("lock-1")).status == .ok)
            // A second locker is told who holds it, in Terraform's lock info.
            let refused = try await call(client, "LOCK", body: lockInfo("lock-2", who: "bob@ci"))
            #expect(refused.status.code == 423)
            #expect(refused.text.contains("\"ID\":\"lock-1\""))
            #expect(refused.text.contains("alice@laptop"))
            // The holder's own retry succeeds.
            #expect(try await call(client, "LOCK", body: lockInfo("lock-1")).status == .ok)

            #expect(try await call(client, "POST", body: #"{"serial":1}"#).status.code == 423)
            let wrongId = try await call(client, "POST", Self.statePath + "?ID=lock-2", body: #"{"serial":1}"#)
            #expect(wrongId.status == .conflict)
            #expect(wrongId.text.contains("lock-1"))
            #expect(try await call(client, "POST", Self.statePath + "?ID=lock-1", body: #"{"serial":1}"#).status == .ok)

            // The state is the S3 object, and the lock the `.tflock` object beside it.
            #expect(try await fixture.send(client, .get, "/states/env/prod.tfstate").text == #"{"serial":1}"#)
            #expect(try await fixture.send(client, .get, "/states/env/prod.tfstate.tflock").text == lockInfo("lock-1"))
            let read = try await call(client, "GET")
            #expect(read.status == .ok)
            #expect(read.text == #"{"serial":1}"#)
            #expect(read.headers[HTTPField.Name("Content-MD5")!] == Base64.encode(Digest.md5(Array(#"{"serial":1}"#.utf8))))

            // Unlock names the lock: another ID is refused and the lock stays.
            let wrongUnlock = try await call(client, "UNLOCK", body: #"{"ID":"lock-2"}"#)
            #expect(wrongUnlock.status == .conflict)
            #expect(try await fixture.send(client, .head, "/states/env/prod.tfstate.tflock").status == .ok)
            #expect(try await call(client, "UNLOCK", body: lockInfo("lock-1")).status == .ok)
            #expect(try await fixture.send(client, .head, "/states/env/prod.tfstate.tflock").status == .notFound)
            // Unlocked, anyone writes without an ID; an ID that holds nothing is a conflict.
            #expect(try await call(client, "POST", body: #"{"serial":2}"#).status == .ok)
            #expect(try await call(client, "POST", Self.statePath + "?ID=lock-1", body: #"{"serial":3}"#).status == .conflict)
            #expect(try await call(client, "DELETE").status == .ok)
            #expect(try await call(client, "GET").status == .notFound)
        }
    }

    @Test func theS3BackendsLockExcludesHTTPLockersAndTheOtherWayRound() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            #expect(try await fixture.send(client, .put, "/states").status == .ok)
            // The s3 backend's lock: If-None-Match: * on `<key>.tflock`.
            let s3Lock = try await fixture.send(client, .put, "/states/env/prod.tfstate.tflock", headers: [("If-None-Match", "*")],
                                                body: Array(lockInfo("s3-lock").utf8))
            #expect(s3Lock.status == .ok)
            let refused = try await call(client, "LOCK", body: lockInfo("http-lock"))
            #expect(refused.status.code == 423)
            #expect(refused.text.contains("s3-lock"))
            // Released by the s3 backend; the http backend locks, and the s3 backend's conditional PUT now fails.
            #expect(try await fixture.send(client, .delete, "/states/env/prod.tfstate.tflock").status == .noContent)
            #expect(try await call(client, "POST", Self.statePath + "?lock", body: lockInfo("http-lock")).status == .ok)
            let s3Refused = try await fixture.send(client, .put, "/states/env/prod.tfstate.tflock", headers: [("If-None-Match", "*")],
                                                   body: Array(lockInfo("s3-lock").utf8))
            #expect(s3Refused.status == .preconditionFailed)
            #expect(try await call(client, "DELETE", Self.statePath + "?lock", body: #"{"ID":"http-lock"}"#).status == .ok)
        }
    }

    @Test func anEmptyUnlockIsTerraformsForceUnlock() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            #expect(try await fixture.send(client, .put, "/states").status == .ok)
            #expect(try await call(client, "LOCK", body: lockInfo("stuck")).status == .ok)
            #expect(try await call(client, "UNLOCK").status == .ok)
            #expect(try await fixture.send(client, .head, "/states/env/prod.tfstate.tflock").status == .notFound)
            // Unlocking what is not locked is not an error.
            let again = try await call(client, "UNLOCK", body: #"{"ID":"stuck"}"#)
            #expect(again.status == .ok)
        }
    }

    @Test func badCredentialsPathsAndBodiesAreRefused() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            #expect(try await fixture.send(client, .put, "/states").status == .ok)
            let none = try await call(client, "GET", headers: HTTPFields())
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate] == "Basic realm=\"Lockstep\"")
            #expect(try await call(client, "GET", headers: basic(testAccessKey, "wrong")).status == .forbidden)
            #expect(try await call(client, "GET", headers: basic("unknown", testSecretKey)).status == .forbidden)
            var garbled = HTTPFields()
            garbled[.authorization] = "Basic %%%"
            #expect(try await call(client, "GET", headers: garbled).status == .forbidden)

            for path in ["/_lockstep/tfstate/states/a/../b", "/_lockstep/tfstate/states//b", "/_lockstep/tfstate/states/",
                         "/_lockstep/tfstate/states", "/_lockstep/tfstate/states/a/./b", "/_lockstep/tfstate/states/a%2F..%2Fb"] {
                #expect(try await call(client, "GET", path).status == .badRequest, "\(path)")
            }
            #expect(try await call(client, "GET", "/_lockstep/tfstate/no-such-bucket/k").status == .notFound)
            #expect(try await call(client, "LOCK", "/_lockstep/tfstate/no-such-bucket/k", body: lockInfo("x")).status == .notFound)
            #expect(try await call(client, "LOCK", body: "not json").status == .badRequest)
            #expect(try await call(client, "UNLOCK", body: "[1]").status == .badRequest)
            #expect(try await call(client, "PATCH").status == .methodNotAllowed)
            var withMD5 = basic()
            withMD5[HTTPField.Name("Content-MD5")!] = Base64.encode(Digest.md5(Array("other".utf8)))
            #expect(try await call(client, "POST", body: "{}", headers: withMD5).status == .badRequest)
            #expect(try await call(client, "GET").status == .notFound)
        }
    }
}
