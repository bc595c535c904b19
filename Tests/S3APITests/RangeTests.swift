import Foundation
import LockstepCrypto
import LockstepTestSupport
import Testing

@Suite("Ranges")
struct RangeTests {
    static let body = Array("0123456789abcdefghij".utf8)  // 20 bytes

    func server() async throws -> S3TestServer {
        let s3 = try S3TestServer()
        await s3.createBucket("rng")
        #expect(await s3.put("rng", "k", Self.body).status == 200)
        return s3
    }

    @Test(arguments: [
        ("bytes=0-4", 0, 4),
        ("bytes=5-9", 5, 9),
        ("bytes=15-", 15, 19),      // open-ended
        ("bytes=-3", 17, 19),       // suffix
        ("bytes=-100", 0, 19),      // suffix longer than the object
        ("bytes=10-1000", 10, 19),  // end past the object is clamped
        ("bytes=19-19", 19, 19),
    ])
    func satisfiableRanges(_ range: String, _ first: Int, _ last: Int) async throws {
        let s3 = try await server()
        let reply = await s3.get("rng", "k", headers: [("Range", range)])
        #expect(reply.status == 206)
        #expect(reply.body == Array(Self.body[first...last]))
        #expect(reply.header("Content-Range") == "bytes \(first)-\(last)/20")
        #expect(reply.header("Content-Length") == String(last - first + 1))
        #expect(reply.header("Content-Length") == String(last - first + 1))
        #expect(reply.header("ETag") == quoted(md5Hex(Self.body)))
    }

    @Test(arguments: ["bytes=20-", "bytes=25-30", "bytes=20-20"])
    func unsatisfiableRangeIsInvalidRange(_ range: String) async throws {
        let s3 = try await server()
        let reply = await s3.get("rng", "k", headers: [("Range", range)])
        expectWellFormedError(reply, code: "InvalidRange", status: 416, resource: "/rng/k")
        #expect(reply.errorField("ActualObjectSize") == "20")
    }

    @Test(arguments: ["bytes=0-", "bytes=0-0", "bytes=5-10"])
    func anyRangeOfAnEmptyObjectIsInvalidRange(_ range: String) async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("rng")
        #expect(await s3.put("rng", "empty", []).status == 200)
        let reply = await s3.get("rng", "empty", headers: [("Range", range)])
        expectWellFormedError(reply, code: "InvalidRange", status: 416)
    }

    /// Headers S3 cannot use are ignored: the whole object comes back with 200.
    @Test(arguments: ["bytes=5-2", "bytes=a-b", "items=0-1", "bytes=0-1,4-5"])
    func unusableRangeHeadersAreIgnored(_ range: String) async throws {
        let s3 = try await server()
        let reply = await s3.get("rng", "k", headers: [("Range", range)])
        #expect(reply.status == 200)
        #expect(reply.body == Self.body)
        #expect(reply.header("Content-Range") == nil)
    }

    @Test func rangeOnHeadReportsPartialLength() async throws {
        let s3 = try await server()
        let reply = await s3.head("rng", "k", headers: [("Range", "bytes=2-5")])
        #expect(reply.status == 206)
        #expect(reply.body.isEmpty)
        #expect(reply.header("Content-Length") == "4")
        #expect(reply.header("Content-Range") == "bytes 2-5/20")
    }

    @Test func rangeAcrossBlobBackedObject() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("rng")
        let body = testBytes(3 * 1024 * 1024, seed: 3)
        #expect(await s3.put("rng", "big", body).status == 200)
        let start = 1024 * 1024 - 10, end = 2 * 1024 * 1024 + 10
        let reply = await s3.get("rng", "big", headers: [("Range", "bytes=\(start)-\(end)")])
        #expect(reply.status == 206)
        #expect(reply.body == Array(body[start...end]))
    }
}
