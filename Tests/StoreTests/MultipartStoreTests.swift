import Foundation
import LockstepCrypto
@testable import Store
import Testing

@Suite("Store multipart")
struct MultipartStoreTests {
    func fixture() async throws -> (StoreFixture, MultipartUpload) {
        let f = try StoreFixture()
        try await f.store.createBucket(name: "b", region: "us-east-1")
        let upload = try await f.store.createUpload(bucket: "b", key: "k", metadata: ObjectMetadata(contentType: "x/y"),
                                                    checksumAlgorithm: .crc32, checksumKind: .composite)
        return (f, upload)
    }

    @discardableResult
    func part(_ f: StoreFixture, _ upload: MultipartUpload, _ number: Int, _ data: [UInt8]) async throws -> UploadedPart {
        let body = try await f.blobBody(data)
        return try await f.store.putPart(bucket: "b", key: "k", uploadId: upload.uploadId, partNumber: number,
                                         body: f.staged(body, size: Int64(data.count)), etag: Digest.md5(data).hexString,
                                         checksum: StoredChecksum(algorithm: .crc32, value: ChecksumComputer.base64(.crc32, data)))
    }

    func complete(_ f: StoreFixture, _ upload: MultipartUpload, _ parts: [(Int, String)], checksums: [String?]? = nil) async throws -> ObjectVersion {
        let requests = parts.enumerated().map { i, p in CompletedPartRequest(partNumber: p.0, etag: p.1, checksum: checksums?[i] ?? nil) }
        return try await f.store.completeUpload(bucket: "b", key: "k", uploadId: upload.uploadId, parts: requests, precondition: .none) { _, _ in nil }
    }

    @Test func uploadRecordRoundTrips() async throws {
        let (f, upload) = try await fixture()
        let fetched = try await f.store.upload(bucket: "b", key: "k", uploadId: upload.uploadId)
        #expect(fetched == upload)
        #expect(await storeError { _ = try await f.store.upload(bucket: "b", key: "other", uploadId: upload.uploadId) } == .noSuchUpload(bucket: "b", key: "other", uploadId: upload.uploadId))
        #expect(await storeError { _ = try await f.store.createUpload(bucket: "nobucket", key: "k", metadata: ObjectMetadata(), checksumAlgorithm: nil, checksumKind: nil) } == .noSuchBucket(bucket: "nobucket"))
    }

    @Test func completeStitchesPartsWithoutCopying() async throws {
        let (f, upload) = try await fixture()
        let a = bytes(Int(ObjectStore.minimumPartSize), seed: 1)
        let b = bytes(100, seed: 2)
        let pa = try await part(f, upload, 1, a)
        let pb = try await part(f, upload, 2, b)
        let blobsBefore = f.blobFiles()
        let version = try await complete(f, upload, [(1, pa.etag), (2, pb.etag)])
        #expect(version.etag == Digest.md5(Digest.md5(a) + Digest.md5(b)).hexString + "-2")
        #expect(version.size == Int64(a.count + b.count))
        #expect(version.metadata.contentType == "x/y")
        #expect(f.blobFiles() == blobsBefore, "the part blobs became the object's segments")
        let stored = try await f.store.object(bucket: "b", key: "k")
        #expect(stored.partsCount == 2)
        #expect(try f.read(stored) == a + b)
        #expect(await storeError { _ = try await f.store.upload(bucket: "b", key: "k", uploadId: upload.uploadId) } == .noSuchUpload(bucket: "b", key: "k", uploadId: upload.uploadId))
    }

    @Test func unusedPartsAreFreedAtCompletion() async throws {
        let (f, upload) = try await fixture()
        let p1 = try await part(f, upload, 1, [1])
        try await part(f, upload, 2, [2])
        #expect(f.blobFiles().count == 2)
        _ = try await complete(f, upload, [(1, p1.etag)])
        #expect(f.blobFiles().count == 1)
    }

    @Test func replacedPartFreesItsBlob() async throws {
        let (f, upload) = try await fixture()
        try await part(f, upload, 1, [1])
        let newer = try await part(f, upload, 1, [2])
        #expect(f.blobFiles() == [newer.blob])
        let (parts, truncated) = try await { () async throws -> ([UploadedPart], Bool) in
            let (_, parts, truncated) = try await f.store.listParts(bucket: "b", key: "k", uploadId: upload.uploadId, afterPart: 0, maxParts: 10)
            return (parts, truncated)
        }()
        #expect(parts == [newer])
        #expect(!truncated)
    }

    @Test func completionRules() async throws {
        let (f, upload) = try await fixture()
        let p1 = try await part(f, upload, 1, [1])
        let p2 = try await part(f, upload, 2, [2])
        #expect(await storeError { _ = try await complete(f, upload, [(2, p2.etag), (1, p1.etag)]) } == .invalidPartOrder)
        #expect(await storeError { _ = try await complete(f, upload, [(1, p1.etag), (1, p1.etag)]) } == .invalidPartOrder)
        #expect(await storeError { _ = try await complete(f, upload, [(1, p2.etag)]) } == .invalidPart(1))
        #expect(await storeError { _ = try await complete(f, upload, [(3, p1.etag)]) } == .invalidPart(3))
        #expect(await storeError { _ = try await complete(f, upload, [(1, p1.etag), (2, p2.etag)]) } == .entityTooSmall)
        #expect(await storeError { _ = try await complete(f, upload, [(1, p1.etag)], checksums: [ChecksumComputer.base64(.crc32, [9])]) } == .invalidPart(1))
        // None of the failures consumed the upload.
        let version = try await complete(f, upload, [(1, p1.etag)], checksums: [ChecksumComputer.base64(.crc32, [1])])
        #expect(try f.read(try await f.store.object(bucket: "b", key: "k", versionId: version.versionId)) == [1])
    }

