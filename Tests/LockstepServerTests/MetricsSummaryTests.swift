import Foundation
import FrontDoors
import HTTPTypes
import HummingbirdTesting
import LockstepCrypto
import LockstepTestSupport
import NIOCore
import Testing

/// What each front door says about the requests it answers (`RequestSummary`), as the server's observer records it:
/// operation names, errors, requesters, request ids, Terraform lock events on all three lock paths, KMS key states.
@Suite("Request summaries")
struct MetricsSummaryTests {
    static let root = "arn:aws:iam::000000000000:root"

    @Test func s3NamesTheOperationBucketKeyRequesterAndRequestId() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            _ = try await fixture.send(client, .put, "/photos")
            #expect(fixture.lastSummary?.operation == "CreateBucket")
            let put = try await fixture.send(client, .put, "/photos/a/b.jpg", body: Array("jpeg".utf8))
            let summary = try #require(fixture.lastSummary)
            #expect(summary.service == "s3")
            #expect(summary.operation == "PutObject")
            #expect(summary.bucket == "photos")
            #expect(summary.key == "a/b.jpg")
            #expect(summary.requester == Self.root)
            #expect(summary.errorCode == nil)
            #expect(summary.requestId == put.headers[HTTPField.Name("x-amz-request-id")!])
            #expect(summary.lock == nil)

            _ = try await fixture.send(client, .get, "/photos", query: "list-type=2")
            #expect(fixture.lastSummary?.operation == "ListObjectsV2")
            _ = try await fixture.send(client, .post, "/photos/big", query: "uploads")
            #expect(fixture.lastSummary?.operation == "CreateMultipartUpload")

            _ = try await fixture.send(client, .get, "/photos/missing")
            #expect(fixture.lastSummary?.operation == "GetObject")
            #expect(fixture.lastSummary?.errorCode == "NoSuchKey")
            _ = try await fixture.send(client, .get, "/photos/a/b.jpg", auth: .anonymous)
            #expect(fixture.lastSummary?.requester == "anonymous")
            #expect(fixture.lastSummary?.errorCode == "AccessDenied")
            // Refused before routing, it is still named by what it asked for; who asked is unknown.
            _ = try await fixture.send(client, .get, "/photos/a/b.jpg", auth: .credentials(accessKey: testAccessKey, secretKey: "wrong"))
            #expect(fixture.lastSummary?.operation == "GetObject")
            #expect(fixture.lastSummary?.errorCode == "SignatureDoesNotMatch")
            #expect(fixture.lastSummary?.requester == nil)

