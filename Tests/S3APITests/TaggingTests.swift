import Foundation
import LockstepTestSupport
import Testing

@Suite("Tagging")
struct TaggingTests {
    static func document(_ tags: [(String, String)]) -> [UInt8] {
        var xml = "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
        for (k, v) in tags { xml += "<Tag><Key>\(k)</Key><Value>\(v)</Value></Tag>" }
        return Array((xml + "</TagSet></Tagging>").utf8)
    }

    @Test func putGetDeleteObjectTagging() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("tags")
        #expect(await s3.put("tags", "k", [1]).status == 200)

        let empty = await s3.get("tags", "k", query: "tagging")
        #expect(empty.status == 200)
        #expect(empty.xml?.name == "Tagging")
        #expect(empty.xml?.at("TagSet") != nil)
        #expect(empty.xml?.at("TagSet")?.child("Tag") == nil)
        #expect(await s3.get("tags", "k").header("x-amz-tagging-count") == nil)

        let body = Self.document([("project", "lockstep"), ("tier", "gold")])
        let put = await s3.send(.put, "/tags/k", query: "tagging", headers: [("Content-MD5", md5Base64(body))], body: body)
        #expect(put.status == 200, "\(put.text)")

        let got = await s3.get("tags", "k", query: "tagging")
        #expect(got.xml?.at("TagSet")?.texts("Tag", "Key") == ["project", "tier"])
        #expect(got.xml?.at("TagSet")?.texts("Tag", "Value") == ["lockstep", "gold"])
        #expect(await s3.get("tags", "k").header("x-amz-tagging-count") == "2")

        // Tagging changes neither body nor ETag.
        let object = await s3.get("tags", "k")
        #expect(object.body == [1])
        #expect(object.header("ETag") == quoted(md5Hex([1])))

        let deleted = await s3.send(.delete, "/tags/k", query: "tagging")
        #expect(deleted.status == 204)
        #expect(await s3.get("tags", "k", query: "tagging").xml?.at("TagSet")?.child("Tag") == nil)
        #expect(await s3.get("tags", "k").header("x-amz-tagging-count") == nil)
    }

    @Test func taggingHeaderOnPut() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("tags")
        #expect(await s3.put("tags", "k", [1], headers: [("x-amz-tagging", "a=1&b=two%20words&c=x+y")]).status == 200)
        let got = await s3.get("tags", "k", query: "tagging")
        #expect(got.xml?.at("TagSet")?.texts("Tag", "Key") == ["a", "b", "c"])
        #expect(got.xml?.at("TagSet")?.texts("Tag", "Value") == ["1", "two words", "x y"])
    }

    @Test func tooManyTags() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("tags")
        #expect(await s3.put("tags", "k", [1]).status == 200)
        let body = Self.document((1...11).map { ("k\($0)", "v") })
        let reply = await s3.send(.put, "/tags/k", query: "tagging", body: body)
        expectWellFormedError(reply, code: "BadRequest", status: 400)
        let header = (1...11).map { "k\($0)=v" }.joined(separator: "&")
        #expect(await s3.put("tags", "k2", [1], headers: [("x-amz-tagging", header)]).status == 400)
        #expect(await s3.get("tags", "k2").status == 404)
    }

    @Test(arguments: [
        [("dup", "1"), ("dup", "2")],
        [("aws:reserved", "1")],
        [(String(repeating: "k", count: 129), "v")],
        [("k", String(repeating: "v", count: 257))],
    ])
    func invalidTags(_ tags: [(String, String)]) async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("tags")
        #expect(await s3.put("tags", "k", [1]).status == 200)
        expectWellFormedError(await s3.send(.put, "/tags/k", query: "tagging", body: Self.document(tags)), code: "InvalidTag", status: 400)
        #expect(await s3.get("tags", "k", query: "tagging").xml?.at("TagSet")?.child("Tag") == nil, "nothing stored")
    }

    @Test func malformedTaggingDocument() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("tags")
        #expect(await s3.put("tags", "k", [1]).status == 200)
        expectWellFormedError(await s3.send(.put, "/tags/k", query: "tagging", body: Array("<Tagging><TagSet>".utf8)), code: "MalformedXML", status: 400)
        expectWellFormedError(await s3.send(.put, "/tags/k", query: "tagging", body: Array("<Other/>".utf8)), code: "MalformedXML", status: 400)
    }

    @Test func taggingMissingObject() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("tags")
        expectWellFormedError(await s3.get("tags", "nothing", query: "tagging"), code: "NoSuchKey", status: 404)
        expectWellFormedError(await s3.send(.put, "/tags/nothing", query: "tagging", body: Self.document([("a", "b")])), code: "NoSuchKey", status: 404)
        expectWellFormedError(await s3.send(.delete, "/tags/nothing", query: "tagging"), code: "NoSuchKey", status: 404)
    }

    @Test func taggingSpecificVersions() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("tags")
        await s3.setVersioning("tags", "Enabled")
        let v1 = await s3.put("tags", "k", [1]).header("x-amz-version-id")!
        let v2 = await s3.put("tags", "k", [2]).header("x-amz-version-id")!
        let put = await s3.send(.put, "/tags/k", query: "tagging&versionId=" + v1, body: Self.document([("old", "yes")]))
        #expect(put.status == 200)
        #expect(put.header("x-amz-version-id") == v1)
        #expect(await s3.get("tags", "k", query: "tagging&versionId=" + v1).xml?.at("TagSet")?.texts("Tag", "Key") == ["old"])
        let latest = await s3.get("tags", "k", query: "tagging")
        #expect(latest.header("x-amz-version-id") == v2)
        #expect(latest.xml?.at("TagSet")?.child("Tag") == nil)
    }
}
