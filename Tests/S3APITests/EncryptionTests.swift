import Foundation
import KeyService
import LockstepCrypto
import LockstepTestSupport
import S3API
@testable import Store
import Testing

/// SSE-S3, SSE-KMS and SSE-C through the S3 API, in process: headers, errors, key states, and what reaches the disk.
@Suite("Encryption") struct EncryptionTests {
    static let sseHeader = "x-amz-server-side-encryption"
    static let kmsKeyHeader = "x-amz-server-side-encryption-aws-kms-key-id"

    struct Customer {
        let key: [UInt8]
        init(_ key: [UInt8] = secureRandomBytes(32)) { self.key = key }
        var headers: [(String, String)] {
            [("x-amz-server-side-encryption-customer-algorithm", "AES256"),
             ("x-amz-server-side-encryption-customer-key", Base64.encode(key)),
             ("x-amz-server-side-encryption-customer-key-MD5", md5Base64(key))]
        }
        var copySourceHeaders: [(String, String)] {
            headers.map { ($0.0.replacingOccurrences(of: "x-amz-server-side-encryption-customer-", with: "x-amz-copy-source-server-side-encryption-customer-"), $0.1) }
        }
    }

    func arn(_ id: String) -> String { LockstepAccount.keyARN(region: "us-east-1", keyId: id) }

    @Test func everyObjectIsSSES3ByDefaultAndNotPlaintextAtRest() async throws {
        let s = try S3TestServer()
        await s.createBucket("bkt")
        let small = Array("small marker body".utf8), large = testBytes(300_000, seed: 7)
        for (key, body) in [("small", small), ("large", large)] {
            let put = await s.put("bkt", key, body)
            #expect(put.status == 200)
            #expect(put.header(Self.sseHeader) == "AES256")
            #expect(put.header(Self.kmsKeyHeader) == nil)
            #expect(put.header("ETag") == quoted(md5Hex(body)))
            let get = await s.get("bkt", key)
            #expect(get.body == body)
            #expect(get.header(Self.sseHeader) == "AES256")
            #expect((await s.head("bkt", key)).header(Self.sseHeader) == "AES256")
        }
        // Inline: the row holds sealed frames (one 16-byte tag more than the plaintext).
        let stored = try await s.store.object(bucket: "bkt", key: "small")
        guard case .inline(let sealed)? = stored.body else { Issue.record("expected an inline body"); return }
        #expect(sealed.count == small.count + 16)
        #expect(!contains(sealed, Array("marker".utf8)))
        #expect(stored.metadata.encryption?.mode == .sseS3)
        // Blob: the file is the sealed frames, not the body.
        let blobStored = try await s.store.object(bucket: "bkt", key: "large")
        let blobId = try #require(blobStored.body?.blobIds.first)
        let onDisk = try #require(FileManager.default.contents(atPath: s.store.blobs.path(for: blobId)))
        #expect(onDisk.count == Int(FrameLayout().encryptedSize(plaintextSize: Int64(large.count))))
        #expect(!contains(Array(onDisk.prefix(4096)), Array(large.prefix(64))))
    }

    @Test func kmsWithoutAKeyUsesTheAWSManagedKey() async throws {
        let s = try S3TestServer()
        await s.createBucket("bkt")
        let put = await s.put("bkt", "k", Array("kms".utf8), headers: [(Self.sseHeader, "aws:kms")])
        #expect(put.status == 200)
        let managed = try s.keyring.resolve(Keyring.awsS3Alias)
        #expect(managed.isAWSManaged)
        #expect(put.header(Self.sseHeader) == "aws:kms")
        #expect(put.header(Self.kmsKeyHeader) == arn(managed.id))
        let get = await s.get("bkt", "k")
        #expect(get.text == "kms")
        #expect(get.header(Self.kmsKeyHeader) == arn(managed.id))
        #expect(get.header("x-amz-server-side-encryption-bucket-key-enabled") == nil)
    }

