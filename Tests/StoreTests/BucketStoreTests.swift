import Foundation
@testable import Store
import Testing

@Suite("Store buckets")
struct BucketStoreTests {
    @Test func createFetchAndDuplicate() async throws {
        let f = try StoreFixture()
        try await f.store.createBucket(name: "one", region: "eu-west-1")
        let bucket = try #require(try await f.store.bucket(named: "one"))
        #expect(bucket.name == "one")
        #expect(bucket.region == "eu-west-1")
        #expect(bucket.createdMillis == f.clock.nowMillis())
        #expect(bucket.versioning == .unversioned)
        var expected = BucketConfiguration()
        expected.owner = defaultAccountId
        #expect(bucket.configuration == expected)
        #expect(try await f.store.createBucket(name: "one", region: "us-east-1") == .alreadyOwned(region: "eu-west-1"))
        #expect(await storeError { try await f.store.createBucket(name: "one", region: "us-east-1", owner: "111111111111") }
                == .bucketAlreadyExists(bucket: "one"))
        #expect(try await f.store.bucket(named: "one")?.owner == defaultAccountId)
        #expect(try await f.store.bucket(named: "two") == nil)
    }

    @Test func deleteRules() async throws {
        let f = try StoreFixture()
        #expect(await storeError { try await f.store.deleteBucket(name: "none") } == .noSuchBucket(bucket: "none"))
        try await f.store.createBucket(name: "b", region: "us-east-1")
        try await f.put("b", "k", [1])
        #expect(await storeError { try await f.store.deleteBucket(name: "b") } == .bucketNotEmpty(bucket: "b"))
        _ = try await f.store.deleteObject(bucket: "b", key: "k", versionId: nil)
        try await f.store.deleteBucket(name: "b")
        #expect(try await f.store.bucket(named: "b") == nil)
    }

    @Test func deleteMarkersKeepABucketNonEmpty() async throws {
        let f = try StoreFixture()
        try await f.store.createBucket(name: "b", region: "us-east-1")
        try await f.store.setVersioning(bucket: "b", .enabled)
        let v = try await f.put("b", "k", [1])
        let marker = try await f.store.deleteObject(bucket: "b", key: "k", versionId: nil)
        #expect(await storeError { try await f.store.deleteBucket(name: "b") } == .bucketNotEmpty(bucket: "b"))
        _ = try await f.store.deleteObject(bucket: "b", key: "k", versionId: v.versionId)
        _ = try await f.store.deleteObject(bucket: "b", key: "k", versionId: marker.versionId)
        try await f.store.deleteBucket(name: "b")
    }

    @Test func deletingABucketDiscardsUnfinishedUploads() async throws {
        let f = try StoreFixture()
        try await f.store.createBucket(name: "b", region: "us-east-1")
        let upload = try await f.store.createUpload(bucket: "b", key: "k", metadata: ObjectMetadata(), checksumAlgorithm: nil, checksumKind: nil)
        let body = try await f.blobBody([1, 2, 3])
        try await f.store.putPart(bucket: "b", key: "k", uploadId: upload.uploadId, partNumber: 1, body: f.staged(body, size: 3), etag: "e",
                                  checksum: nil)
        #expect(f.blobFiles().count == 1)
        try await f.store.deleteBucket(name: "b")
        #expect(f.blobFiles().isEmpty, "part blobs are freed with the bucket")
        try await f.store.createBucket(name: "b", region: "us-east-1")
        #expect(await storeError { _ = try await f.store.upload(bucket: "b", key: "k", uploadId: upload.uploadId) } == .noSuchUpload(bucket: "b", key: "k", uploadId: upload.uploadId))
    }

    @Test func listBucketsOrderPrefixAndPaging() async throws {
        let f = try StoreFixture()
        for name in ["delta", "alpha", "charlie", "bravo", "alpine"] { try await f.store.createBucket(name: name, region: "us-east-1") }
        for name in ["alps", "echo"] { try await f.store.createBucket(name: name, region: "us-east-1", owner: "111111111111") }
        let mine = defaultAccountId
        #expect(try await f.store.listBuckets(owner: mine, prefix: nil, startAfter: nil, limit: 100).map(\.name) == ["alpha", "alpine", "bravo", "charlie", "delta"])
        #expect(try await f.store.listBuckets(owner: mine, prefix: "alp", startAfter: nil, limit: 100).map(\.name) == ["alpha", "alpine"])
        #expect(try await f.store.listBuckets(owner: mine, prefix: nil, startAfter: "alpine", limit: 2).map(\.name) == ["bravo", "charlie"])
        #expect(try await f.store.listBuckets(owner: mine, prefix: "", startAfter: "delta", limit: 2).isEmpty)
        #expect(try await f.store.listBuckets(owner: "111111111111", prefix: "alp", startAfter: nil, limit: 100).map(\.name) == ["alps"])
        #expect(try await f.store.listBuckets(owner: "222222222222", prefix: nil, startAfter: nil, limit: 100).isEmpty)
    }

    @Test func configurationAndVersioningPersist() async throws {
        let f = try StoreFixture()
        try await f.store.createBucket(name: "b", region: "us-east-1")
        try await f.store.updateBucketConfiguration(name: "b") { $0.tags = [Tag(key: "k", value: "v")] }
        try await f.store.setVersioning(bucket: "b", .suspended)
        try f.reopen()
        let bucket = try #require(try await f.store.bucket(named: "b"))
        #expect(bucket.configuration.tags == [Tag(key: "k", value: "v")])
        #expect(bucket.versioning == .suspended)
        #expect(await storeError { try await f.store.updateBucketConfiguration(name: "x") { _ in } } == .noSuchBucket(bucket: "x"))
        #expect(await storeError { try await f.store.setVersioning(bucket: "x", .enabled) } == .noSuchBucket(bucket: "x"))
    }
}
