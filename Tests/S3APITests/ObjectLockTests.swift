import Foundation
import LockstepCrypto
import LockstepTestSupport
import Store
import Testing

/// Object Lock: the bucket configuration, retention and legal holds per version, and what they forbid — with the
/// codes and messages S3 answers.
@Suite("Object Lock")
struct ObjectLockTests {
    func md5(_ body: [UInt8]) -> [(String, String)] { [("Content-MD5", Base64.encode(Digest.md5(body)))] }

    func lockedBucket(_ s3: S3TestServer, _ name: String = "vault") async {
        let reply = await s3.send(.put, "/" + name, headers: [("x-amz-bucket-object-lock-enabled", "true")])
        #expect(reply.status == 200, "\(reply.text)")
    }

    func putConfiguration(_ s3: S3TestServer, _ bucket: String, _ inner: String, md5 include: Bool = true) async -> Reply {
        let body = Array("<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(inner)</ObjectLockConfiguration>".utf8)
        return await s3.send(.put, "/" + bucket, query: "object-lock", headers: include ? md5(body) : [], body: body)
    }

    /// A date `days` ahead of the store clock, as S3 writes it.
    func future(_ s3: S3TestServer, days: Double) -> String {
        let millis = s3.clock.nowMillis() + Int64(days * 86_400_000)
        let date = Date(timeIntervalSince1970: Double(millis) / 1000)
        return ISO8601DateFormatter().string(from: date)
    }

    @Test func aLockedBucketIsVersionedAndCannotBeSuspended() async throws {
        let s3 = try S3TestServer()
        await lockedBucket(s3)
        #expect(await s3.send(.get, "/vault", query: "versioning").xml?.value("Status") == "Enabled")
        let configuration = await s3.send(.get, "/vault", query: "object-lock")
        #expect(configuration.xml?.value("ObjectLockEnabled") == "Enabled")
        #expect(configuration.xml?.child("Rule") == nil)
        let suspend = Array("<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>".utf8)
        let refused = await s3.send(.put, "/vault", query: "versioning", body: suspend)
        expectWellFormedError(refused, code: "InvalidBucketState", status: 409)
        #expect(refused.xml?.value("Message") == "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")

        await s3.createBucket("plain")
        expectWellFormedError(await s3.send(.get, "/plain", query: "object-lock"), code: "ObjectLockConfigurationNotFoundError", status: 404)
        let unversioned = await putConfiguration(s3, "plain", "<ObjectLockEnabled>Enabled</ObjectLockEnabled>")
        expectWellFormedError(unversioned, code: "InvalidBucketState", status: 409)
        #expect(unversioned.xml?.value("Message") == "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
        let enable = Array("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>".utf8)
        #expect(await s3.send(.put, "/plain", query: "versioning", body: enable).status == 200)
        #expect(await putConfiguration(s3, "plain", "<ObjectLockEnabled>Enabled</ObjectLockEnabled>").status == 200)
    }

