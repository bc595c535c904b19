import Foundation
import GRDB

/// A new version to commit: a staged body and what is stored with it; the store assigns the identifiers.
public struct NewObject: Sendable {
    public var etag: String
    public var metadata: ObjectMetadata
    public var body: StagedBody
    public init(etag: String, metadata: ObjectMetadata, body: StagedBody) {
        self.etag = etag; self.metadata = metadata; self.body = body
    }
}

/// What a version row holds besides its identifiers (a delete marker has none of it).
struct VersionContent {
    var size: Int64
    var etag: String
    var metadata: ObjectMetadata
    var body: StoredBody
}

public struct DeleteOutcome: Sendable, Equatable {
    /// The version id the response reports (`x-amz-version-id`), if any.
    public var versionId: String?
    /// True when a delete marker was created or the deleted version was a marker (`x-amz-delete-marker: true`).
    public var deleteMarker: Bool
    /// True when a delete without a version id took away a current version that was not a delete marker: the key
    /// was there to readers and is gone.
    public var removedCurrentObject = false
}

/// Collects what the DeleteObject calls made while it is bound (`ObjectStore.$deleteReport`) did, for a caller that
/// needs more than its handler answers with: S3's request summary, to count a Terraform lockfile release.
public final class DeleteReport: @unchecked Sendable {
    // Unchecked: written and read by the one task that binds it, in turn.
    public private(set) var outcome: DeleteOutcome?
    public init() {}
    func record(_ outcome: DeleteOutcome) { self.outcome = outcome }
}

extension ObjectStore {
    // MARK: Reading

    static let versionColumns = "seq, bucket, key, version_id, is_latest, is_delete_marker, size, etag, last_modified_ms, meta"

    /// Decodes a row selected with `versionColumns` (+ body, segments), by position: name lookups cost more than the read.
    static func decodeVersion(_ row: Row, withBody: Bool) throws -> ObjectVersion {
        let keyData: Data = row[2]
        var version = ObjectVersion(
            bucket: row[1], key: String(decoding: keyData, as: UTF8.self), versionId: row[3],
            sequence: row[0], isLatest: row[4], isDeleteMarker: row[5], size: row[6],
            etag: row[7], lastModifiedMillis: row[8],
            metadata: try MetadataCodec.decode(row[9]), body: nil)
        if withBody {
            if let inline: Data = row[10] {
                version.body = .inline(Array(inline))
            } else if let segments: String = row[11] {
                version.body = .segments(try decodeJSON([BodySegment].self, segments))
            } else {
                version.body = .inline([])
            }
        }
        return version
    }

