import Foundation
import GRDB

/// What one lifecycle pass did (the admin API's `POST /_lockstep/lifecycle/run` answer).
public struct LifecyclePassResult: Sendable, Equatable, Codable {
    public var expired = 0
    public var noncurrentExpired = 0
    public var deleteMarkersRemoved = 0
    public var transitioned = 0
    public var uploadsAborted = 0
    public init() {}

    public static func + (a: Self, b: Self) -> Self {
        var sum = a
        sum.expired += b.expired; sum.noncurrentExpired += b.noncurrentExpired; sum.deleteMarkersRemoved += b.deleteMarkersRemoved
        sum.transitioned += b.transitioned; sum.uploadsAborted += b.uploadsAborted
        return sum
    }
}

/// One change a pass decided on while reading; re-checked against the row inside the transaction that applies it, so a
/// request that changed the key meanwhile wins, and a pass repeated after a crash never acts twice.
enum LifecycleAction {
    /// The current version `seq` of `key` expires: removed (unversioned) or hidden behind a delete marker.
    case expireCurrent(seq: Int64, key: Data)
    case expireNoncurrent(seq: Int64, key: Data)
    /// A delete marker that is the only version left of its key.
    case removeExpiredMarker(seq: Int64, key: Data)
    case transition(seq: Int64, storageClass: String)
    case abortUpload(uploadId: String)
}

/// Lifecycle passes: read a bucket's versions in key order in bounded batches (a consistent snapshot per batch), decide
/// what is due by the rules, then apply each batch's changes in one short write transaction through group commit — so
/// requests interleave with a pass instead of waiting behind it.
extension ObjectStore {
    /// Rows read per batch, and changes applied per transaction.
    static let lifecycleBatchSize = 512

    /// Runs every enabled rule of every bucket once, at the store clock's current time.
    public func runLifecyclePass(schedule: LifecycleSchedule) async throws -> LifecyclePassResult {
        let now = clock.nowMillis()
        let configured: [(String, VersioningState, LifecycleConfiguration)] = try await readSnapshot { db in
            try Row.fetchAll(db, sql: "SELECT name, versioning, config FROM buckets").compactMap { row in
                guard let configuration = try? decodeJSON(BucketConfiguration.self, row[2] as String),
                      let lifecycle = configuration.lifecycle, lifecycle.rules.contains(where: \.enabled) else { return nil }
                return (row[0], VersioningState(rawValue: row[1]) ?? .unversioned, lifecycle)
            }
        }
        var result = LifecyclePassResult()
        for (bucket, _, lifecycle) in configured {
            result = result + (try await runLifecycleOnVersions(bucket: bucket, lifecycle, now: now, schedule: schedule))
            result = result + (try await runLifecycleOnUploads(bucket: bucket, lifecycle, now: now, schedule: schedule))
        }
        return result
    }

    /// Where a version scan stands between batches: the key being walked, and what its newer versions tell the older.
    private struct KeyWalk {
        var key = Data()
        var seq: Int64 = .max
        /// When the previous (newer) row of this key was created: the time the current row became noncurrent.
        var newerCreatedMillis: Int64?
        /// Noncurrent versions of this key already seen (newer than the current row).
        var noncurrentSeen = 0
    }

    /// A version row as a pass reads it.
    struct ScannedVersion: Sendable {
        var seq: Int64
        var key: Data
        var isLatest: Bool
        var isDeleteMarker: Bool
        var size: Int64
        var createdMillis: Int64
        var storageClass: String
        /// Read only when a rule filters on tags.
        var tags: [Tag]

        init(_ row: Row, withTags: Bool) throws {
            seq = row[0]; key = row[1]; isLatest = row[2]; isDeleteMarker = row[3]; size = row[4]; createdMillis = row[5]
            storageClass = row[6]
            tags = withTags && !isDeleteMarker ? try MetadataCodec.decode(row[7] as Data).tags : []
        }
    }

