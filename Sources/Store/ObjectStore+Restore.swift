import Foundation
import GRDB

/// Archive and restore: versions in GLACIER or DEEP_ARCHIVE keep their bytes but can be read only while a restored
/// copy exists. RestoreObject starts a restore that completes after the tier's time on the store clock and lasts its
/// `Days`; both are decided when asked (`RestoreState`), so no background work is needed.
extension ObjectStore {
    public enum RestoreOutcome: Sendable, Equatable {
        /// A restore began (202).
        case started
        /// The copy was already restored; its expiry moved (200).
        case extended
    }

    /// How long a restore takes, as a fraction of a lifecycle day (S3: Expedited minutes, Standard hours, Bulk half a
    /// day; DEEP_ARCHIVE slower), so a short lifecycle day makes restores short too.
    public static func restoreDayFraction(storageClass: String, tier: String) -> Double {
        switch (storageClass, tier) {
        case (_, "Expedited"): return 5.0 / (24 * 60)
        case ("DEEP_ARCHIVE", "Bulk"): return 2
        case ("DEEP_ARCHIVE", _): return 0.5
        case (_, "Bulk"): return 0.5
        default: return 4.0 / 24
        }
    }

    public func requestRestore(bucket: String, key: String, versionId: String?, days: Int, tier: String,
                               schedule: LifecycleSchedule) async throws -> RestoreOutcome {
        let now = clock.nowMillis()
        return try await writer.write { db in
            var version = try Self.requireObjectVersion(db, bucket: bucket, key: key, versionId: versionId)
            let storageClass = version.metadata.storageClass
            guard StorageClass.isArchive(storageClass) else { throw StoreError.invalidObjectState(storageClass: storageClass, restore: true) }
            if let current = version.metadata.restore, current.isOngoing(nowMillis: now) {
                throw StoreError.restoreAlreadyInProgress(key: key)
            }
            let outcome: RestoreOutcome
            if var current = version.metadata.restore, current.isReadable(nowMillis: now) {
                current.days = days
                current.expiresMillis = schedule.due(after: now, days: days)
                version.metadata.restore = current
                outcome = .extended
            } else {
                let fraction = Self.restoreDayFraction(storageClass: storageClass, tier: tier)
                let completes = now + Int64((Double(schedule.dayMillis) * fraction).rounded(.up))
                version.metadata.restore = RestoreState(tier: tier, days: days, requestedMillis: now, completesMillis: completes,
                                                        expiresMillis: schedule.due(after: completes, days: days))
                outcome = .started
            }
            try Self.rewriteMetadata(db, version)
            return outcome
        }
    }
}

extension ObjectVersion {
    /// Whether GET may read the bytes at `nowMillis`: not archived, or archived with a restored copy.
    public func isReadable(nowMillis: Int64) -> Bool {
        guard StorageClass.isArchive(metadata.storageClass) else { return true }
        return metadata.restore?.isReadable(nowMillis: nowMillis) == true
    }
}
