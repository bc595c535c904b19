import Foundation
import LockstepCrypto
@testable import Store
import Testing

@Suite("Store objects")
struct ObjectStoreTests {
    func fixture(versioning: VersioningState = .unversioned) async throws -> StoreFixture {
        try await StoreFixture.withBucket(versioning: versioning)
    }

    @Test func inlineAndBlobBodiesRoundTrip() async throws {
        let f = try await fixture()
        let small = bytes(100)
        let large = bytes(ObjectStore.inlineLimit + 1000, seed: 2)
        var metadata = ObjectMetadata(contentType: "text/plain", userMetadata: [Tag(key: "a", value: "1")])
        metadata.checksum = StoredChecksum(algorithm: .crc32, value: ChecksumComputer.base64(.crc32, small))
        let v1 = try await f.put("b", "small", small, metadata: metadata)
        #expect(v1.versionId == nullVersionId)
        #expect(v1.isLatest)
        try await f.put("b", "large", large, blob: true)

        let gotSmall = try await f.store.object(bucket: "b", key: "small")
        #expect(gotSmall.size == 100)
        #expect(gotSmall.etag == Digest.md5(small).hexString)
        #expect(gotSmall.metadata == metadata)
        #expect(gotSmall.lastModifiedMillis == f.clock.nowMillis())
        #expect(try f.read(gotSmall) == small)

        let gotLarge = try await f.store.object(bucket: "b", key: "large")
        #expect(try f.read(gotLarge) == large)
        #expect(try f.read(gotLarge, range: 10..<20) == Array(large[10..<20]))
        #expect(f.blobFiles().count == 1)

        let noBody = try await f.store.object(bucket: "b", key: "large", withBody: false)
        #expect(noBody.body == nil)
        #expect(noBody.size == Int64(large.count))
    }

    @Test func missingThings() async throws {
        let f = try await fixture()
        #expect(await storeError { _ = try await f.store.object(bucket: "b", key: "nope") } == .noSuchKey(bucket: "b", key: "nope"))
        #expect(await storeError { _ = try await f.store.object(bucket: "nobucket", key: "k") } == .noSuchBucket(bucket: "nobucket"))
        #expect(await storeError { _ = try await f.store.object(bucket: "b", key: "k", versionId: "null") } == .noSuchVersion(bucket: "b", key: "k", versionId: "null"))
        #expect(await storeError { try await f.put("nobucket", "k", [1]) } == .noSuchBucket(bucket: "nobucket"))
    }

    @Test func overwriteAndDeleteFreeBlobs() async throws {
        let f = try await fixture()
        try await f.put("b", "k", bytes(10), blob: true)
        let first = f.blobFiles()
        #expect(first.count == 1)
        try await f.put("b", "k", bytes(10, seed: 3), blob: true)
        let second = f.blobFiles()
        #expect(second.count == 1)
        #expect(second != first, "the replaced version's blob is gone")
        try await f.put("b", "k", [1])
        #expect(f.blobFiles().isEmpty, "an inline overwrite frees the blob too")
        try await f.put("b", "k", bytes(10), blob: true)
        let outcome = try await f.store.deleteObject(bucket: "b", key: "k", versionId: nil)
        #expect(outcome.matches(nil, false))
        #expect(f.blobFiles().isEmpty)
    }

    @Test func failedCommitRemovesTheNewBlob() async throws {
        let f = try await fixture()
        try await f.put("b", "k", [1])
        #expect(await storeError { try await f.put("b", "k", bytes(10), precondition: .absent, blob: true) } == .preconditionFailed(.absent))
        #expect(f.blobFiles().isEmpty)
        #expect(await storeError { try await f.put("nobucket", "k", bytes(10), blob: true) } == .noSuchBucket(bucket: "nobucket"))
        #expect(f.blobFiles().isEmpty)
    }

