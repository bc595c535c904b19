import Foundation
import GRDB

/// Each bucket's configuration document in memory, for what every request consults — the lifecycle rules behind
/// `x-amz-expiration`, Object Lock's defaults, whether access logging is on — without reading and decoding the document
/// each time. Filled on first use; a bucket's entry is dropped whenever its configuration changes or the bucket is
/// created or deleted. Only existing buckets are kept, so requests naming made-up buckets cannot grow it.
final class BucketConfigurationCache: @unchecked Sendable {
    // Unchecked: `entries` and `generation` are only touched under `lock`.
    private let lock = NSLock()
    private var entries: [String: BucketConfiguration] = [:]
    /// Moves on every `forget`: a load that began before a change must not store what it read.
    private var generation: UInt64 = 0

    func value(for bucket: String, load: () throws -> BucketConfiguration?) rethrows -> BucketConfiguration? {
        let (cached, startGeneration) = lock.withLock { (entries[bucket], generation) }
        if let cached { return cached }
        guard let loaded = try load() else { return nil }
        lock.withLock { if generation == startGeneration { entries[bucket] = loaded } }
        return loaded
    }

    func forget(_ bucket: String) {
        lock.withLock {
            entries.removeValue(forKey: bucket)
            generation &+= 1
        }
    }
}

extension ObjectStore {
    /// The bucket's configuration document (nil when the bucket does not exist).
    public func configuration(bucket: String) throws -> BucketConfiguration? {
        try configurationCache.value(for: bucket) {
            try readNow { db in try Self.fetchBucket(db, bucket)?.configuration }
        }
    }

    /// The bucket's lifecycle configuration (nil when it has none or does not exist).
    public func lifecycleConfiguration(bucket: String) throws -> LifecycleConfiguration? {
        try configuration(bucket: bucket)?.lifecycle
    }
}