    @Test(arguments: [
        ("<ObjectLockEnabled>Disabled</ObjectLockEnabled>", "MalformedXML", ""),
        ("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule>", "MalformedXML", ""),
        ("<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule></Rule>", "MalformedXML", ""),
        ("<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode></DefaultRetention></Rule>", "MalformedXML", ""),
        ("<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years></DefaultRetention></Rule>",
         "MalformedXML", ""),
        ("<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>governance</Mode><Days>1</Days></DefaultRetention></Rule>",
         "MalformedXML", ""),
        ("<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Days>0</Days></DefaultRetention></Rule>",
         "InvalidArgument", "Default retention period must be a positive integer value."),
        ("<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Years>-1</Years></DefaultRetention></Rule>",
         "InvalidArgument", "Default retention period must be a positive integer value."),
    ])
    func malformedLockConfigurations(inner: String, code: String, message: String) async throws {
        let s3 = try S3TestServer()
        await lockedBucket(s3)
        let reply = await putConfiguration(s3, "vault", inner)
        expectWellFormedError(reply, code: code, status: 400)
        if !message.isEmpty { #expect(reply.xml?.value("Message") == message) }
    }

    @Test func defaultRetentionLocksNewVersionsFromTheirCreation() async throws {
        let s3 = try S3TestServer()
        await lockedBucket(s3)
        let noIntegrity = await putConfiguration(s3, "vault", "<ObjectLockEnabled>Enabled</ObjectLockEnabled>", md5: false)
        expectWellFormedError(noIntegrity, code: "InvalidRequest", status: 400)
        let rule = "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>2</Days></DefaultRetention></Rule>"
        #expect(await putConfiguration(s3, "vault", rule).status == 200)
        #expect(await s3.send(.get, "/vault", query: "object-lock").xml?.child("Rule")?.child("DefaultRetention")?.value("Days") == "2")

        // A write that will be locked must carry Content-MD5 or a checksum.
        let bare = await s3.put("vault", "state", [1], payload: .unsigned)
        expectWellFormedError(bare, code: "InvalidRequest", status: 400)
        #expect(bare.xml?.value("Message") == "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters")
        let put = await s3.put("vault", "state", [1], headers: md5([1]))
        #expect(put.status == 200, "\(put.text)")
        let head = await s3.send(.head, "/vault/state")
        #expect(head.header("x-amz-object-lock-mode") == "GOVERNANCE")
        // Exactly two days after creation (the clock's 12:00:00.250), to the millisecond.
        #expect(head.header("x-amz-object-lock-retain-until-date") == "2025-03-03T12:00:00.250Z")
        #expect(head.header("x-amz-object-lock-legal-hold") == nil)
    }

    @Test func lockedVersionsCannotBeDeletedButMayBeHidden() async throws {
        let s3 = try S3TestServer()
        await lockedBucket(s3)
        let headers = md5([7]) + [("x-amz-object-lock-mode", "GOVERNANCE"), ("x-amz-object-lock-retain-until-date", future(s3, days: 1))]
        let put = await s3.put("vault", "k", [7], headers: headers)
        #expect(put.status == 200, "\(put.text)")
        let versionId = try #require(put.header("x-amz-version-id"))

        let refused = await s3.send(.delete, "/vault/k", query: "versionId=\(versionId)")
        expectWellFormedError(refused, code: "AccessDenied", status: 403)
        #expect(refused.xml?.value("Message") == "Access Denied because object protected by object lock.")
        // A delete marker over it is allowed: delete markers are not protected.
        let marker = await s3.send(.delete, "/vault/k")
        #expect(marker.status == 204 && marker.header("x-amz-delete-marker") == "true")

        // DeleteObjects reports the locked version as a per-key error.
        let delete = Array("<Delete><Object><Key>k</Key><VersionId>\(versionId)</VersionId></Object></Delete>".utf8)
        let batch = await s3.send(.post, "/vault", query: "delete", headers: md5(delete), body: delete)
        #expect(batch.status == 200)
        #expect(batch.xml?.child("Error")?.value("Code") == "AccessDenied")

        // GOVERNANCE yields to the bypass header; then the version goes.
        let bypass = await s3.send(.delete, "/vault/k", query: "versionId=\(versionId)", headers: [("x-amz-bypass-governance-retention", "true")])
        #expect(bypass.status == 204, "\(bypass.text)")

        // The bypass header on a bucket without Object Lock is refused.
        await s3.createBucket("plain")
        let misplaced = await s3.send(.delete, "/plain/k", headers: [("x-amz-bypass-governance-retention", "true")])
        expectWellFormedError(misplaced, code: "InvalidArgument", status: 400)
    }

    @Test func complianceAndLegalHoldsYieldToNothing() async throws {
        let s3 = try S3TestServer()
        await lockedBucket(s3)
        let until = future(s3, days: 1)
        let headers = md5([1]) + [("x-amz-object-lock-mode", "COMPLIANCE"), ("x-amz-object-lock-retain-until-date", until),
                                  ("x-amz-object-lock-legal-hold", "ON")]
        let versionId = try #require(await s3.put("vault", "c", [1], headers: headers).header("x-amz-version-id"))
        let bypass = [("x-amz-bypass-governance-retention", "true")]
        expectWellFormedError(await s3.send(.delete, "/vault/c", query: "versionId=\(versionId)", headers: bypass), code: "AccessDenied", status: 403)

        // COMPLIANCE cannot be shortened, removed or turned into GOVERNANCE, bypass or not; it can be extended.
        func retention(_ inner: String, headers extra: [(String, String)] = []) async -> Reply {
            let body = Array("<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(inner)</Retention>".utf8)
            return await s3.send(.put, "/vault/c", query: "retention&versionId=\(versionId)", headers: md5(body) + extra, body: body)
        }
        expectWellFormedError(await retention("<Mode>COMPLIANCE</Mode><RetainUntilDate>\(future(s3, days: 0.5))</RetainUntilDate>", headers: bypass),
                              code: "AccessDenied", status: 403)
        expectWellFormedError(await retention("<Mode>GOVERNANCE</Mode><RetainUntilDate>\(future(s3, days: 2))</RetainUntilDate>", headers: bypass),
                              code: "AccessDenied", status: 403)
        expectWellFormedError(await retention("", headers: bypass), code: "AccessDenied", status: 403)
        #expect(await retention("<Mode>COMPLIANCE</Mode><RetainUntilDate>\(future(s3, days: 3))</RetainUntilDate>").status == 200)
        let got = await s3.send(.get, "/vault/c", query: "retention&versionId=\(versionId)")
        #expect(got.xml?.value("Mode") == "COMPLIANCE")
        let past = await retention("<Mode>COMPLIANCE</Mode><RetainUntilDate>2020-01-01T00:00:00Z</RetainUntilDate>")
        expectWellFormedError(past, code: "InvalidArgument", status: 400)
        #expect(past.xml?.value("Message") == "The retain until date must be in the future!")

        // When the retention has passed, the legal hold still protects it; once lifted, the version can go.
        s3.clock.advance(seconds: 4 * 86_400)
        expectWellFormedError(await s3.send(.delete, "/vault/c", query: "versionId=\(versionId)"), code: "AccessDenied", status: 403)
        #expect(await s3.send(.get, "/vault/c", query: "legal-hold&versionId=\(versionId)").xml?.value("Status") == "ON")
        let off = Array("<LegalHold><Status>OFF</Status></LegalHold>".utf8)
        #expect(await s3.send(.put, "/vault/c", query: "legal-hold&versionId=\(versionId)", headers: md5(off), body: off).status == 200)
        #expect(await s3.send(.head, "/vault/c", query: "versionId=\(versionId)").header("x-amz-object-lock-legal-hold") == "OFF")
        #expect(await s3.send(.delete, "/vault/c", query: "versionId=\(versionId)").status == 204)
    }

    @Test func governanceMayBeExtendedFreelyAndShortenedOnlyWithBypass() async throws {
        let s3 = try S3TestServer()
        await lockedBucket(s3)
        let headers = md5([1]) + [("x-amz-object-lock-mode", "GOVERNANCE"), ("x-amz-object-lock-retain-until-date", future(s3, days: 2))]
        #expect(await s3.put("vault", "g", [1], headers: headers).status == 200)
        func retention(_ inner: String, bypass: Bool = false) async -> Reply {
            let body = Array("<Retention>\(inner)</Retention>".utf8)
            return await s3.send(.put, "/vault/g", query: "retention", headers: md5(body) + (bypass ? [("x-amz-bypass-governance-retention", "true")] : []),
                                 body: body)
        }
        #expect(await retention("<Mode>GOVERNANCE</Mode><RetainUntilDate>\(future(s3, days: 3))</RetainUntilDate>").status == 200)
        expectWellFormedError(await retention("<Mode>GOVERNANCE</Mode><RetainUntilDate>\(future(s3, days: 1))</RetainUntilDate>"),
                              code: "AccessDenied", status: 403)
        #expect(await retention("<Mode>GOVERNANCE</Mode><RetainUntilDate>\(future(s3, days: 1))</RetainUntilDate>", bypass: true).status == 200)
        #expect(await retention("", bypass: true).status == 200)
        expectWellFormedError(await s3.send(.get, "/vault/g", query: "retention"), code: "NoSuchObjectLockConfiguration", status: 404)
        expectWellFormedError(await s3.send(.get, "/vault/g", query: "legal-hold"), code: "NoSuchObjectLockConfiguration", status: 404)
        expectWellFormedError(await retention("<Mode>GOVERNANCE</Mode>"), code: "MalformedXML", status: 400)
    }

    @Test func lockHeadersAreValidatedAsS3Does() async throws {
        let s3 = try S3TestServer()
        await lockedBucket(s3)
        await s3.createBucket("plain")
        let until = future(s3, days: 1)
        let cases: [([(String, String)], String, String)] = [
            ([("x-amz-object-lock-mode", "GOVERNANCE")], "InvalidArgument",
             "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"),
            ([("x-amz-object-lock-mode", "FOREVER"), ("x-amz-object-lock-retain-until-date", until)], "InvalidArgument", "Unknown wormMode directive."),
            ([("x-amz-object-lock-mode", "GOVERNANCE"), ("x-amz-object-lock-retain-until-date", "tomorrow")], "InvalidArgument",
             "The retain until date must be provided in ISO 8601 format"),
            ([("x-amz-object-lock-mode", "GOVERNANCE"), ("x-amz-object-lock-retain-until-date", "2020-01-01T00:00:00Z")], "InvalidArgument",
             "The retain until date must be in the future!"),
            ([("x-amz-object-lock-legal-hold", "YES")], "InvalidArgument", "Legal Hold must be either of 'ON' or 'OFF'"),
        ]
        for (headers, code, message) in cases {
            let reply = await s3.put("vault", "k", [1], headers: md5([1]) + headers)
            expectWellFormedError(reply, code: code, status: 400)
            #expect(reply.xml?.value("Message") == message)
        }
        let plain = await s3.put("plain", "k", [1], headers: md5([1]) + [("x-amz-object-lock-legal-hold", "ON")])
        expectWellFormedError(plain, code: "InvalidRequest", status: 400)
        #expect(plain.xml?.value("Message") == "Bucket is missing ObjectLockConfiguration")
        #expect(await s3.put("plain", "k", [1]).status == 200)
        let retention = await s3.send(.get, "/plain/k", query: "retention")
        expectWellFormedError(retention, code: "InvalidRequest", status: 400)
        #expect(retention.xml?.value("Message") == "Bucket is missing Object Lock Configuration")
    }

    @Test func copiesAndUploadsTakeOnlyTheirOwnLock() async throws {
        let s3 = try S3TestServer()
        await lockedBucket(s3)
        let headers = md5([1]) + [("x-amz-object-lock-mode", "COMPLIANCE"), ("x-amz-object-lock-retain-until-date", future(s3, days: 1))]
        #expect(await s3.put("vault", "source", [1], headers: headers).status == 200)
        #expect(await s3.send(.put, "/vault/copy", headers: [("x-amz-copy-source", "/vault/source")]).status == 200)
        #expect(await s3.send(.head, "/vault/copy").header("x-amz-object-lock-mode") == nil)

        let created = await s3.send(.post, "/vault/mpu", query: "uploads", headers: [("x-amz-object-lock-legal-hold", "ON")])
        #expect(created.status == 200, "\(created.text)")
        let uploadId = try #require(created.xml?.value("UploadId"))
        let part = [UInt8](repeating: 5, count: 10)
        let bare = await s3.send(.put, "/vault/mpu", query: "partNumber=1&uploadId=\(uploadId)", body: part, payload: .unsigned)
        expectWellFormedError(bare, code: "InvalidRequest", status: 400)
        let good = await s3.send(.put, "/vault/mpu", query: "partNumber=1&uploadId=\(uploadId)", headers: md5(part), body: part)
        #expect(good.status == 200, "\(good.text)")
        let complete = Array("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(good.header("ETag") ?? "")</ETag></Part></CompleteMultipartUpload>".utf8)
        #expect(await s3.send(.post, "/vault/mpu", query: "uploadId=\(uploadId)", body: complete).status == 200)
        #expect(await s3.send(.head, "/vault/mpu").header("x-amz-object-lock-legal-hold") == "ON")
    }
}