    private func runLifecycleOnVersions(bucket: String, _ lifecycle: LifecycleConfiguration, now: Int64,
                                        schedule: LifecycleSchedule) async throws -> LifecyclePassResult {
        let rules = lifecycle.rules.filter(\.enabled)
        let needsTags = rules.contains { !$0.filter.tags.isEmpty }
        let columns = "seq, key, is_latest, is_delete_marker, size, last_modified_ms, storage_class" + (needsTags ? ", meta" : "")
        var walk: KeyWalk?
        var result = LifecyclePassResult()
        while true {
            let batchStarted = DispatchTime.now().uptimeNanoseconds
            let position = walk
            // Reading and deciding run on a dispatch thread, not on an event loop that serves requests.
            let (actions, scanned, next): ([LifecycleAction], Int, KeyWalk?) = try await readSnapshot { db in
                var rows: [Row] = []
                if let position {
                    rows = try Row.fetchAll(db, sql: "SELECT \(columns) FROM versions WHERE bucket = ? AND key = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                                            arguments: [bucket, position.key, position.seq, Self.lifecycleBatchSize])
                }
                if rows.count < Self.lifecycleBatchSize {
                    rows += try Row.fetchAll(db, sql: "SELECT \(columns) FROM versions WHERE bucket = ? AND key > ? ORDER BY key, seq DESC LIMIT ?",
                                             arguments: [bucket, position?.key ?? Data(), Self.lifecycleBatchSize - rows.count])
                }
                var walk = position
                var actions: [LifecycleAction] = []
                for row in rows {
                    let version = try ScannedVersion(row, withTags: needsTags)
                    var state = walk.flatMap { $0.key == version.key ? $0 : nil } ?? KeyWalk(key: version.key)
                    state.seq = version.seq
                    if let decision = Self.decide(version, walk: state, rules: rules, lifecycle: lifecycle, now: now, schedule: schedule) {
                        actions.append(decision)
                    }
                    if !version.isLatest { state.noncurrentSeen += 1 }
                    state.newerCreatedMillis = version.createdMillis
                    walk = state
                }
                return (actions, rows.count, walk)
            }
            if scanned == 0 { break }
            walk = next
            result = result + (try await applyLifecycle(actions, bucket: bucket))
            if BackgroundPriority.available {
                await Task.yield()
            } else {
                // Without a lower priority for the batches, rest as long as the batch took: half a core at most.
                try await Task.sleep(nanoseconds: DispatchTime.now().uptimeNanoseconds - batchStarted)
            }
        }
        return result
    }

    /// What is due for one version row, if anything. Expiration beats transition; a version is acted on once per pass.
    private static func decide(_ version: ScannedVersion, walk: KeyWalk, rules: [LifecycleRule], lifecycle: LifecycleConfiguration,
                               now: Int64, schedule: LifecycleSchedule) -> LifecycleAction? {
        let seq = version.seq, key = version.key, isLatest = version.isLatest, isDeleteMarker = version.isDeleteMarker
        let size = version.size, created = version.createdMillis, storageClass = version.storageClass, tags = version.tags
        let keyText = String(decoding: key, as: UTF8.self)
        let matching = rules.filter { $0.filter.matches(key: keyText, size: size, tags: tags) }
        if isLatest && isDeleteMarker {
            // Removed if it is the only version left (checked when applied): at once with ExpiredObjectDeleteMarker, or
            // once as old as an Expiration's Days.
            let markerRule = matching.contains { rule in
                rule.expiration?.expiredObjectDeleteMarker == true
                    || rule.expiration?.days.map { schedule.due(after: created, days: $0) <= now } == true
            }
            return markerRule ? .removeExpiredMarker(seq: seq, key: key) : nil
        }
        if isLatest {
            if let due = lifecycle.expiration(key: keyText, size: size, tags: tags, createdMillis: created, schedule: schedule)?.dueMillis,
               due <= now {
                return .expireCurrent(seq: seq, key: key)
            }
            let due = matching.flatMap(\.transitions).filter { transition in
                let at = transition.days.map { schedule.due(after: created, days: $0) } ?? transition.dateMillis ?? .max
                return at <= now
            }.map(\.storageClass)
            return transitionAction(seq: seq, from: storageClass, candidates: due, size: size, minimum: lifecycle.transitionMinimumSize)
        }
        // Noncurrent: since the newer version was created; the newest `NewerNoncurrentVersions` are kept.
        guard let since = walk.newerCreatedMillis else { return nil }
        let rank = walk.noncurrentSeen
        for rule in matching {
            guard let expiration = rule.noncurrentExpiration, let days = expiration.noncurrentDays else { continue }
            if rank < (expiration.newerNoncurrentVersions ?? 0) { continue }
            if schedule.due(after: since, days: days) <= now { return .expireNoncurrent(seq: seq, key: key) }
        }
        if isDeleteMarker { return nil }
        let due = matching.flatMap(\.noncurrentTransitions).filter { transition in
            rank >= (transition.newerNoncurrentVersions ?? 0) && schedule.due(after: since, days: transition.noncurrentDays) <= now
        }.map(\.storageClass)
        return transitionAction(seq: seq, from: storageClass, candidates: due, size: size, minimum: lifecycle.transitionMinimumSize)
    }

    /// The coldest class among the due transitions, if it is colder than where the object is and the object is large
    /// enough for it (objects under 128 KiB stay put, or only go to the Glacier classes with `varies_by_storage_class`).
    private static func transitionAction(seq: Int64, from current: String, candidates: [String], size: Int64,
                                         minimum: LifecycleConfiguration.TransitionMinimumSize) -> LifecycleAction? {
        let eligible = candidates.filter { target in
            size >= 128 * 1024 || (minimum == .variesByStorageClass && StorageClass.isArchive(target))
        }
        guard let target = eligible.max(by: { StorageClass.coldness($0) < StorageClass.coldness($1) }),
              StorageClass.coldness(target) > StorageClass.coldness(current) else { return nil }
        return .transition(seq: seq, storageClass: target)
    }

    private func runLifecycleOnUploads(bucket: String, _ lifecycle: LifecycleConfiguration, now: Int64,
                                       schedule: LifecycleSchedule) async throws -> LifecyclePassResult {
        guard lifecycle.rules.contains(where: { $0.enabled && $0.abortIncompleteUploadDays != nil }) else { return LifecyclePassResult() }
        var after = ""
        var result = LifecyclePassResult()
        while true {
            let marker = after
            let rows: [(uploadId: String, key: Data, initiated: Int64)] = try await readSnapshot { db in
                try Row.fetchAll(db, sql: "SELECT upload_id, key, initiated_ms FROM uploads WHERE bucket = ? AND upload_id > ? ORDER BY upload_id LIMIT ?",
                                 arguments: [bucket, marker, Self.lifecycleBatchSize]).map { ($0[0], $0[1], $0[2]) }
            }
            guard let last = rows.last else { break }
            after = last.uploadId
            let actions: [LifecycleAction] = rows.compactMap { row in
                let key = String(decoding: row.key, as: UTF8.self)
                guard let due = lifecycle.abortDate(key: key, initiatedMillis: row.initiated, schedule: schedule)?.dueMillis, due <= now else { return nil }
                return .abortUpload(uploadId: row.uploadId)
            }
            result = result + (try await applyLifecycle(actions, bucket: bucket))
            await Task.yield()
        }
        return result
    }

    /// Applies decided changes in one transaction, each only if its row is still as it was read.
    private func applyLifecycle(_ actions: [LifecycleAction], bucket: String) async throws -> LifecyclePassResult {
        guard !actions.isEmpty else { return LifecyclePassResult() }
        let now = clock.nowMillis()
        let (result, released) = try await writer.write { db -> (LifecyclePassResult, [String]) in try BackgroundPriority.run {
            guard let bucketInfo = try Self.fetchBucket(db, bucket) else { return (LifecyclePassResult(), []) }
            var result = LifecyclePassResult()
            var released: [String] = []
            for action in actions {
                switch action {
                case .expireCurrent(let seq, let key):
                    let keyText = String(decoding: key, as: UTF8.self)
                    guard let current = try Self.fetchVersion(db, bucket: bucket, key: keyText, versionId: nil, withBody: false),
                          current.sequence == seq, !current.isDeleteMarker else { continue }
                    if bucketInfo.versioning == .unversioned {
                        released += try Self.removeVersionRow(db, try Self.versionRow(db, seq: seq), bucket: bucket, key: keyText)
                    } else {
                        released += try self.insertVersion(db, bucket: bucketInfo, key: keyText, current: current, now: now, content: nil).1
                    }
                    result.expired += 1
                case .expireNoncurrent(let seq, let key):
                    // A version under Object Lock stays until its retention has passed and no legal hold is on.
                    guard let row = try Self.versionRowIfPresent(db, seq: seq), !(row["is_latest"] as Bool),
                          !(try MetadataCodec.decode(row["meta"]).isProtected(nowMillis: now, bypassGovernance: false)) else { continue }
                    released += try Self.removeVersionRow(db, row, bucket: bucket, key: String(decoding: key, as: UTF8.self))
                    result.noncurrentExpired += 1
                case .removeExpiredMarker(let seq, let key):
                    guard let row = try Self.versionRowIfPresent(db, seq: seq), row["is_latest"] as Bool, row["is_delete_marker"] as Bool,
                          try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM versions WHERE bucket = ? AND key = ?"),
                                           arguments: [bucket, key]) == 1
                    else { continue }
                    released += try Self.removeVersionRow(db, row, bucket: bucket, key: String(decoding: key, as: UTF8.self))
                    result.deleteMarkersRemoved += 1
                case .transition(let seq, let storageClass):
                    guard let meta = try Data.fetchOne(db.cachedStatement(sql: "SELECT meta FROM versions WHERE seq = ? AND is_delete_marker = 0"),
                                                       arguments: [seq])
                    else { continue }
                    var metadata = try MetadataCodec.decode(meta)
                    guard StorageClass.coldness(storageClass) > StorageClass.coldness(metadata.storageClass) else { continue }
                    metadata.storageClass = storageClass
                    try db.cachedStatement(sql: "UPDATE versions SET storage_class = ?, meta = ? WHERE seq = ?")
                        .execute(arguments: [storageClass, MetadataCodec.encode(metadata), seq])
                    result.transitioned += 1
                case .abortUpload(let uploadId):
                    guard try Bool.fetchOne(db, sql: "SELECT 1 FROM uploads WHERE upload_id = ?", arguments: [uploadId]) != nil else { continue }
                    released += try String.fetchAll(db, sql: "SELECT blob FROM parts WHERE upload_id = ?", arguments: [uploadId])
                    try db.execute(sql: "DELETE FROM uploads WHERE upload_id = ?", arguments: [uploadId])
                    result.uploadsAborted += 1
                }
            }
            return (result, released)
        } }
        blobs.remove(released)
        return result
    }

    static func versionRowIfPresent(_ db: Database, seq: Int64) throws -> Row? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, is_latest, is_delete_marker, segments, meta FROM versions WHERE seq = ?"),
                         arguments: [seq])
    }

    static func versionRow(_ db: Database, seq: Int64) throws -> Row {
        guard let row = try versionRowIfPresent(db, seq: seq) else { throw StoreError.io("version \(seq) vanished inside its transaction") }
        return row
    }
}
