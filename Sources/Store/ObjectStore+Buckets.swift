import Foundation
import GRDB

extension ObjectStore {
    /// What CreateBucket found.
    public enum BucketCreation: Sendable, Equatable {
        case created
        /// The bucket exists and `owner` owns it already; nothing was changed.
        case alreadyOwned(region: String)
    }

    /// Creates a bucket owned by the account `owner`, starting with `configuration` (ownership, public access block,
    /// ACL); `.bucketAlreadyExists` when another account owns the name. With Object Lock it starts versioned, as on S3.
    @discardableResult
    public func createBucket(name: String, region: String, owner: String = defaultAccountId, objectLock: Bool = false,
                             configuration initial: BucketConfiguration = BucketConfiguration()) async throws -> BucketCreation {
        let now = clock.nowMillis()
        var configuration = initial
        configuration.owner = owner
        if objectLock { configuration.objectLock = ObjectLockConfiguration() }
        let outcome: BucketCreation = try await writer.write { db in
            if let existing = try Self.fetchBucket(db, name) {
                guard existing.owner == owner else { throw StoreError.bucketAlreadyExists(bucket: name) }
                return .alreadyOwned(region: existing.region)
            }
            try db.execute(sql: "INSERT INTO buckets(name, created_ms, region, versioning, config) VALUES (?, ?, ?, ?, ?)",
                           arguments: [name, now, region, (objectLock ? VersioningState.enabled : .unversioned).rawValue,
                                       encodeJSON(configuration)])
            return .created
        }
        configurationCache.forget(name)
        return outcome
    }

    public func bucket(named name: String) async throws -> Bucket? {
        try readNow { db in try Self.fetchBucket(db, name) }
    }

    static func fetchBucket(_ db: Database, _ name: String) throws -> Bucket? {
        let statement = try db.cachedStatement(sql: "SELECT name, created_ms, region, versioning, config FROM buckets WHERE name = ?")
        guard let row = try Row.fetchOne(statement, arguments: [name]) else { return nil }
        let config: String = row[4]
        return Bucket(name: row[0], createdMillis: row[1], region: row[2],
                      versioning: VersioningState(rawValue: row[3]) ?? .unversioned,
                      configuration: (try? decodeJSON(BucketConfiguration.self, config)) ?? BucketConfiguration())
    }

    /// The hot-path check: existence and versioning state only, without decoding the configuration document.
    static func requireVersioning(_ db: Database, _ name: String) throws -> VersioningState {
        guard let state = try String.fetchOne(db.cachedStatement(sql: "SELECT versioning FROM buckets WHERE name = ?"), arguments: [name]) else {
            throw StoreError.noSuchBucket(bucket: name)
        }
        return VersioningState(rawValue: state) ?? .unversioned
    }

    /// What a write transaction needs of its bucket — versioning and Object Lock — without decoding the whole
    /// configuration document, which can carry a 20 KB policy, ACLs and CORS rules: its `configuration` holds only
    /// `objectLock`.
    static func requireBucketForWrite(_ db: Database, _ name: String) throws -> Bucket {
        let statement = try db.cachedStatement(sql: "SELECT name, created_ms, region, versioning, json_extract(config, '$.objectLock') FROM buckets WHERE name = ?")
        guard let row = try Row.fetchOne(statement, arguments: [name]) else { throw StoreError.noSuchBucket(bucket: name) }
        var configuration = BucketConfiguration()
        if let lock: String = row[4] { configuration.objectLock = try decodeJSON(ObjectLockConfiguration.self, lock) }
        return Bucket(name: row[0], createdMillis: row[1], region: row[2], versioning: VersioningState(rawValue: row[3]) ?? .unversioned,
                      configuration: configuration)
    }

    static func requireBucket(_ db: Database, _ name: String) throws -> Bucket {
        guard let bucket = try fetchBucket(db, name) else { throw StoreError.noSuchBucket(bucket: name) }
        return bucket
    }

    /// The buckets account `owner` owns, in name order, after `startAfter`, at most `limit` (+1 to tell truncation).
    public func listBuckets(owner: String, prefix: String?, startAfter: String?, limit: Int) async throws -> [Bucket] {
        try await readSnapshot { db in
            var sql = "SELECT name FROM buckets WHERE coalesce(json_extract(config, '$.ownerAccount'), ?) = ?"
            var arguments: StatementArguments = [defaultAccountId, owner]
            if let prefix, !prefix.isEmpty {
                sql += " AND substr(name, 1, ?) = ?"
                _ = arguments.append(contentsOf: [prefix.count, prefix])
            }
            if let startAfter {
                sql += " AND name > ?"
                _ = arguments.append(contentsOf: [startAfter])
            }
            sql += " ORDER BY name LIMIT ?"
            _ = arguments.append(contentsOf: [limit])
            return try String.fetchAll(db, sql: sql, arguments: arguments).compactMap { try Self.fetchBucket(db, $0) }
        }
    }

    /// Deletes an empty bucket. Versions and delete markers make it non-empty; unfinished uploads are discarded.
    public func deleteBucket(name: String) async throws {
        let blobIds: [String] = try await writer.write { db in
            _ = try Self.requireBucket(db, name)
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM versions WHERE bucket = ? LIMIT 1", arguments: [name]) != nil {
                throw StoreError.bucketNotEmpty(bucket: name)
            }
            let ids = try String.fetchAll(db, sql: "SELECT p.blob FROM parts p JOIN uploads u USING (upload_id) WHERE u.bucket = ?",
                                          arguments: [name])
            try db.execute(sql: "DELETE FROM uploads WHERE bucket = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM buckets WHERE name = ?", arguments: [name])
            return ids
        }
        configurationCache.forget(name)
        blobs.remove(blobIds)
    }

    /// Read-modify-write of a bucket's configuration document.
    public func updateBucketConfiguration(name: String, _ change: @escaping @Sendable (inout BucketConfiguration) -> Void) async throws {
        try await writer.write { db in
            var bucket = try Self.requireBucket(db, name)
            change(&bucket.configuration)
            try db.execute(sql: "UPDATE buckets SET config = ? WHERE name = ?", arguments: [encodeJSON(bucket.configuration), name])
        }
        configurationCache.forget(name)
    }

    /// Versioning can never be suspended once Object Lock is on.
    public func setVersioning(bucket name: String, _ state: VersioningState) async throws {
        try await writer.write { db in
            let bucket = try Self.requireBucket(db, name)
            if bucket.configuration.objectLock != nil && state != .enabled {
                throw StoreError.invalidBucketState(bucket: name,
                                                    "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
            }
            try db.execute(sql: "UPDATE buckets SET versioning = ? WHERE name = ?", arguments: [state.rawValue, name])
        }
    }

    /// PutObjectLockConfiguration: turns Object Lock on (for good) and sets or clears the default retention. Only on a
    /// bucket whose versioning is Enabled.
    public func setObjectLockConfiguration(bucket name: String, _ lock: ObjectLockConfiguration) async throws {
        try await writer.write { db in
            var bucket = try Self.requireBucket(db, name)
            guard bucket.versioning == .enabled else {
                throw StoreError.invalidBucketState(bucket: name, "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
            }
            bucket.configuration.objectLock = lock
            try db.execute(sql: "UPDATE buckets SET config = ? WHERE name = ?", arguments: [encodeJSON(bucket.configuration), name])
        }
        configurationCache.forget(name)
    }
}