    /// Naming the managed key before anything created it creates it, as AWS does (Terraform's `kms_key_id = "alias/aws/s3"`).
    @Test func namingTheManagedKeyCreatesIt() async throws {
        for reference in [Keyring.awsS3Alias, LockstepAccount.aliasARN(region: "us-east-1", alias: Keyring.awsS3Alias)] {
            let s = try S3TestServer()
            await s.createBucket("bkt")
            let put = await s.put("bkt", "k", [1, 2], headers: [(Self.sseHeader, "aws:kms"), (Self.kmsKeyHeader, reference)])
            #expect(put.status == 200, "\(reference): \(put.text)")
            #expect(put.header(Self.kmsKeyHeader) == arn(try s.keyring.resolve(Keyring.awsS3Alias).id))
        }
    }

    @Test func kmsKeyNamedByIdArnAliasAndAliasArn() async throws {
        let s = try S3TestServer()
        await s.createBucket("bkt")
        let key = try s.keyring.createKey(nowMillis: s.clock.nowMillis())
        try s.keyring.setAlias("alias/state", to: key.id)
        let references = [key.id, arn(key.id), "alias/state", LockstepAccount.aliasARN(region: "us-east-1", alias: "alias/state")]
        for (i, reference) in references.enumerated() {
            let put = await s.put("bkt", "k\(i)", Array("v\(i)".utf8), headers: [(Self.sseHeader, "aws:kms"), (Self.kmsKeyHeader, reference),
                                                                              ("x-amz-server-side-encryption-bucket-key-enabled", "true")])
            #expect(put.status == 200, "\(reference): \(put.text)")
            #expect(put.header(Self.kmsKeyHeader) == arn(key.id))
            #expect(put.header("x-amz-server-side-encryption-bucket-key-enabled") == "true")
            #expect((await s.get("bkt", "k\(i)")).text == "v\(i)")
        }
        let dsse = await s.put("bkt", "d", [1, 2, 3], headers: [(Self.sseHeader, "aws:kms:dsse"), (Self.kmsKeyHeader, key.id)])
        #expect(dsse.header(Self.sseHeader) == "aws:kms:dsse")
        #expect((await s.head("bkt", "d")).header(Self.sseHeader) == "aws:kms:dsse")
    }

