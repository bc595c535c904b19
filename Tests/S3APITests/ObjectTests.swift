import Foundation
import LockstepCrypto
import LockstepTestSupport
import LockstepXML
import Testing

@Suite("Objects")
struct ObjectTests {
    @Test func putGetHeadDeleteWithContentHeadersAndMetadata() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("objs")
        let body = Array("hello, lockstep".utf8)
        let headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Encoding", "identity"),
            ("Content-Disposition", "attachment; filename=\"a.txt\""),
            ("Content-Language", "en-GB"),
            ("Cache-Control", "max-age=60"),
            ("Expires", "Thu, 01 Dec 2094 16:00:00 GMT"),
            ("x-amz-meta-Color", "blue"),
            ("x-amz-meta-empty", ""),
            ("x-amz-storage-class", "STANDARD_IA"),
        ]
        let put = await s3.put("objs", "greeting.txt", body, headers: headers)
        #expect(put.status == 200, "\(put.text)")
        #expect(put.header("ETag") == quoted(md5Hex(body)))
        #expect(put.header("x-amz-version-id") == nil, "unversioned buckets report no version id")

        let get = await s3.get("objs", "greeting.txt")
        #expect(get.status == 200)
        #expect(get.body == body)
        #expect(get.header("Content-Length") == String(body.count))
        #expect(get.header("Content-Length") == String(body.count))
        #expect(get.header("ETag") == quoted(md5Hex(body)))
        #expect(get.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(get.header("Content-Encoding") == "identity")
        #expect(get.header("Content-Disposition") == "attachment; filename=\"a.txt\"")
        #expect(get.header("Content-Language") == "en-GB")
        #expect(get.header("Cache-Control") == "max-age=60")
        #expect(get.header("Expires") == "Thu, 01 Dec 2094 16:00:00 GMT")
        #expect(get.header("x-amz-meta-color") == "blue", "metadata names are lower-cased")
        #expect(get.header("x-amz-meta-empty") == "")
        #expect(get.header("x-amz-storage-class") == "STANDARD_IA")
        #expect(get.header("Last-Modified") == "Sat, 01 Mar 2025 12:00:00 GMT")
        #expect(get.header("Accept-Ranges") == "bytes")

        let head = await s3.head("objs", "greeting.txt")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.header("Content-Length") == String(body.count))
        #expect(head.header("ETag") == quoted(md5Hex(body)))
        #expect(head.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(head.header("x-amz-meta-color") == "blue")

        let deleted = await s3.delete("objs", "greeting.txt")
        #expect(deleted.status == 204)
        expectWellFormedError(await s3.get("objs", "greeting.txt"), code: "NoSuchKey", status: 404, resource: "/objs/greeting.txt")
        let headGone = await s3.head("objs", "greeting.txt")
        #expect(headGone.status == 404)
        #expect(headGone.body.isEmpty)
    }

    @Test func defaultContentTypeIsBinaryOctetStream() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("objs")
        #expect(await s3.put("objs", "k", [1]).status == 200)
        #expect(await s3.head("objs", "k").header("Content-Type") == "binary/octet-stream")
    }

    @Test func deleteMissingKeySucceeds() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("objs")
        let reply = await s3.delete("objs", "never-existed")
        #expect(reply.status == 204)
    }

    @Test func emptyObject() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("objs")
        let put = await s3.put("objs", "empty", [])
        #expect(put.status == 200)
        #expect(put.header("ETag") == quoted("d41d8cd98f00b204e9800998ecf8427e"))
        let get = await s3.get("objs", "empty")
        #expect(get.status == 200)
        #expect(get.body.isEmpty)
        #expect(get.header("Content-Length") == "0")
    }

    @Test func overwriteReplacesBodyAndMetadata() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("objs")
        #expect(await s3.put("objs", "k", [1, 2, 3], headers: [("x-amz-meta-old", "1")]).status == 200)
        #expect(await s3.put("objs", "k", [4, 5], headers: [("x-amz-meta-new", "2")]).status == 200)
        let get = await s3.get("objs", "k")
        #expect(get.body == [4, 5])
        #expect(get.header("x-amz-meta-old") == nil)
        #expect(get.header("x-amz-meta-new") == "2")
    }

    @Test(arguments: [64 * 1024, 64 * 1024 + 1, 3 * 1024 * 1024 + 17])
    func largeBodiesRoundTrip(_ size: Int) async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("big")
        let body = testBytes(size, seed: 7)
        let put = await s3.put("big", "blob", body)
        #expect(put.status == 200, "\(put.text)")
        #expect(put.header("ETag") == quoted(md5Hex(body)))
        let get = await s3.get("big", "blob")
        #expect(get.status == 200)
        #expect(get.body.count == size)
        #expect(get.body == body)
    }

    @Test func metadataUpToTwoKilobytesIsAccepted() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("meta")
        // 4 + 1996 = 2000 bytes of name and value.
        let reply = await s3.put("meta", "ok", [1], headers: [("x-amz-meta-name", String(repeating: "v", count: 1996))])
        #expect(reply.status == 200, "\(reply.text)")
    }

    @Test func metadataOverTwoKilobytesIsMetadataTooLarge() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("meta")
        let headers = [("x-amz-meta-a", String(repeating: "x", count: 1200)), ("x-amz-meta-b", String(repeating: "y", count: 1200))]
        let reply = await s3.put("meta", "too-big", [1], headers: headers)
        expectWellFormedError(reply, code: "MetadataTooLarge", status: 400, resource: "/meta/too-big")
        expectWellFormedError(await s3.get("meta", "too-big"), code: "NoSuchKey", status: 404)
    }

    @Test func keyOf1024BytesIsAcceptedAnd1025IsKeyTooLong() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("keys")
        let okKey = String(repeating: "k", count: 1024)
        #expect(await s3.put("keys", okKey, [1]).status == 200)
        #expect(await s3.get("keys", okKey).body == [1])

        let longKey = String(repeating: "k", count: 1025)
        let reply = await s3.put("keys", longKey, [1])
        expectWellFormedError(reply, code: "KeyTooLongError", status: 400)
        // Counted in UTF-8 bytes: 342 three-byte characters are 1026 bytes.
        let wide = String(repeating: "€", count: 342)
        expectWellFormedError(await s3.put("keys", wide, [1]), code: "KeyTooLongError", status: 400)
    }

    @Test(arguments: ["with space", "unicodé/日本語/😀", "plus+sign", "per%cent", "a//double//slash", "../dot-dot", "./dot",
                      "trailing/", "/leading", "semi;colon,comma=eq&amp", "quote\"apos'", "tab\there", "~tilde*star(paren)",
                      "question?mark#hash"])
    func specialKeysRoundTrip(_ key: String) async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("keys")
        let body = Array(key.utf8)
        let put = await s3.put("keys", key, body)
        #expect(put.status == 200, "\(put.text)")
        let get = await s3.get("keys", key)
        #expect(get.status == 200)
        #expect(get.body == body)
        let list = await s3.listV2("keys")
        #expect(list.xml?.texts("Contents", "Key") == [key])
        #expect(await s3.delete("keys", key).status == 204)
        #expect(await s3.get("keys", key).status == 404)
    }

    @Test func plusInPathIsNotASpace() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("keys")
        #expect(await s3.put("keys", "a+b", [1]).status == 200)
        #expect(await s3.get("keys", "a b").status == 404)
        #expect(await s3.send(.get, "/keys/a+b").body == [1], "a literal + in the path is a plus")
    }

    @Test func responseContentOverrides() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("over")
        #expect(await s3.put("over", "doc", [1, 2], headers: [("Content-Type", "text/plain"), ("Cache-Control", "no-cache")]).status == 200)
        let query = [
            "response-content-type=" + q("application/json"),
            "response-content-language=" + q("fr"),
            "response-expires=" + q("Wed, 21 Oct 2037 07:28:00 GMT"),
            "response-cache-control=" + q("max-age=5"),
            "response-content-disposition=" + q("attachment; filename=x.json"),
            "response-content-encoding=" + q("gzip"),
        ].joined(separator: "&")
        let get = await s3.get("over", "doc", query: query)
        #expect(get.status == 200)
        #expect(get.body == [1, 2])
        #expect(get.header("Content-Type") == "application/json")
        #expect(get.header("Content-Language") == "fr")
        #expect(get.header("Expires") == "Wed, 21 Oct 2037 07:28:00 GMT")
        #expect(get.header("Cache-Control") == "max-age=5")
        #expect(get.header("Content-Disposition") == "attachment; filename=x.json")
        #expect(get.header("Content-Encoding") == "gzip")

        // Overrides apply to the response only.
        let plain = await s3.get("over", "doc")
        #expect(plain.header("Content-Type") == "text/plain")
        #expect(plain.header("Cache-Control") == "no-cache")
    }

    /// HeadObject accepts the same response-* overrides as GetObject.
    @Test func responseContentOverridesOnHead() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("over")
        #expect(await s3.put("over", "doc", [1, 2], headers: [("Content-Type", "text/plain")]).status == 200)
        let head = await s3.head("over", "doc", query: "response-content-type=" + q("application/json") + "&response-cache-control=no-store")
        #expect(head.status == 200)
        #expect(head.header("Content-Type") == "application/json")
        #expect(head.header("Cache-Control") == "no-store")
    }

    @Test func invalidStorageClassIsRejected() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("scl")
        let reply = await s3.put("scl", "k", [1], headers: [("x-amz-storage-class", "PLATINUM")])
        expectWellFormedError(reply, code: "InvalidStorageClass", status: 400)
        #expect(await s3.get("scl", "k").status == 404)
    }

    @Test func ifNoneMatchStarRefusesToOverwrite() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("cond")
        let first = await s3.put("cond", "once", [1], headers: [("If-None-Match", "*")])
        #expect(first.status == 200, "absent key: the write goes through")

        let second = await s3.put("cond", "once", [2], headers: [("If-None-Match", "*")])
        expectWellFormedError(second, code: "PreconditionFailed", status: 412, resource: "/cond/once")
        #expect(await s3.get("cond", "once").body == [1], "the existing object is untouched")

        #expect(await s3.delete("cond", "once").status == 204)
        let third = await s3.put("cond", "once", [3], headers: [("If-None-Match", "*")])
        #expect(third.status == 200, "after delete the key is absent again")
        #expect(await s3.get("cond", "once").body == [3])
    }

    /// AWS names the failed condition in `<Condition>`.
    @Test func ifNoneMatchFailureNamesTheCondition() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("cond")
        #expect(await s3.put("cond", "k", [1]).status == 200)
        let reply = await s3.put("cond", "k", [2], headers: [("If-None-Match", "*")])
        #expect(reply.status == 412)
        #expect(reply.errorField("Condition") == "If-None-Match", "\(reply.text)")
    }

    @Test func ifNoneMatchStarAfterDeleteMarkerSucceeds() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("cond")
        await s3.setVersioning("cond", "Enabled")
        #expect(await s3.put("cond", "k", [1]).status == 200)
        #expect(await s3.put("cond", "k", [2], headers: [("If-None-Match", "*")]).status == 412)
        #expect(await s3.delete("cond", "k").status == 204)
        #expect(await s3.put("cond", "k", [3], headers: [("If-None-Match", "*")]).status == 200)
    }

    @Test func ifMatchOnPut() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("cond")
        expectWellFormedError(await s3.put("cond", "k", [1], headers: [("If-Match", quoted(md5Hex([1])))]), code: "NoSuchKey", status: 404)
        #expect(await s3.put("cond", "k", [1]).status == 200)
        expectWellFormedError(await s3.put("cond", "k", [2], headers: [("If-Match", quoted(md5Hex([9])))]), code: "PreconditionFailed", status: 412)
        #expect(await s3.get("cond", "k").body == [1])
        #expect(await s3.put("cond", "k", [2], headers: [("If-Match", quoted(md5Hex([1])))]).status == 200)
        #expect(await s3.get("cond", "k").body == [2])
    }

    @Test func contentLengthLongerThanBodyIsIncompleteBody() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("len")
        let reply = await s3.send(.put, S3TestServer.path("len", "short"), body: [1, 2, 3], payload: .unsigned, declaredLength: 10)
        expectWellFormedError(reply, code: "IncompleteBody", status: 400)
        #expect(await s3.get("len", "short").status == 404)
    }

    @Test func bodyLongerThanContentLengthIsRejected() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("len")
        let reply = await s3.send(.put, S3TestServer.path("len", "long"), body: [1, 2, 3, 4, 5], payload: .unsigned, declaredLength: 2)
        #expect(reply.status == 400, "\(reply.text)")
        #expect(await s3.get("len", "long").status == 404)
    }

    @Test func getObjectAttributes() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("attrs")
        let body = testBytes(1000)
        #expect(await s3.put("attrs", "k", body, headers: [("x-amz-checksum-crc32", ChecksumComputer.base64(.crc32, body))]).status == 200)
        let reply = await s3.get("attrs", "k", query: "attributes", headers: [("x-amz-object-attributes", "ETag,Checksum,ObjectSize,StorageClass")])
        #expect(reply.status == 200, "\(reply.text)")
        let root = try #require(reply.xml)
        #expect(root.name == "GetObjectAttributesResponse")
        #expect(root.value("ETag").map(ObjectTests.unquote) == md5Hex(body))
        #expect(root.value("ObjectSize") == "1000")
        #expect(root.value("StorageClass") == "STANDARD")
        #expect(root.at("Checksum", "ChecksumCRC32")?.text == ChecksumComputer.base64(.crc32, body))
        #expect(root.at("Checksum", "ChecksumType")?.text == "FULL_OBJECT")
        #expect(reply.header("Last-Modified") != nil)

        let onlySize = await s3.get("attrs", "k", query: "attributes", headers: [("x-amz-object-attributes", "ObjectSize")])
        #expect(onlySize.xml?.value("ObjectSize") == "1000")
        #expect(onlySize.xml?.child("ETag") == nil, "only the requested attributes")
    }

    @Test func getObjectAttributesErrors() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("attrs")
        #expect(await s3.put("attrs", "k", [1]).status == 200)
        expectWellFormedError(await s3.get("attrs", "k", query: "attributes", headers: [("x-amz-object-attributes", "Colour")]),
                              code: "InvalidArgument", status: 400)
        // A missing attribute list is InvalidRequest ("…header … is either missing or empty"), a wrong name InvalidArgument.
        expectWellFormedError(await s3.get("attrs", "k", query: "attributes"), code: "InvalidRequest", status: 400)
        expectWellFormedError(await s3.get("attrs", "missing", query: "attributes", headers: [("x-amz-object-attributes", "ETag")]),
                              code: "NoSuchKey", status: 404)
    }

    @Test func invalidVersionIdIsInvalidArgument() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("objs")
        #expect(await s3.put("objs", "k", [1]).status == 200)
        expectWellFormedError(await s3.get("objs", "k", query: "versionId=not-a-version"), code: "InvalidArgument", status: 400)
    }

    @Test func nullVersionIdAddressesUnversionedObject() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("objs")
        #expect(await s3.put("objs", "k", [5]).status == 200)
        #expect(await s3.get("objs", "k", query: "versionId=null").body == [5])
    }

    @Test func concurrentIfNoneMatchWritesHaveOneWinner() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("race")
        let results = await withTaskGroup(of: (UInt8, Int).self) { group in
            for i in UInt8(1)...8 {
                group.addTask { (i, await s3.put("race", "k", [i], headers: [("If-None-Match", "*")]).status) }
            }
            var out: [(UInt8, Int)] = []
            for await r in group { out.append(r) }
            return out
        }
        let winners = results.filter { $0.1 == 200 }
        #expect(winners.count == 1, "\(results)")
        #expect(results.allSatisfy { $0.1 == 200 || $0.1 == 412 || $0.1 == 409 }, "\(results)")
        if let winner = winners.first { #expect(await s3.get("race", "k").body == [winner.0]) }
    }

    @Test func concurrentWritesSurviveAFailingNeighbour() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("race")
        #expect(await s3.put("race", "base", [0]).status == 200)
        let results = await withTaskGroup(of: (String, Int).self) { group in
            for i in 0..<12 {
                group.addTask { ("k\(i)", await s3.put("race", "k\(i)", [UInt8(i)]).status) }
                group.addTask { ("base", await s3.put("race", "base", [9], headers: [("If-Match", quoted(md5Hex([7])))]).status) }
            }
            var out: [(String, Int)] = []
            for await r in group { out.append(r) }
            return out
        }
        for (key, status) in results { #expect(status == (key == "base" ? 412 : 200), "\(key)") }
        let listed = await s3.listV2("race").xml?.texts("Contents", "Key") ?? []
        #expect(Set(listed) == Set(["base"] + (0..<12).map { "k\($0)" }))
        for i in 0..<12 { #expect(await s3.get("race", "k\(i)").body == [UInt8(i)]) }
        #expect(await s3.get("race", "base").body == [0])
    }

    static func unquote(_ s: String) -> String {
        s.hasPrefix("\"") && s.hasSuffix("\"") && s.count >= 2 ? String(s.dropFirst().dropLast()) : s
    }
}

@Suite("Upload limits")
struct UploadLimitTests {
    /// A single PUT may not exceed 5 GiB; the declared length is refused before any byte is read.
    @Test func putLargerThanFiveGiBIsEntityTooLarge() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("lim")
        let reply = await s3.send(.put, S3TestServer.path("lim", "huge"), body: [1, 2, 3], payload: .unsigned,
                                  declaredLength: 5 * 1024 * 1024 * 1024 + 1)
        expectWellFormedError(reply, code: "EntityTooLarge", status: 400)
        #expect(await s3.get("lim", "huge").status == 404)
    }
}
