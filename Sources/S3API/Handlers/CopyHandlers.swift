import FrontDoors
import LockstepCrypto
import LockstepXML
import Store

extension S3Service {
    /// Loads the copy source's version — once the requester may read it — and checks `x-amz-copy-source-if-*` against it.
    func loadCopySource(_ c: S3Context, _ source: CopySource) async throws -> ObjectVersion {
        try await authorize(c, S3Permission(source.versionId == nil ? "s3:GetObject" : "s3:GetObjectVersion", .object, .read),
                            bucket: source.bucket, key: source.key, versionId: source.versionId)
        let version: ObjectVersion
        do {
            version = try await store.object(bucket: source.bucket, key: source.key, versionId: source.versionId, withBody: true)
        } catch StoreError.isDeleteMarker(_, _, _, let explicit) where explicit {
            throw S3Error.invalidRequest("The source of a copy request may not specifically refer to a delete marker by version id.")
        }
        try requireReadable(version)
        try ReadConditions(c, prefix: "x-amz-copy-source-").requireForCopy(version)
        c.trace?.copySource = (source.bucket, source.key, source.versionId, version.size)
        return version
    }

    func copyObject(_ c: S3Context, source: CopySource) async throws -> APIResponse {
        try Validation.checkKey(c.key)
        let sourceVersion = try await loadCopySource(c, source)
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
        // A copy is a new version: it carries only the lock its request asks for (or the bucket's default), never the
        // source's, and nothing of the source's restore.
        let lock = try ObjectLockHeaders.parse(c, nowMillis: store.clock.nowMillis())
        try lock.check(bucket: try store.configuration(bucket: c.bucket), c, operation: "Put Object", needsBody: false)
        (metadata.retention, metadata.legalHold, metadata.restore) = (lock.retention, lock.legalHold, nil)
        // A copy is written by its requester: it gets their ownership and the ACL the request gives, never the source's.
        (metadata.owner, metadata.acl) = try newObjectAccessControl(c)
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
        let staged = try await store.stageCopy(of: sourceVersion, range: 0..<sourceVersion.size, opening: sourceKey,
                                               digests: DigestRequest(md5: true, checksum: algorithm), sealing: encryption.key)
        let checksum = staged.digests.checksum.map { StoredChecksum(algorithm: algorithm, value: Base64.encode($0)) }
        metadata.checksum = checksum
        metadata.encryption = encryption.record
        let version = try await store.putObject(bucket: c.bucket, key: c.key,
                                                NewObject(etag: staged.digests.md5?.hexString ?? "", metadata: metadata, body: staged),
                                                precondition: precondition)
        c.trace?.objectSize = version.size
        var x = XMLWriter()
        x.group("CopyObjectResult", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.element("LastModified", S3Time.iso8601(version.lastModifiedMillis))
            x.element("ETag", "\"\(version.etag)\"")
            if let checksum { x.element("Checksum" + checksum.algorithm.rawValue, checksum.value) }
        }
        var response = xmlResponse(x)
        response.set("x-amz-copy-source-version-id", sourceVersion.reportedVersionId)
        response.set("x-amz-version-id", version.writtenVersionId)
        applyEncryptionHeaders(version.metadata.encryption, to: &response, includeContext: true)
        try applyExpiration(version, to: &response)
        return response
    }
}
