import Foundation
import GRDB
import LockstepCrypto
import Logging

/// The durable object store: a SQLite index (WAL, synchronous=FULL) plus immutable blob files.
/// Every object row is a version; unversioned buckets hold the `null` version.
public final class ObjectStore: @unchecked Sendable {
    // Unchecked: its members are constants of thread-safe types (GRDB's pool, the group committer, the blob store);
    // `lastSequence` is only touched under `sequenceLock`.
    /// Bodies up to this size are kept inside the index row: one fsync (the WAL commit) makes them durable.
    static let inlineLimit = 64 * 1024

    let blobs: BlobStore
    public let clock: any StoreClock
    let db: DatabasePool
    /// Every write goes through group commit (one fsync per batch of concurrent writers).
    let writer: GroupCommitter
    let logger: Logger
    let configurationCache = BucketConfigurationCache()
    private let sequenceLock = NSLock()
    private var lastSequence: Int64 = 0

    public init(dataDirectory: String, clock: any StoreClock = WallClock(), logger: Logger = Logger(label: "lockstep.store")) throws {
        self.clock = clock
        self.logger = logger
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        blobs = try BlobStore(dataDirectory: dataDirectory)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 4
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        db = try DatabasePool(path: dataDirectory + "/meta.sqlite", configuration: configuration)
        // DatabasePool sets synchronous=NORMAL when it enables WAL; an acknowledged write must survive power loss.
        try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        try Schema.migrate(db)
        writer = GroupCommitter(pool: db)
        lastSequence = try db.read { try Int64.fetchOne($0, sql: "SELECT max(seq) FROM versions") ?? 0 }
    }

    /// Checkpoints the WAL and closes the index. Nothing may use the store afterwards.
    public func close() throws {
        try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try db.close()
    }

    /// Deletes blob files that no committed row references (left by a crash between install and commit).
    /// Only files older than `startedMillis` are considered, so uploads in flight are never touched.
    public func sweepOrphanBlobs(startedMillis: Int64) async throws -> Int {
        let onDisk = blobs.allBlobIds().filter { $0.modified < startedMillis }
        guard !onDisk.isEmpty else { return 0 }
        let referenced: Set<String> = try await readSnapshot { db in
            var ids = Set<String>()
            let segmentRows = try Row.fetchCursor(db, sql: "SELECT segments FROM versions WHERE segments IS NOT NULL")
            while let row = try segmentRows.next() {
                let text: String = row[0]
                for segment in (try? JSONDecoder().decode([BodySegment].self, from: Data(text.utf8))) ?? [] { ids.insert(segment.blob) }
            }
            for id in try String.fetchAll(db, sql: "SELECT blob FROM parts") { ids.insert(id) }
            return ids
        }
        let orphans = onDisk.map(\.id).filter { !referenced.contains($0) }
        blobs.remove(orphans)
        if !orphans.isEmpty { logger.info("removed \(orphans.count) orphaned blob file(s)") }
        return orphans.count
    }

    /// A read on the caller's thread. Index reads take microseconds; hopping to a reader queue and back, or wrapping
    /// them in BEGIN/COMMIT, costs more than the read itself. Used for short point reads whose statements cannot
    /// observe a half-made change: every write is one transaction, and a version row implies its bucket exists.
    func readNow<T>(_ body: (Database) throws -> T) throws -> T {
        try db.unsafeRead(body)
    }

    /// A consistent read (one read transaction) that may take longer — listings, part lists — run on a dispatch thread
    /// that takes a reader connection and gives it back before the task resumes. GRDB's own async read gives its reader
    /// back only once the awaiting task runs again; with Swift concurrency on NIO's event loops, tasks waiting to resume
    /// with a reader and event loops waiting in `readNow` for one would wait for each other forever.
    func readSnapshot<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await runBlocking { try self.db.read(body) }
    }

    func nextSequence() -> Int64 {
        sequenceLock.lock()
        defer { sequenceLock.unlock() }
        lastSequence += 1
        return lastSequence
    }

    /// Opaque, URL-safe, unique: the creation sequence followed by random bytes, base64url (32 characters).
    func newVersionId(sequence: Int64) -> String {
        var bytes = withUnsafeBytes(of: UInt64(sequence).bigEndian) { Array($0) }
        bytes += secureRandomBytes(16)
        return Base64.encode(bytes).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// `null` or a 32-character base64url id as this store issues them.
    public static func isWellFormedVersionId(_ id: String) -> Bool {
        if id == nullVersionId { return true }
        guard id.utf8.count == 32 else { return false }
        return id.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
        }
    }
}

