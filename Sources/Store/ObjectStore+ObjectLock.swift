import Foundation
import GRDB

/// Put/GetObjectRetention and Put/GetObjectLegalHold on one version, with S3's rules for changing a retention that is
/// still in force: COMPLIANCE may only be extended; GOVERNANCE may be extended freely, and shortened, removed or
/// turned into COMPLIANCE only by a caller allowed to bypass it.
extension ObjectStore {
    /// The version whose lock settings are read or changed: it must exist, not be a delete marker, and live in a
    /// bucket with Object Lock.
    static func lockableVersion(_ db: Database, bucket: String, key: String, versionId: String?) throws -> ObjectVersion {
        guard try requireBucket(db, bucket).configuration.objectLock != nil else { throw StoreError.objectLockNotEnabled(bucket: bucket) }
        return try requireObjectVersion(db, bucket: bucket, key: key, versionId: versionId)
    }

    public func objectLockState(bucket: String, key: String, versionId: String?) async throws -> ObjectVersion {
        try readNow { db in try Self.lockableVersion(db, bucket: bucket, key: key, versionId: versionId) }
    }

    /// Sets (or, with nil, removes) a version's retention.
    @discardableResult
    public func setRetention(bucket: String, key: String, versionId: String?, _ retention: ObjectRetention?,
                             bypassGovernance: Bool) async throws -> ObjectVersion {
        let now = clock.nowMillis()
        return try await writer.write { db in
            var version = try Self.lockableVersion(db, bucket: bucket, key: key, versionId: versionId)
            if let current = version.metadata.retention, current.retainUntilMillis > now {
                let keepsOrExtends = retention.map { $0.mode == current.mode && $0.retainUntilMillis >= current.retainUntilMillis } ?? false
                let allowed = keepsOrExtends || (current.mode == .governance && bypassGovernance)
                guard allowed else { throw StoreError.objectLocked(key: key, versionId: version.versionId) }
            }
            version.metadata.retention = retention
            try Self.rewriteMetadata(db, version)
            return version
        }
    }

    @discardableResult
    public func setLegalHold(bucket: String, key: String, versionId: String?, on: Bool) async throws -> ObjectVersion {
        try await writer.write { db in
            var version = try Self.lockableVersion(db, bucket: bucket, key: key, versionId: versionId)
            version.metadata.legalHold = on
            try Self.rewriteMetadata(db, version)
            return version
        }
    }

    static func rewriteMetadata(_ db: Database, _ version: ObjectVersion) throws {
        try db.execute(sql: "UPDATE versions SET meta = ? WHERE seq = ?", arguments: [MetadataCodec.encode(version.metadata), version.sequence])
    }
}
