import GRDB

/// How much a bucket (or the whole store) holds: the console's bucket list and the metrics' store gauges.
public struct BucketStatistics: Sendable, Equatable, Codable {
    /// Current versions that are not delete markers: what ListObjects shows.
    public var objects: Int64 = 0
    /// Every version, delete markers included.
    public var versions: Int64 = 0
    public var deleteMarkers: Int64 = 0
    /// Bytes of every version (what the bucket costs to keep).
    public var bytes: Int64 = 0
    public init() {}
}

extension ObjectStore {
    /// One pass over the covering version index (a bucket's rows, or all of them with `bucket` nil), off the event
    /// loops; 10,000 versions take milliseconds. Never on a request path.
    public func statistics(bucket: String? = nil) async throws -> BucketStatistics {
        try await readSnapshot { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*), coalesce(sum(is_latest AND NOT is_delete_marker), 0), coalesce(sum(is_delete_marker), 0),
                       coalesce(sum(size), 0)
                FROM versions
                """ + (bucket == nil ? "" : " WHERE bucket = ?"), arguments: StatementArguments(bucket.map { [$0] } ?? []))
            var statistics = BucketStatistics()
            if let row {
                statistics.versions = row[0]
                statistics.objects = row[1]
                statistics.deleteMarkers = row[2]
                statistics.bytes = row[3]
            }
            return statistics
        }
    }
}

extension ObjectStore {
    /// How many object versions each KMS key protects (SSE-S3 versions count for the service key that wraps their data
    /// keys), read from every version's metadata: the index has no key column, so this is a scan, for the console's
    /// keys page rather than any request path.
    public func versionsByEncryptionKey() async throws -> [String: Int] {
        try await readSnapshot { db in
            var counts: [String: Int] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT meta FROM versions WHERE is_delete_marker = 0")
            while let row = try rows.next() {
                guard let keyId = try MetadataCodec.decode(row[0]).encryption?.keyId else { continue }
                counts[keyId, default: 0] += 1
            }
            return counts
        }
    }
}
