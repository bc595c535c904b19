@testable import Store
import Testing

/// The in-memory copy of bucket configurations never serves a document older than the last change, and never grows
/// with buckets that do not exist.
@Suite struct BucketConfigurationCacheTests {
    @Test func aLoadOverlappingAChangeIsNotKept() {
        let cache = BucketConfigurationCache()
        var loads = 0
        let stale = BucketConfiguration(tags: [Tag(key: "v", value: "old")])
        let fresh = BucketConfiguration(tags: [Tag(key: "v", value: "new")])
        // The change commits (and forgets the bucket) while the first load is still reading the old document.
        let first = cache.value(for: "b") {
            loads += 1
            cache.forget("b")
            return stale
        }
        #expect(first == stale)
        #expect(cache.value(for: "b") { loads += 1; return fresh } == fresh, "read again, not the stale copy")
        #expect(cache.value(for: "b") { loads += 1; return stale } == fresh, "now kept")
        #expect(loads == 2)
    }

    @Test func missingBucketsAreNotKept() {
        let cache = BucketConfigurationCache()
        var loads = 0
        for _ in 0..<3 { #expect(cache.value(for: "ghost") { loads += 1; return nil } == nil) }
        #expect(loads == 3)
    }
}
