import Foundation
import GRDB
import LockstepCrypto

/// What CreateMultipartUpload records and CompleteMultipartUpload applies.
struct UploadRecord: Codable {
    var metadata: ObjectMetadata
    var currentSequenceAtCreation: Int64?
    var checksumAlgorithm: ChecksumAlgorithm?
    var checksumKind: StoredChecksum.Kind?
}

public struct CompletedPartRequest: Sendable, Equatable {
    public var partNumber: Int
    public var etag: String          // unquoted
    public var checksum: String?     // base64 of the part checksum the client lists, if any
    public init(partNumber: Int, etag: String, checksum: String? = nil) {
        self.partNumber = partNumber; self.etag = etag; self.checksum = checksum
    }

    /// What identifies a Complete's part list: its numbers and ETags, in order.
    static func digest(_ parts: [CompletedPartRequest]) -> String {
        Digest.sha256(Array(parts.map { "\($0.partNumber):\($0.etag)\n" }.joined().utf8)).hexString
    }
}

public struct UploadListing: Sendable {
    public var uploads: [MultipartUpload] = []
    public var commonPrefixes: [String] = []
    public var isTruncated = false
    /// The last entry returned (an upload, or a common prefix with no upload id): where the next page starts.
    public var nextKeyMarker: String?
    public var nextUploadIdMarker: String?
}

extension ObjectStore {
    public static let minimumPartSize: Int64 = 5 * 1024 * 1024

    public func createUpload(bucket: String, key: String, metadata: ObjectMetadata, checksumAlgorithm: ChecksumAlgorithm?,
                             checksumKind: StoredChecksum.Kind?) async throws -> MultipartUpload {
        let now = clock.nowMillis()
        let uploadId = Base64.encode(secureRandomBytes(33)).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        let record = try await writer.write { db -> UploadRecord in
            _ = try Self.requireVersioning(db, bucket)
            let current = try Self.fetchVersion(db, bucket: bucket, key: key, versionId: nil, withBody: false)
            let record = UploadRecord(metadata: metadata, currentSequenceAtCreation: current?.sequence,
                                      checksumAlgorithm: checksumAlgorithm, checksumKind: checksumKind)
            try db.execute(sql: "INSERT INTO uploads(upload_id, bucket, key, initiated_ms, meta) VALUES (?, ?, ?, ?, ?)",
                           arguments: [uploadId, bucket, key.keyData, now, encodeJSON(record)])
            return record
        }
        return MultipartUpload(uploadId: uploadId, bucket: bucket, key: key, initiatedMillis: now, metadata: metadata,
                               currentSequenceAtCreation: record.currentSequenceAtCreation,
                               checksumAlgorithm: checksumAlgorithm, checksumKind: checksumKind)
    }

    static func fetchUpload(_ db: Database, bucket: String, key: String, uploadId: String) throws -> MultipartUpload {
        _ = try requireVersioning(db, bucket)
        guard let row = try Row.fetchOne(db, sql: "SELECT upload_id, bucket, key, initiated_ms, meta FROM uploads WHERE upload_id = ? AND bucket = ? AND key = ?",
                                         arguments: [uploadId, bucket, key.keyData]) else {
            throw StoreError.noSuchUpload(bucket: bucket, key: key, uploadId: uploadId)
        }
        return try decodeUpload(row)
    }

    static func decodeUpload(_ row: Row) throws -> MultipartUpload {
        let record = try decodeJSON(UploadRecord.self, row["meta"])
        let key: Data = row["key"]
        return MultipartUpload(uploadId: row["upload_id"], bucket: row["bucket"], key: String(decoding: key, as: UTF8.self),
                               initiatedMillis: row["initiated_ms"], metadata: record.metadata,
                               currentSequenceAtCreation: record.currentSequenceAtCreation,
                               checksumAlgorithm: record.checksumAlgorithm, checksumKind: record.checksumKind)
    }

    public func upload(bucket: String, key: String, uploadId: String) async throws -> MultipartUpload {
        try await readSnapshot { db in try Self.fetchUpload(db, bucket: bucket, key: key, uploadId: uploadId) }
    }

