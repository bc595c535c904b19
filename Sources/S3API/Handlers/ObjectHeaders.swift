import FrontDoors
import HTTPDates
import HTTPTypes
import LockstepCrypto
import Store

/// Request headers that become stored object metadata, and stored metadata turned back into response headers.
enum ObjectHeaders {
    static func metadata(from c: S3Context) throws -> ObjectMetadata {
        var metadata = ObjectMetadata()
        metadata.contentType = c.header("content-type")
        metadata.contentEncoding = c.header("content-encoding").flatMap(stripAWSChunked)
        metadata.contentDisposition = c.header("content-disposition")
        metadata.contentLanguage = c.header("content-language")
        metadata.cacheControl = c.header("cache-control")
        metadata.expires = c.header("expires")
        var userBytes = 0
        for field in c.request.headers {
            let name = field.name.canonicalName
            guard name.hasPrefix("x-amz-meta-") else { continue }
            let short = String(name.dropFirst("x-amz-meta-".count))
            // Non-ASCII values arrive RFC 2047-encoded (or as UTF-8) and are stored as the text they stand for.
            let value = RFC2047.decode(field.value)
            userBytes += short.utf8.count + value.utf8.count
            metadata.userMetadata.append(Tag(key: short, value: value))
        }
        if userBytes > Validation.maxUserMetadataBytes {
            throw S3Error(.metadataTooLarge,
                          details: [("Size", String(userBytes)), ("MaxSizeAllowed", String(Validation.maxUserMetadataBytes))])
        }
        if let storageClass = c.header("x-amz-storage-class") {
            guard Validation.storageClasses.contains(storageClass) else {
                throw S3Error(.invalidStorageClass, details: [("StorageClassRequested", storageClass)])
            }
            metadata.storageClass = storageClass
        }
        if let tagging = c.header("x-amz-tagging") { metadata.tags = try Validation.parseTaggingHeader(tagging) }
        return metadata
    }

    /// `aws-chunked` is transfer framing, not part of the stored Content-Encoding.
    /// Everything else is kept verbatim, spacing included (`deflate, gzip` stays `deflate, gzip`), as S3 keeps it.
    static func stripAWSChunked(_ value: String) -> String? {
        let parts = value.split(separator: ",", omittingEmptySubsequences: false)
        let kept = parts.filter { $0.strippingSpaces().lowercased() != "aws-chunked" }
        if kept.count == parts.count { return value.isEmpty ? nil : value }
        let rest = kept.joined(separator: ",").drop { $0 == " " || $0 == "\t" }
        return rest.strippingSpaces().isEmpty ? nil : String(rest)
    }

    /// The write precondition of PutObject / CompleteMultipartUpload.
    static func writePrecondition(_ c: S3Context) throws -> WritePrecondition {
        if c.header("if-match") != nil { return ifMatch(c.header("if-match")) }
        if let ifNoneMatch = c.header("if-none-match") {
            guard ifNoneMatch.strippingSpaces() == "*" else {
                throw S3Error.notImplemented("A header you provided implies functionality that is not implemented")
            }
            return .absent
        }
        return .none
    }

    /// `If-Match` (or a DeleteObjects `<ETag>`): an ETag, or `*` for "any current object".
    static func ifMatch(_ value: String?) -> WritePrecondition {
        guard let value else { return .none }
        let etag = unquote(value)
        return etag == "*" ? .exists : .etagMatches(etag)
    }

    static func unquote(_ etag: String) -> String {
        var s = etag.strippingSpaces()
        if s.hasPrefix("W/") { s = String(s.dropFirst(2)) }
        if s.count >= 2 && s.hasPrefix("\"") && s.hasSuffix("\"") { s = String(s.dropFirst().dropLast()) }
        return s
    }

    /// Content headers, user metadata, tag count, storage class and version of a stored object.
    static func apply(_ version: ObjectVersion, to response: inout APIResponse, overrides: QueryParameters?) {
        let m = version.metadata
        response.set("Content-Type", overrides?["response-content-type"] ?? m.contentType ?? "binary/octet-stream")
        response.set("Content-Encoding", overrides?["response-content-encoding"] ?? m.contentEncoding)
        response.set("Content-Disposition", overrides?["response-content-disposition"] ?? m.contentDisposition)
        response.set("Content-Language", overrides?["response-content-language"] ?? m.contentLanguage)
        response.set("Cache-Control", overrides?["response-cache-control"] ?? m.cacheControl)
        response.set("Expires", overrides?["response-expires"] ?? m.expires)
        response.set("ETag", "\"\(version.etag)\"")
        response.set("Last-Modified", HTTPDate.format(version.lastModifiedMillis))
        for pair in m.userMetadata { response.set("x-amz-meta-" + pair.key, RFC2047.encode(pair.value)) }
        if !m.tags.isEmpty { response.set("x-amz-tagging-count", String(m.tags.count)) }
        if m.storageClass != "STANDARD" { response.set("x-amz-storage-class", m.storageClass) }
        response.set("x-amz-version-id", version.reportedVersionId)
    }

    static func applyChecksum(_ checksum: StoredChecksum?, to response: inout APIResponse) {
        guard let checksum else { return }
        response.set(checksum.algorithm.headerName, checksum.value)
        response.set("x-amz-checksum-type", checksum.kind.rawValue)
    }
}

extension ObjectVersion {
    /// `x-amz-version-id` as S3 reports it: the id, or `null` for null versions in buckets that have had versioning
    /// enabled; nothing in buckets that never had it.
    var reportedVersionId: String? {
        if versionId != nullVersionId { return versionId }
        return bucketVersioning == .unversioned ? nil : nullVersionId
    }

    /// `x-amz-version-id` on a write's response (PUT, POST, copy, CompleteMultipartUpload): only a real version id.
    /// A null version written while versioning is suspended is stored as `null`, but S3 sends no header for it.
    var writtenVersionId: String? { versionId == nullVersionId ? nil : versionId }
}
