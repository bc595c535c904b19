import Foundation
import FrontDoors
import HTTPTypes
import HummingbirdTesting
import LockstepCrypto
import LockstepTestSupport
@testable import LockstepServer
import Testing

/// `GET /_lockstep/metrics`: series that move by exactly the requests made, Basic credentials (or `--metrics-public`),
/// and nothing at all with `--no-metrics`.
@Suite("Metrics endpoint")
struct MetricsEndpointTests {
    static func s3(_ operation: String, _ statusClass: String) -> [String: String] {
        ["service": "s3", "operation": operation, "status_class": statusClass]
    }

    static func operation(_ service: String, _ operation: String) -> [String: String] { ["service": service, "operation": operation] }

    @Test func requestSeriesMoveByExactlyTheRequestsMade() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            _ = try await fixture.send(client, .put, "/counted")
            for index in 0..<3 { _ = try await fixture.send(client, .put, "/counted/k\(index)", body: Array(repeating: 7, count: 100)) }
            for index in 0..<2 { _ = try await fixture.send(client, .get, "/counted/k\(index)") }
            _ = try await fixture.send(client, .get, "/counted/missing")

            let metrics = try await fixture.scrape(client)
            #expect(metrics.value("lockstep_requests_total", Self.s3("CreateBucket", "2xx")) == 1)
            #expect(metrics.value("lockstep_requests_total", Self.s3("PutObject", "2xx")) == 3)
            #expect(metrics.value("lockstep_requests_total", Self.s3("GetObject", "2xx")) == 2)
            #expect(metrics.value("lockstep_requests_total", Self.s3("GetObject", "4xx")) == 1)
            #expect(metrics.value("lockstep_requests_total", Self.s3("PutObject", "4xx")) == nil)
            #expect(metrics.value("lockstep_request_duration_seconds_count", Self.operation("s3", "PutObject")) == 3)
            #expect(metrics.value("lockstep_request_duration_seconds_count", Self.operation("s3", "GetObject")) == 3)
            var bucket = Self.operation("s3", "PutObject")
            bucket["le"] = "10.0"
            #expect(metrics.value("lockstep_request_duration_seconds_bucket", bucket) == 3)
            #expect(metrics.value("lockstep_request_bytes_total", Self.operation("s3", "PutObject")) == 300)
            #expect(metrics.value("lockstep_response_bytes_total", Self.operation("s3", "GetObject")) ?? 0 >= 200)
            #expect(metrics.value("lockstep_store_objects") == 3)
            #expect(metrics.value("lockstep_store_versions") == 3)
            #expect(metrics.value("lockstep_store_bytes") == 300)
            #expect(metrics.value("lockstep_terraform_locks_total", ["path": "s3_lockfile", "outcome": "acquired"]) == 0)
            #expect((metrics.value("process_start_time_seconds") ?? 0) > 1_600_000_000)
            #expect((metrics.value("process_resident_memory_bytes") ?? 0) > 0)