    @Test func writePreconditions() async throws {
        let f = try await fixture()
        #expect(await storeError { try await f.put("b", "k", [1], precondition: .etagMatches(Digest.md5([1]).hexString)) } == .noSuchKey(bucket: "b", key: "k"))
        try await f.put("b", "k", [1], precondition: .absent)
        #expect(await storeError { try await f.put("b", "k", [2], precondition: .absent) } == .preconditionFailed(.absent))
        #expect(await storeError { try await f.put("b", "k", [2], precondition: .etagMatches("0000")) } == .preconditionFailed(.etagMatches("0000")))
        try await f.put("b", "k", [2], precondition: .etagMatches(Digest.md5([1]).hexString))
        #expect(try f.read(try await f.store.object(bucket: "b", key: "k")) == [2])

        try await f.store.checkPrecondition(bucket: "b", key: "other", .absent)
        #expect(await storeError { try await f.store.checkPrecondition(bucket: "b", key: "k", .absent) } == .preconditionFailed(.absent))
        try await f.store.checkPrecondition(bucket: "b", key: "k", .none)
    }

    @Test func concurrentAbsentWritesHaveExactlyOneWinner() async throws {
        let f = try await fixture()
        let store = f.store
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<16 {
                group.addTask {
                    do {
                        try await store.putObject(bucket: "b", key: "race",
                                                  NewObject(etag: Digest.md5([UInt8(i)]).hexString, metadata: ObjectMetadata(), body: f.staged(.inline([UInt8(i)]), size: 1)),
                                                  precondition: .absent)
                        return true
                    } catch {
                        return false
                    }
                }
            }
            var results: [Bool] = []
            for await r in group { results.append(r) }
            return results
        }
        #expect(outcomes.filter { $0 }.count == 1)
        let versions = try await f.store.listVersions(bucket: "b", prefix: "race", delimiter: nil, keyMarker: nil, versionIdMarker: nil, maxKeys: 100)
        #expect(versions.versions.count == 1)
    }

    @Test func concurrentWritesToManyKeysAllCommit() async throws {
        let f = try await fixture(versioning: .enabled)
        let store = f.store
        let ids = await withTaskGroup(of: String?.self) { group in
            for i in 0..<40 {
                group.addTask {
                    try? await store.putObject(bucket: "b", key: "k\(i % 5)",
                                               NewObject(etag: "e\(i)", metadata: ObjectMetadata(), body: f.staged(.inline([UInt8(i)]), size: 1))).versionId
                }
            }
            var out: [String?] = []
            for await id in group { out.append(id) }
            return out
        }
        #expect(ids.allSatisfy { $0 != nil })
        #expect(Set(ids.compactMap { $0 }).count == 40, "every version id is unique")
        let listing = try await f.store.listVersions(bucket: "b", prefix: "", delimiter: nil, keyMarker: nil, versionIdMarker: nil, maxKeys: 1000)
        #expect(listing.versions.count == 40)
        for k in 0..<5 {
            let latest = listing.versions.filter { $0.key == "k\(k)" && $0.isLatest }
            #expect(latest.count == 1, "exactly one latest version of k\(k)")
        }
    }

    @Test func versionIdsAreWellFormed() async throws {
        let f = try await fixture(versioning: .enabled)
        let v = try await f.put("b", "k", [1])
        #expect(v.versionId.utf8.count == 32)
        #expect(ObjectStore.isWellFormedVersionId(v.versionId))
        #expect(ObjectStore.isWellFormedVersionId("null"))
        #expect(!ObjectStore.isWellFormedVersionId("Null"))
        #expect(!ObjectStore.isWellFormedVersionId(String(repeating: "a", count: 31)))
        #expect(!ObjectStore.isWellFormedVersionId(String(repeating: "/", count: 32)))
    }

    @Test func versionedDeleteMarkersAndPromotion() async throws {
        let f = try await fixture(versioning: .enabled)
        let v1 = try await f.put("b", "k", [1], blob: true)
        f.clock.advance(1000)
        let v2 = try await f.put("b", "k", [2])
        #expect(v1.versionId != v2.versionId)
        #expect(f.blobFiles().count == 1, "older versions keep their blobs")

        f.clock.advance(1000)
        let marker = try await f.store.deleteObject(bucket: "b", key: "k", versionId: nil)
        #expect(marker.deleteMarker)
        let markerId = try #require(marker.versionId)
        #expect(await storeError { _ = try await f.store.object(bucket: "b", key: "k") }
                == .isDeleteMarker(key: "k", versionId: markerId, lastModifiedMillis: f.clock.nowMillis(), explicitVersion: false))
        #expect(await storeError { _ = try await f.store.object(bucket: "b", key: "k", versionId: markerId) }
                == .isDeleteMarker(key: "k", versionId: markerId, lastModifiedMillis: f.clock.nowMillis(), explicitVersion: true))
        #expect(try f.read(try await f.store.object(bucket: "b", key: "k", versionId: v1.versionId)) == [1])

        // Removing the marker makes v2 current again; removing v2 makes v1 current.
        #expect((try await f.store.deleteObject(bucket: "b", key: "k", versionId: markerId)).matches(markerId, true))
        #expect(try await f.store.object(bucket: "b", key: "k").versionId == v2.versionId)
        #expect((try await f.store.deleteObject(bucket: "b", key: "k", versionId: v2.versionId)).matches(v2.versionId, false))
        let current = try await f.store.object(bucket: "b", key: "k", withBody: false)
        #expect(current.versionId == v1.versionId)
        #expect(current.isLatest)
        _ = try await f.store.deleteObject(bucket: "b", key: "k", versionId: v1.versionId)
        #expect(f.blobFiles().isEmpty, "deleting the version frees its blob")
        #expect(await storeError { _ = try await f.store.object(bucket: "b", key: "k") } == .noSuchKey(bucket: "b", key: "k"))
    }

    @Test func deletingAnUnknownVersionIsANoOp() async throws {
        let f = try await fixture(versioning: .enabled)
        let v = try await f.put("b", "k", [1])
        let unknown = String(repeating: "A", count: 32)
        #expect((try await f.store.deleteObject(bucket: "b", key: "k", versionId: unknown)).matches(unknown, false))
        #expect(try await f.store.object(bucket: "b", key: "k").versionId == v.versionId)
    }

    @Test func preconditionAbsentTreatsDeleteMarkerAsAbsent() async throws {
        let f = try await fixture(versioning: .enabled)
        try await f.put("b", "k", [1])
        _ = try await f.store.deleteObject(bucket: "b", key: "k", versionId: nil)
        try await f.put("b", "k", [2], precondition: .absent)
        #expect(await storeError { try await f.put("b", "k", [3], precondition: .etagMatches("x")) } == .preconditionFailed(.etagMatches("x")))
    }

    @Test func suspendedVersioningReplacesTheNullVersion() async throws {
        let f = try await fixture()
        try await f.put("b", "k", bytes(5, seed: 1), blob: true)   // null version, unversioned era
        try await f.store.setVersioning(bucket: "b", .enabled)
        let v1 = try await f.put("b", "k", [1])
        try await f.store.setVersioning(bucket: "b", .suspended)
        #expect(f.blobFiles().count == 1)
        let n = try await f.put("b", "k", [2])
        #expect(n.versionId == nullVersionId)
        #expect(f.blobFiles().isEmpty, "the old null version was replaced and its blob freed")
        let versions = try await f.store.listVersions(bucket: "b", prefix: "", delimiter: nil, keyMarker: nil, versionIdMarker: nil, maxKeys: 100)
        #expect(versions.versions.map(\.versionId) == [nullVersionId, v1.versionId])
        #expect(versions.versions.map(\.isLatest) == [true, false])

        let marker = try await f.store.deleteObject(bucket: "b", key: "k", versionId: nil)
        #expect(marker.matches(nullVersionId, true))
        let after = try await f.store.listVersions(bucket: "b", prefix: "", delimiter: nil, keyMarker: nil, versionIdMarker: nil, maxKeys: 100)
        #expect(after.versions.map(\.versionId) == [nullVersionId, v1.versionId])
        #expect(after.versions.map(\.isDeleteMarker) == [true, false])
    }

    @Test func tags() async throws {
        let f = try await fixture(versioning: .enabled)
        let v1 = try await f.put("b", "k", [1])
        let v2 = try await f.put("b", "k", [2])
        let tagged = try await f.store.setTags(bucket: "b", key: "k", versionId: v1.versionId, tags: [Tag(key: "a", value: "b")])
        #expect(tagged.versionId == v1.versionId)
        #expect(try await f.store.object(bucket: "b", key: "k", versionId: v1.versionId).metadata.tags == [Tag(key: "a", value: "b")])
        #expect(try await f.store.object(bucket: "b", key: "k").metadata.tags.isEmpty)
        #expect(try await f.store.setTags(bucket: "b", key: "k", versionId: nil, tags: [Tag(key: "c", value: "")]).versionId == v2.versionId)
        #expect(await storeError { _ = try await f.store.setTags(bucket: "b", key: "zz", versionId: nil, tags: []) } == .noSuchKey(bucket: "b", key: "zz"))
        #expect(await storeError { _ = try await f.store.setTags(bucket: "b", key: "k", versionId: String(repeating: "B", count: 32), tags: []) } == .noSuchVersion(bucket: "b", key: "k", versionId: String(repeating: "B", count: 32)))
    }

    @Test func everythingSurvivesReopen() async throws {
        let f = try await fixture(versioning: .enabled)
        let small = try await f.put("b", "small", [1, 2, 3], metadata: ObjectMetadata(cacheControl: "no-cache"))
        let large = bytes(100_000, seed: 9)
        let big = try await f.put("b", "big", large, blob: true)
        try f.reopen()
        let s = try await f.store.object(bucket: "b", key: "small")
        #expect(s.versionId == small.versionId)
        #expect(s.metadata.cacheControl == "no-cache")
        #expect(try f.read(s) == [1, 2, 3])
        let b = try await f.store.object(bucket: "b", key: "big")
        #expect(b.versionId == big.versionId)
        #expect(try f.read(b) == large)
        // New versions after a restart get fresh, larger sequence numbers.
        let next = try await f.put("b", "small", [4])
        #expect(next.sequence > big.sequence)
        #expect(next.versionId != small.versionId)
    }

    @Test func orphanSweepRemovesOnlyUnreferencedBlobs() async throws {
        let f = try await fixture()
        try await f.put("b", "kept", bytes(10), blob: true)
        let upload = try await f.store.createUpload(bucket: "b", key: "mp", metadata: ObjectMetadata(), checksumAlgorithm: nil, checksumKind: nil)
        let partBody = try await f.blobBody([1])
        try await f.store.putPart(bucket: "b", key: "mp", uploadId: upload.uploadId, partNumber: 1, body: f.staged(partBody, size: 1),
                                  etag: "e", checksum: nil)
        let orphan = try await f.blobBody([9, 9])   // durable but never committed
        #expect(f.blobFiles().count == 3)
        let future = Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000
        let removed = try await f.store.sweepOrphanBlobs(startedMillis: future)
        #expect(removed == 1)
        #expect(!f.blobFiles().contains(orphan.blobIds[0]))
        #expect(f.blobFiles().count == 2)
        #expect(try f.read(try await f.store.object(bucket: "b", key: "kept")) == bytes(10))

        // Files newer than the start are never touched.
        _ = try await f.blobBody([8])
        #expect(try await f.store.sweepOrphanBlobs(startedMillis: 0) == 0)
    }

    @Test func unfinishedBlobWritesLeaveNothingBehind() async throws {
        let f = try await fixture()
        let writer = try f.store.blobs.makeWriter()
        try [UInt8](repeating: 1, count: 100).withUnsafeBytes { try writer.write($0) }
        #expect(f.tmpFiles().count == 1)
        writer.discard()
        #expect(f.tmpFiles().isEmpty)
        #expect(f.blobFiles().isEmpty)

        let abandoned = try f.store.blobs.makeWriter()
        try [UInt8](repeating: 2, count: 10).withUnsafeBytes { try abandoned.write($0) }
        #expect(f.tmpFiles().count == 1)
        try f.reopen()
        #expect(f.tmpFiles().isEmpty, "temp files are cleared when the store opens")
        _ = abandoned
    }

    @Test func bodyReaderAcrossSegments() async throws {
        let f = try await fixture()
        let a = bytes(1000, seed: 1), b = bytes(10, seed: 2), c = bytes(3000, seed: 3)
        var segments: [BodySegment] = []
        for (i, part) in [a, b, c].enumerated() {
            let body = try await f.blobBody(part)
            segments.append(BodySegment(blob: body.blobIds[0], size: Int64(part.count), partNumber: i + 1))
        }
        let whole = a + b + c
        try await f.store.putObject(bucket: "b", key: "k", NewObject(etag: "x-3", metadata: ObjectMetadata(), body: f.staged(.segments(segments), size: Int64(whole.count))))
        let v = try await f.store.object(bucket: "b", key: "k")
        #expect(v.partsCount == 3)
        #expect(try f.read(v) == whole)
        for range in [0..<1, 999..<1001, 995..<1015, 1009..<1011, 1010..<4010, 4009..<4010, 500..<3500] {
            #expect(try f.read(v, range: Int64(range.lowerBound)..<Int64(range.upperBound)) == Array(whole[range]), "\(range)")
        }
    }
}