            let event = try #require(fixture.recent.snapshot().last)
            #expect(event.method == "GET")
            #expect(event.path == "/photos/a/b.jpg")
            #expect(event.status == 403)
        }
    }

    @Test func s3LockfileIsAcquiredRefusedAndReleased() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            _ = try await fixture.send(client, .put, "/tfstate")
            let lock = "/tfstate/project/terraform.tfstate.tflock"
            let info = Array(#"{"ID":"a"}"#.utf8)
            #expect(try await fixture.send(client, .put, lock, headers: [("If-None-Match", "*")], body: info).status == .ok)
            #expect(fixture.lastSummary?.lock == .init(path: .s3Lockfile, outcome: .acquired))
            #expect(try await fixture.send(client, .put, lock, headers: [("If-None-Match", "*")], body: info).status == .preconditionFailed)
            #expect(fixture.lastSummary?.lock == .init(path: .s3Lockfile, outcome: .refused))
            #expect(fixture.lastSummary?.errorCode == "PreconditionFailed")
            // Only the conditional create of a `.tflock` is a lock: an unconditional one, or another key, is not.
            _ = try await fixture.send(client, .put, lock, body: info)
            #expect(fixture.lastSummary?.lock == nil)
            _ = try await fixture.send(client, .put, "/tfstate/project/terraform.tfstate", headers: [("If-None-Match", "*")], body: info)
            #expect(fixture.lastSummary?.lock == nil)
            #expect(try await fixture.send(client, .delete, lock).status == .noContent)
            #expect(fixture.lastSummary?.operation == "DeleteObject")
            #expect(fixture.lastSummary?.lock == .init(path: .s3Lockfile, outcome: .released))
        }
    }

    @Test func s3LockfileReleaseIsOnlyADeleteThatTookAwayTheLiveLockfile() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            _ = try await fixture.send(client, .put, "/plain")
            // Nothing there: S3 answers 204 all the same, but no lock was released.
            #expect(try await fixture.send(client, .delete, "/plain/p/terraform.tfstate.tflock").status == .noContent)
            #expect(fixture.lastSummary?.lock == nil)

            _ = try await fixture.send(client, .put, "/versioned")
            let enable = Array("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>".utf8)
            #expect(try await fixture.send(client, .put, "/versioned", query: "versioning", body: enable).status == .ok)
            let lock = "/versioned/p/terraform.tfstate.tflock"
            let put = try await fixture.send(client, .put, lock, headers: [("If-None-Match", "*")], body: Array(#"{"ID":"a"}"#.utf8))
            #expect(fixture.lastSummary?.lock == .init(path: .s3Lockfile, outcome: .acquired))
            let versionId = try #require(put.headers[HTTPField.Name("x-amz-version-id")!])
            // A delete marker over the live lockfile releases it; another over that marker does not.
            #expect(try await fixture.send(client, .delete, lock).status == .noContent)
            #expect(fixture.lastSummary?.lock == .init(path: .s3Lockfile, outcome: .released))
            #expect(try await fixture.send(client, .delete, lock).status == .noContent)
            #expect(fixture.lastSummary?.lock == nil)
            // Removing a specific version is housekeeping, not a release.
            #expect(try await fixture.send(client, .delete, lock, query: "versionId=\(versionId)").status == .noContent)
            #expect(fixture.lastSummary?.operation == "DeleteObject")
            #expect(fixture.lastSummary?.lock == nil)
        }
    }

    @Test func dynamoDBLockCountsOnlyAnAbsentConditionAndARemovedItem() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            let table = #"{"TableName":"locks","AttributeDefinitions":[{"AttributeName":"LockID","AttributeType":"S"}],"#
                + #""KeySchema":[{"AttributeName":"LockID","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#
            let created = try await fixture.json(client, "DynamoDB_20120810.CreateTable", table)
            #expect(created.status == .ok)
            let delete = #"{"TableName":"locks","Key":{"LockID":{"S":"tfstate/p/terraform.tfstate"}}}"#
            // No item: DeleteItem succeeds, but nothing was released.
            #expect(try await fixture.json(client, "DynamoDB_20120810.DeleteItem", delete).status == .ok)
            #expect(fixture.lastSummary?.lock == nil)

            // The legacy Expected form takes the lock as the expression does.
            let legacy = #"{"TableName":"locks","Item":{"LockID":{"S":"tfstate/p/terraform.tfstate"},"Info":{"S":"{}"}},"#
                + #""Expected":{"LockID":{"Exists":false}}}"#
            #expect(try await fixture.json(client, "DynamoDB_20120810.PutItem", legacy).status == .ok)
            #expect(fixture.lastSummary?.lock == .init(path: .dynamodb, outcome: .acquired))
            // A condition that the item exists rewrites a held lock; it takes nothing, and its failure refuses nothing.
            let rewrite = #"{"TableName":"locks","Item":{"LockID":{"S":"tfstate/p/terraform.tfstate"},"Info":{"S":"{}"}},"#
                + #""ConditionExpression":"attribute_exists(LockID)"}"#
            #expect(try await fixture.json(client, "DynamoDB_20120810.PutItem", rewrite).status == .ok)
            #expect(fixture.lastSummary?.lock == nil)
            #expect(try await fixture.json(client, "DynamoDB_20120810.DeleteItem", delete).status == .ok)
            #expect(fixture.lastSummary?.lock == .init(path: .dynamodb, outcome: .released))
            #expect(try await fixture.json(client, "DynamoDB_20120810.PutItem", rewrite).status == .badRequest)
            #expect(fixture.lastSummary?.errorCode == "ConditionalCheckFailedException")
            #expect(fixture.lastSummary?.lock == nil)
        }
    }

    @Test func dynamoDBLockItemIsAcquiredRefusedAndReleasedButTheDigestIsNot() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            let table = #"{"TableName":"locks","AttributeDefinitions":[{"AttributeName":"LockID","AttributeType":"S"}],"#
                + #""KeySchema":[{"AttributeName":"LockID","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#
            #expect(try await fixture.json(client, "DynamoDB_20120810.CreateTable", table).status == .ok)
            #expect(fixture.lastSummary?.service == "dynamodb")
            #expect(fixture.lastSummary?.operation == "CreateTable")
            #expect(fixture.lastSummary?.requester == Self.root)

            let lock = #"{"TableName":"locks","Item":{"LockID":{"S":"tfstate/p/terraform.tfstate"},"Info":{"S":"{}"}},"#
                + #""ConditionExpression":"attribute_not_exists(LockID)"}"#
            #expect(try await fixture.json(client, "DynamoDB_20120810.PutItem", lock).status == .ok)
            #expect(fixture.lastSummary?.lock == .init(path: .dynamodb, outcome: .acquired))
            #expect(try await fixture.json(client, "DynamoDB_20120810.PutItem", lock).status == .badRequest)
            #expect(fixture.lastSummary?.lock == .init(path: .dynamodb, outcome: .refused))
            #expect(fixture.lastSummary?.errorCode == "ConditionalCheckFailedException")

            // Terraform's digest item changes hands with no lock.
            let digest = #"{"TableName":"locks","Item":{"LockID":{"S":"tfstate/p/terraform.tfstate-md5"},"Digest":{"S":"00"}}}"#
            _ = try await fixture.json(client, "DynamoDB_20120810.PutItem", digest)
            #expect(fixture.lastSummary?.lock == nil)
            _ = try await fixture.json(client, "DynamoDB_20120810.DeleteItem", #"{"TableName":"locks","Key":{"LockID":{"S":"tfstate/p/terraform.tfstate-md5"}}}"#)
            #expect(fixture.lastSummary?.lock == nil)

            _ = try await fixture.json(client, "DynamoDB_20120810.DeleteItem", #"{"TableName":"locks","Key":{"LockID":{"S":"tfstate/p/terraform.tfstate"}}}"#)
            #expect(fixture.lastSummary?.operation == "DeleteItem")
            #expect(fixture.lastSummary?.lock == .init(path: .dynamodb, outcome: .released))

            // An operation no service runs is one name, whatever the client sent.
            _ = try await fixture.json(client, "DynamoDB_20120810.DropEverything", "{}")
            #expect(fixture.lastSummary?.operation == "Unknown")
            #expect(fixture.lastSummary?.errorCode == "UnknownOperationException")
        }
    }

    @Test func jsonOperationNamesAreOnlyThoseTheServiceRunsSignedOrNot() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            func unsigned(_ target: String) async throws {
                _ = try await fixture.send(client, .post, "/", headers: [("X-Amz-Target", target), ("Content-Type", "application/x-amz-json-1.1")],
                                           body: Array("{}".utf8), auth: .anonymous, signingService: "kms")
            }
            // Unsigned junk names no series of its own (once, each took one of the 500 series a server makes).
            for name in ["Junk1", "Junk2", ""] {
                try await unsigned("TrentService.\(name)")
                #expect(fixture.lastSummary?.operation == "Unknown")
                #expect(fixture.lastSummary?.errorCode == "MissingAuthenticationTokenException")
            }
            try await unsigned("TrentService.Encrypt")
            #expect(fixture.lastSummary?.operation == "Encrypt")
            _ = try await fixture.json(client, "TrentService.", "{}")
            #expect(fixture.lastSummary?.operation == "Unknown")
            #expect(fixture.lastSummary?.errorCode == "UnknownOperationException")

            let metrics = try await fixture.scrape(client)
            #expect(metrics.value("lockstep_requests_total", ["service": "kms", "operation": "Unknown", "status_class": "4xx"]) == 4)
            #expect(!metrics.text.contains("Junk"))
            #expect(!metrics.text.contains(#"operation="""#))
        }
    }

    @Test func kmsCarriesTheKeyStateAfterTheOperation() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            let created = try await fixture.json(client, "TrentService.CreateKey", "{}")
            #expect(fixture.lastSummary?.service == "kms")
            #expect(fixture.lastSummary?.operation == "CreateKey")
            #expect(fixture.lastSummary?.keyState == "Enabled")
            let document = try JSONSerialization.jsonObject(with: Data(created.body.readableBytesView)) as? [String: Any]
            let keyId = try #require((document?["KeyMetadata"] as? [String: Any])?["KeyId"] as? String)

            let encrypted = try await fixture.json(client, "TrentService.Encrypt", #"{"KeyId":"\#(keyId)","Plaintext":"aGk="}"#)
            #expect(fixture.lastSummary?.keyState == "Enabled")
            let blob = try #require((try JSONSerialization.jsonObject(with: Data(encrypted.body.readableBytesView)) as? [String: Any])?["CiphertextBlob"] as? String)

            _ = try await fixture.json(client, "TrentService.DisableKey", #"{"KeyId":"\#(keyId)"}"#)
            #expect(fixture.lastSummary?.keyState == "Disabled")
            // A Decrypt names no key; the ciphertext does.
            #expect(try await fixture.json(client, "TrentService.Decrypt", #"{"CiphertextBlob":"\#(blob)"}"#).status == .badRequest)
            #expect(fixture.lastSummary?.errorCode == "DisabledException")
            #expect(fixture.lastSummary?.keyState == "Disabled")

            _ = try await fixture.json(client, "TrentService.ScheduleKeyDeletion", #"{"KeyId":"\#(keyId)","PendingWindowInDays":7}"#)
            #expect(fixture.lastSummary?.keyState == "PendingDeletion")
            _ = try await fixture.json(client, "TrentService.ListKeys", "{}")
            #expect(fixture.lastSummary?.keyState == nil)
        }
    }

    @Test func httpBackendLockIsAcquiredRefusedAndReleased() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            _ = try await fixture.send(client, .put, "/states")
            var basic = HTTPFields()
            basic[.authorization] = "Basic " + Base64.encode(Array("\(testAccessKey):\(testSecretKey)".utf8))
            func call(_ method: String, _ body: String) async throws -> TestResponse {
                try await client.execute(uri: "/_lockstep/tfstate/states/env/prod.tfstate", method: HTTPRequest.Method(method)!, headers: basic,
                                         body: ByteBuffer(string: body))
            }
            #expect(try await call("LOCK", #"{"ID":"one"}"#).status == .ok)
            let summary = try #require(fixture.lastSummary)
            #expect(summary.service == "tfstate")
            #expect(summary.operation == "Lock")
            #expect(summary.bucket == "states")
            #expect(summary.key == "env/prod.tfstate")
            #expect(summary.requester == Self.root)
            #expect(summary.lock == .init(path: .http, outcome: .acquired))

            #expect(try await call("LOCK", #"{"ID":"two"}"#).status.code == 423)
            #expect(fixture.lastSummary?.lock == .init(path: .http, outcome: .refused))
            #expect(fixture.lastSummary?.errorCode == "Locked")
            #expect(try await call("UNLOCK", #"{"ID":"one"}"#).status == .ok)
            #expect(fixture.lastSummary?.operation == "Unlock")
            #expect(fixture.lastSummary?.lock == .init(path: .http, outcome: .released))
            #expect(try await call("POST", #"{"serial":1}"#).status == .ok)
            #expect(fixture.lastSummary?.operation == "UpdateState")
            #expect(fixture.lastSummary?.lock == nil)
        }
    }

    @Test func httpBackendCountsOnlyANewLockAndARealRelease() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            _ = try await fixture.send(client, .put, "/states")
            var basic = HTTPFields()
            basic[.authorization] = "Basic " + Base64.encode(Array("\(testAccessKey):\(testSecretKey)".utf8))
            func call(_ method: String, _ body: String) async throws -> TestResponse {
                try await client.execute(uri: "/_lockstep/tfstate/states/env/prod.tfstate", method: HTTPRequest.Method(method)!, headers: basic,
                                         body: ByteBuffer(string: body))
            }
            // Nothing held: 200, as Terraform expects, but nothing released.
            #expect(try await call("UNLOCK", #"{"ID":"one"}"#).status == .ok)
            #expect(fixture.lastSummary?.lock == nil)
            #expect(try await call("LOCK", #"{"ID":"one"}"#).status == .ok)
            #expect(fixture.lastSummary?.lock == .init(path: .http, outcome: .acquired))
            // The holder's retry is answered 200 without taking the lock again.
            #expect(try await call("LOCK", #"{"ID":"one"}"#).status == .ok)
            #expect(fixture.lastSummary?.lock == nil)
            #expect(try await call("UNLOCK", #"{"ID":"one"}"#).status == .ok)
            #expect(fixture.lastSummary?.lock == .init(path: .http, outcome: .released))
            #expect(try await call("UNLOCK", "").status == .ok)
            #expect(fixture.lastSummary?.lock == nil)
        }
    }

    @Test func stsAndAdminNameTheirOperations() async throws {
        let fixture = try MetricsFixture()
        try await fixture.application().test(.router) { client in
            let form = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
            _ = try await fixture.send(client, .post, "/", headers: form, body: Array("Action=GetCallerIdentity&Version=2011-06-15".utf8),
                                       signingService: "sts")
            #expect(fixture.lastSummary?.service == "sts")
            #expect(fixture.lastSummary?.operation == "GetCallerIdentity")
            #expect(fixture.lastSummary?.requester == Self.root)
            _ = try await fixture.send(client, .post, "/", headers: form, body: Array("Action=AssumeRole&Version=2011-06-15".utf8),
                                       signingService: "sts")
            #expect(fixture.lastSummary?.operation == "Unknown")
            #expect(fixture.lastSummary?.errorCode == "InvalidAction")

            _ = try await client.execute(uri: "/_lockstep/health", method: .get)
            #expect(fixture.lastSummary?.service == "admin")
            #expect(fixture.lastSummary?.operation == "Health")
        }
    }
}
