import Foundation
import GRDB

public struct ListedObject: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String
    public var lastModifiedMillis: Int64
    public var storageClass: String
    public var checksumAlgorithm: String?
    public var checksumType: String?
}

public struct ListedVersion: Sendable, Equatable {
    public var key: String
    public var versionId: String
    public var isLatest: Bool
    public var isDeleteMarker: Bool
    public var size: Int64
    public var etag: String
    public var lastModifiedMillis: Int64
    public var storageClass: String
    public var checksumAlgorithm: String?
    public var checksumType: String?
}

/// Where a listing resumes: strictly after a key, or at the first key not under a common prefix.
public enum ListPosition: Sendable, Equatable {
    case afterKey(String)
    case afterPrefix(String)
}

public struct ObjectListing: Sendable {
    public var objects: [ListedObject] = []
    public var commonPrefixes: [String] = []
    public var isTruncated = false
    /// The last entry returned (a key or a common prefix): where the next page starts.
    public var last: ListPosition?
}

public struct VersionListing: Sendable {
    public var versions: [ListedVersion] = []
    public var commonPrefixes: [String] = []
    public var isTruncated = false
    public var nextKeyMarker: String?
    public var nextVersionIdMarker: String?
}

/// The smallest byte string greater than every string that starts with `prefix`, or nil if there is none.
func prefixUpperBound(_ prefix: Data) -> Data? {
    var bytes = Array(prefix)
    while let last = bytes.last {
        if last < 0xFF {
            bytes[bytes.count - 1] = last + 1
            return Data(bytes)
        }
        bytes.removeLast()
    }
    return nil
}

/// If `key` (under `prefix`) contains `delimiter` after the prefix, the common prefix it rolls up into.
func commonPrefix(of key: Data, prefix: Data, delimiter: Data?) -> Data? {
    guard let delimiter, !delimiter.isEmpty else { return nil }
    let rest = key[(key.startIndex + prefix.count)...]
    guard let range = rest.range(of: delimiter) else { return nil }
    return Data(key[key.startIndex..<range.upperBound])
}

extension ObjectStore {
    /// ListObjects/ListObjectsV2 as a range scan over the current-objects index (delete markers hidden).
    public func listObjects(bucket: String, prefix: String, delimiter: String?, after: ListPosition?, maxKeys: Int) async throws -> ObjectListing {
        try await db.read { db in
            _ = try Self.requireBucket(db, bucket)
            let prefixData = prefix.keyData
            let delimiterData = delimiter.flatMap { $0.isEmpty ? nil : $0.keyData }
            let upper = prefixUpperBound(prefixData)
            var lower: (Data, inclusive: Bool) = (prefixData, true)
            switch after {
            case .afterKey(let k)?: if byteOrderAtLeast(k.keyData, prefixData) { lower = (k.keyData, false) }
            case .afterPrefix(let p)?:
                guard let bound = prefixUpperBound(p.keyData) else { return ObjectListing() }
                if !byteOrderAtLeast(prefixData, bound) { lower = (bound, true) }
            case nil: break
            }
            var listing = ObjectListing()
            guard maxKeys > 0 else { return listing }
            var count = 0
            scan: while true {
                let limit = maxKeys - count + 1
                var sql = "SELECT key, size, etag, last_modified_ms, storage_class, checksum_algorithm, checksum_type FROM versions INDEXED BY current_objects WHERE bucket = ? AND is_latest = 1 AND is_delete_marker = 0 AND key \(lower.inclusive ? ">=" : ">") ?"
                var arguments: StatementArguments = [bucket, lower.0]
                if let upper { sql += " AND key < ?"; _ = arguments.append(contentsOf: [upper]) }
                sql += " ORDER BY key LIMIT ?"
                _ = arguments.append(contentsOf: [limit])
                let rows = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
                if rows.isEmpty { break scan }
                for row in rows {
                    let key: Data = row[0]
                    if count == maxKeys { listing.isTruncated = true; break scan }
                    if let cp = commonPrefix(of: key, prefix: prefixData, delimiter: delimiterData) {
                        let text = String(decoding: cp, as: UTF8.self)
                        listing.commonPrefixes.append(text)
                        listing.last = .afterPrefix(text)
                        count += 1
                        guard let next = prefixUpperBound(cp) else { break scan }
                        lower = (next, true)
                        continue scan
                    }
                    let text = String(decoding: key, as: UTF8.self)
                    listing.objects.append(ListedObject(key: text, size: row[1], etag: row[2], lastModifiedMillis: row[3],
                                                        storageClass: row[4], checksumAlgorithm: row[5], checksumType: row[6]))
                    listing.last = .afterKey(text)
                    count += 1
                    lower = (key, false)
                }
                break scan  // a full batch always ends in truncation above, so reaching here means the range is exhausted
            }
            return listing
        }
    }

