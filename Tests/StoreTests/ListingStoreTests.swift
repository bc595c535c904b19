import Foundation
@testable import Store
import Testing

@Suite("Store listing")
struct ListingStoreTests {
    func fixture(_ keys: [String]) async throws -> StoreFixture {
        let f = try StoreFixture()
        try await f.store.createBucket(name: "b", region: "us-east-1")
        for key in keys { try await f.put("b", key, Array(key.utf8)) }
        return f
    }

    func list(_ f: StoreFixture, prefix: String = "", delimiter: String? = nil, after: ListPosition? = nil, maxKeys: Int = 1000) async throws -> ObjectListing {
        try await f.store.listObjects(bucket: "b", prefix: prefix, delimiter: delimiter, after: after, maxKeys: maxKeys)
    }

    @Test func utf8ByteOrder() async throws {
        let keys = ["ｚ", "😀", "é", "e\u{301}", "Z", "a", "\u{7F}", "a/b", "a-b", "a b"]
        let f = try await fixture(keys)
        let expected = keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(try await list(f).objects.map { Array($0.key.utf8) } == expected)
    }

    @Test func delimiterRollsUpCommonPrefixes() async throws {
        let f = try await fixture(["a/1", "a/2", "a/b/3", "b", "c/1"])
        let top = try await list(f, delimiter: "/")
        #expect(top.objects.map(\.key) == ["b"])
        #expect(top.commonPrefixes == ["a/", "c/"])
        #expect(!top.isTruncated)
        let inner = try await list(f, prefix: "a/", delimiter: "/")
        #expect(inner.objects.map(\.key) == ["a/1", "a/2"])
        #expect(inner.commonPrefixes == ["a/b/"])
    }

    @Test func truncationAndResumePositions() async throws {
        let f = try await fixture(["a/1", "a/2", "b", "c/1", "d"])
        let first = try await list(f, delimiter: "/", maxKeys: 1)
        #expect(first.commonPrefixes == ["a/"])
        #expect(first.isTruncated)
        #expect(first.last == .afterPrefix("a/"))
        let second = try await list(f, delimiter: "/", after: first.last, maxKeys: 2)
        #expect(second.objects.map(\.key) == ["b"])
        #expect(second.commonPrefixes == ["c/"])
        #expect(second.isTruncated)
        #expect(second.last == .afterPrefix("c/"))
        let third = try await list(f, delimiter: "/", after: second.last, maxKeys: 2)
        #expect(third.objects.map(\.key) == ["d"])
        #expect(!third.isTruncated)

        let exact = try await list(f, maxKeys: 5)
        #expect(exact.objects.count == 5)
        #expect(!exact.isTruncated, "a page that ends exactly at the last key is not truncated")
        #expect(try await list(f, after: .afterKey("c/1")).objects.map(\.key) == ["d"])
        #expect(try await list(f, after: .afterKey("bb")).objects.map(\.key) == ["c/1", "d"])
    }

    @Test func maxKeysZero() async throws {
        let f = try await fixture(["a"])
        let listing = try await list(f, maxKeys: 0)
        #expect(listing.objects.isEmpty)
        #expect(listing.commonPrefixes.isEmpty)
    }

    @Test func prefixWithHighBytes() async throws {
        let f = try await fixture(["\u{FF}a", "\u{FF}b", "ÿ", "z"])
        // U+00FF is C3 BF in UTF-8; the prefix upper bound must not spill into other keys.
        #expect(try await list(f, prefix: "ÿ").objects.map(\.key) == ["ÿ", "\u{FF}a", "\u{FF}b"].sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        #expect(try await list(f, prefix: "z").objects.map(\.key) == ["z"])
    }

    @Test func deleteMarkersAreHidden() async throws {
        let f = try await fixture([])
        try await f.store.setVersioning(bucket: "b", .enabled)
        try await f.put("b", "a", [1])
        try await f.put("b", "b", [1])
        _ = try await f.store.deleteObject(bucket: "b", key: "a", versionId: nil)
        #expect(try await list(f).objects.map(\.key) == ["b"])
    }

    @Test func versionsListingAndMarkers() async throws {
        let f = try await fixture([])
        try await f.store.setVersioning(bucket: "b", .enabled)
        let a1 = try await f.put("b", "a", [1]).versionId
        let a2 = try await f.put("b", "a", [2]).versionId
        let b1 = try await f.put("b", "b", [3]).versionId
        let all = try await f.store.listVersions(bucket: "b", prefix: "", delimiter: nil, keyMarker: nil, versionIdMarker: nil, maxKeys: 100)
        #expect(all.versions.map(\.versionId) == [a2, a1, b1])
        #expect(all.versions.map(\.isLatest) == [true, false, true])

        let page = try await f.store.listVersions(bucket: "b", prefix: "", delimiter: nil, keyMarker: nil, versionIdMarker: nil, maxKeys: 1)
        #expect(page.isTruncated)
        #expect(page.nextKeyMarker == "a")
        #expect(page.nextVersionIdMarker == a2)
        let next = try await f.store.listVersions(bucket: "b", prefix: "", delimiter: nil, keyMarker: "a", versionIdMarker: a2, maxKeys: 1)
        #expect(next.versions.map(\.versionId) == [a1])
        let afterKey = try await f.store.listVersions(bucket: "b", prefix: "", delimiter: nil, keyMarker: "a", versionIdMarker: nil, maxKeys: 10)
        #expect(afterKey.versions.map(\.versionId) == [b1])
    }
}
