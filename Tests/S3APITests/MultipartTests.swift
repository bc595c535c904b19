import Foundation
import LockstepCrypto
import LockstepTestSupport
import LockstepXML
import SigV4
import Testing

let minimumPartSize = 5 * 1024 * 1024
/// Shared large part bodies (generated once).
let bigPartA = testBytes(minimumPartSize, seed: 11)
let bigPartB = testBytes(minimumPartSize + 333, seed: 12)

struct CompletedPart {
    var number: Int
    var etag: String
    var checksum: (name: String, value: String)? = nil
}

/// Multipart helpers on the test server.
extension S3TestServer {
    func createUpload(_ bucket: String, _ key: String, headers: [(String, String)] = []) async throws -> String {
        let reply = await send(.post, Self.path(bucket, key), query: "uploads", headers: headers)
        #expect(reply.status == 200, "CreateMultipartUpload: \(reply.text)")
        let root = try #require(reply.xml)
        #expect(root.name == "InitiateMultipartUploadResult")
        #expect(root.value("Bucket") == bucket)
        #expect(root.value("Key") == key)
        return try #require(root.value("UploadId"))
    }

    func uploadPart(_ bucket: String, _ key: String, _ uploadId: String, _ number: Int, _ body: [UInt8],
                    headers: [(String, String)] = [], payload: PayloadStyle = .sha256) async -> Reply {
        await send(.put, Self.path(bucket, key), query: "partNumber=\(number)&uploadId=" + q(uploadId), headers: headers,
                   body: body, payload: payload)
    }

    func completeUpload(_ bucket: String, _ key: String, _ uploadId: String, _ parts: [CompletedPart],
                        headers: [(String, String)] = []) async -> Reply {
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(part.etag.replacingOccurrences(of: "\"", with: "&quot;"))</ETag>"
            if let checksum = part.checksum { xml += "<\(checksum.name)>\(checksum.value)</\(checksum.name)>" }
            xml += "</Part>"
        }
        xml += "</CompleteMultipartUpload>"
        return await send(.post, Self.path(bucket, key), query: "uploadId=" + q(uploadId), headers: headers, body: Array(xml.utf8))
    }

    func listParts(_ bucket: String, _ key: String, _ uploadId: String, extra: String = "") async -> Reply {
        await send(.get, Self.path(bucket, key), query: "uploadId=" + q(uploadId) + (extra.isEmpty ? "" : "&" + extra))
    }
}

/// The multipart ETag: MD5 of the concatenated binary part MD5s, then `-N`.
func multipartETag(_ parts: [[UInt8]]) -> String {
    md5Hex(parts.flatMap { Digest.md5($0) }) + "-\(parts.count)"
}