    /// ListObjectVersions: keys in byte order, each key's versions newest first; delete markers included.
    public func listVersions(bucket: String, prefix: String, delimiter: String?, keyMarker: String?, versionIdMarker: String?,
                             maxKeys: Int) async throws -> VersionListing {
        try await db.read { db in
            _ = try Self.requireBucket(db, bucket)
            let prefixData = prefix.keyData
            let delimiterData = delimiter.flatMap { $0.isEmpty ? nil : $0.keyData }
            let upper = prefixUpperBound(prefixData)
            var listing = VersionListing()
            guard maxKeys > 0 else { return listing }
            let columns = "key, version_id, is_latest, is_delete_marker, size, etag, last_modified_ms, storage_class, checksum_algorithm, checksum_type"
            var count = 0
            var lower: (Data, inclusive: Bool) = (prefixData, true)
            var lastKey: Data?
            var lastVersionId: String?

            func take(_ row: Row) {
                let key: Data = row[0]
                listing.versions.append(ListedVersion(key: String(decoding: key, as: UTF8.self), versionId: row[1], isLatest: row[2],
                                                      isDeleteMarker: row[3], size: row[4], etag: row[5], lastModifiedMillis: row[6],
                                                      storageClass: row[7], checksumAlgorithm: row[8], checksumType: row[9]))
                lastKey = key
                lastVersionId = row[1]
                count += 1
            }

            if let keyMarker, byteOrderAtLeast(keyMarker.keyData, prefixData) {
                lower = (keyMarker.keyData, false)
                // Resume inside the marker key's history: versions older than the marker version.
                if let versionIdMarker,
                   let markerSeq = try Int64.fetchOne(db, sql: "SELECT seq FROM versions WHERE bucket = ? AND key = ? AND version_id = ?",
                                                      arguments: [bucket, keyMarker.keyData, versionIdMarker]),
                   commonPrefix(of: keyMarker.keyData, prefix: prefixData, delimiter: delimiterData) == nil {
                    let rows = try Row.fetchAll(db, sql: "SELECT \(columns) FROM versions INDEXED BY versions_by_key WHERE bucket = ? AND key = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                                                arguments: [bucket, keyMarker.keyData, markerSeq, maxKeys + 1])
                    for row in rows {
                        if count == maxKeys { listing.isTruncated = true; break }
                        take(row)
                    }
                    if listing.isTruncated {
                        listing.nextKeyMarker = lastKey.map { String(decoding: $0, as: UTF8.self) }
                        listing.nextVersionIdMarker = lastVersionId
                        return listing
                    }
                }
                if let cp = commonPrefix(of: keyMarker.keyData, prefix: prefixData, delimiter: delimiterData) {
                    guard let next = prefixUpperBound(cp) else { return listing }
                    lower = (next, true)
                }
            }

            scan: while true {
                let limit = maxKeys - count + 1
                var sql = "SELECT \(columns) FROM versions INDEXED BY versions_by_key WHERE bucket = ? AND key \(lower.inclusive ? ">=" : ">") ?"
                var arguments: StatementArguments = [bucket, lower.0]
                if let upper { sql += " AND key < ?"; _ = arguments.append(contentsOf: [upper]) }
                sql += " ORDER BY key, seq DESC LIMIT ?"
                _ = arguments.append(contentsOf: [limit])
                let rows = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
                if rows.isEmpty { break scan }
                for row in rows {
                    let key: Data = row[0]
                    if count == maxKeys { listing.isTruncated = true; break scan }
                    if let cp = commonPrefix(of: key, prefix: prefixData, delimiter: delimiterData) {
                        listing.commonPrefixes.append(String(decoding: cp, as: UTF8.self))
                        lastKey = cp
                        lastVersionId = nil
                        count += 1
                        guard let next = prefixUpperBound(cp) else { break scan }
                        lower = (next, true)
                        continue scan
                    }
                    take(row)
                }
                // A full batch always ends in truncation (limit is one more than what is left), so a short one means the end.
                break scan
            }
            if listing.isTruncated {
                listing.nextKeyMarker = lastKey.map { String(decoding: $0, as: UTF8.self) }
                listing.nextVersionIdMarker = lastVersionId
            }
            return listing
        }
    }
}

/// Byte-wise order, as SQLite compares BLOB keys.
func byteOrderAtLeast(_ a: Data, _ b: Data) -> Bool { !a.lexicographicallyPrecedes(b) }
