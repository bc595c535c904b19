import Foundation
import FrontDoors
import LockstepCrypto
import LockstepTestSupport
import LockstepXML
@testable import S3API
import SigV4
import Store
import Testing

/// POST Object through the S3 front door: forms signed with SigV4 and SigV2 policies, anonymous forms a bucket policy
/// allows, and S3's refusals.
@Suite("POST Object")
struct PostObjectTests {
    typealias F = PostObjectFixtures

    static func policy(_ conditions: String, expiration: String = "2030-01-01T00:00:00Z") -> String {
        Base64.encode(Array(#"{"expiration":"\#(expiration)","conditions":[\#(conditions)]}"#.utf8))
    }

    /// The fields a SigV4 form carries, signed with `secret`.
    static func sigV4Fields(_ policy: String, accessKey: String = testAccessKey, secret: String = testSecretKey) -> [F.Part] {
        let date = "20300101"
        let key = signingKey(secret: secret, date: date, region: "us-east-1", service: "s3")
        return [F.field("x-amz-algorithm", "AWS4-HMAC-SHA256"), F.field("x-amz-credential", "\(accessKey)/\(date)/us-east-1/s3/aws4_request"),
                F.field("x-amz-date", "\(date)T000000Z"), F.field("policy", policy),
                F.field("x-amz-signature", HMAC.sha256(key: key, Array(policy.utf8)).hexString)]
    }

    func post(_ s3: S3TestServer, _ bucket: String, _ parts: [F.Part]) async -> Reply {
        await s3.send(.post, "/\(bucket)", headers: [("Content-Type", "multipart/form-data; boundary=\(F.boundary)")],
                      body: F.body(parts), auth: .anonymous)
    }

    @Test func aSigV4SignedFormStoresTheFile() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("uploads")
        let policy = Self.policy(#"{"bucket":"uploads"},["starts-with","$key","user/"],{"success_action_status":"201"},["starts-with","$Content-Type","image/"],["content-length-range",1,1048576],{"x-amz-meta-tag":"blue"},{"x-amz-algorithm":"AWS4-HMAC-SHA256"},{"x-amz-credential":"lockstep-test/20300101/us-east-1/s3/aws4_request"},{"x-amz-date":"20300101T000000Z"}"#
            .replacingOccurrences(of: "lockstep-test", with: testAccessKey))
        let parts = [F.field("key", "user/${filename}"), F.field("success_action_status", "201"), F.field("Content-Type", "image/png"),
                     F.field("x-amz-meta-tag", "blue")] + Self.sigV4Fields(policy) + [F.file(Array("PNGDATA".utf8), filename: "cat.png")]
        let reply = await post(s3, "uploads", parts)
        #expect(reply.status == 201, "\(reply.text)")
        #expect(reply.xml?.value("Key") == "user/cat.png" && reply.xml?.value("Bucket") == "uploads")
        #expect(reply.xml?.value("ETag") == "\"\(Digest.md5(Array("PNGDATA".utf8)).hexString)\"")
        let stored = await s3.get("uploads", "user/cat.png")
        #expect(stored.text == "PNGDATA" && stored.header("Content-Type") == "image/png" && stored.header("x-amz-meta-tag") == "blue")
        // The policy holds: a key outside `user/`, a wrong signature, a file too large.
        let outside = await post(s3, "uploads", [F.field("key", "admin/x"), F.field("success_action_status", "201"), F.field("Content-Type", "image/png"),
                                                 F.field("x-amz-meta-tag", "blue")] + Self.sigV4Fields(policy) + [F.file([1])])
        expectWellFormedError(outside, code: "AccessDenied", status: 403)
        #expect(outside.xml?.value("Message") == #"Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "user/"]"#)
        let forged = await post(s3, "uploads", [F.field("key", "user/x"), F.field("success_action_status", "201"), F.field("Content-Type", "image/png"),
                                                F.field("x-amz-meta-tag", "blue")] + Self.sigV4Fields(policy, secret: "wrong") + [F.file([1])])
        expectWellFormedError(forged, code: "SignatureDoesNotMatch", status: 403)
        let empty = await post(s3, "uploads", [F.field("key", "user/x"), F.field("success_action_status", "201"), F.field("Content-Type", "image/png"),
                                               F.field("x-amz-meta-tag", "blue")] + Self.sigV4Fields(policy) + [F.file([])])
        expectWellFormedError(empty, code: "EntityTooSmall", status: 400)
        let big = await post(s3, "uploads", [F.field("key", "user/big"), F.field("success_action_status", "201"), F.field("Content-Type", "image/png"),
                                             F.field("x-amz-meta-tag", "blue")] + Self.sigV4Fields(policy) + [F.file([UInt8](repeating: 7, count: 1_048_577))])
        expectWellFormedError(big, code: "EntityTooLarge", status: 400)
        expectWellFormedError(await s3.get("uploads", "user/big"), code: "NoSuchKey", status: 404)
    }

    @Test func aSigV2SignedFormRedirects() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("sig-v2")
        let policy = Self.policy(#"{"bucket":"sig-v2"},{"key":"a b.txt"},{"success_action_redirect":"http://app.example/done"}"#)
        let signature = Base64.encode(HMAC.sha1(key: Array(testSecretKey.utf8), Array(policy.utf8)))
        let reply = await post(s3, "sig-v2", [F.field("key", "a b.txt"), F.field("success_action_redirect", "http://app.example/done"),
                                          F.field("AWSAccessKeyId", testAccessKey), F.field("policy", policy), F.field("signature", signature),
                                          F.file(Array("two".utf8))])
        #expect(reply.status == 303)
        #expect(reply.header("Location") == "http://app.example/done?bucket=sig-v2&key=a+b.txt&etag=%22\(Digest.md5(Array("two".utf8)).hexString)%22")
        #expect(await s3.get("sig-v2", "a b.txt").text == "two")
        let expired = Self.policy(#"{"bucket":"sig-v2"},{"key":"late"}"#, expiration: "2001-01-01T00:00:00Z")
        let late = await post(s3, "sig-v2", [F.field("key", "late"), F.field("AWSAccessKeyId", testAccessKey), F.field("policy", expired),
                                         F.field("signature", Base64.encode(HMAC.sha1(key: Array(testSecretKey.utf8), Array(expired.utf8)))),
                                         F.file([1])])
        expectWellFormedError(late, code: "AccessDenied", status: 403)
        #expect(late.xml?.value("Message") == "Invalid according to Policy: Policy expired.")
    }

    @Test func anonymousFormsNeedTheBucketToAllowThem() async throws {
        let s3 = try S3TestServer(legacyBucketDefaults: true)
        await s3.createBucket("drop")
        let parts = [F.field("key", "inbox/${filename}"), F.file(Array("hi".utf8), filename: "note.txt")]
        expectWellFormedError(await post(s3, "drop", parts), code: "AccessDenied", status: 403)
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::drop/inbox/*"}]}"#
        #expect(await s3.send(.put, "/drop", query: "policy", body: Array(policy.utf8)).status == 204)
        let reply = await post(s3, "drop", parts)
        #expect(reply.status == 204, "\(reply.text)")
        #expect(reply.header("Location") == "http://\(testHost)/drop/inbox%2Fnote.txt")
        #expect(await s3.get("drop", "inbox/note.txt").text == "hi")
    }

    @Test func malformedFormsGetS3sErrors() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("forms")
        let notForm = await s3.send(.post, "/forms", headers: [("Content-Type", "text/plain")], body: [1], auth: .anonymous)
        expectWellFormedError(notForm, code: "PreconditionFailed", status: 412)
        let noBoundary = await s3.send(.post, "/forms", headers: [("Content-Type", "multipart/form-data")], body: [1], auth: .anonymous)
        expectWellFormedError(noBoundary, code: "MalformedPOSTRequest", status: 400)
        expectWellFormedError(await post(s3, "forms", [F.field("key", "k")]), code: "InvalidArgument", status: 400)
        expectWellFormedError(await post(s3, "forms", [F.file([1])]), code: "InvalidArgument", status: 400)
        let many = (0..<10_000).map { F.field("x-ignore-\($0)", "v") } + [F.field("key", "k"), F.file([1])]
        expectWellFormedError(await post(s3, "forms", many), code: "MaxPostPreDataLengthExceededError", status: 400)
        var truncated = F.body([F.field("key", "k"), F.file([1, 2, 3])])
        truncated.removeLast(10)
        let cut = await s3.send(.post, "/forms", headers: [("Content-Type", "multipart/form-data; boundary=\(F.boundary)")], body: truncated, auth: .anonymous)
        #expect(cut.status == 400 || cut.status == 403, "\(cut.text)")
        let badPolicy = await post(s3, "forms", [F.field("key", "k"), F.field("AWSAccessKeyId", testAccessKey), F.field("policy", "!!!"),
                                                 F.field("signature", Base64.encode(HMAC.sha1(key: Array(testSecretKey.utf8), Array("!!!".utf8)))),
                                                 F.file([1])])
        expectWellFormedError(badPolicy, code: "InvalidPolicyDocument", status: 400)
        let unknown = await post(s3, "forms", [F.field("key", "k"), F.field("AWSAccessKeyId", "nobody"), F.field("policy", "e30="),
                                               F.field("signature", "x"), F.file([1])])
        expectWellFormedError(unknown, code: "InvalidAccessKeyId", status: 403)
    }
}
