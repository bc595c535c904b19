import FrontDoors
import LockstepCrypto
import LockstepTestSupport
import LockstepXML
@testable import S3API
import Store
import Testing

/// Behaviours where an S3 conformance suite found Lockstep answering differently from AWS; each test states AWS's
/// documented (or recorded) answer.
@Suite("AWS fidelity")
struct AWSFidelityTests {
    static let suspend = Array("<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>".utf8)
    static let enable = Array("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>".utf8)

    func multipart(_ s3: S3TestServer, _ bucket: String, _ key: String, headers: [(String, String)] = []) async throws -> Reply {
        let create = await s3.send(.post, S3TestServer.path(bucket, key), query: "uploads")
        let uploadId = try #require(create.xml?.value("UploadId"))
        let part = await s3.send(.put, S3TestServer.path(bucket, key), query: "partNumber=1&uploadId=\(uploadId)", body: [7, 7, 7])
        let etag = try #require(part.header("ETag"))
        let body = Array("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(etag)</ETag></Part></CompleteMultipartUpload>".utf8)
        return await s3.send(.post, S3TestServer.path(bucket, key), query: "uploadId=\(uploadId)", headers: headers, body: body)
    }

    /// Writes into a bucket whose versioning is suspended store the `null` version but send no `x-amz-version-id`;
    /// reads of it still say `null`.
    @Test func writesToASuspendedBucketSendNoVersionHeader() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("paused")
        #expect(await s3.send(.put, "/paused", query: "versioning", body: Self.enable).status == 200)
        #expect(await s3.put("paused", "k", [1]).header("x-amz-version-id")?.count == 32)
        #expect(await s3.send(.put, "/paused", query: "versioning", body: Self.suspend).status == 200)
        let put = await s3.put("paused", "k", [2])
        #expect(put.status == 200 && put.header("x-amz-version-id") == nil)
        let complete = try await multipart(s3, "paused", "mp")
        #expect(complete.status == 200 && complete.header("x-amz-version-id") == nil)
        let copy = await s3.send(.put, "/paused/copy", headers: [("x-amz-copy-source", "/paused/k")])
        #expect(copy.status == 200 && copy.header("x-amz-version-id") == nil)
        #expect(await s3.get("paused", "k").header("x-amz-version-id") == "null")
        #expect(await s3.head("paused", "mp").header("x-amz-version-id") == "null")
        #expect(await s3.get("paused", "k", query: "versionId=null").body == [2])
    }

    /// `x-amz-server-side-encryption` belongs to writes: GET, HEAD and CompleteMultipartUpload that send it are refused.
    @Test func encryptionHeaderOnReadsIsInvalid() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("sse")
        #expect(await s3.put("sse", "k", [1], headers: [("x-amz-server-side-encryption", "AES256")]).status == 200)
        let get = await s3.get("sse", "k", headers: [("x-amz-server-side-encryption", "AES256")])
        expectWellFormedError(get, code: "InvalidArgument", status: 400)
        #expect(get.xml?.value("Message") == "x-amz-server-side-encryption header is not supported for this operation.")
        #expect(get.xml?.value("ArgumentName") == "x-amz-server-side-encryption")
        #expect(await s3.head("sse", "k", headers: [("x-amz-server-side-encryption", "aws:kms")]).status == 400)
        expectWellFormedError(try await multipart(s3, "sse", "mp", headers: [("x-amz-server-side-encryption", "AES256")]),
                              code: "InvalidArgument", status: 400)
        #expect(await s3.get("sse", "k").body == [1])
    }

    /// Content-Encoding comes back as it was sent, only `aws-chunked` (transfer framing) removed.
    @Test(arguments: [("deflate, gzip", "deflate, gzip"), ("gzip,br", "gzip,br"), ("aws-chunked, gzip", "gzip"),
                      ("gzip, aws-chunked", "gzip"), ("br,  aws-chunked ,gzip", "br,gzip"), ("aws-chunked", nil)] as [(String, String?)])
    func contentEncodingIsKeptVerbatim(_ sent: String, _ stored: String?) async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("enc")
        #expect(await s3.put("enc", "k", [1], headers: [("Content-Encoding", sent)]).status == 200)
        #expect(await s3.head("enc", "k").header("Content-Encoding") == stored)
    }

    /// A retried CompleteMultipartUpload (same upload, same parts; the first response was lost) gets the same answer
    /// while the object it made is current; a different part list, or a retry after the key was overwritten, is
    /// NoSuchUpload.
    @Test func aRetriedCompleteGetsTheSameAnswer() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("retry")
        let create = await s3.send(.post, "/retry/mp", query: "uploads")
        let uploadId = try #require(create.xml?.value("UploadId"))
        let part = await s3.send(.put, "/retry/mp", query: "partNumber=1&uploadId=\(uploadId)", body: [1, 2, 3])
        let etag = try #require(part.header("ETag"))
        let list = Array("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(etag)</ETag></Part></CompleteMultipartUpload>".utf8)
        let first = await s3.send(.post, "/retry/mp", query: "uploadId=\(uploadId)", headers: [("If-None-Match", "*")], body: list)
        #expect(first.status == 200)
        let again = await s3.send(.post, "/retry/mp", query: "uploadId=\(uploadId)", headers: [("If-None-Match", "*")], body: list)
        #expect(again.status == 200, "\(again.text)")
        #expect(again.xml?.value("ETag") == first.xml?.value("ETag") && first.xml?.value("ETag")?.hasSuffix("-1\"") == true)
        let other = Array("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"0123\"</ETag></Part></CompleteMultipartUpload>".utf8)
        expectWellFormedError(await s3.send(.post, "/retry/mp", query: "uploadId=\(uploadId)", body: other), code: "NoSuchUpload", status: 404)
        #expect(await s3.put("retry", "mp", [9]).status == 200)
        expectWellFormedError(await s3.send(.post, "/retry/mp", query: "uploadId=\(uploadId)", body: list), code: "NoSuchUpload", status: 404)
        #expect(await s3.get("retry", "mp").body == [9])
    }

    /// A part listed twice is out of order, as S3 says.
    @Test func aPartListedTwiceIsInvalidPartOrder() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("twice")
        let create = await s3.send(.post, "/twice/mp", query: "uploads")
        let uploadId = try #require(create.xml?.value("UploadId"))
        let etag = try #require(await s3.send(.put, "/twice/mp", query: "partNumber=1&uploadId=\(uploadId)", body: [1]).header("ETag"))
        let partXML = "<Part><PartNumber>1</PartNumber><ETag>\(etag)</ETag></Part>"
        let list = Array("<CompleteMultipartUpload>\(partXML)\(partXML)</CompleteMultipartUpload>".utf8)
        expectWellFormedError(await s3.send(.post, "/twice/mp", query: "uploadId=\(uploadId)", body: list), code: "InvalidPartOrder", status: 400)
    }

    /// HTTP chunked framing with no length anywhere is S3's NotImplemented naming Transfer-Encoding; aws-chunked with
    /// `x-amz-decoded-content-length` is fine.
    @Test func chunkedFramingWithoutALengthIsNotImplemented() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("framing")
        let reply = await s3.send(.put, "/framing/k", headers: [("Transfer-Encoding", "chunked")], body: [1, 2, 3], payload: .unsigned)
        expectWellFormedError(reply, code: "NotImplemented", status: 501)
        #expect(reply.xml?.value("Header") == "Transfer-Encoding")
        let streamed = await s3.send(.put, "/framing/k", headers: [("Transfer-Encoding", "chunked")], body: [1, 2, 3],
                                     payload: .streamingSigned(chunkSize: 8192))
        #expect(streamed.status == 200, "\(streamed.text)")
        #expect(await s3.get("framing", "k").body == [1, 2, 3])
    }

    /// User metadata outside US-ASCII: an RFC 2047 encoded-word is stored as the text it stands for and every
    /// non-ASCII value comes back encoded (`=?UTF-8?B?…?=`); a header's raw bytes are read as ISO-8859-1, which is
    /// what the signature covers (`Tests/clients/test_metadata_encoding.py` checks boto3, which sends `é` as 0xE9).
    @Test func nonASCIIMetadataIsRFC2047() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("meta")
        #expect(await s3.put("meta", "k", [1], headers: [("x-amz-meta-city", "=?UTF-8?B?U8OjbyBQYXVsbw==?="),
                                                          ("x-amz-meta-plain", "ascii")]).status == 200)
        let head = await s3.head("meta", "k")
        #expect(head.header("x-amz-meta-city") == "=?UTF-8?B?U8OjbyBQYXVsbw==?=")
        #expect(head.header("x-amz-meta-plain") == "ascii")
        #expect(await s3.send(.put, "/meta/copy", headers: [("x-amz-copy-source", "/meta/k")]).status == 200)
        #expect(await s3.head("meta", "copy").header("x-amz-meta-city") == "=?UTF-8?B?U8OjbyBQYXVsbw==?=")
        let stored = try await s3.store.object(bucket: "meta", key: "k", withBody: false)
        #expect(stored.metadata.userMetadata.first { $0.key == "city" }?.value == "São Paulo")
    }

    /// `x-amz-checksum-*` on CompleteMultipartUpload is the object's checksum: the full-object CRC of all the bytes, or
    /// the composite `<checksum of the part checksums>-<parts>`; right → 200 with the type, wrong → BadDigest.
    @Test(arguments: [StoredChecksum.Kind.fullObject, .composite])
    func completeChecksumsAreTheObjects(_ kind: StoredChecksum.Kind) async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("sums")
        let parts: [[UInt8]] = [[UInt8](repeating: 1, count: 5 << 20), [2, 3, 4]]
        let whole = ChecksumComputer.base64(.crc32, parts[0] + parts[1])
        let partSums = parts.map { ChecksumComputer.base64(.crc32, $0) }
        let composite = ChecksumComputer.base64(.crc32, partSums.flatMap { Base64.decode($0)! }) + "-2"
        let right = kind == .fullObject ? whole : composite
        for (claimed, expected) in [(ChecksumComputer.base64(.crc32, [9]), "BadDigest"), (right, nil)] as [(String, String?)] {
            let create = await s3.send(.post, "/sums/mp", query: "uploads",
                                       headers: [("x-amz-checksum-algorithm", "CRC32"), ("x-amz-checksum-type", kind.rawValue)])
            let uploadId = try #require(create.xml?.value("UploadId"))
            var list = "<CompleteMultipartUpload>"
            for (index, body) in parts.enumerated() {
                let part = await s3.send(.put, "/sums/mp", query: "partNumber=\(index + 1)&uploadId=\(uploadId)",
                                         headers: [("x-amz-checksum-crc32", partSums[index])], body: body)
                list += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(try #require(part.header("ETag")))</ETag>"
                    + "<ChecksumCRC32>\(partSums[index])</ChecksumCRC32></Part>"
            }
            list += "</CompleteMultipartUpload>"
            let reply = await s3.send(.post, "/sums/mp", query: "uploadId=\(uploadId)",
                                      headers: [("x-amz-checksum-crc32", claimed), ("x-amz-checksum-type", kind.rawValue)], body: Array(list.utf8))
            if let expected {
                expectWellFormedError(reply, code: expected, status: 400)
                #expect(reply.xml?.value("Message") == "The CRC32 you specified did not match the calculated checksum.")
            } else {
                #expect(reply.status == 200, "\(reply.text)")
                #expect(reply.xml?.value("ChecksumCRC32") == right && reply.xml?.value("ChecksumType") == kind.rawValue)
                let head = await s3.head("sums", "mp", headers: [("x-amz-checksum-mode", "ENABLED")])
                #expect(head.header("x-amz-checksum-crc32") == right && head.header("x-amz-checksum-type") == kind.rawValue)
                // A part's own checksum comes with it where the object's is composite.
                let second = await s3.get("sums", "mp", query: "partNumber=2", headers: [("x-amz-checksum-mode", "ENABLED")])
                #expect(second.body == parts[1])
                #expect(second.header("x-amz-checksum-crc32") == (kind == .composite ? partSums[1] : nil))
            }
        }
        // Another algorithm or type than the upload's is refused.
        let create = await s3.send(.post, "/sums/other", query: "uploads", headers: [("x-amz-checksum-algorithm", "CRC32"),
                                                                                    ("x-amz-checksum-type", kind.rawValue)])
        let uploadId = try #require(create.xml?.value("UploadId"))
        let part = await s3.send(.put, "/sums/other", query: "partNumber=1&uploadId=\(uploadId)",
                                 headers: [("x-amz-checksum-crc32", ChecksumComputer.base64(.crc32, [1]))], body: [1])
        let list = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(try #require(part.header("ETag")))</ETag></Part></CompleteMultipartUpload>"
        expectWellFormedError(await s3.send(.post, "/sums/other", query: "uploadId=\(uploadId)",
                                            headers: [("x-amz-checksum-crc32c", ChecksumComputer.base64(.crc32c, [1]))], body: Array(list.utf8)),
                              code: "InvalidRequest", status: 400)
        let otherKind = kind == .fullObject ? "COMPOSITE" : "FULL_OBJECT"
        expectWellFormedError(await s3.send(.post, "/sums/other", query: "uploadId=\(uploadId)",
                                            headers: [("x-amz-checksum-type", otherKind)], body: Array(list.utf8)),
                              code: "InvalidRequest", status: 400)
        #expect(await s3.send(.post, "/sums/other", query: "uploadId=\(uploadId)", body: Array(list.utf8)).status == 200)
    }
}