/// The index schema, versioned with `PRAGMA user_version`. A new store is created in one transaction (one fsync),
/// which keeps a fresh `--ephemeral` start-up in milliseconds.
enum Schema {
    /// 2: object metadata stored in `MetadataCodec`'s binary form. Lockstep has not been released with an older schema,
    /// so an older index is a development build's and is refused with a clear message rather than upgraded.
    static let currentVersion = 2

    static func migrate(_ pool: DatabasePool) throws {
        try pool.writeWithoutTransaction { db in
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            guard version < currentVersion else {
                if version > currentVersion {
                    throw StoreError.io("the data directory was written by a newer Lockstep (schema \(version), this build knows \(currentVersion))")
                }
                return
            }
            let preRelease = try version > 0 || db.tableExists("versions")
            if preRelease {
                throw StoreError.io("the data directory holds an index from a pre-release build (schema \(version)); move it away and start again")
            }
            try db.inTransaction {
                try createSchema(db)
                try db.execute(sql: "PRAGMA user_version = \(currentVersion)")
                return .commit
            }
        }
    }

    static func createSchema(_ db: Database) throws {
            try db.execute(sql: """
                CREATE TABLE buckets (
                    name TEXT PRIMARY KEY,
                    created_ms INTEGER NOT NULL,
                    region TEXT NOT NULL,
                    versioning TEXT NOT NULL DEFAULT '',
                    config TEXT NOT NULL DEFAULT '{}'
                ) WITHOUT ROWID;

                -- One row per object version (delete markers included). key is a BLOB so that ordering and range
                -- bounds are plain byte comparisons (S3 lists in UTF-8 byte order).
                CREATE TABLE versions (
                    seq INTEGER PRIMARY KEY,
                    bucket TEXT NOT NULL,
                    key BLOB NOT NULL,
                    version_id TEXT NOT NULL,
                    is_latest INTEGER NOT NULL,
                    is_delete_marker INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    etag TEXT NOT NULL,
                    last_modified_ms INTEGER NOT NULL,
                    storage_class TEXT NOT NULL,
                    checksum_algorithm TEXT,
                    checksum_type TEXT,
                    meta BLOB NOT NULL,
                    body BLOB,
                    segments TEXT
                );
                CREATE UNIQUE INDEX versions_by_id ON versions(bucket, key, version_id);
                CREATE UNIQUE INDEX latest_by_key ON versions(bucket, key) WHERE is_latest = 1;
                -- Covering indexes: a listing page is a range scan that never touches the table rows.
                CREATE INDEX current_objects ON versions(bucket, key, size, etag, last_modified_ms, storage_class, checksum_algorithm, checksum_type)
                    WHERE is_latest = 1 AND is_delete_marker = 0;
                CREATE INDEX versions_by_key ON versions(bucket, key, seq DESC, version_id, is_latest, is_delete_marker, size, etag,
                    last_modified_ms, storage_class, checksum_algorithm, checksum_type);

                CREATE TABLE uploads (
                    upload_id TEXT PRIMARY KEY,
                    bucket TEXT NOT NULL,
                    key BLOB NOT NULL,
                    initiated_ms INTEGER NOT NULL,
                    meta TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX uploads_by_key ON uploads(bucket, key, initiated_ms, upload_id);

                CREATE TABLE parts (
                    upload_id TEXT NOT NULL REFERENCES uploads(upload_id) ON DELETE CASCADE,
                    part_number INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    etag TEXT NOT NULL,
                    last_modified_ms INTEGER NOT NULL,
                    checksum TEXT,
                    blob TEXT NOT NULL,
                    PRIMARY KEY (upload_id, part_number)
                ) WITHOUT ROWID;
                """)
    }
}

// MARK: - Row helpers

extension String {
    var keyData: Data { Data(utf8) }
}

let jsonEncoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return e
}()

func encodeJSON<T: Encodable>(_ value: T) -> String {
    String(decoding: (try? jsonEncoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
}

func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
    try JSONDecoder().decode(type, from: Data(text.utf8))
}
