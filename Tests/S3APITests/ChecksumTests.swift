import Foundation
import LockstepCrypto
import LockstepTestSupport
import Testing

@Suite("Checksums")
struct ChecksumTests {
    /// Published check value: CRC-32 of "123456789" is 0xCBF43926.
    static let crc32Of123456789 = Base64.encode([0xCB, 0xF4, 0x39, 0x26])
    static let digits = Array("123456789".utf8)

    func server() async throws -> S3TestServer {
        let s3 = try S3TestServer()
        await s3.createBucket("sum")
        return s3
    }

    @Test func contentMD5Match() async throws {
        let s3 = try await server()
        let body = Array("md5 checked".utf8)
        let reply = await s3.put("sum", "ok", body, headers: [("Content-MD5", md5Base64(body))])
        #expect(reply.status == 200)
        #expect(reply.header("ETag") == quoted(md5Hex(body)))
    }

    @Test(arguments: [10, 100 * 1024, 2 * 1024 * 1024 + 7])
    func contentMD5MismatchIsBadDigestAndNothingStored(_ size: Int) async throws {
        let s3 = try await server()
        let body = testBytes(size)
        let reply = await s3.put("sum", "bad", body, headers: [("Content-MD5", md5Base64(body + [0]))])
        expectWellFormedError(reply, code: "BadDigest", status: 400, resource: "/sum/bad")
        #expect(await s3.get("sum", "bad").status == 404)
        #expect(await s3.listV2("sum").xml?.child("Contents") == nil)
    }

    @Test func contentMD5MismatchKeepsThePreviousObject() async throws {
        let s3 = try await server()
        #expect(await s3.put("sum", "k", [1]).status == 200)
        #expect(await s3.put("sum", "k", [2], headers: [("Content-MD5", md5Base64([3]))]).status == 400)
        #expect(await s3.get("sum", "k").body == [1])
    }

    @Test(arguments: ["not base64!", "AAAA"])
    func malformedContentMD5IsInvalidDigest(_ value: String) async throws {
        let s3 = try await server()
        expectWellFormedError(await s3.put("sum", "k", [1], headers: [("Content-MD5", value)]), code: "InvalidDigest", status: 400)
        #expect(await s3.get("sum", "k").status == 404)
    }

