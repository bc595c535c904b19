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

/// One entry of a key-range scan: a row, or a common prefix that stands for every key under it.
enum ScanItem {
    case row(Row)
    case commonPrefix(Data)
}

/// Walks a key range in order, `maxItems` entries at most, rolling keys that contain the delimiter into common prefixes
/// and re-seeking past each prefix, so skipped keys are never read. `query` selects rows with `key` as column 0 from
/// `lower` (inclusive or not) below `upper`, `limit` at most. Returns whether more entries exist.
func scanKeyRange(prefix: Data, delimiter: Data?, from start: (Data, inclusive: Bool), maxItems: Int,
                  query: (_ lower: Data, _ inclusive: Bool, _ upper: Data?, _ limit: Int) throws -> [Row],
                  visit: (ScanItem) throws -> Void) throws -> Bool {
    let upper = prefixUpperBound(prefix)
    // Nothing more may be listed: report whether anything is left.
    guard maxItems > 0 else { return !(try query(start.0, start.inclusive, upper, 1)).isEmpty }
    var lower = start
    var count = 0
    scan: while true {
        let limit = maxItems - count + 1
        let rows = try query(lower.0, lower.inclusive, upper, limit)
        for row in rows {
            let key: Data = row[0]
            if count == maxItems { return true }
            count += 1
            if let cp = commonPrefix(of: key, prefix: prefix, delimiter: delimiter) {
                try visit(.commonPrefix(cp))
                guard let next = prefixUpperBound(cp) else { return false }
                lower = (next, true)
                continue scan
            }
            try visit(.row(row))
            lower = (key, false)
        }
        // A full batch always ends in `return true` above (limit is one more than what is left): the range is done.
        return false
    }
}

/// `… AND key >|>= ? [AND key < ?] ORDER BY … LIMIT ?` for a scan step.
func rangeSQL(_ head: String, inclusive: Bool, upper: Data?, order: String) -> String {
    head + " AND key \(inclusive ? ">=" : ">") ?" + (upper == nil ? "" : " AND key < ?") + " ORDER BY \(order) LIMIT ?"
}

func rangeArguments(_ leading: StatementArguments, lower: Data, upper: Data?, limit: Int) -> StatementArguments {
    var arguments = leading
    _ = arguments.append(contentsOf: [lower])
    if let upper { _ = arguments.append(contentsOf: [upper]) }
    _ = arguments.append(contentsOf: [limit])
    return arguments
}

extension ObjectStore {
    /// ListObjects/ListObjectsV2 as a range scan over the current-objects index (delete markers hidden).
    public func listObjects(bucket: String, prefix: String, delimiter: String?, after: ListPosition?, maxKeys: Int) async throws -> ObjectListing {
        try await readSnapshot { db in
            _ = try Self.requireVersioning(db, bucket)
            let prefixData = prefix.keyData
            let delimiterData = delimiter.flatMap { $0.isEmpty ? nil : $0.keyData }
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
            let head = "SELECT key, size, etag, last_modified_ms, storage_class, checksum_algorithm, checksum_type FROM versions INDEXED BY current_objects WHERE bucket = ? AND is_latest = 1 AND is_delete_marker = 0"
            listing.isTruncated = try scanKeyRange(prefix: prefixData, delimiter: delimiterData, from: lower, maxItems: maxKeys, query: { lower, inclusive, upper, limit in
                try Row.fetchAll(db.cachedStatement(sql: rangeSQL(head, inclusive: inclusive, upper: upper, order: "key")),
                                 arguments: rangeArguments([bucket], lower: lower, upper: upper, limit: limit))
            }, visit: { item in
                switch item {
                case .commonPrefix(let cp):
                    let text = String(decoding: cp, as: UTF8.self)
                    listing.commonPrefixes.append(text)
                    listing.last = .afterPrefix(text)
                case .row(let row):
                    let key: Data = row[0]
                    let text = String(decoding: key, as: UTF8.self)
                    listing.objects.append(ListedObject(key: text, size: row[1], etag: row[2], lastModifiedMillis: row[3],
                                                        storageClass: row[4], checksumAlgorithm: row[5], checksumType: row[6]))
                    listing.last = .afterKey(text)
                }
            })
            return listing
        }
    }

    /// ListObjectVersions: keys in byte order, each key's versions newest first; delete markers included.
    public func listVersions(bucket: String, prefix: String, delimiter: String?, keyMarker: String?, versionIdMarker: String?,
                             maxKeys: Int) async throws -> VersionListing {
        try await readSnapshot { db in
            _ = try Self.requireVersioning(db, bucket)
            let prefixData = prefix.keyData
            let delimiterData = delimiter.flatMap { $0.isEmpty ? nil : $0.keyData }
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

            let head = "SELECT \(columns) FROM versions INDEXED BY versions_by_key WHERE bucket = ?"
            listing.isTruncated = try scanKeyRange(prefix: prefixData, delimiter: delimiterData, from: lower, maxItems: maxKeys - count, query: { lower, inclusive, upper, limit in
                try Row.fetchAll(db.cachedStatement(sql: rangeSQL(head, inclusive: inclusive, upper: upper, order: "key, seq DESC")),
                                 arguments: rangeArguments([bucket], lower: lower, upper: upper, limit: limit))
            }, visit: { item in
                switch item {
                case .commonPrefix(let cp):
                    listing.commonPrefixes.append(String(decoding: cp, as: UTF8.self))
                    lastKey = cp
                    lastVersionId = nil
                case .row(let row):
                    take(row)
                }
            })
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