@Suite("Multipart")
struct MultipartTests {
    @Test func fullLifecycle() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "big/object.bin", headers: [("Content-Type", "application/x-test"), ("x-amz-meta-origin", "mpu")])
        let tail = testBytes(1000, seed: 5)

        let p1 = await s3.uploadPart("mpu", "big/object.bin", id, 1, bigPartA)
        #expect(p1.status == 200, "\(p1.text)")
        #expect(p1.header("ETag") == quoted(md5Hex(bigPartA)))
        let p2 = await s3.uploadPart("mpu", "big/object.bin", id, 2, tail)
        #expect(p2.header("ETag") == quoted(md5Hex(tail)))

        let parts = await s3.listParts("mpu", "big/object.bin", id)
        #expect(parts.status == 200)
        let partsRoot = try #require(parts.xml)
        #expect(partsRoot.name == "ListPartsResult")
        #expect(partsRoot.value("UploadId") == id)
        #expect(partsRoot.texts("Part", "PartNumber") == ["1", "2"])
        #expect(partsRoot.texts("Part", "Size") == [String(minimumPartSize), "1000"])
        #expect(partsRoot.texts("Part", "ETag") == [quoted(md5Hex(bigPartA)), quoted(md5Hex(tail))])
        #expect(partsRoot.value("IsTruncated") == "false")

        let uploads = await s3.send(.get, "/mpu", query: "uploads")
        #expect(uploads.xml?.name == "ListMultipartUploadsResult")
        #expect(uploads.xml?.texts("Upload", "UploadId") == [id])
        #expect(uploads.xml?.texts("Upload", "Key") == ["big/object.bin"])

        // Not visible before completion.
        #expect(await s3.get("mpu", "big/object.bin").status == 404)

        let done = await s3.completeUpload("mpu", "big/object.bin", id, [CompletedPart(number: 1, etag: p1.header("ETag")!),
                                                                         CompletedPart(number: 2, etag: p2.header("ETag")!)])
        #expect(done.status == 200, "\(done.text)")
        let doneRoot = try #require(done.xml)
        #expect(doneRoot.name == "CompleteMultipartUploadResult")
        #expect(doneRoot.value("Bucket") == "mpu")
        #expect(doneRoot.value("Key") == "big/object.bin")
        let expectedETag = multipartETag([bigPartA, tail])
        #expect(doneRoot.value("ETag") == quoted(expectedETag))
        #expect(doneRoot.value("Location")?.hasSuffix("/mpu/big/object.bin") == true)

        let get = await s3.get("mpu", "big/object.bin")
        #expect(get.status == 200)
        #expect(get.body.count == minimumPartSize + 1000)
        #expect(get.body == bigPartA + tail)
        #expect(get.header("ETag") == quoted(expectedETag))
        #expect(get.header("Content-Type") == "application/x-test")
        #expect(get.header("x-amz-meta-origin") == "mpu")

        // Gone from the upload listings.
        #expect(await s3.send(.get, "/mpu", query: "uploads").xml?.child("Upload") == nil)
        expectWellFormedError(await s3.listParts("mpu", "big/object.bin", id), code: "NoSuchUpload", status: 404)
    }

    @Test func getByPartNumber() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        let tail: [UInt8] = Array("the tail".utf8)
        let e1 = await s3.uploadPart("mpu", "k", id, 1, bigPartA).header("ETag")!
        let e2 = await s3.uploadPart("mpu", "k", id, 2, tail).header("ETag")!
        #expect(await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: e1), CompletedPart(number: 2, etag: e2)]).status == 200)

        let part2 = await s3.get("mpu", "k", query: "partNumber=2")
        #expect(part2.status == 206)
        #expect(part2.body == tail)
        #expect(part2.header("x-amz-mp-parts-count") == "2")
        #expect(part2.header("Content-Range") == "bytes \(minimumPartSize)-\(minimumPartSize + tail.count - 1)/\(minimumPartSize + tail.count)")

        let head1 = await s3.head("mpu", "k", query: "partNumber=1")
        #expect(head1.status == 206)
        #expect(head1.header("Content-Length") == String(minimumPartSize))

        let beyond = await s3.get("mpu", "k", query: "partNumber=3")
        expectWellFormedError(beyond, code: "InvalidPartNumber", status: 416)
    }

    @Test func singleSmallPartIsAllowed() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "small")
        let body: [UInt8] = [1, 2, 3]
        let etag = await s3.uploadPart("mpu", "small", id, 1, body).header("ETag")!
        let done = await s3.completeUpload("mpu", "small", id, [CompletedPart(number: 1, etag: etag)])
        #expect(done.status == 200)
        #expect(done.xml?.value("ETag") == quoted(multipartETag([body])))
        #expect(await s3.get("mpu", "small").body == body)
    }

    @Test func unquotedETagsInCompleteAreAccepted() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        #expect(await s3.uploadPart("mpu", "k", id, 1, [7]).status == 200)
        let done = await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: md5Hex([7]))])
        #expect(done.status == 200, "\(done.text)")
    }

    @Test func smallNonLastPartIsEntityTooSmall() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        let e1 = await s3.uploadPart("mpu", "k", id, 1, [1, 2, 3]).header("ETag")!
        let e2 = await s3.uploadPart("mpu", "k", id, 2, [4, 5, 6]).header("ETag")!
        let reply = await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: e1), CompletedPart(number: 2, etag: e2)])
        expectWellFormedError(reply, code: "EntityTooSmall", status: 400)
        #expect(await s3.get("mpu", "k").status == 404)
        #expect(await s3.listParts("mpu", "k", id).status == 200, "the upload survives a failed completion")
    }

    @Test func wrongETagOrMissingPartIsInvalidPart() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        let e1 = await s3.uploadPart("mpu", "k", id, 1, [1]).header("ETag")!
        expectWellFormedError(await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: quoted(md5Hex([2])))]),
                              code: "InvalidPart", status: 400)
        expectWellFormedError(await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 2, etag: e1)]),
                              code: "InvalidPart", status: 400)
        #expect(await s3.get("mpu", "k").status == 404)
    }

    @Test func outOfOrderPartsAreInvalidPartOrder() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        let e1 = await s3.uploadPart("mpu", "k", id, 1, bigPartA).header("ETag")!
        let e2 = await s3.uploadPart("mpu", "k", id, 2, [2]).header("ETag")!
        let reply = await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 2, etag: e2), CompletedPart(number: 1, etag: e1)])
        expectWellFormedError(reply, code: "InvalidPartOrder", status: 400)
    }

    @Test func completeWithoutPartsIsMalformedXML() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        let reply = await s3.completeUpload("mpu", "k", id, [])
        expectWellFormedError(reply, code: "MalformedXML", status: 400)
    }

    @Test func completeWithGarbageBodyIsMalformedXML() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        let reply = await s3.send(.post, "/mpu/k", query: "uploadId=" + q(id), body: Array("<CompleteMultipartUpload><Part>".utf8))
        expectWellFormedError(reply, code: "MalformedXML", status: 400)
    }

    @Test func unknownUploadIsNoSuchUpload() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        expectWellFormedError(await s3.uploadPart("mpu", "k", "bogus-upload", 1, [1]), code: "NoSuchUpload", status: 404)
        expectWellFormedError(await s3.completeUpload("mpu", "k", "bogus-upload", [CompletedPart(number: 1, etag: md5Hex([1]))]),
                              code: "NoSuchUpload", status: 404)
        expectWellFormedError(await s3.listParts("mpu", "k", "bogus-upload"), code: "NoSuchUpload", status: 404)
        expectWellFormedError(await s3.send(.delete, "/mpu/k", query: "uploadId=bogus-upload"), code: "NoSuchUpload", status: 404)

        // An upload id is bound to its key.
        let id = try await s3.createUpload("mpu", "right-key")
        expectWellFormedError(await s3.uploadPart("mpu", "wrong-key", id, 1, [1]), code: "NoSuchUpload", status: 404)
    }

    @Test func abortDiscardsTheUpload() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        let etag = await s3.uploadPart("mpu", "k", id, 1, bigPartA).header("ETag")!
        let aborted = await s3.send(.delete, "/mpu/k", query: "uploadId=" + q(id))
        #expect(aborted.status == 204)
        expectWellFormedError(await s3.listParts("mpu", "k", id), code: "NoSuchUpload", status: 404)
        expectWellFormedError(await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: etag)]), code: "NoSuchUpload", status: 404)
        expectWellFormedError(await s3.uploadPart("mpu", "k", id, 2, [1]), code: "NoSuchUpload", status: 404)
        #expect(await s3.send(.get, "/mpu", query: "uploads").xml?.child("Upload") == nil)
        #expect(await s3.get("mpu", "k").status == 404)
    }

    @Test func completedUploadCannotBeCompletedAgain() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        let etag = await s3.uploadPart("mpu", "k", id, 1, [1]).header("ETag")!
        #expect(await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: etag)]).status == 200)
        expectWellFormedError(await s3.uploadPart("mpu", "k", id, 2, [1]), code: "NoSuchUpload", status: 404)
        #expect(await s3.get("mpu", "k").body == [1])
    }

    @Test func reuploadedPartReplacesTheOld() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        let old = await s3.uploadPart("mpu", "k", id, 1, [1, 1]).header("ETag")!
        let new = await s3.uploadPart("mpu", "k", id, 1, [2, 2, 2]).header("ETag")!
        let parts = await s3.listParts("mpu", "k", id)
        #expect(parts.xml?.texts("Part", "ETag") == [new])
        #expect(parts.xml?.texts("Part", "Size") == ["3"])
        expectWellFormedError(await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: old)]), code: "InvalidPart", status: 400)
        #expect(await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: new)]).status == 200)
        #expect(await s3.get("mpu", "k").body == [2, 2, 2])
    }

    @Test(arguments: ["0", "10001", "x"])
    func badPartNumberIsInvalidArgument(_ number: String) async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        let reply = await s3.send(.put, "/mpu/k", query: "partNumber=\(number)&uploadId=" + q(id), body: [1])
        expectWellFormedError(reply, code: "InvalidArgument", status: 400)
    }

    @Test func listPartsPagination() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        for n in [1, 2, 3] { #expect(await s3.uploadPart("mpu", "k", id, n, [UInt8(n)]).status == 200) }
        let page1 = await s3.listParts("mpu", "k", id, extra: "max-parts=2")
        let root1 = try #require(page1.xml)
        #expect(root1.texts("Part", "PartNumber") == ["1", "2"])
        #expect(root1.value("IsTruncated") == "true")
        #expect(root1.value("NextPartNumberMarker") == "2")
        #expect(root1.value("MaxParts") == "2")
        let page2 = await s3.listParts("mpu", "k", id, extra: "max-parts=2&part-number-marker=2")
        #expect(page2.xml?.texts("Part", "PartNumber") == ["3"])
        #expect(page2.xml?.value("IsTruncated") == "false")
        #expect(page2.xml?.value("PartNumberMarker") == "2")
    }

    @Test func listMultipartUploadsPrefixDelimiterAndPaging() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let a1 = try await s3.createUpload("mpu", "a/1")
        let a2 = try await s3.createUpload("mpu", "a/2")
        let b = try await s3.createUpload("mpu", "b")
        let b2 = try await s3.createUpload("mpu", "b")

        let all = await s3.send(.get, "/mpu", query: "uploads")
        #expect(all.xml?.texts("Upload", "Key") == ["a/1", "a/2", "b", "b"])
        #expect(Set(all.xml?.texts("Upload", "UploadId") ?? []) == Set([a1, a2, b, b2]))

        let prefixed = await s3.send(.get, "/mpu", query: "uploads&prefix=a%2F")
        #expect(prefixed.xml?.texts("Upload", "Key") == ["a/1", "a/2"])

        let delimited = await s3.send(.get, "/mpu", query: "uploads&delimiter=%2F")
        #expect(delimited.xml?.texts("Upload", "Key") == ["b", "b"])
        #expect(delimited.xml?.all("CommonPrefixes").compactMap { $0.value("Prefix") } == ["a/"])

        var seen: [String] = []
        var keyMarker: String?
        var uploadMarker: String?
        for _ in 0..<10 {
            var query = "uploads&max-uploads=1"
            if let keyMarker { query += "&key-marker=" + q(keyMarker) }
            if let uploadMarker { query += "&upload-id-marker=" + q(uploadMarker) }
            let page = await s3.send(.get, "/mpu", query: query)
            let root = try #require(page.xml)
            seen += root.texts("Upload", "UploadId")
            guard root.value("IsTruncated") == "true" else { break }
            keyMarker = root.value("NextKeyMarker")
            uploadMarker = root.value("NextUploadIdMarker")
            #expect(keyMarker != nil && uploadMarker != nil)
        }
        #expect(seen.count == 4)
        #expect(Set(seen) == Set([a1, a2, b, b2]))
    }

    /// A page that ends on a common prefix must still say where the next page starts.
    @Test func listMultipartUploadsPagesThroughCommonPrefixes() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        _ = try await s3.createUpload("mpu", "a/1")
        _ = try await s3.createUpload("mpu", "a/2")
        let b = try await s3.createUpload("mpu", "b")
        _ = try await s3.createUpload("mpu", "c/1")

        var prefixes: [String] = []
        var uploads: [String] = []
        var keyMarker: String?
        var uploadMarker: String?
        var pages = 0
        for _ in 0..<10 {
            var query = "uploads&delimiter=%2F&max-uploads=1"
            if let keyMarker { query += "&key-marker=" + q(keyMarker) }
            if let uploadMarker { query += "&upload-id-marker=" + q(uploadMarker) }
            let page = await s3.send(.get, "/mpu", query: query)
            let root = try #require(page.xml)
            pages += 1
            prefixes += root.all("CommonPrefixes").compactMap { $0.value("Prefix") }
            uploads += root.texts("Upload", "UploadId")
            guard root.value("IsTruncated") == "true" else { break }
            keyMarker = root.value("NextKeyMarker")
            uploadMarker = root.value("NextUploadIdMarker")
            guard keyMarker != nil else {
                Issue.record("truncated ListMultipartUploads page without NextKeyMarker: \(page.text)")
                break
            }
        }
        #expect(prefixes == ["a/", "c/"])
        #expect(uploads == [b])
        #expect(pages == 3)
    }

    @Test func partNumberWithRangeIsInvalidRequest() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        let etag = await s3.uploadPart("mpu", "k", id, 1, [1, 2, 3]).header("ETag")!
        #expect(await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: etag)]).status == 200)
        let reply = await s3.get("mpu", "k", query: "partNumber=1", headers: [("Range", "bytes=0-1")])
        expectWellFormedError(reply, code: "InvalidRequest", status: 400)
    }

    @Test func uploadPartCopyWithRange() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("src")
        await s3.createBucket("dst")
        let source = testBytes(100, seed: 9)
        #expect(await s3.put("src", "source object", source).status == 200)

        let id = try await s3.createUpload("dst", "assembled")
        let e1 = await s3.uploadPart("dst", "assembled", id, 1, bigPartA).header("ETag")!
        let copy = await s3.send(.put, "/dst/assembled", query: "partNumber=2&uploadId=" + q(id),
                                 headers: [("x-amz-copy-source", "/src/" + sigV4URIEncode("source object", encodeSlash: false)),
                                           ("x-amz-copy-source-range", "bytes=10-29")])
        #expect(copy.status == 200, "\(copy.text)")
        let copyRoot = try #require(copy.xml)
        #expect(copyRoot.name == "CopyPartResult")
        let e2 = try #require(copyRoot.value("ETag"))
        #expect(e2 == quoted(md5Hex(Array(source[10...29]))))
        #expect(copyRoot.value("LastModified") != nil)

        let parts = await s3.listParts("dst", "assembled", id)
        #expect(parts.xml?.texts("Part", "Size") == [String(minimumPartSize), "20"])

        #expect(await s3.completeUpload("dst", "assembled", id, [CompletedPart(number: 1, etag: e1), CompletedPart(number: 2, etag: e2)]).status == 200)
        let get = await s3.get("dst", "assembled")
        #expect(get.body == bigPartA + Array(source[10...29]))
    }

    @Test func uploadPartCopyWholeObjectAndErrors() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        #expect(await s3.put("mpu", "src", [1, 2, 3, 4]).status == 200)
        let id = try await s3.createUpload("mpu", "dst")
        let whole = await s3.send(.put, "/mpu/dst", query: "partNumber=1&uploadId=" + q(id), headers: [("x-amz-copy-source", "mpu/src")])
        #expect(whole.status == 200, "\(whole.text)")
        #expect(whole.xml?.value("ETag") == quoted(md5Hex([1, 2, 3, 4])))

        let badSyntax = await s3.send(.put, "/mpu/dst", query: "partNumber=2&uploadId=" + q(id),
                                      headers: [("x-amz-copy-source", "mpu/src"), ("x-amz-copy-source-range", "bytes=3-1")])
        expectWellFormedError(badSyntax, code: "InvalidArgument", status: 400)
        let missing = await s3.send(.put, "/mpu/dst", query: "partNumber=2&uploadId=" + q(id), headers: [("x-amz-copy-source", "mpu/nothing")])
        expectWellFormedError(missing, code: "NoSuchKey", status: 404)
        let failedCondition = await s3.send(.put, "/mpu/dst", query: "partNumber=2&uploadId=" + q(id),
                                            headers: [("x-amz-copy-source", "mpu/src"), ("x-amz-copy-source-if-match", "\"nope\"")])
        expectWellFormedError(failedCondition, code: "PreconditionFailed", status: 412)
        #expect(await s3.listParts("mpu", "dst", id).xml?.texts("Part", "PartNumber") == ["1"])
    }

    @Test func compositeCRC32Checksum() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let created = await s3.send(.post, "/mpu/comp", query: "uploads", headers: [("x-amz-checksum-algorithm", "CRC32")])
        #expect(created.header("x-amz-checksum-algorithm") == "CRC32")
        #expect(created.header("x-amz-checksum-type") == "COMPOSITE")
        let id = try #require(created.xml?.value("UploadId"))

        let tail = testBytes(777, seed: 2)
        let c1 = ChecksumComputer.base64(.crc32, bigPartA)
        let c2 = ChecksumComputer.base64(.crc32, tail)
        let p1 = await s3.uploadPart("mpu", "comp", id, 1, bigPartA, headers: [("x-amz-checksum-crc32", c1)])
        #expect(p1.header("x-amz-checksum-crc32") == c1)
        // Without a value header the part's checksum is computed with the upload's algorithm.
        let p2 = await s3.uploadPart("mpu", "comp", id, 2, tail)
        #expect(p2.header("x-amz-checksum-crc32") == c2)

        let parts = await s3.listParts("mpu", "comp", id)
        #expect(parts.xml?.texts("Part", "ChecksumCRC32") == [c1, c2])
        #expect(parts.xml?.value("ChecksumAlgorithm") == "CRC32")

        let done = await s3.completeUpload("mpu", "comp", id, [
            CompletedPart(number: 1, etag: p1.header("ETag")!, checksum: ("ChecksumCRC32", c1)),
            CompletedPart(number: 2, etag: p2.header("ETag")!, checksum: ("ChecksumCRC32", c2)),
        ])
        #expect(done.status == 200, "\(done.text)")
        let composite = ChecksumComputer.base64(.crc32, Base64.decode(c1)! + Base64.decode(c2)!) + "-2"
        #expect(done.xml?.value("ChecksumCRC32") == composite)
        #expect(done.xml?.value("ChecksumType") == "COMPOSITE")

        let head = await s3.head("mpu", "comp", headers: [("x-amz-checksum-mode", "ENABLED")])
        #expect(head.header("x-amz-checksum-crc32") == composite)
        #expect(head.header("x-amz-checksum-type") == "COMPOSITE")

        let listing = await s3.listV2("mpu")
        #expect(listing.xml?.all("Contents").first?.value("ChecksumAlgorithm") == "CRC32")
        #expect(listing.xml?.all("Contents").first?.value("ChecksumType") == "COMPOSITE")
    }

    @Test func fullObjectCRC32Checksum() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let created = await s3.send(.post, "/mpu/full", query: "uploads",
                                    headers: [("x-amz-checksum-algorithm", "CRC32"), ("x-amz-checksum-type", "FULL_OBJECT")])
        #expect(created.header("x-amz-checksum-type") == "FULL_OBJECT")
        let id = try #require(created.xml?.value("UploadId"))
        let tail = testBytes(4097, seed: 4)
        let e1 = await s3.uploadPart("mpu", "full", id, 1, bigPartB).header("ETag")!
        let e2 = await s3.uploadPart("mpu", "full", id, 2, tail).header("ETag")!
        let done = await s3.completeUpload("mpu", "full", id, [CompletedPart(number: 1, etag: e1), CompletedPart(number: 2, etag: e2)])
        #expect(done.status == 200, "\(done.text)")
        let whole = ChecksumComputer.base64(.crc32, bigPartB + tail)
        #expect(done.xml?.value("ChecksumCRC32") == whole, "a full-object CRC is the CRC of the whole object")
        #expect(done.xml?.value("ChecksumType") == "FULL_OBJECT")

        let get = await s3.get("mpu", "full", headers: [("x-amz-checksum-mode", "ENABLED")])
        #expect(get.header("x-amz-checksum-crc32") == whole)
        #expect(get.header("x-amz-checksum-type") == "FULL_OBJECT")
        #expect(get.body == bigPartB + tail)

        let listing = await s3.listV2("mpu")
        #expect(listing.xml?.all("Contents").first?.value("ChecksumAlgorithm") == "CRC32")
        #expect(listing.xml?.all("Contents").first?.value("ChecksumType") == "FULL_OBJECT")
    }

    @Test func defaultChecksumIsFullObjectCRC64NVME() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        let tail = testBytes(12345, seed: 6)
        let e1 = await s3.uploadPart("mpu", "k", id, 1, bigPartA).header("ETag")!
        let e2 = await s3.uploadPart("mpu", "k", id, 2, tail).header("ETag")!
        let done = await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: e1), CompletedPart(number: 2, etag: e2)])
        let whole = ChecksumComputer.base64(.crc64nvme, bigPartA + tail)
        #expect(done.xml?.value("ChecksumCRC64NVME") == whole)
        #expect(done.xml?.value("ChecksumType") == "FULL_OBJECT")
        let head = await s3.head("mpu", "k", headers: [("x-amz-checksum-mode", "ENABLED")])
        #expect(head.header("x-amz-checksum-crc64nvme") == whole)
    }

    @Test func wrongPartChecksumIsBadDigestAndNotStored() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k", headers: [("x-amz-checksum-algorithm", "CRC32")])
        let reply = await s3.uploadPart("mpu", "k", id, 1, [1, 2, 3], headers: [("x-amz-checksum-crc32", ChecksumComputer.base64(.crc32, [9]))])
        expectWellFormedError(reply, code: "BadDigest", status: 400)
        #expect(await s3.listParts("mpu", "k", id).xml?.child("Part") == nil)
    }

    @Test func completeWithWrongPartChecksumIsInvalidPart() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k", headers: [("x-amz-checksum-algorithm", "CRC32")])
        let etag = await s3.uploadPart("mpu", "k", id, 1, [1, 2, 3]).header("ETag")!
        let reply = await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: etag, checksum: ("ChecksumCRC32", ChecksumComputer.base64(.crc32, [9])))])
        expectWellFormedError(reply, code: "InvalidPart", status: 400)
    }

    @Test func partChecksumOfAnotherAlgorithmIsRejected() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k", headers: [("x-amz-checksum-algorithm", "CRC32")])
        let reply = await s3.uploadPart("mpu", "k", id, 1, [1], headers: [("x-amz-checksum-sha256", ChecksumComputer.base64(.sha256, [1]))])
        expectWellFormedError(reply, code: "InvalidRequest", status: 400)
        #expect(await s3.listParts("mpu", "k", id).xml?.child("Part") == nil)
    }

    @Test(arguments: [("CRC64NVME", "COMPOSITE"), ("SHA256", "FULL_OBJECT"), ("SHA1", "FULL_OBJECT"), ("MD5", "COMPOSITE")])
    func invalidChecksumAlgorithmAndTypeCombinations(_ algorithm: String, _ type: String) async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let reply = await s3.send(.post, "/mpu/k", query: "uploads", headers: [("x-amz-checksum-algorithm", algorithm), ("x-amz-checksum-type", type)])
        expectWellFormedError(reply, code: "InvalidRequest", status: 400)
    }

    @Test func completeHonoursIfNoneMatch() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        #expect(await s3.put("mpu", "k", [0]).status == 200)
        let id = try await s3.createUpload("mpu", "k")
        let etag = await s3.uploadPart("mpu", "k", id, 1, [1]).header("ETag")!
        let reply = await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: etag)], headers: [("If-None-Match", "*")])
        expectWellFormedError(reply, code: "PreconditionFailed", status: 412)
        #expect(await s3.get("mpu", "k").body == [0])
    }

    @Test func createUploadHeadersApplyToTheObject() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k", headers: [("x-amz-tagging", "a=1&b=2"), ("x-amz-storage-class", "STANDARD_IA"),
                                                                  ("Content-Disposition", "inline"), ("x-amz-meta-m", "v")])
        let etag = await s3.uploadPart("mpu", "k", id, 1, [1]).header("ETag")!
        #expect(await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: etag)]).status == 200)
        let head = await s3.head("mpu", "k")
        #expect(head.header("x-amz-storage-class") == "STANDARD_IA")
        #expect(head.header("Content-Disposition") == "inline")
        #expect(head.header("x-amz-meta-m") == "v")
        #expect(await s3.get("mpu", "k", query: "tagging").xml?.at("TagSet")?.texts("Tag", "Key") == ["a", "b"])
        let uploads = await s3.listParts("mpu", "k", id)
        #expect(uploads.status == 404)
    }

    @Test func createUploadRejectsBadMetadata() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let reply = await s3.send(.post, "/mpu/k", query: "uploads", headers: [("x-amz-meta-big", String(repeating: "x", count: 3000))])
        expectWellFormedError(reply, code: "MetadataTooLarge", status: 400)
        #expect(await s3.send(.get, "/mpu", query: "uploads").xml?.child("Upload") == nil)
    }

    @Test func createUploadWithTooLongKey() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let reply = await s3.send(.post, S3TestServer.path("mpu", String(repeating: "x", count: 1025)), query: "uploads")
        expectWellFormedError(reply, code: "KeyTooLongError", status: 400)
    }

    @Test func getObjectAttributesObjectParts() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k", headers: [("x-amz-checksum-algorithm", "SHA256")])
        let e1 = await s3.uploadPart("mpu", "k", id, 1, bigPartA).header("ETag")!
        let e2 = await s3.uploadPart("mpu", "k", id, 2, [1, 2]).header("ETag")!
        #expect(await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: e1), CompletedPart(number: 2, etag: e2)]).status == 200)
        let reply = await s3.get("mpu", "k", query: "attributes", headers: [("x-amz-object-attributes", "ObjectParts,ETag,ObjectSize")])
        #expect(reply.status == 200, "\(reply.text)")
        let root = try #require(reply.xml)
        let parts = try #require(root.child("ObjectParts"))
        #expect(parts.value("PartsCount") == "2", "the wire name of TotalPartsCount is PartsCount: \(reply.text)")
        #expect(parts.texts("Part", "PartNumber") == ["1", "2"])
        #expect(parts.texts("Part", "Size") == [String(minimumPartSize), "2"])
        #expect(parts.texts("Part", "ChecksumSHA256") == [ChecksumComputer.base64(.sha256, bigPartA), ChecksumComputer.base64(.sha256, [1, 2])])
        #expect(root.value("ETag").map(ObjectTests.unquote) == multipartETag([bigPartA, [1, 2]]))
        #expect(root.value("ObjectSize") == String(minimumPartSize + 2))
    }

    @Test func streamingSignedPartUpload() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("mpu")
        let id = try await s3.createUpload("mpu", "k")
        let reply = await s3.uploadPart("mpu", "k", id, 1, bigPartA, payload: .streamingSigned(chunkSize: 64 * 1024))
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.header("ETag") == quoted(md5Hex(bigPartA)))
        #expect(await s3.completeUpload("mpu", "k", id, [CompletedPart(number: 1, etag: reply.header("ETag")!)]).status == 200)
        #expect(await s3.get("mpu", "k").body == bigPartA)
    }
}