    @Test func crc32HeaderMatchesPublishedValue() async throws {
        let s3 = try await server()
        let reply = await s3.put("sum", "digits", Self.digits, headers: [("x-amz-checksum-crc32", Self.crc32Of123456789)])
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.header("x-amz-checksum-crc32") == Self.crc32Of123456789)
        let get = await s3.get("sum", "digits", headers: [("x-amz-checksum-mode", "ENABLED")])
        #expect(get.header("x-amz-checksum-crc32") == Self.crc32Of123456789)
        #expect(get.header("x-amz-checksum-type") == "FULL_OBJECT")
    }

    @Test(arguments: [9, 200 * 1024, 3 * 1024 * 1024 + 1])
    func wrongCRC32IsBadDigestAndNothingStored(_ size: Int) async throws {
        let s3 = try await server()
        let body = testBytes(size)
        let wrong = ChecksumComputer.base64(.crc32, body + [1])
        let reply = await s3.put("sum", "bad", body, headers: [("x-amz-checksum-crc32", wrong)])
        expectWellFormedError(reply, code: "BadDigest", status: 400)
        #expect(await s3.get("sum", "bad").status == 404)
    }

    /// Bodies of 1 MiB and more are hashed on parallel lanes; the ETag, checksum and bytes must be the same.
    @Test(arguments: ["CRC32", "SHA256"])
    func largeBodyHashedInParallelRoundTrips(_ name: String) async throws {
        let s3 = try await server()
        let algorithm = try #require(ChecksumAlgorithm(name: name))
        let body = testBytes(4 * 1024 * 1024 + 3, seed: 41)
        let value = ChecksumComputer.base64(algorithm, body)
        let reply = await s3.put("sum", "large", body, headers: [(algorithm.headerName, value), ("Content-MD5", md5Base64(body))])
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.header("ETag") == quoted(md5Hex(body)))
        let get = await s3.get("sum", "large", headers: [("x-amz-checksum-mode", "ENABLED")])
        #expect(get.body == body)
        #expect(get.header(algorithm.headerName) == value)
    }

    @Test(arguments: ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
    func everyAlgorithmRoundTrips(_ name: String) async throws {
        let s3 = try await server()
        let algorithm = try #require(ChecksumAlgorithm(name: name))
        let body = testBytes(5000, seed: 30)
        let value = ChecksumComputer.base64(algorithm, body)
        let reply = await s3.put("sum", "k", body, headers: [(algorithm.headerName, value)])
        #expect(reply.status == 200, "\(reply.text)")
        let head = await s3.head("sum", "k", headers: [("x-amz-checksum-mode", "ENABLED")])
        #expect(head.header(algorithm.headerName) == value)

        let wrong = await s3.put("sum", "k2", body, headers: [(algorithm.headerName, ChecksumComputer.base64(algorithm, [0]))])
        expectWellFormedError(wrong, code: "BadDigest", status: 400)
    }

    @Test func checksumOnlyWithChecksumModeEnabled() async throws {
        let s3 = try await server()
        #expect(await s3.put("sum", "k", Self.digits, headers: [("x-amz-checksum-crc32", Self.crc32Of123456789)]).status == 200)
        let plain = await s3.get("sum", "k")
        #expect(plain.header("x-amz-checksum-crc32") == nil)
        #expect(plain.header("x-amz-checksum-type") == nil)
        let plainHead = await s3.head("sum", "k")
        #expect(plainHead.header("x-amz-checksum-crc32") == nil)
        let enabledHead = await s3.head("sum", "k", headers: [("x-amz-checksum-mode", "ENABLED")])
        #expect(enabledHead.header("x-amz-checksum-crc32") == Self.crc32Of123456789)
    }

    @Test func checksumNeverOnPartialContent() async throws {
        let s3 = try await server()
        #expect(await s3.put("sum", "k", Self.digits, headers: [("x-amz-checksum-crc32", Self.crc32Of123456789)]).status == 200)
        let ranged = await s3.get("sum", "k", headers: [("x-amz-checksum-mode", "ENABLED"), ("Range", "bytes=0-3")])
        #expect(ranged.status == 206)
        #expect(ranged.header("x-amz-checksum-crc32") == nil)
        #expect(ranged.header("x-amz-checksum-type") == nil)
        let rangedHead = await s3.head("sum", "k", headers: [("x-amz-checksum-mode", "ENABLED"), ("Range", "bytes=0-3")])
        #expect(rangedHead.status == 206)
        #expect(rangedHead.header("x-amz-checksum-crc32") == nil)
    }

    @Test func defaultChecksumIsCRC64NVME() async throws {
        let s3 = try await server()
        let body = testBytes(3000)
        let reply = await s3.put("sum", "k", body)
        #expect(reply.header("x-amz-checksum-crc64nvme") == ChecksumComputer.base64(.crc64nvme, body))
        let head = await s3.head("sum", "k", headers: [("x-amz-checksum-mode", "ENABLED")])
        #expect(head.header("x-amz-checksum-crc64nvme") == ChecksumComputer.base64(.crc64nvme, body))
        let listing = await s3.listV2("sum")
        #expect(listing.xml?.all("Contents").first?.value("ChecksumAlgorithm") == "CRC64NVME")
        #expect(listing.xml?.all("Contents").first?.value("ChecksumType") == "FULL_OBJECT")
    }

    @Test func sdkChecksumAlgorithmWithoutValueIsComputed() async throws {
        let s3 = try await server()
        let reply = await s3.put("sum", "k", Self.digits, headers: [("x-amz-sdk-checksum-algorithm", "CRC32")])
        #expect(reply.status == 200)
        #expect(reply.header("x-amz-checksum-crc32") == Self.crc32Of123456789)
    }

    @Test func malformedChecksumHeaderIsInvalidRequest() async throws {
        let s3 = try await server()
        expectWellFormedError(await s3.put("sum", "k", [1], headers: [("x-amz-checksum-crc32", "AAAAAAAA")]), code: "InvalidRequest", status: 400)
        expectWellFormedError(await s3.put("sum", "k", [1], headers: [("x-amz-checksum-crc32", "!!")]), code: "InvalidRequest", status: 400)
        expectWellFormedError(await s3.put("sum", "k", [1], headers: [("x-amz-checksum-crc32", ChecksumComputer.base64(.crc32, [1])),
                                                                       ("x-amz-checksum-sha1", ChecksumComputer.base64(.sha1, [1]))]),
                              code: "InvalidRequest", status: 400)
        expectWellFormedError(await s3.put("sum", "k", [1], headers: [("x-amz-sdk-checksum-algorithm", "MD4")]), code: "InvalidRequest", status: 400)
        #expect(await s3.get("sum", "k").status == 404)
    }

    // MARK: Trailers

    @Test(arguments: [5, 70_000])
    func unsignedTrailerWithGoodCRC32(_ size: Int) async throws {
        let s3 = try await server()
        let body = testBytes(size, seed: 40)
        let crc = ChecksumComputer.base64(.crc32, body)
        let reply = await s3.send(.put, "/sum/trailer", body: body,
                                  payload: .streamingUnsignedTrailer(chunkSize: 4096, trailers: [("x-amz-checksum-crc32", crc)]),
                                  transferChunk: 333)
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.header("x-amz-checksum-crc32") == crc)
        let get = await s3.get("sum", "trailer", headers: [("x-amz-checksum-mode", "ENABLED")])
        #expect(get.body == body)
        #expect(get.header("x-amz-checksum-crc32") == crc)
        #expect(get.header("Content-Encoding") == nil)
    }

    @Test(arguments: [5, 70_000])
    func unsignedTrailerWithBadCRC32IsBadDigestAndNothingStored(_ size: Int) async throws {
        let s3 = try await server()
        let body = testBytes(size, seed: 41)
        let wrong = ChecksumComputer.base64(.crc32, body + [0])
        let reply = await s3.send(.put, "/sum/trailer", body: body,
                                  payload: .streamingUnsignedTrailer(chunkSize: 4096, trailers: [("x-amz-checksum-crc32", wrong)]))
        expectWellFormedError(reply, code: "BadDigest", status: 400)
        #expect(await s3.get("sum", "trailer").status == 404)
    }

    @Test func signedTrailerWithCRC32() async throws {
        let s3 = try await server()
        let body = testBytes(20_000, seed: 42)
        let crc = ChecksumComputer.base64(.crc32, body)
        let good = await s3.send(.put, "/sum/signed-trailer", body: body,
                                 payload: .streamingSignedTrailer(chunkSize: 8192, trailers: [("x-amz-checksum-crc32", crc)]))
        #expect(good.status == 200, "\(good.text)")
        #expect(await s3.get("sum", "signed-trailer").body == body)
        #expect(await s3.head("sum", "signed-trailer", headers: [("x-amz-checksum-mode", "ENABLED")]).header("x-amz-checksum-crc32") == crc)

        let bad = await s3.send(.put, "/sum/signed-trailer-bad", body: body,
                                payload: .streamingSignedTrailer(chunkSize: 8192, trailers: [("x-amz-checksum-crc32", ChecksumComputer.base64(.crc32, [1]))]))
        expectWellFormedError(bad, code: "BadDigest", status: 400)
        #expect(await s3.get("sum", "signed-trailer-bad").status == 404)
    }

    @Test func declaredTrailerMissingFromBodyIsRejected() async throws {
        let s3 = try await server()
        let reply = await s3.send(.put, "/sum/trailer", headers: [("x-amz-trailer", "x-amz-checksum-crc32")], body: [1, 2, 3],
                                  payload: .streamingUnsignedTrailer(chunkSize: 4096, trailers: []))
        expectWellFormedError(reply, code: "InvalidRequest", status: 400)
        #expect(await s3.get("sum", "trailer").status == 404)
    }

    @Test func trailerWithoutTrailerPayloadModeIsRejected() async throws {
        let s3 = try await server()
        let reply = await s3.put("sum", "k", [1], headers: [("x-amz-trailer", "x-amz-checksum-crc32")])
        expectWellFormedError(reply, code: "InvalidRequest", status: 400)
    }

    @Test func unsignedTrailerMultipartPart() async throws {
        let s3 = try await server()
        let id = try await s3.createUpload("sum", "mp", headers: [("x-amz-checksum-algorithm", "CRC32")])
        let body = testBytes(2000)
        let crc = ChecksumComputer.base64(.crc32, body)
        let part = await s3.uploadPart("sum", "mp", id, 1, body, payload: .streamingUnsignedTrailer(chunkSize: 1024, trailers: [("x-amz-checksum-crc32", crc)]))
        #expect(part.status == 200, "\(part.text)")
        #expect(part.header("x-amz-checksum-crc32") == crc)
        let bad = await s3.uploadPart("sum", "mp", id, 2, body,
                                      payload: .streamingUnsignedTrailer(chunkSize: 1024, trailers: [("x-amz-checksum-crc32", ChecksumComputer.base64(.crc32, [1]))]))
        expectWellFormedError(bad, code: "BadDigest", status: 400)
        #expect(await s3.listParts("sum", "mp", id).xml?.texts("Part", "PartNumber") == ["1"])
    }
}