    @Test func completionPrecondition() async throws {
        let (f, upload) = try await fixture()
        try await f.put("b", "k", [0])
        let p1 = try await part(f, upload, 1, [1])
        #expect(await storeError {
            _ = try await f.store.completeUpload(bucket: "b", key: "k", uploadId: upload.uploadId,
                                                 parts: [CompletedPartRequest(partNumber: 1, etag: p1.etag)], precondition: .absent) { _, _ in nil }
        } == .preconditionFailed(.absent))
        #expect(try f.read(try await f.store.object(bucket: "b", key: "k")) == [0])
    }

    @Test func completionChecksumComesFromTheCallback() async throws {
        let (f, upload) = try await fixture()
        let p1 = try await part(f, upload, 1, [1])
        let version = try await f.store.completeUpload(bucket: "b", key: "k", uploadId: upload.uploadId,
                                                       parts: [CompletedPartRequest(partNumber: 1, etag: p1.etag)], precondition: .none) { u, parts in
            #expect(u.uploadId == upload.uploadId)
            #expect(parts.map(\.partNumber) == [1])
            return StoredChecksum(algorithm: .crc32, value: "AAAAAA==-1", kind: .composite)
        }
        #expect(version.metadata.checksum?.value == "AAAAAA==-1")
        #expect(try await f.store.object(bucket: "b", key: "k").metadata.checksum?.kind == .composite)
    }

    @Test func abortFreesPartBlobs() async throws {
        let (f, upload) = try await fixture()
        try await part(f, upload, 1, [1])
        try await part(f, upload, 2, [2])
        try await f.store.abortUpload(bucket: "b", key: "k", uploadId: upload.uploadId)
        #expect(f.blobFiles().isEmpty)
        #expect(await storeError { try await f.store.abortUpload(bucket: "b", key: "k", uploadId: upload.uploadId) } == .noSuchUpload(bucket: "b", key: "k", uploadId: upload.uploadId))
        #expect(await storeError { try await self.part(f, upload, 3, [3]) } == .noSuchUpload(bucket: "b", key: "k", uploadId: upload.uploadId))
        #expect(f.blobFiles().isEmpty, "a part for a vanished upload is not kept")
    }

    @Test func listPartsPaging() async throws {
        let (f, upload) = try await fixture()
        for n in [1, 2, 5] { try await part(f, upload, n, [UInt8(n)]) }
        let (_, first, truncated) = try await f.store.listParts(bucket: "b", key: "k", uploadId: upload.uploadId, afterPart: 0, maxParts: 2)
        #expect(first.map(\.partNumber) == [1, 2])
        #expect(truncated)
        let (_, rest, more) = try await f.store.listParts(bucket: "b", key: "k", uploadId: upload.uploadId, afterPart: 2, maxParts: 2)
        #expect(rest.map(\.partNumber) == [5])
        #expect(!more)
    }

    @Test func listUploadsOrderAndMarkers() async throws {
        let f = try StoreFixture()
        try await f.store.createBucket(name: "b", region: "us-east-1")
        var ids: [String: [String]] = [:]
        for key in ["b", "a", "b", "c/x"] {
            f.clock.advance(10)
            let u = try await f.store.createUpload(bucket: "b", key: key, metadata: ObjectMetadata(), checksumAlgorithm: nil, checksumKind: nil)
            ids[key, default: []].append(u.uploadId)
        }
        let all = try await f.store.listUploads(bucket: "b", prefix: "", delimiter: nil, keyMarker: nil, uploadIdMarker: nil, maxUploads: 100)
        #expect(all.uploads.map(\.key) == ["a", "b", "b", "c/x"])
        #expect(all.uploads.filter { $0.key == "b" }.map(\.uploadId) == ids["b"], "same key: oldest first")
        let afterFirstB = try await f.store.listUploads(bucket: "b", prefix: "", delimiter: nil, keyMarker: "b", uploadIdMarker: ids["b"]![0], maxUploads: 100)
        #expect(afterFirstB.uploads.map(\.uploadId) == [ids["b"]![1], ids["c/x"]![0]])
        let delimited = try await f.store.listUploads(bucket: "b", prefix: "", delimiter: "/", keyMarker: nil, uploadIdMarker: nil, maxUploads: 100)
        #expect(delimited.commonPrefixes == ["c/"])
        #expect(delimited.uploads.map(\.key) == ["a", "b", "b"])
        let limited = try await f.store.listUploads(bucket: "b", prefix: "", delimiter: nil, keyMarker: nil, uploadIdMarker: nil, maxUploads: 2)
        #expect(limited.uploads.count == 2)
        #expect(limited.isTruncated)
    }
}
