import Foundation
import LockstepTestSupport
import Testing

/// Conditional writes and deletes: the Terraform lock depends on these being decided atomically in the commit.
@Suite("Conditional writes")
struct ConditionalWriteTests {
    func server(versioning: String? = nil) async throws -> S3TestServer {
        let s3 = try S3TestServer()
        await s3.createBucket("cond")
        if let versioning { await s3.setVersioning("cond", versioning) }
        return s3
    }

    @Test(arguments: [nil, "Enabled", "Suspended"])
    func ifNoneMatchStarTreatsADeleteMarkerAsAbsent(_ versioning: String?) async throws {
        let s3 = try await server(versioning: versioning)
        #expect(await s3.put("cond", "state.tflock", [1], headers: [("If-None-Match", "*")]).status == 200)
        let second = await s3.put("cond", "state.tflock", [2], headers: [("If-None-Match", "*")])
        expectWellFormedError(second, code: "PreconditionFailed", status: 412)
        #expect(second.errorField("Condition") == "If-None-Match")
        #expect(await s3.get("cond", "state.tflock").body == [1])
        #expect(await s3.delete("cond", "state.tflock").status == 204)
        // After unlock the lock can be taken again, in every versioning state (a marker is not an object).
        #expect(await s3.put("cond", "state.tflock", [3], headers: [("If-None-Match", "*")]).status == 200)
    }

    @Test func ifNoneMatchWithAnETagIsNotImplemented() async throws {
        let s3 = try await server()
        expectWellFormedError(await s3.put("cond", "k", [1], headers: [("If-None-Match", "\"abc\"")]), code: "NotImplemented", status: 501)
    }

    @Test(arguments: [nil, "Enabled"])
    func ifMatchComparesTheCurrentETag(_ versioning: String?) async throws {
        let s3 = try await server(versioning: versioning)
        expectWellFormedError(await s3.put("cond", "k", [1], headers: [("If-Match", quoted(md5Hex([1])))]), code: "NoSuchKey", status: 404)
        #expect(await s3.put("cond", "k", [1]).status == 200)
        let wrong = await s3.put("cond", "k", [2], headers: [("If-Match", quoted(md5Hex([9])))])
        expectWellFormedError(wrong, code: "PreconditionFailed", status: 412)
        #expect(wrong.errorField("Condition") == "If-Match")
        #expect(await s3.put("cond", "k", [2], headers: [("If-Match", quoted(md5Hex([1])))]).status == 200)
        #expect(await s3.get("cond", "k").body == [2])
        #expect(await s3.put("cond", "k", [3], headers: [("If-Match", "*")]).status == 200)
    }

    @Test func conditionalDelete() async throws {
        let s3 = try await server(versioning: "Enabled")
        // Nothing there: If-Match (ETag or *) → 404 NoSuchKey.
        expectWellFormedError(await s3.send(.delete, S3TestServer.path("cond", "k"), headers: [("If-Match", "*")]), code: "NoSuchKey", status: 404)
        #expect(await s3.put("cond", "k", [1]).status == 200)
        let mismatch = await s3.send(.delete, S3TestServer.path("cond", "k"), headers: [("If-Match", quoted(md5Hex([2])))])
        expectWellFormedError(mismatch, code: "PreconditionFailed", status: 412)
        #expect(await s3.get("cond", "k").status == 200)
        let deleted = await s3.send(.delete, S3TestServer.path("cond", "k"), headers: [("If-Match", quoted(md5Hex([1])))])
        #expect(deleted.status == 204)
        #expect(deleted.header("x-amz-delete-marker") == "true")
        // The latest version is now a marker: If-Match: * finds no object.
        expectWellFormedError(await s3.send(.delete, S3TestServer.path("cond", "k"), headers: [("If-Match", "*")]), code: "NoSuchKey", status: 404)
    }

    @Test func deleteObjectsHonoursETagElements() async throws {
        let s3 = try await server()
        #expect(await s3.put("cond", "a", [1]).status == 200)
        #expect(await s3.put("cond", "b", [2]).status == 200)
        let body = Array("""
            <Delete><Object><Key>a</Key><ETag>"\(md5Hex([9]))"</ETag></Object><Object><Key>b</Key><ETag>"\(md5Hex([2]))"</ETag></Object></Delete>
            """.utf8)
        let reply = await s3.send(.post, S3TestServer.path("cond"), query: "delete", headers: [("Content-MD5", md5Base64(body))], body: body)
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.xml!.texts("Error", "Key") == ["a"])
        #expect(reply.xml!.texts("Error", "Code") == ["PreconditionFailed"])
        #expect(reply.xml!.texts("Deleted", "Key") == ["b"])
        #expect(await s3.get("cond", "a").status == 200)
        #expect(await s3.get("cond", "b").status == 404)
    }

    /// Of many racing `If-None-Match: *` writers exactly one commits; the rest get 412 (never 5xx).
    @Test func racingLockWritersHaveExactlyOneWinner() async throws {
        let s3 = try await server(versioning: "Enabled")
        for round in 0..<10 {
            let statuses = await withTaskGroup(of: Int.self) { group in
                for writer in 0..<16 {
                    group.addTask { await s3.put("cond", "lock\(round)", [UInt8(writer)], headers: [("If-None-Match", "*")]).status }
                }
                return await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 1, "round \(round): \(statuses)")
            #expect(statuses.filter { $0 == 412 }.count == 15, "round \(round): \(statuses)")
        }
    }

    func completeUpload(_ s3: S3TestServer, key: String, headers: [(String, String)]) async throws -> Reply {
        let create = await s3.send(.post, S3TestServer.path("cond", key), query: "uploads")
        let uploadId = try #require(create.xml?.value("UploadId"))
        let part = await s3.send(.put, S3TestServer.path("cond", key), query: "partNumber=1&uploadId=\(uploadId)", body: [7, 7, 7])
        let etag = try #require(part.header("ETag"))
        // Someone else writes the key while the upload runs.
        #expect(await s3.put("cond", key, [1]).status == 200)
        let body = Array("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(etag)</ETag></Part></CompleteMultipartUpload>".utf8)
        return await s3.send(.post, S3TestServer.path("cond", key), query: "uploadId=\(uploadId)", headers: headers, body: body)
    }

    @Test func completeWithIfNoneMatchFailsWhenTheKeyAppeared() async throws {
        let s3 = try await server()
        let reply = try await completeUpload(s3, key: "mp", headers: [("If-None-Match", "*")])
        expectWellFormedError(reply, code: "PreconditionFailed", status: 412)
        #expect(await s3.get("cond", "mp").body == [1])
    }

    @Test func completeWithIfMatchConflictsWhenTheKeyChangedDuringTheUpload() async throws {
        let s3 = try await server()
        let reply = try await completeUpload(s3, key: "mp", headers: [("If-Match", quoted(md5Hex([1])))])
        expectWellFormedError(reply, code: "ConditionalRequestConflict", status: 409)
        #expect(await s3.get("cond", "mp").body == [1])
    }

    @Test func suspendedBucketsReportTheNullVersion() async throws {
        let s3 = try await server(versioning: "Enabled")
        await s3.setVersioning("cond", "Suspended")
        // A write sends no version header there (AWSFidelityTests); reads report the null version.
        #expect(await s3.put("cond", "k", [1]).status == 200)
        #expect(await s3.get("cond", "k").header("x-amz-version-id") == "null")
        let unversioned = try await server()
        #expect(await unversioned.put("cond", "k", [1]).header("x-amz-version-id") == nil)
    }
}