    static func fetchVersion(_ db: Database, bucket: String, key: String, versionId: String?, withBody: Bool) throws -> ObjectVersion? {
        let columns = versionColumns + (withBody ? ", body, segments" : "")
        let row: Row?
        if let versionId {
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM versions WHERE bucket = ? AND key = ? AND version_id = ?"),
                                   arguments: [bucket, key.keyData, versionId])
        } else {
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM versions WHERE bucket = ? AND key = ? AND is_latest = 1"),
                                   arguments: [bucket, key.keyData])
        }
        return try row.map { try decodeVersion($0, withBody: withBody) }
    }

    /// The current (or the given) version of a key. Delete markers are reported as `.isDeleteMarker`.
    /// With its body, the version's blob files are pinned until the version (and every reader of it) goes away.
    public func object(bucket: String, key: String, versionId: String? = nil, withBody: Bool = true) async throws -> ObjectVersion {
        let read = {
            try self.readNow { db in
                let versioning = try Self.requireVersioning(db, bucket)
                guard var version = try Self.fetchVersion(db, bucket: bucket, key: key, versionId: versionId, withBody: withBody) else {
                    throw Self.missing(bucket: bucket, key: key, versionId: versionId)
                }
                version.bucketVersioning = versioning
                if version.isDeleteMarker {
                    throw StoreError.isDeleteMarker(key: key, versionId: version.versionId, lastModifiedMillis: version.lastModifiedMillis,
                                                    explicitVersion: versionId != nil)
                }
                return version
            }
        }
        return try withBody ? blobs.pinning(read) : read()
    }

    /// Cheap check used before streaming a conditional write's body (the commit re-checks atomically).
    public func checkPrecondition(bucket: String, key: String, _ precondition: WritePrecondition) async throws {
        guard precondition != .none else { return }
        try readNow { db in
            _ = try Self.requireVersioning(db, bucket)
            try Self.evaluate(precondition, bucket: bucket, key: key, current: try Self.fetchVersion(db, bucket: bucket, key: key, versionId: nil, withBody: false))
        }
    }

    static func evaluate(_ precondition: WritePrecondition, bucket: String, key: String, current: ObjectVersion?) throws {
        let live = current.flatMap { $0.isDeleteMarker ? nil : $0 }
        switch precondition {
        case .none: return
        case .absent:
            if live != nil { throw StoreError.preconditionFailed(precondition) }
        case .etagMatches(let etag):
            guard let live else { throw StoreError.noSuchKey(bucket: bucket, key: key) }
            if live.etag != etag { throw StoreError.preconditionFailed(precondition) }
        case .exists:
            if live == nil { throw StoreError.noSuchKey(bucket: bucket, key: key) }
        }
    }

    /// A key or version that is not there.
    static func missing(bucket: String, key: String, versionId: String?) -> StoreError {
        guard let versionId else { return .noSuchKey(bucket: bucket, key: key) }
        return .noSuchVersion(bucket: bucket, key: key, versionId: versionId)
    }

    // MARK: Writing

    /// Makes `object` the current version of `key`, checking `precondition` in the same transaction. Its staged body
    /// belongs to the version once this returns; if the commit fails, the staged body is left to release its blob.
    @discardableResult
    public func putObject(bucket: String, key: String, _ object: NewObject, precondition: WritePrecondition = .none) async throws -> ObjectVersion {
        let now = clock.nowMillis()
        let content = VersionContent(size: object.body.digests.length, etag: object.etag, metadata: object.metadata, body: object.body.body)
        let (version, released) = try await writer.write { db -> (ObjectVersion, [String]) in
            let bucketInfo = try Self.requireBucketForWrite(db, bucket)
            let current = try Self.fetchVersion(db, bucket: bucket, key: key, versionId: nil, withBody: false)
            try Self.evaluate(precondition, bucket: bucket, key: key, current: current)
            return try self.insertVersion(db, bucket: bucketInfo, key: key, current: current, now: now, content: content)
        }
        object.body.markCommitted()
        blobs.remove(released)
        return version
    }

    /// Inserts a version (or, without content, a delete marker) as the latest; returns it and the blob ids freed by a
    /// replaced null version.
    func insertVersion(_ db: Database, bucket: Bucket, key: String, current: ObjectVersion?, now: Int64,
                       content object: VersionContent?) throws -> (ObjectVersion, [String]) {
        let isDeleteMarker = object == nil
        var released: [String] = []
        let sequence = nextSequence()
        let versionId = bucket.versioning == .enabled ? newVersionId(sequence: sequence) : nullVersionId
        if let current {
            try db.cachedStatement(sql: "UPDATE versions SET is_latest = 0 WHERE seq = ?").execute(arguments: [current.sequence])
        }
        if versionId == nullVersionId {
            // A new null version replaces the old one wherever it sits in the history.
            if let old = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, segments FROM versions WHERE bucket = ? AND key = ? AND version_id = 'null'"),
                                          arguments: [bucket.name, key.keyData]) {
                if let segments: String = old["segments"] { released += try decodeJSON([BodySegment].self, segments).map(\.blob) }
                try db.cachedStatement(sql: "DELETE FROM versions WHERE seq = ?").execute(arguments: [old["seq"] as Int64])
            }
        }
        var metadata = object?.metadata ?? ObjectMetadata()
        // A bucket's default retention counts from the version's creation, which is now.
        if object != nil, metadata.retention == nil, let defaultRetention = bucket.configuration.objectLock?.defaultRetention {
            metadata.retention = defaultRetention.retention(createdMillis: now)
        }
        var inline: Data?
        var segments: String?
        switch object?.body {
        case .inline(let bytes)?: inline = Data(bytes)
        case .segments(let s)?: segments = encodeJSON(s)
        case nil: break
        }
        try db.cachedStatement(sql: """
            INSERT INTO versions(seq, bucket, key, version_id, is_latest, is_delete_marker, size, etag, last_modified_ms,
                                 storage_class, checksum_algorithm, checksum_type, meta, body, segments)
            VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [sequence, bucket.name, key.keyData, versionId, isDeleteMarker, object?.size ?? 0, object?.etag ?? "",
                             now, metadata.storageClass, metadata.checksum?.algorithm.rawValue, metadata.checksum?.kind.rawValue, MetadataCodec.encode(metadata), inline, segments])
        let version = ObjectVersion(bucket: bucket.name, key: key, versionId: versionId, sequence: sequence, isLatest: true,
                                    isDeleteMarker: isDeleteMarker, size: object?.size ?? 0, etag: object?.etag ?? "",
                                    lastModifiedMillis: now, metadata: metadata, body: object?.body, bucketVersioning: bucket.versioning)
        return (version, released)
    }

    /// DeleteObject. Without a version id: removes the null version (unversioned), or adds a delete marker
    /// (Enabled; Suspended adds a null marker). With one: removes exactly that version and promotes the next newest.
    /// `precondition` (conditional delete: `If-Match`) is evaluated against the current version, as on S3. A version
    /// under Object Lock cannot be removed (`objectLocked`); GOVERNANCE retention yields to `bypassGovernance`. Delete
    /// markers are never protected.
    public func deleteObject(bucket: String, key: String, versionId: String?, precondition: WritePrecondition = .none,
                             bypassGovernance: Bool = false) async throws -> DeleteOutcome {
        let now = clock.nowMillis()
        let (outcome, released) = try await writer.write { db -> (DeleteOutcome, [String]) in
            let bucketInfo = try Self.requireBucketForWrite(db, bucket)
            if precondition != .none {
                try Self.evaluate(precondition, bucket: bucket, key: key, current: try Self.fetchVersion(db, bucket: bucket, key: key, versionId: nil, withBody: false))
            }
            if let versionId {
                guard let target = try Row.fetchOne(db, sql: "SELECT seq, is_latest, is_delete_marker, segments, meta FROM versions WHERE bucket = ? AND key = ? AND version_id = ?",
                                                    arguments: [bucket, key.keyData, versionId]) else {
                    return (DeleteOutcome(versionId: versionId, deleteMarker: false), [])
                }
                if bucketInfo.configuration.objectLock != nil,
                   try MetadataCodec.decode(target["meta"]).isProtected(nowMillis: now, bypassGovernance: bypassGovernance) {
                    throw StoreError.objectLocked(key: key, versionId: versionId)
                }
                let released = try Self.removeVersionRow(db, target, bucket: bucket, key: key)
                return (DeleteOutcome(versionId: versionId, deleteMarker: target["is_delete_marker"]), released)
            }
            let current = try Self.fetchVersion(db, bucket: bucket, key: key, versionId: nil, withBody: false)
            switch bucketInfo.versioning {
            case .unversioned:
                guard let current else { return (DeleteOutcome(versionId: nil, deleteMarker: false), []) }
                let row = try Row.fetchOne(db, sql: "SELECT seq, is_latest, is_delete_marker, segments FROM versions WHERE seq = ?",
                                           arguments: [current.sequence])!
                return (DeleteOutcome(versionId: nil, deleteMarker: false, removedCurrentObject: !current.isDeleteMarker),
                        try Self.removeVersionRow(db, row, bucket: bucket, key: key))
            case .enabled, .suspended:
                let (marker, released) = try self.insertVersion(db, bucket: bucketInfo, key: key, current: current, now: now, content: nil)
                return (DeleteOutcome(versionId: marker.versionId, deleteMarker: true, removedCurrentObject: current.map { !$0.isDeleteMarker } ?? false),
                        released)
            }
        }
        blobs.remove(released)
        Self.deleteReport?.record(outcome)
        return outcome
    }

    /// Bound around a request whose DeleteObject outcome its caller needs (see `DeleteReport`); nil otherwise.
    @TaskLocal public static var deleteReport: DeleteReport?

    /// Deletes one version row; if it was the latest, the newest remaining version becomes latest.
    static func removeVersionRow(_ db: Database, _ row: Row, bucket: String, key: String) throws -> [String] {
        let seq: Int64 = row["seq"]
        var released: [String] = []
        if let segments: String = row["segments"] { released = try decodeJSON([BodySegment].self, segments).map(\.blob) }
        try db.cachedStatement(sql: "DELETE FROM versions WHERE seq = ?").execute(arguments: [seq])
        if row["is_latest"] as Bool {
            try db.cachedStatement(sql: """
                UPDATE versions SET is_latest = 1 WHERE seq = (SELECT max(seq) FROM versions WHERE bucket = ? AND key = ?)
                """).execute(arguments: [bucket, key.keyData])
        }
        return released
    }

    /// The current (or given) version for an operation on an object's data: missing, or a delete marker, is the
    /// error S3 gives for it.
    static func requireObjectVersion(_ db: Database, bucket: String, key: String, versionId: String?) throws -> ObjectVersion {
        _ = try requireVersioning(db, bucket)
        guard let version = try fetchVersion(db, bucket: bucket, key: key, versionId: versionId, withBody: false) else {
            throw missing(bucket: bucket, key: key, versionId: versionId)
        }
        if version.isDeleteMarker {
            throw StoreError.isDeleteMarker(key: key, versionId: version.versionId, lastModifiedMillis: version.lastModifiedMillis,
                                            explicitVersion: versionId != nil)
        }
        return version
    }

    /// Replaces the tag set of the current (or given) version.
    public func setTags(bucket: String, key: String, versionId: String?, tags: [Tag]) async throws -> ObjectVersion {
        try await updateMetadata(bucket: bucket, key: key, versionId: versionId) { $0.tags = tags }
    }

    /// Replaces the ACL of the current (or given) version.
    public func setACL(bucket: String, key: String, versionId: String?, acl: AccessControlList) async throws -> ObjectVersion {
        try await updateMetadata(bucket: bucket, key: key, versionId: versionId) { $0.acl = acl }
    }

    private func updateMetadata(bucket: String, key: String, versionId: String?,
                                _ change: @escaping @Sendable (inout ObjectMetadata) -> Void) async throws -> ObjectVersion {
        try await writer.write { db in
            var version = try Self.requireObjectVersion(db, bucket: bucket, key: key, versionId: versionId)
            change(&version.metadata)
            try db.execute(sql: "UPDATE versions SET meta = ? WHERE seq = ?", arguments: [MetadataCodec.encode(version.metadata), version.sequence])
            return version
        }
    }
}
