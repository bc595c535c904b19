import Foundation
import GRDB

/// Each bucket's configuration document in memory, for what every object request consults — the lifecycle rules
/// behind `x-amz-expiration`, Object Lock's defaults — without reading and decoding the document each time. Filled on
/// first use; a bucket's entry is dropped whenever its configuration changes or the bucket is created or deleted.
final class BucketConfigurationCache: @unchecked Sendable {
    // Unchecked: `entries` is only touched under `lock`.
    private let lock = NSLock()
    private var entries: [String: BucketConfiguration?] = [:]

    func value(for bucket: String, load: () throws -> BucketConfiguration?) rethrows -> BucketConfiguration? {
        if let cached = lock.withLock({ entries[bucket] }) { return cached }
        let loaded = try load()
        lock.withLock { entries[bucket] = .some(loaded) }
        return loaded
    }

    func forget(_ bucket: String) { _ = lock.withLock { entries.removeValue(forKey: bucket) } }
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
