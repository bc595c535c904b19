import Foundation
import LockstepCrypto
@testable import Store
import Testing

/// Every read returns the whole version it started with: the blob files of a version being read stay until its readers
/// are done, whatever overwrites or deletes commit meanwhile — and go as soon as they are.
@Suite struct ReadPinningTests {
    /// A three-part object whose parts are separate blob files, as a multipart upload leaves them.
    func putParts(_ f: StoreFixture, _ key: String, _ parts: [[UInt8]]) async throws {
        var segments: [BodySegment] = []
        for (i, part) in parts.enumerated() {
            let body = try await f.blobBody(part)
            segments.append(BodySegment(blob: body.blobIds[0], size: Int64(part.count), partNumber: i + 1))
        }
        let size = Int64(parts.reduce(0) { $0 + $1.count })
        try await f.store.putObject(bucket: "b", key: key, NewObject(etag: "x-\(parts.count)", metadata: ObjectMetadata(),
                                                                     body: f.staged(.segments(segments), size: size)))
    }

    func fixture(versioning: VersioningState = .unversioned) async throws -> StoreFixture {
        try await StoreFixture.withBucket(versioning: versioning)
    }

    @Test func aReaderFinishesTheVersionItStartedDespiteAnOverwrite() async throws {
        let f = try await fixture()
        let parts = [bytes(1000, seed: 1), bytes(1000, seed: 2), bytes(1000, seed: 3)]
        try await putParts(f, "k", parts)
        var reader: ObjectBodyReader? = f.store.openBody(of: try await f.store.object(bucket: "b", key: "k"), range: 0..<3000, key: nil)
        var read = Array(try #require(try reader?.next()).readableBytesView)
        #expect(read == parts[0], "the first part, before the overwrite")

        try await f.put("b", "k", bytes(100_000, seed: 9), blob: true)
        #expect(f.blobFiles().count == 4, "the old parts wait for their reader")
        while let chunk = try reader?.next() { read += chunk.readableBytesView }
        #expect(read == parts.flatMap { $0 })

        reader = nil
        #expect(reader == nil)
        #expect(f.blobFiles().count == 1, "and go when it is done")
        #expect(try f.read(try await f.store.object(bucket: "b", key: "k")) == bytes(100_000, seed: 9))
    }

    /// The window between reading a version's row and opening its body is covered too.
    @Test func aVersionReadBeforeAnOverwriteOpensAfterIt() async throws {
        let f = try await fixture()
        let old = bytes(200_000, seed: 4)
        try await f.put("b", "k", old, blob: true)
        var version: ObjectVersion? = try await f.store.object(bucket: "b", key: "k")
        try await f.put("b", "k", bytes(10), blob: true)
        #expect(try f.read(try #require(version)) == old)
        version = nil
        #expect(version == nil)
        #expect(f.blobFiles().count == 1)
    }

    @Test func deletingTheVersionBeingReadWaitsForTheReader() async throws {
        let f = try await fixture(versioning: .enabled)
        let old = bytes(150_000, seed: 5)
        let written = try await f.put("b", "k", old, blob: true)
        var version: ObjectVersion? = try await f.store.object(bucket: "b", key: "k", versionId: written.versionId)
        _ = try await f.store.deleteObject(bucket: "b", key: "k", versionId: written.versionId)
        #expect(await storeError { _ = try await f.store.object(bucket: "b", key: "k", versionId: written.versionId) }
                == .noSuchVersion(bucket: "b", key: "k", versionId: written.versionId))
        #expect(try f.read(try #require(version)) == old)
        version = nil
        #expect(version == nil)
        #expect(f.blobFiles().isEmpty)
    }

    @Test func manyReadersOneBlob() async throws {
        let f = try await fixture()
        try await f.put("b", "k", bytes(100_000), blob: true)
        var first: ObjectVersion? = try await f.store.object(bucket: "b", key: "k")
        var second: ObjectVersion? = try await f.store.object(bucket: "b", key: "k")
        _ = try await f.store.deleteObject(bucket: "b", key: "k", versionId: nil)
        first = nil
        #expect(first == nil)
        #expect(f.blobFiles().count == 1, "one reader still holds it")
        #expect(try f.read(try #require(second)) == bytes(100_000))
        second = nil
        #expect(second == nil)
        #expect(f.blobFiles().isEmpty)
    }

    /// Reading without the body (HEAD, listings) pins nothing.
    @Test func metadataReadsPinNothing() async throws {
        let f = try await fixture()
        try await f.put("b", "k", bytes(100_000), blob: true)
        let head = try await f.store.object(bucket: "b", key: "k", withBody: false)
        _ = try await f.store.deleteObject(bucket: "b", key: "k", versionId: nil)
        #expect(head.bodyPin == nil)
        #expect(f.blobFiles().isEmpty)
    }

    /// The index read runs outside the pin lock; a removal that lands between the read and its pin (an overwrite that
    /// committed and removed the blobs the read found) makes the read start over, and it returns the new version,
    /// never one whose blobs are gone.
    @Test func aRemovalBetweenTheReadAndItsPinMakesTheReadStartOver() async throws {
        let f = try await fixture()
        try await f.put("b", "old", bytes(100_000, seed: 1), blob: true)
        try await f.put("b", "new", bytes(100_000, seed: 2), blob: true)
        var old = try await f.store.object(bucket: "b", key: "old")
        var new = try await f.store.object(bucket: "b", key: "new")
        (old.bodyPin, new.bodyPin) = (nil, nil)
        var reads = 0
        var result: ObjectVersion? = f.store.blobs.pinning {
            reads += 1
            if reads == 1 {
                f.store.blobs.remove(old.body?.blobIds ?? [])
                return old
            }
            return new
        }
        #expect(reads == 2)
        #expect(result?.body == new.body)
        #expect(result?.bodyPin != nil)
        #expect(f.blobFiles() == new.body?.blobIds, "the old blob went; the new one is pinned")
        #expect(try f.read(try #require(result)) == bytes(100_000, seed: 2))
        result = nil
        #expect(result == nil)

        // Without a removal meanwhile, the first read stands.
        reads = 0
        result = f.store.blobs.pinning {
            reads += 1
            return new
        }
        #expect(reads == 1 && result?.bodyPin != nil)
    }
}