            // The first scrape is counted by the second, and nothing else moved.
            let again = try await fixture.scrape(client)
            #expect(again.value("lockstep_requests_total", ["service": "admin", "operation": "Metrics", "status_class": "2xx"]) == 1)
            #expect(again.value("lockstep_requests_total", Self.s3("PutObject", "2xx")) == 3)
        }
    }

    @Test func requestBytesAreWhatTheBodyDeliveredNotWhatTheHeadersDeclare() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            _ = try await fixture.send(client, .put, "/declared")
            _ = try await fixture.send(client, .put, "/declared/k", body: Array(repeating: 7, count: 100))
            // Refused before its body is read: a length near Int64.max once wrapped the counter negative.
            let refused = try await fixture.send(client, .put, "/declared/k", headers: [("x-amz-decoded-content-length", "9223372036854775000")],
                                                 body: Array(repeating: 7, count: 10),
                                                 auth: .credentials(accessKey: testAccessKey, secretKey: "wrong"))
            #expect(refused.status == .forbidden)
            let metrics = try await fixture.scrape(client)
            #expect(metrics.value("lockstep_requests_total", Self.s3("PutObject", "4xx")) == 1)
            #expect(metrics.value("lockstep_request_bytes_total", Self.operation("s3", "PutObject")) == 100)
        }
    }

    @Test func terraformLocksAreCountedByPath() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            _ = try await fixture.send(client, .put, "/tfstate")
            let lock = "/tfstate/p/terraform.tfstate.tflock"
            for _ in 0..<2 { _ = try await fixture.send(client, .put, lock, headers: [("If-None-Match", "*")], body: Array("{}".utf8)) }
            _ = try await fixture.send(client, .delete, lock)
            var basic = HTTPFields()
            basic[.authorization] = "Basic " + Base64.encode(Array("\(testAccessKey):\(testSecretKey)".utf8))
            _ = try await client.execute(uri: "/_lockstep/tfstate/tfstate/q", method: HTTPRequest.Method("LOCK")!, headers: basic,
                                         body: .init(string: #"{"ID":"x"}"#))

            let metrics = try await fixture.scrape(client)
            func locks(_ path: String, _ outcome: String) -> Double? {
                metrics.value("lockstep_terraform_locks_total", ["path": path, "outcome": outcome])
            }
            #expect(locks("s3_lockfile", "acquired") == 1)
            #expect(locks("s3_lockfile", "refused") == 1)
            #expect(locks("s3_lockfile", "released") == 1)
            #expect(locks("http", "acquired") == 1)
            #expect(locks("http", "released") == 0)
            #expect(locks("dynamodb", "acquired") == 0)
        }
    }

    @Test func kmsOperationsAreCountedByKeyState() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            let created = try await fixture.json(client, "TrentService.CreateKey", "{}")
            let document = try JSONSerialization.jsonObject(with: Data(created.body.readableBytesView)) as? [String: Any]
            let keyId = try #require((document?["KeyMetadata"] as? [String: Any])?["KeyId"] as? String)
            _ = try await fixture.json(client, "TrentService.Encrypt", #"{"KeyId":"\#(keyId)","Plaintext":"aGk="}"#)
            _ = try await fixture.json(client, "TrentService.DisableKey", #"{"KeyId":"\#(keyId)"}"#)
            _ = try await fixture.json(client, "TrentService.Encrypt", #"{"KeyId":"\#(keyId)","Plaintext":"aGk="}"#)
            _ = try await fixture.json(client, "TrentService.Encrypt", #"{"KeyId":"\#(keyId)","Plaintext":"aGk="}"#)

            let metrics = try await fixture.scrape(client)
            #expect(metrics.value("lockstep_kms_operations_total", ["operation": "Encrypt", "key_state": "Enabled"]) == 1)
            #expect(metrics.value("lockstep_kms_operations_total", ["operation": "Encrypt", "key_state": "Disabled"]) == 2)
            #expect(metrics.value("lockstep_kms_operations_total", ["operation": "DisableKey", "key_state": "Disabled"]) == 1)
            #expect(metrics.value("lockstep_requests_total", ["service": "kms", "operation": "Encrypt", "status_class": "4xx"]) == 2)
        }
    }

    @Test func lifecyclePassesAndAccessLogRecordsAreCounted() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            _ = try await fixture.send(client, .put, "/aging")
            _ = try await fixture.send(client, .put, "/access-logs")
            let rules = "<LifecycleConfiguration><Rule><ID>old</ID><Filter><Prefix></Prefix></Filter><Status>Enabled</Status>"
                + "<Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>"
            let lifecycle = try await fixture.send(client, .put, "/aging", query: "lifecycle",
                                                   headers: [("Content-MD5", Base64.encode(Digest.md5(Array(rules.utf8))))], body: Array(rules.utf8))
            #expect(lifecycle.status == .ok)
            let logging = "<BucketLoggingStatus xmlns=\"http://doc.s3.amazonaws.com/2006-03-01\"><LoggingEnabled>"
                + "<TargetBucket>access-logs</TargetBucket><TargetPrefix>aging/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>"
            #expect(try await fixture.send(client, .put, "/aging", query: "logging", body: Array(logging.utf8)).status == .ok)
            let before = try await fixture.scrape(client).value("lockstep_access_log_records_pending") ?? -1
            #expect(before >= 0)
            _ = try await fixture.send(client, .put, "/aging/a", body: Array("a".utf8))
            _ = try await fixture.send(client, .put, "/aging/b", body: Array("b".utf8))

            let recorded = try await fixture.scrape(client)
            #expect(recorded.value("lockstep_access_log_records_pending") == before + 2)
            #expect(recorded.value("lockstep_access_log_records_delivered_total") == 0)
            _ = await fixture.s3.flushAccessLogs()
            let delivered = try await fixture.scrape(client)
            #expect(delivered.value("lockstep_access_log_records_pending") == 0)
            #expect(delivered.value("lockstep_access_log_records_delivered_total") == before + 2)

            fixture.base.storeClock.advance(seconds: 3 * 86_400)
            _ = try await fixture.lifecycle.runPass()
            let passed = try await fixture.scrape(client)
            #expect(passed.value("lockstep_lifecycle_passes_total") == 1)
            // The two objects, and the log object the flush delivered is in another bucket with no rules.
            #expect(passed.value("lockstep_lifecycle_actions_total", ["action": "expired"]) == 2)
            #expect(passed.value("lockstep_lifecycle_actions_total", ["action": "transitioned"]) == 0)
        }
    }

    @Test func credentialsAreAnyConfiguredUsersAsBasicAuth() async throws {
        let alice = UsersFile.User(name: "alice", accessKey: "alice-key", secretKey: "alice-secret", account: "111111111111")
        let fixture = try MetricsFixture(users: [alice])
        try await fixture.application().test(.router) { client in
            let none = try await client.execute(uri: "/_lockstep/metrics", method: .get)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate] == #"Basic realm="lockstep""#)
            #expect(!String(buffer: none.body).contains("lockstep_requests_total"))

            var wrong = HTTPFields()
            wrong[.authorization] = "Basic " + Base64.encode(Array("alice-key:not-her-secret".utf8))
            #expect(try await client.execute(uri: "/_lockstep/metrics", method: .get, headers: wrong).status == .unauthorized)
            // A SigV4 signature is not what this endpoint takes.
            #expect(try await fixture.send(client, .get, "/_lockstep/metrics").status == .unauthorized)

            var user = HTTPFields()
            user[.authorization] = "Basic " + Base64.encode(Array("alice-key:alice-secret".utf8))
            let allowed = try await client.execute(uri: "/_lockstep/metrics", method: .get, headers: user)
            #expect(allowed.status == .ok)
            #expect(allowed.headers[.contentType] == "text/plain; version=0.0.4")
            #expect(String(buffer: allowed.body).contains("# TYPE lockstep_requests_total counter"))
            #expect(try await fixture.scrape(client).value("lockstep_requests_total",
                                                           ["service": "admin", "operation": "Metrics", "status_class": "4xx"]) == 3)
        }
    }

    @Test func metricsPublicNeedsNoCredentials() async throws {
        let fixture = try MetricsFixture(metricsPublic: true)
        try await fixture.application().test(.router) { client in
            let open = try await client.execute(uri: "/_lockstep/metrics", method: .get)
            #expect(open.status == .ok)
            #expect(String(buffer: open.body).contains("process_resident_memory_bytes"))
            #expect(try await client.execute(uri: "/_lockstep/metrics", method: .post).status == .methodNotAllowed)
        }
    }

    @Test func aHeadScrapeDoesNotScanTheStore() async throws {
        let fixture = try MetricsFixture(metricsPublic: true)
        try await fixture.application().test(.router) { client in
            let head = try await client.execute(uri: "/_lockstep/metrics", method: .head)
            #expect(head.status == .ok)
            #expect(head.headers[.contentType] == "text/plain; version=0.0.4")
            #expect(fixture.metrics.state.updates == 0)
            _ = try await client.execute(uri: "/_lockstep/metrics", method: .get)
            #expect(fixture.metrics.state.updates == 1)
        }
    }

    @Test func noMetricsMeansNoEndpoint() async throws {
        let fixture = try MetricsFixture(metricsPublic: true, metricsEnabled: false)
        try await fixture.application().test(.router) { client in
            let response = try await client.execute(uri: "/_lockstep/metrics", method: .get)
            #expect(response.status == .notFound)
        }
    }
}
