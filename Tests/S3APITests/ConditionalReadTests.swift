import Foundation
import LockstepTestSupport
import Testing

/// GET/HEAD conditional headers as AWS documents them for GetObject and HeadObject.
@Suite("Conditional reads")
struct ConditionalReadTests {
    static let body: [UInt8] = Array("conditional body".utf8)
    static var etag: String { quoted(md5Hex(body)) }
    /// The object is written at ManualClock.start (…12:00:00.250Z); Last-Modified is …12:00:00 GMT.
    static let lastModified = httpDate(millis: ManualClock.start)
    static let before = httpDate(millis: ManualClock.start, offsetSeconds: -3600)
    static let after = httpDate(millis: ManualClock.start, offsetSeconds: 3600)

    func server() async throws -> S3TestServer {
        let s3 = try S3TestServer()
        await s3.createBucket("cnd")
        #expect(await s3.put("cnd", "k", Self.body).status == 200)
        // Reads happen later than the write.
        s3.clock.advance(seconds: 7200)
        return s3
    }

    func get(_ s3: S3TestServer, _ headers: [(String, String)], head: Bool = false) async -> Reply {
        head ? await s3.head("cnd", "k", headers: headers) : await s3.get("cnd", "k", headers: headers)
    }

    @Test func lastModifiedIsWholeSeconds() async throws {
        let s3 = try await server()
        #expect(await s3.head("cnd", "k").header("Last-Modified") == Self.lastModified)
    }

    @Test(arguments: [false, true])
    func ifMatch(head: Bool) async throws {
        let s3 = try await server()
        #expect(await get(s3, [("If-Match", Self.etag)], head: head).status == 200)
        #expect(await get(s3, [("If-Match", "*")], head: head).status == 200)
        #expect(await get(s3, [("If-Match", "\"nope\", " + Self.etag)], head: head).status == 200, "any listed ETag may match")
        let failed = await get(s3, [("If-Match", "\"0123\"")], head: head)
        #expect(failed.status == 412)
        if head {
            #expect(failed.body.isEmpty)
        } else {
            expectWellFormedError(failed, code: "PreconditionFailed", status: 412, resource: "/cnd/k")
            #expect(failed.errorField("Condition") == "If-Match")
        }
    }

    @Test(arguments: [false, true])
    func ifNoneMatch(head: Bool) async throws {
        let s3 = try await server()
        let notModified = await get(s3, [("If-None-Match", Self.etag)], head: head)
        #expect(notModified.status == 304)
        #expect(notModified.body.isEmpty)
        #expect(notModified.header("ETag") == Self.etag)
        #expect(notModified.header("Last-Modified") == Self.lastModified)
        #expect(await get(s3, [("If-None-Match", "*")], head: head).status == 304)
        let other = await get(s3, [("If-None-Match", "\"0123\"")], head: head)
        #expect(other.status == 200)
        if !head { #expect(other.body == Self.body) }
    }

    @Test(arguments: [false, true])
    func ifModifiedSince(head: Bool) async throws {
        let s3 = try await server()
        #expect(await get(s3, [("If-Modified-Since", Self.before)], head: head).status == 200)
        #expect(await get(s3, [("If-Modified-Since", Self.lastModified)], head: head).status == 304,
                "not modified since its own Last-Modified (compared at second precision)")
        #expect(await get(s3, [("If-Modified-Since", Self.after)], head: head).status == 304)
    }

    @Test(arguments: [false, true])
    func ifUnmodifiedSince(head: Bool) async throws {
        let s3 = try await server()
        #expect(await get(s3, [("If-Unmodified-Since", Self.after)], head: head).status == 200)
        #expect(await get(s3, [("If-Unmodified-Since", Self.lastModified)], head: head).status == 200)
        let failed = await get(s3, [("If-Unmodified-Since", Self.before)], head: head)
        #expect(failed.status == 412)
        if !head { #expect(failed.errorCode == "PreconditionFailed") }
    }

    /// AWS: If-Match true and If-Unmodified-Since false → 200 OK.
    @Test func ifMatchTrueOverridesFailingIfUnmodifiedSince() async throws {
        let s3 = try await server()
        let reply = await get(s3, [("If-Match", Self.etag), ("If-Unmodified-Since", Self.before)])
        #expect(reply.status == 200)
        #expect(reply.body == Self.body)
    }

    /// AWS: If-None-Match false and If-Modified-Since true → 304 Not Modified.
    @Test(arguments: [false, true])
    func ifNoneMatchFalseWithIfModifiedSinceTrueIsNotModified(head: Bool) async throws {
        let s3 = try await server()
        let reply = await get(s3, [("If-None-Match", Self.etag), ("If-Modified-Since", Self.before)], head: head)
        #expect(reply.status == 304)
    }

    @Test func ifMatchFailureWinsOverIfNoneMatch() async throws {
        let s3 = try await server()
        let reply = await get(s3, [("If-Match", "\"0123\""), ("If-None-Match", Self.etag)])
        #expect(reply.status == 412)
    }

    @Test func conditionsApplyBeforeRange() async throws {
        let s3 = try await server()
        let reply = await get(s3, [("If-None-Match", Self.etag), ("Range", "bytes=0-1")])
        #expect(reply.status == 304)
        let ranged = await get(s3, [("If-Match", Self.etag), ("Range", "bytes=0-1")])
        #expect(ranged.status == 206)
        #expect(ranged.body == Array(Self.body[0...1]))
    }

    @Test func conditionsOnMissingKeyAreNoSuchKey() async throws {
        let s3 = try await server()
        let reply = await s3.get("cnd", "absent", headers: [("If-Match", Self.etag)])
        expectWellFormedError(reply, code: "NoSuchKey", status: 404)
    }
}