    /// Records a part from a body staged as a blob. A re-uploaded part number replaces the old one.
    @discardableResult
    public func putPart(bucket: String, key: String, uploadId: String, partNumber: Int, body: StagedBody, etag: String,
                        checksum: StoredChecksum?) async throws -> UploadedPart {
        guard case .segments(let segments) = body.body, segments.count == 1 else {
            throw StoreError.io("a part must be staged as one blob")
        }
        let part = UploadedPart(partNumber: partNumber, size: body.digests.length, etag: etag, lastModifiedMillis: clock.nowMillis(),
                                checksum: checksum, blob: segments[0].blob)
        let released: [String] = try await writer.write { db in
            _ = try Self.fetchUpload(db, bucket: bucket, key: key, uploadId: uploadId)
            let old = try String.fetchAll(db, sql: "SELECT blob FROM parts WHERE upload_id = ? AND part_number = ?",
                                          arguments: [uploadId, part.partNumber])
            try db.execute(sql: """
                INSERT OR REPLACE INTO parts(upload_id, part_number, size, etag, last_modified_ms, checksum, blob)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [uploadId, part.partNumber, part.size, part.etag, part.lastModifiedMillis,
                                 part.checksum.map(encodeJSON), part.blob])
            return old
        }
        body.markCommitted()
        blobs.remove(released)
        return part
    }

    public func listParts(bucket: String, key: String, uploadId: String, afterPart: Int, maxParts: Int) async throws -> (MultipartUpload, [UploadedPart], Bool) {
        try await readSnapshot { db in
            let upload = try Self.fetchUpload(db, bucket: bucket, key: key, uploadId: uploadId)
            let rows = try Row.fetchAll(db, sql: "SELECT part_number, size, etag, last_modified_ms, checksum, blob FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?",
                                        arguments: [uploadId, afterPart, maxParts + 1])
            let parts = try rows.prefix(maxParts).map(Self.decodePart)
            return (upload, parts, rows.count > maxParts)
        }
    }

    static func decodePart(_ row: Row) throws -> UploadedPart {
        let checksum: String? = row["checksum"]
        return UploadedPart(partNumber: row["part_number"], size: row["size"], etag: row["etag"], lastModifiedMillis: row["last_modified_ms"],
                            checksum: try checksum.map { try decodeJSON(StoredChecksum.self, $0) }, blob: row["blob"])
    }

    public func abortUpload(bucket: String, key: String, uploadId: String) async throws {
        let released: [String] = try await writer.write { db in
            _ = try Self.fetchUpload(db, bucket: bucket, key: key, uploadId: uploadId)
            let ids = try String.fetchAll(db, sql: "SELECT blob FROM parts WHERE upload_id = ?", arguments: [uploadId])
            try db.execute(sql: "DELETE FROM uploads WHERE upload_id = ?", arguments: [uploadId])
            return ids
        }
        blobs.remove(released)
    }

    /// Validates the part list, stitches the parts into one version (no data is copied) and commits it under `precondition`.
    /// `finish` computes the object's checksum from the chosen parts (the S3 layer knows the rules).
    public func completeUpload(bucket: String, key: String, uploadId: String, parts requested: [CompletedPartRequest],
                               precondition: WritePrecondition,
                               finish: @escaping @Sendable (MultipartUpload, [UploadedPart]) throws -> StoredChecksum?) async throws -> ObjectVersion {
        let now = clock.nowMillis()
        let partsDigest = CompletedPartRequest.digest(requested)
        let (version, released) = try await writer.write { db -> (ObjectVersion, [String]) in
            let upload: MultipartUpload
            do {
                upload = try Self.fetchUpload(db, bucket: bucket, key: key, uploadId: uploadId)
            } catch StoreError.noSuchUpload {
                // A retry of a Complete that succeeded (its response was lost): the same answer while what it made is
                // still the key's current version and the part list is the same.
                if let current = try Self.fetchVersion(db, bucket: bucket, key: key, versionId: nil, withBody: false),
                   current.metadata.completedUpload == CompletedUpload(uploadId: uploadId, partsDigest: partsDigest) {
                    return (current, [])
                }
                throw StoreError.noSuchUpload(bucket: bucket, key: key, uploadId: uploadId)
            }
            let bucketInfo = try Self.requireBucketForWrite(db, bucket)
            let stored = try Row.fetchAll(db, sql: "SELECT part_number, size, etag, last_modified_ms, checksum, blob FROM parts WHERE upload_id = ? ORDER BY part_number",
                                          arguments: [uploadId]).map(Self.decodePart)
            var byNumber: [Int: UploadedPart] = [:]
            for part in stored { byNumber[part.partNumber] = part }
            var chosen: [UploadedPart] = []
            var previous = 0
            for request in requested {
                guard request.partNumber > previous else { throw StoreError.invalidPartOrder }
                previous = request.partNumber
                guard let part = byNumber[request.partNumber], part.etag == request.etag else { throw StoreError.invalidPart(request.partNumber) }
                if let claimed = request.checksum, let actual = part.checksum, claimed != actual.value { throw StoreError.invalidPart(request.partNumber) }
                chosen.append(part)
            }
            for part in chosen.dropLast() where part.size < Self.minimumPartSize { throw StoreError.entityTooSmall }
            let current = try Self.fetchVersion(db, bucket: bucket, key: key, versionId: nil, withBody: false)
            try Self.evaluate(precondition, bucket: bucket, key: key, current: current)
            if precondition != .none && current?.sequence != upload.currentSequenceAtCreation {
                // The condition holds now, but the key was written or deleted while the upload ran.
                throw StoreError.conditionalRequestConflict(key: key)
            }

            let md5 = Digest(.md5)
            for part in chosen { md5.update(Hex.decode(part.etag) ?? []) }
            let etag = md5.finalize().hexString + "-\(chosen.count)"
            var metadata = upload.metadata
            metadata.checksum = try finish(upload, chosen)
            metadata.completedUpload = CompletedUpload(uploadId: uploadId, partsDigest: partsDigest)
            let segments = chosen.map { BodySegment(blob: $0.blob, size: $0.size, partNumber: $0.partNumber, etag: $0.etag, checksum: $0.checksum) }
            let content = VersionContent(size: chosen.reduce(0) { $0 + $1.size }, etag: etag, metadata: metadata, body: .segments(segments))
            let (version, replaced) = try self.insertVersion(db, bucket: bucketInfo, key: key, current: current, now: now, content: content)
            let chosenBlobs = Set(chosen.map(\.blob))
            let unused = stored.map(\.blob).filter { !chosenBlobs.contains($0) }
            // Parts now belong to the version; deleting the upload must not free their blobs.
            try db.execute(sql: "DELETE FROM uploads WHERE upload_id = ?", arguments: [uploadId])
            return (version, replaced + unused)
        }
        blobs.remove(released)
        return version
    }

    public func listUploads(bucket: String, prefix: String, delimiter: String?, keyMarker: String?, uploadIdMarker: String?,
                            maxUploads: Int) async throws -> UploadListing {
        try await readSnapshot { db in
            _ = try Self.requireVersioning(db, bucket)
            let prefixData = prefix.keyData
            let delimiterData = delimiter.flatMap { $0.isEmpty ? nil : $0.keyData }
            var sql = "SELECT upload_id, bucket, key, initiated_ms, meta FROM uploads WHERE bucket = ? AND key >= ?"
            var arguments: StatementArguments = [bucket, prefixData]
            if let upper = prefixUpperBound(prefixData) { sql += " AND key < ?"; _ = arguments.append(contentsOf: [upper]) }
            if let keyMarker {
                let markerData = keyMarker.keyData
                if let cp = commonPrefix(of: markerData, prefix: prefixData, delimiter: delimiterData), cp == markerData {
                    // The marker is a common prefix from an earlier page: resume after everything under it.
                    guard let bound = prefixUpperBound(cp) else { return UploadListing() }
                    sql += " AND key >= ?"
                    _ = arguments.append(contentsOf: [bound])
                } else if let uploadIdMarker {
                    sql += " AND (key > ? OR (key = ? AND (initiated_ms, upload_id) > (SELECT initiated_ms, upload_id FROM uploads WHERE upload_id = ?)))"
                    _ = arguments.append(contentsOf: [markerData, markerData, uploadIdMarker])
                } else {
                    sql += " AND key > ?"
                    _ = arguments.append(contentsOf: [markerData])
                }
            }
            sql += " ORDER BY key, initiated_ms, upload_id"
            var listing = UploadListing()
            let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            var count = 0
            while let row = try cursor.next() {
                let key: Data = row["key"]
                if let cp = commonPrefix(of: key, prefix: prefixData, delimiter: delimiterData) {
                    let text = String(decoding: cp, as: UTF8.self)
                    if listing.commonPrefixes.last == text { continue }
                    if count == maxUploads { listing.isTruncated = true; break }
                    listing.commonPrefixes.append(text)
                    listing.nextKeyMarker = text
                    listing.nextUploadIdMarker = nil
                    count += 1
                    continue
                }
                if count == maxUploads { listing.isTruncated = true; break }
                let upload = try Self.decodeUpload(row)
                listing.uploads.append(upload)
                listing.nextKeyMarker = upload.key
                listing.nextUploadIdMarker = upload.uploadId
                count += 1
            }
            return listing
        }
    }
}
