import Foundation
import LockstepCrypto
import LockstepTestSupport
import Testing

@Suite("DeleteObjects")
struct DeleteObjectsTests {
    static func document(_ objects: [(key: String, versionId: String?)], quiet: Bool = false) -> [UInt8] {
        var xml = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        if quiet { xml += "<Quiet>true</Quiet>" }
        for object in objects {
            let key = object.key.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            xml += "<Object><Key>\(key)</Key>"
            if let v = object.versionId { xml += "<VersionId>\(v)</VersionId>" }
            xml += "</Object>"
        }
        return Array((xml + "</Delete>").utf8)
    }

    func deleteObjects(_ s3: S3TestServer, _ bucket: String, _ body: [UInt8], md5: Bool = true, headers: [(String, String)] = []) async -> Reply {
        await s3.send(.post, "/" + bucket, query: "delete", headers: (md5 ? [("Content-MD5", md5Base64(body))] : []) + headers, body: body)
    }

    @Test func deletesAndReportsEachKey() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("del")
        for key in ["a", "b & c", "dir/d"] { #expect(await s3.put("del", key, [1]).status == 200) }
        let body = Self.document([("a", nil), ("b & c", nil), ("dir/d", nil), ("never-existed", nil)])
        let reply = await deleteObjects(s3, "del", body)
        #expect(reply.status == 200, "\(reply.text)")
        let root = try #require(reply.xml)
        #expect(root.name == "DeleteResult")
        #expect(Set(root.texts("Deleted", "Key")) == Set(["a", "b & c", "dir/d", "never-existed"]), "missing keys count as deleted")
        #expect(root.child("Error") == nil)
        #expect(await s3.listV2("del").xml?.child("Contents") == nil)
    }

    @Test func quietModeReportsOnlyErrors() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("del")
        #expect(await s3.put("del", "a", [1]).status == 200)
        let tooLong = String(repeating: "x", count: 1025)
        let reply = await deleteObjects(s3, "del", Self.document([("a", nil), (tooLong, nil)], quiet: true))
        #expect(reply.status == 200)
        let root = try #require(reply.xml)
        #expect(root.child("Deleted") == nil)
        #expect(root.texts("Error", "Key") == [tooLong])
        #expect(root.texts("Error", "Code") == ["KeyTooLongError"])
        #expect(await s3.get("del", "a").status == 404)
    }

    @Test func missingContentMD5IsInvalidRequest() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("del")
        #expect(await s3.put("del", "a", [1]).status == 200)
        let reply = await deleteObjects(s3, "del", Self.document([("a", nil)]), md5: false)
        expectWellFormedError(reply, code: "InvalidRequest", status: 400, resource: "/del")
        #expect(await s3.get("del", "a").status == 200, "nothing deleted")
    }

    @Test func checksumHeaderInsteadOfContentMD5IsAccepted() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("del")
        #expect(await s3.put("del", "a", [1]).status == 200)
        let body = Self.document([("a", nil)])
        let reply = await deleteObjects(s3, "del", body, md5: false, headers: [("x-amz-checksum-crc32", ChecksumComputer.base64(.crc32, body))])
        #expect(reply.status == 200, "\(reply.text)")
        #expect(await s3.get("del", "a").status == 404)
    }

    @Test func wrongContentMD5IsBadDigest() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("del")
        #expect(await s3.put("del", "a", [1]).status == 200)
        let reply = await s3.send(.post, "/del", query: "delete", headers: [("Content-MD5", md5Base64([0]))], body: Self.document([("a", nil)]))
        expectWellFormedError(reply, code: "BadDigest", status: 400)
        #expect(await s3.get("del", "a").status == 200)
    }

    @Test func moreThan1000KeysIsMalformedXML() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("del")
        #expect(await s3.put("del", "k0", [1]).status == 200)
        let body = Self.document((0...1000).map { (key: "k\($0)", versionId: nil) })
        let reply = await deleteObjects(s3, "del", body)
        expectWellFormedError(reply, code: "MalformedXML", status: 400)
        #expect(await s3.get("del", "k0").status == 200, "nothing deleted")

        let exactly1000 = await deleteObjects(s3, "del", Self.document((0..<1000).map { (key: "k\($0)", versionId: nil) }, quiet: true))
        #expect(exactly1000.status == 200)
        #expect(await s3.get("del", "k0").status == 404)
    }

    @Test func malformedDocuments() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("del")
        for text in ["<Delete></Delete>", "<Delete><Object></Object></Delete>", "<Remove><Object><Key>a</Key></Object></Remove>", "not xml"] {
            expectWellFormedError(await deleteObjects(s3, "del", Array(text.utf8)), code: "MalformedXML", status: 400)
        }
    }

    @Test func missingBucket() async throws {
        let s3 = try S3TestServer()
        expectWellFormedError(await deleteObjects(s3, "nobucket", Self.document([("a", nil)])), code: "NoSuchBucket", status: 404)
    }

    @Test func versionedDeletes() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("del")
        await s3.setVersioning("del", "Enabled")
        let v1 = await s3.put("del", "k", [1]).header("x-amz-version-id")!
        let v2 = await s3.put("del", "k", [2]).header("x-amz-version-id")!

        // Without a version id: a delete marker.
        let marker = await deleteObjects(s3, "del", Self.document([("k", nil)]))
        let deleted = try #require(marker.xml?.child("Deleted"))
        #expect(deleted.value("DeleteMarker") == "true")
        let markerId = try #require(deleted.value("DeleteMarkerVersionId"))
        #expect(markerId != v1 && markerId != v2)

        // With version ids: permanent.
        let permanent = await deleteObjects(s3, "del", Self.document([("k", v1), ("k", markerId)]))
        let entries = permanent.xml?.all("Deleted") ?? []
        #expect(entries.compactMap { $0.value("VersionId") } == [v1, markerId])
        #expect(entries.last?.value("DeleteMarker") == "true", "deleting a marker reports it")
        #expect(await s3.get("del", "k").body == [2], "removing the marker restores v2")

        let invalid = await deleteObjects(s3, "del", Self.document([("k", "bad-version")]))
        #expect(invalid.xml?.texts("Error", "Code") == ["InvalidArgument"])
    }
}
