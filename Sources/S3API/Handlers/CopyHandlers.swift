import FrontDoors
import LockstepCrypto
import LockstepXML
import Store

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=…]`, URL-encoded.
struct CopySource {
    var bucket: String
    var key: String
    var versionId: String?

    init(_ header: String) throws {
        var text = header
        var versionId: String?
        if let q = text.range(of: "?versionId=") {
            versionId = percentDecode(String(text[q.upperBound...]))
            text = String(text[..<q.lowerBound])
        }
        var path = percentDecode(text)
        if path.hasPrefix("/") { path.removeFirst() }
        guard let slash = path.firstIndex(of: "/"), slash != path.startIndex, path.index(after: slash) != path.endIndex else {
            throw S3Error.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", name: "x-amz-copy-source", value: header)
        }
        bucket = String(path[..<slash])
        key = String(path[path.index(after: slash)...])
        try Validation.checkVersionId(versionId)
        self.versionId = versionId
    }
}

extension S3Service {
    /// Resolves the copy source and checks `x-amz-copy-source-if-*`.
    func loadCopySource(_ c: S3Context) async throws -> (CopySource, ObjectVersion) {
        let source = try CopySource(c.header("x-amz-copy-source") ?? "")
        let version: ObjectVersion
        do {
            version = try await store.object(bucket: source.bucket, key: source.key, versionId: source.versionId, withBody: true)
        } catch StoreError.noSuchBucket {
            throw S3Error.noSuchBucket(source.bucket)
        } catch StoreError.isDeleteMarker(_, _, let explicit) where explicit {
            throw S3Error.invalidRequest("The source of a copy request may not specifically refer to a delete marker by version id.")
        }
        let lastModified = version.lastModifiedMillis / 1000 * 1000
        if let ifMatch = c.header("x-amz-copy-source-if-match") {
            if !ConditionalRead.etagList(ifMatch, matches: version.etag) { throw S3Error.preconditionFailed("x-amz-copy-source-If-Match") }
        } else if let text = c.header("x-amz-copy-source-if-unmodified-since"), let date = HTTPDate.parse(text), lastModified > date {
            throw S3Error.preconditionFailed("x-amz-copy-source-If-Unmodified-Since")
        }
        if let ifNoneMatch = c.header("x-amz-copy-source-if-none-match") {
            if ConditionalRead.etagList(ifNoneMatch, matches: version.etag) { throw S3Error.preconditionFailed("x-amz-copy-source-If-None-Match") }
        } else if let text = c.header("x-amz-copy-source-if-modified-since"), let date = HTTPDate.parse(text), lastModified <= date {
            throw S3Error.preconditionFailed("x-amz-copy-source-If-Modified-Since")
        }
        return (source, version)
    }

    func copyObject(_ c: S3Context) async throws -> APIResponse {
        try Validation.checkKey(c.key)
        let (source, sourceVersion) = try await loadCopySource(c)
        let metadataDirective = c.header("x-amz-metadata-directive") ?? "COPY"
        let taggingDirective = c.header("x-amz-tagging-directive") ?? "COPY"
        guard ["COPY", "REPLACE"].contains(metadataDirective) else {
            throw S3Error.invalidArgument("Unknown metadata directive.", name: "x-amz-metadata-directive", value: metadataDirective)
        }
        guard ["COPY", "REPLACE"].contains(taggingDirective) else {
            throw S3Error.invalidArgument("Unknown tagging directive.", name: "x-amz-tagging-directive", value: taggingDirective)
        }
        let requested = try ObjectHeaders.metadata(from: c)
        let requestedEncryption = try RequestedEncryption.parse(c)
        let sourceKey = try openEncryption(sourceVersion.metadata.encryption, bucket: source.bucket, key: source.key,
                                           customer: try CustomerKey.parse(c, prefix: CustomerKey.copySourcePrefix), unwrap: true)
        var metadata = sourceVersion.metadata
        if metadataDirective == "REPLACE" {
            let tags = metadata.tags
            metadata = requested
            metadata.tags = tags
        } else if c.header("x-amz-storage-class") != nil {
            metadata.storageClass = requested.storageClass
        }
        if taggingDirective == "REPLACE" { metadata.tags = requested.tags }
        // Copying an older version over its own key is how a version is restored: only the current version is "itself".
        var sameObject = source.bucket == c.bucket && source.key == c.key
        if sameObject, source.versionId != nil {
            let current = try? await store.object(bucket: c.bucket, key: c.key, withBody: false)
            sameObject = current?.sequence == sourceVersion.sequence
        }
        let changesEncryption: Bool
        if case .bucketDefault = requestedEncryption { changesEncryption = false } else { changesEncryption = true }
        if sameObject && metadataDirective != "REPLACE" && c.header("x-amz-storage-class") == nil && taggingDirective != "REPLACE"
            && !changesEncryption {
            throw S3Error.invalidRequest("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
        }
        let precondition = try ObjectHeaders.writePrecondition(c)
        let algorithm = ChecksumAlgorithm(name: c.header("x-amz-checksum-algorithm") ?? "")
            ?? (sourceVersion.metadata.checksum?.kind == .fullObject ? sourceVersion.metadata.checksum?.algorithm : nil) ?? .crc64nvme
        // The copy is sealed under a new data key, to the destination's settings (the request's, else the bucket default).
        let encryption = try await newEncryption(requestedEncryption, bucket: c.bucket, key: c.key)
        let (body, md5Hex, checksum) = try await copyBody(of: sourceVersion, opening: sourceKey, range: 0..<sourceVersion.size, checksum: algorithm,
                                                          sealing: encryption.key)
        metadata.checksum = checksum
        metadata.encryption = encryption.record
        let version = try await store.putObject(bucket: c.bucket, key: c.key,
                                                NewObject(size: sourceVersion.size, etag: md5Hex, metadata: metadata, body: body),
                                                precondition: precondition)
        var x = XMLWriter()
        x.group("CopyObjectResult", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.element("LastModified", S3Time.iso8601(version.lastModifiedMillis))
            x.element("ETag", "\"\(version.etag)\"")
            if let checksum { x.element("Checksum" + checksum.algorithm.rawValue, checksum.value) }
        }
        var response = xmlResponse(x)
        response.set("x-amz-copy-source-version-id", sourceVersion.reportedVersionId)
        response.set("x-amz-version-id", version.reportedVersionId)
        applyEncryptionHeaders(version.metadata.encryption, to: &response, includeContext: true)
        return response
    }
}