    @Test func encryptionContextIsStoredAndBound() async throws {
        let s = try S3TestServer()
        await s.createBucket("bkt")
        let context = Base64.encode(Array(#"{"project":"lockstep"}"#.utf8))
        let put = await s.put("bkt", "k", Array("ctx".utf8), headers: [(Self.sseHeader, "aws:kms"), ("x-amz-server-side-encryption-context", context)])
        #expect(put.status == 200)
        #expect(put.header("x-amz-server-side-encryption-context") == context)
        #expect((await s.get("bkt", "k")).text == "ctx")
        let bad = await s.put("bkt", "x", [1], headers: [(Self.sseHeader, "aws:kms"), ("x-amz-server-side-encryption-context", Base64.encode(Array("[1]".utf8)))])
        expectWellFormedError(bad, code: "InvalidArgument", status: 400)
    }

    @Test func kmsKeyErrorsAndStates() async throws {
        let s = try S3TestServer()
        await s.createBucket("bkt")
        let unknown = await s.put("bkt", "k", [1], headers: [(Self.sseHeader, "aws:kms"), (Self.kmsKeyHeader, "alias/nope")])
        expectWellFormedError(unknown, code: "KMS.NotFoundException", status: 400)
        expectWellFormedError(await s.get("bkt", "k"), code: "NoSuchKey", status: 404)

        let key = try s.keyring.createKey(nowMillis: s.clock.nowMillis())
        let body = Array("guarded".utf8)
        #expect((await s.put("bkt", "k", body, headers: [(Self.sseHeader, "aws:kms"), (Self.kmsKeyHeader, key.id)])).status == 200)
        try s.keyring.update(key.id) { $0.state = .disabled }
        expectWellFormedError(await s.get("bkt", "k"), code: "KMS.DisabledException", status: 400)
        expectWellFormedError(await s.put("bkt", "k2", body, headers: [(Self.sseHeader, "aws:kms"), (Self.kmsKeyHeader, key.id)]),
                              code: "KMS.DisabledException", status: 400)
        // HEAD does not call KMS, as on S3.
        #expect((await s.head("bkt", "k")).status == 200)
        try s.keyring.update(key.id) { $0.state = .enabled }
        #expect((await s.get("bkt", "k")).body == body)

        try s.keyring.update(key.id) { $0.state = .pendingDeletion; $0.deletionMillis = s.clock.nowMillis() + 7 * 86_400_000 }
        expectWellFormedError(await s.get("bkt", "k"), code: "KMS.KMSInvalidStateException", status: 400)
        s.clock.advance(seconds: 7 * 86_400 + 1)
        expectWellFormedError(await s.get("bkt", "k"), code: "KMS.NotFoundException", status: 400)
    }

    @Test func rotationKeepsOldObjectsReadable() async throws {
        let s = try S3TestServer()
        await s.createBucket("bkt")
        let key = try s.keyring.createKey(nowMillis: s.clock.nowMillis())
        let headers = [(Self.sseHeader, "aws:kms"), (Self.kmsKeyHeader, key.id)]
        #expect((await s.put("bkt", "old", Array("before".utf8), headers: headers)).status == 200)
        try s.keyring.rotate(key.id, nowMillis: s.clock.nowMillis())
        #expect((await s.put("bkt", "new", Array("after".utf8), headers: headers)).status == 200)
        #expect((await s.get("bkt", "old")).text == "before")
        #expect((await s.get("bkt", "new")).text == "after")
        let old = try await s.store.object(bucket: "bkt", key: "old", withBody: false)
        let new = try await s.store.object(bucket: "bkt", key: "new", withBody: false)
        #expect(try s.keyring.unwrap(Array(old.metadata.encryption!.wrappedKey), context: ["aws:s3:arn": "arn:aws:s3:::bkt/old"]).materialVersion == 1)
        #expect(try s.keyring.unwrap(Array(new.metadata.encryption!.wrappedKey), context: ["aws:s3:arn": "arn:aws:s3:::bkt/new"]).materialVersion == 2)
    }

    @Test func sseCustomerKeys() async throws {
        let s = try S3TestServer()
        await s.createBucket("bkt")
        let customer = Customer(), other = Customer()
        let body = testBytes(200_000, seed: 3)
        let put = await s.put("bkt", "c", body, headers: customer.headers)
        #expect(put.status == 200)
        #expect(put.header(Self.sseHeader) == nil)
        #expect(put.header("x-amz-server-side-encryption-customer-algorithm") == "AES256")
        #expect(put.header("x-amz-server-side-encryption-customer-key-MD5") == md5Base64(customer.key))
        expectWellFormedError(await s.get("bkt", "c"), code: "InvalidRequest", status: 400)
        expectWellFormedError(await s.get("bkt", "c", headers: other.headers), code: "AccessDenied", status: 403)
        #expect((await s.head("bkt", "c")).status == 400)
        #expect((await s.head("bkt", "c", headers: other.headers)).status == 403)
        let get = await s.get("bkt", "c", headers: customer.headers)
        #expect(get.body == body)
        #expect(get.header("x-amz-server-side-encryption-customer-key-MD5") == md5Base64(customer.key))
        let ranged = await s.get("bkt", "c", headers: customer.headers + [("Range", "bytes=65530-131080")])
        #expect(ranged.status == 206)
        #expect(ranged.body == Array(body[65530...131080]))

        // Header validation, as S3.
        var wrongMD5 = customer.headers
        wrongMD5[2].1 = md5Base64(other.key)
        expectWellFormedError(await s.put("bkt", "x", [1], headers: wrongMD5), code: "InvalidArgument", status: 400)
        var badAlgorithm = customer.headers
        badAlgorithm[0].1 = "AES128"
        expectWellFormedError(await s.put("bkt", "x", [1], headers: badAlgorithm), code: "InvalidEncryptionAlgorithmError", status: 400)
        var shortKey = customer.headers
        shortKey[1].1 = Base64.encode(Array(customer.key.prefix(16)))
        expectWellFormedError(await s.put("bkt", "x", [1], headers: shortKey), code: "InvalidArgument", status: 400)
        expectWellFormedError(await s.put("bkt", "x", [1], headers: Array(customer.headers.prefix(2))), code: "InvalidArgument", status: 400)
        expectWellFormedError(await s.put("bkt", "x", [1], headers: customer.headers + [(Self.sseHeader, "AES256")]), code: "InvalidArgument", status: 400)
        // SSE-C headers on an object that is not SSE-C.
        #expect((await s.put("bkt", "plain", [1])).status == 200)
        expectWellFormedError(await s.get("bkt", "plain", headers: customer.headers), code: "InvalidRequest", status: 400)
        // The key is never stored: the version row keeps only its MD5 and the wrapped data key.
        let stored = try await s.store.object(bucket: "bkt", key: "c", withBody: false)
        #expect(stored.metadata.encryption?.customerKeyMD5 == md5Base64(customer.key))
        #expect(!contains(Array(stored.metadata.encryption!.wrappedKey), customer.key))
    }

    @Test func invalidHeaderCombinations() async throws {
        let s = try S3TestServer()
        await s.createBucket("bkt")
        expectWellFormedError(await s.put("bkt", "k", [1], headers: [(Self.sseHeader, "AES128")]), code: "InvalidArgument", status: 400)
        expectWellFormedError(await s.put("bkt", "k", [1], headers: [(Self.kmsKeyHeader, "alias/x")]), code: "InvalidArgument", status: 400)
        expectWellFormedError(await s.put("bkt", "k", [1], headers: [(Self.sseHeader, "AES256"), (Self.kmsKeyHeader, "alias/x")]),
                              code: "InvalidArgument", status: 400)
        expectWellFormedError(await s.put("bkt", "k", [1], headers: [(Self.sseHeader, "aws:kms"), ("x-amz-server-side-encryption-bucket-key-enabled", "maybe")]),
                              code: "InvalidArgument", status: 400)
    }

    @Test func bucketDefaultEncryption() async throws {
        let s = try S3TestServer()
        await s.createBucket("bkt")
        let initial = await s.send(.get, "/bkt", query: "encryption")
        #expect(initial.status == 200)
        #expect(initial.xml?.at("Rule", "ApplyServerSideEncryptionByDefault", "SSEAlgorithm")?.text == "AES256")
        #expect(initial.xml?.at("Rule", "BucketKeyEnabled")?.text == "false")

        let key = try s.keyring.createKey(nowMillis: s.clock.nowMillis())
        let document = """
            <ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault>\
            <SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>\(arn(key.id))</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>\
            <BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>
            """
        #expect((await s.send(.put, "/bkt", query: "encryption", body: Array(document.utf8))).status == 200)
        let configured = await s.send(.get, "/bkt", query: "encryption")
        #expect(configured.xml?.at("Rule", "ApplyServerSideEncryptionByDefault", "KMSMasterKeyID")?.text == arn(key.id))
        #expect(configured.xml?.at("Rule", "BucketKeyEnabled")?.text == "true")

        let put = await s.put("bkt", "k", Array("default".utf8))
        #expect(put.header(Self.sseHeader) == "aws:kms")
        #expect(put.header(Self.kmsKeyHeader) == arn(key.id))
        #expect(put.header("x-amz-server-side-encryption-bucket-key-enabled") == "true")
        // Headers on the request win over the default.
        #expect((await s.put("bkt", "s3", [1], headers: [(Self.sseHeader, "AES256")])).header(Self.sseHeader) == "AES256")
        let upload = await s.send(.post, S3TestServer.path("bkt", "mp"), query: "uploads")
        #expect(upload.header(Self.kmsKeyHeader) == arn(key.id))

        #expect((await s.send(.delete, "/bkt", query: "encryption")).status == 204)
        #expect((await s.put("bkt", "after", [1])).header(Self.sseHeader) == "AES256")

        for bad in ["<ServerSideEncryptionConfiguration/>",
                    "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>DES</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>"] {
            expectWellFormedError(await s.send(.put, "/bkt", query: "encryption", body: Array(bad.utf8)), code: "MalformedXML", status: 400)
        }
        let aesWithKey = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>x</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>"
        expectWellFormedError(await s.send(.put, "/bkt", query: "encryption", body: Array(aesWithKey.utf8)), code: "InvalidArgument", status: 400)
        expectWellFormedError(await s.send(.get, "/nobucket", query: "encryption"), code: "NoSuchBucket", status: 404)
    }

    @Test func multipartPartsAreSealedUnderTheUploadKey() async throws {
        let s = try S3TestServer()
        await s.createBucket("bkt")
        let customer = Customer()
        for headers in [[(Self.sseHeader, "aws:kms")], customer.headers] {
            let create = await s.send(.post, S3TestServer.path("bkt", "mp"), query: "uploads", headers: headers)
            #expect(create.status == 200)
            let uploadId = try #require(create.xml?.value("UploadId"))
            let parts = [testBytes(5 * 1024 * 1024 + 100, seed: 1), testBytes(70_000, seed: 2)]
            var etags: [String] = []
            for (i, part) in parts.enumerated() {
                let reply = await s.put("bkt", "mp", part, headers: headers.first?.0 == Self.sseHeader ? [] : customer.headers,
                                        query: "partNumber=\(i + 1)&uploadId=\(q(uploadId))")
                #expect(reply.status == 200, "\(reply.text)")
                etags.append(reply.header("ETag") ?? "")
                if headers.first?.0 == Self.sseHeader { #expect(reply.header(Self.sseHeader) == "aws:kms") }
            }
            if headers.first?.0 != Self.sseHeader {
                let missing = await s.put("bkt", "mp", [1], query: "partNumber=3&uploadId=\(q(uploadId))")
                expectWellFormedError(missing, code: "InvalidRequest", status: 400)
            }
            let complete = "<CompleteMultipartUpload>" + etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\($0.element)</ETag></Part>" }.joined() + "</CompleteMultipartUpload>"
            let done = await s.send(.post, S3TestServer.path("bkt", "mp"), query: "uploadId=\(q(uploadId))", body: Array(complete.utf8))
            #expect(done.status == 200, "\(done.text)")
            let whole = parts[0] + parts[1]
            let readHeaders = headers.first?.0 == Self.sseHeader ? [] : customer.headers
            #expect((await s.get("bkt", "mp", headers: readHeaders)).body == whole)
            for (first, last) in [(65530, 65545), (5 * 1024 * 1024 + 90, 5 * 1024 * 1024 + 70_000), (whole.count - 1, whole.count - 1), (0, 0)] {
                let ranged = await s.get("bkt", "mp", headers: readHeaders + [("Range", "bytes=\(first)-\(last)")])
                #expect(ranged.status == 206)
                #expect(ranged.body == Array(whole[first...last]), "bytes=\(first)-\(last)")
            }
        }
    }

    @Test func copyReencryptsToTheDestinationSettings() async throws {
        let s = try S3TestServer()
        await s.createBucket("bkt")
        let customer = Customer(), second = Customer()
        let body = testBytes(100_000, seed: 9)
        #expect((await s.put("bkt", "src", body, headers: customer.headers)).status == 200)
        let copyHeader = ("x-amz-copy-source", "/bkt/src")
        expectWellFormedError(await s.send(.put, S3TestServer.path("bkt", "dst"), headers: [copyHeader]), code: "InvalidRequest", status: 400)
        let toKMS = await s.send(.put, S3TestServer.path("bkt", "dst"), headers: [copyHeader, (Self.sseHeader, "aws:kms")] + customer.copySourceHeaders)
        #expect(toKMS.status == 200, "\(toKMS.text)")
        #expect(toKMS.header(Self.sseHeader) == "aws:kms")
        #expect((await s.get("bkt", "dst")).body == body)
        let toOtherCustomer = await s.send(.put, S3TestServer.path("bkt", "dst2"), headers: [copyHeader] + customer.copySourceHeaders + second.headers)
        #expect(toOtherCustomer.status == 200)
        #expect((await s.get("bkt", "dst2", headers: second.headers)).body == body)
        expectWellFormedError(await s.get("bkt", "dst2", headers: customer.headers), code: "AccessDenied", status: 403)
        // Copying an object onto itself is allowed when the encryption changes.
        let inPlace = await s.send(.put, S3TestServer.path("bkt", "dst"), headers: [("x-amz-copy-source", "/bkt/dst"), (Self.sseHeader, "AES256")])
        #expect(inPlace.status == 200, "\(inPlace.text)")
        #expect((await s.head("bkt", "dst")).header(Self.sseHeader) == "AES256")
        // UploadPartCopy opens the source with its key and seals under the upload's.
        let create = await s.send(.post, S3TestServer.path("bkt", "mp"), query: "uploads")
        let uploadId = try #require(create.xml?.value("UploadId"))
        let partCopy = await s.send(.put, S3TestServer.path("bkt", "mp"), query: "partNumber=1&uploadId=\(q(uploadId))",
                                    headers: [copyHeader, ("x-amz-copy-source-range", "bytes=10-70009")] + customer.copySourceHeaders)
        #expect(partCopy.status == 200, "\(partCopy.text)")
        #expect(partCopy.header(Self.sseHeader) == "AES256")
    }

    @Test func alteredOrSwappedBodiesAreErrorsNotWrongBytes() async throws {
        let s = try S3TestServer()
        await s.createBucket("bkt")
        let a = testBytes(200_000, seed: 1), b = testBytes(200_000, seed: 2)
        #expect((await s.put("bkt", "a", a)).status == 200)
        #expect((await s.put("bkt", "b", b)).status == 200)
        let pathA = s.store.blobs.path(for: try #require(try await s.store.object(bucket: "bkt", key: "a").body?.blobIds.first))
        let pathB = s.store.blobs.path(for: try #require(try await s.store.object(bucket: "bkt", key: "b").body?.blobIds.first))
        let bytesA = try #require(FileManager.default.contents(atPath: pathA)), bytesB = try #require(FileManager.default.contents(atPath: pathB))
        // Swap the two files: each now holds frames sealed for the other body.
        try bytesB.write(to: URL(fileURLWithPath: pathA))
        try bytesA.write(to: URL(fileURLWithPath: pathB))
        expectWellFormedError(await s.get("bkt", "a"), code: "InternalError", status: 500)
        // Flip one byte in the second frame: a range in the first frame still reads; one covering the second fails.
        var flipped = bytesA
        flipped[FrameLayout.sealedFrameSize + 10] ^= 1
        try flipped.write(to: URL(fileURLWithPath: pathA))
        #expect((await s.get("bkt", "a", headers: [("Range", "bytes=0-99")])).body == Array(a[0...99]))
        expectWellFormedError(await s.get("bkt", "a", headers: [("Range", "bytes=65536-65600")]), code: "InternalError", status: 500)
    }

    func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return true }
        }
        return false
    }
}
