import FrontDoors
import HTTPTypes
import LockstepCrypto
import LockstepXML
import Store

extension S3Service {
    func createMultipartUpload(_ c: S3Context) async throws -> APIResponse {
        try Validation.checkKey(c.key)
        var metadata = try ObjectHeaders.metadata(from: c)
        let lock = try ObjectLockHeaders.parse(c, nowMillis: store.clock.nowMillis())
        try lock.check(bucket: try store.configuration(bucket: c.bucket), c, operation: "Put Object", needsBody: false)
        (metadata.retention, metadata.legalHold) = (lock.retention, lock.legalHold)
        (metadata.owner, metadata.acl) = try newObjectAccessControl(c)
        let requestedEncryption = try RequestedEncryption.parse(c)
        let algorithm = try c.header("x-amz-checksum-algorithm").map { name -> ChecksumAlgorithm in
            guard let a = ChecksumAlgorithm(name: name) else {
                throw S3Error.invalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
            }
            return a
        }
        var kind: StoredChecksum.Kind?
        if let typeText = c.header("x-amz-checksum-type") {
            guard let k = StoredChecksum.Kind(rawValue: typeText.uppercased()) else {
                throw S3Error.invalidRequest("Value for x-amz-checksum-type header is invalid.")
            }
            guard algorithm != nil else { throw S3Error.invalidRequest("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.") }
            kind = k
        }
        if let algorithm {
            let resolved = kind ?? (algorithm == .crc64nvme ? .fullObject : .composite)
            if resolved == .fullObject && (algorithm == .sha1 || algorithm == .sha256) {
                throw S3Error.invalidRequest("The FULL_OBJECT checksum type cannot be used with the \(algorithm.rawValue.lowercased()) checksum algorithm.")
            }
            if resolved == .composite && algorithm == .crc64nvme {
                throw S3Error.invalidRequest("The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.")
            }
            kind = resolved
        }
        // One data key for the whole upload; every part is sealed under it (each part blob with its own derived key).
        metadata.encryption = try await newEncryption(requestedEncryption, bucket: c.bucket, key: c.key).record
        let upload = try await store.createUpload(bucket: c.bucket, key: c.key, metadata: metadata, checksumAlgorithm: algorithm, checksumKind: kind)
        var x = XMLWriter()
        x.group("InitiateMultipartUploadResult", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.element("Bucket", c.bucket)
            x.element("Key", c.key)
            x.element("UploadId", upload.uploadId)
        }
        var response = xmlResponse(x)
        if let algorithm, let kind {
            response.set("x-amz-checksum-algorithm", algorithm.rawValue)
            response.set("x-amz-checksum-type", kind.rawValue)
        }
        applyEncryptionHeaders(upload.metadata.encryption, to: &response, includeContext: true)
        try applyAbortDate(upload, to: &response)
        return response
    }

    /// The upload's body key for a part: SSE-C uploads need the same customer key on every part, as on S3.
    func partKey(_ c: S3Context, upload: MultipartUpload) throws -> BodyKey? {
        let customer = try CustomerKey.parse(c)
        guard let record = upload.metadata.encryption else { return nil }
        if record.mode == .sseC {
            guard let customer else {
                throw S3Error.invalidRequest("The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.")
            }
            guard customer.matches(record) else {
                throw S3Error.invalidRequest("The provided encryption parameters did not match the ones used originally.")
            }
        } else if customer != nil {
            throw S3Error.invalidRequest("The multipart upload initiate did not request encryption with customer provided keys. Subsequent part requests must not include them.")
        }
        return try openEncryption(record, bucket: c.bucket, key: c.key, customer: customer, unwrap: true)
    }

    func uploadPart(_ c: S3Context, uploadId: String, partNumber number: Int) async throws -> APIResponse {
        let upload = try await store.upload(bucket: c.bucket, key: c.key, uploadId: uploadId)
        // Parts of an object that will be locked need their integrity checked end to end, as its PutObject would.
        let defaultRetention = try store.configuration(bucket: c.bucket)?.objectLock?.defaultRetention
        let locked = upload.metadata.retention != nil || upload.metadata.legalHold != nil || defaultRetention != nil
        if locked && !ObjectLockHeaders.carriesIntegrity(c) {
            throw S3Error.invalidRequest("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Part requests with Object Lock parameters")
        }
        let key = try partKey(c, upload: upload)
        let payload = try PayloadReader(request: c.request, auth: c.auth, computeMD5: true, defaultChecksum: upload.checksumAlgorithm ?? .crc64nvme)
        let (staged, digests) = try await stage(payload, sealing: key, placement: .blob)
        if let expected = upload.checksumAlgorithm, let actual = digests.checksum?.algorithm, expected != actual {
            throw S3Error.invalidRequest("Checksum Type mismatch occurred, expected checksum Type: \(expected.rawValue.lowercased()), actual checksum Type: \(actual.rawValue.lowercased())")
        }
        let etag = digests.md5Hex ?? ""
        try await store.putPart(bucket: c.bucket, key: c.key, uploadId: uploadId, partNumber: number, body: staged, etag: etag,
                                checksum: digests.checksum)
        c.trace?.objectSize = staged.digests.length
        var response = APIResponse()
        response.set("ETag", "\"\(etag)\"")
        if let checksum = digests.checksum { response.set(checksum.algorithm.headerName, checksum.value) }
        applyEncryptionHeaders(upload.metadata.encryption, to: &response)
        return response
    }

    func uploadPartCopy(_ c: S3Context, uploadId: String, partNumber number: Int, source sourceName: CopySource,
                        range requested: ByteRangeSpec?) async throws -> APIResponse {
        let upload = try await store.upload(bucket: c.bucket, key: c.key, uploadId: uploadId)
        let key = try partKey(c, upload: upload)
        let source = try await loadCopySource(c, sourceName)
        let sourceKey = try openEncryption(source.metadata.encryption, bucket: sourceName.bucket, key: sourceName.key,
                                           customer: try CustomerKey.parse(c, prefix: CustomerKey.copySourcePrefix), unwrap: true)
        var range: Range<Int64> = 0..<source.size
        if case .from(let first, let last?)? = requested {
            guard last < source.size else { throw S3Error.invalidRange(c.header("x-amz-copy-source-range") ?? "", size: source.size) }
            range = first..<(last + 1)
        }
        let algorithm = upload.checksumAlgorithm ?? .crc64nvme
        let staged = try await store.stageCopy(of: source, range: range, opening: sourceKey, digests: DigestRequest(md5: true, checksum: algorithm),
                                               sealing: key, placement: .blob)
        let md5Hex = staged.digests.md5?.hexString ?? ""
        let checksum = staged.digests.checksum.map { StoredChecksum(algorithm: algorithm, value: Base64.encode($0)) }
        let part = try await store.putPart(bucket: c.bucket, key: c.key, uploadId: uploadId, partNumber: number, body: staged, etag: md5Hex,
                                           checksum: checksum)
        let now = part.lastModifiedMillis
        var x = XMLWriter()
        x.group("CopyPartResult", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.element("LastModified", S3Time.iso8601(now))
            x.element("ETag", "\"\(md5Hex)\"")
            if let checksum { x.element("Checksum" + checksum.algorithm.rawValue, checksum.value) }
        }
        var response = xmlResponse(x)
        response.set("x-amz-copy-source-version-id", source.reportedVersionId)
        applyEncryptionHeaders(upload.metadata.encryption, to: &response)
        return response
    }

    func completeMultipartUpload(_ c: S3Context, uploadId: String) async throws -> APIResponse {
        let precondition = try ObjectHeaders.writePrecondition(c)
        // `x-amz-checksum-*` here is the whole object's checksum, checked against what the parts make — not against
        // the XML body, which is read without it.
        let claim = try ObjectChecksumClaim(c)
        var bodyRequest = c.request
        bodyRequest.headers = HTTPFields(c.request.headers.filter { ChecksumAlgorithm(headerName: $0.name.canonicalName) == nil })
        let bodyContext = S3Context(request: bodyRequest, operation: c.operation, bucket: c.bucket, key: c.key, query: c.query, auth: c.auth,
                                    requester: c.requester, requestId: c.requestId, trace: c.trace)
        let root = try parseXML(try await readXMLBody(bodyContext))
        guard root.name == "CompleteMultipartUpload" else { throw S3Error.malformedXML() }
        let requested = try root.all("Part").map { node -> CompletedPartRequest in
            guard let numberText = node.value("PartNumber"), let number = Int(numberText), let etag = node.value("ETag") else {
                throw S3Error.malformedXML()
            }
            let checksum = ChecksumAlgorithm.allCases.lazy.compactMap { node.value("Checksum" + $0.rawValue) }.first
            return CompletedPartRequest(partNumber: number, etag: ObjectHeaders.unquote(etag), checksum: checksum)
        }
        guard !requested.isEmpty else { throw S3Error.malformedXML() }
        let version = try await store.completeUpload(bucket: c.bucket, key: c.key, uploadId: uploadId, parts: requested,
                                                     precondition: precondition) { upload, parts in
            try claim.check(upload, MultipartChecksum.combine(upload, parts))
        }
        c.trace?.objectSize = version.size
        var x = XMLWriter()
        let host = c.header("host") ?? "localhost"
        x.group("CompleteMultipartUploadResult", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.element("Location", "http://\(host)/\(c.bucket)/\(urlEncodeForListing(c.key))")
            x.element("Bucket", c.bucket)
            x.element("Key", c.key)
            x.element("ETag", "\"\(version.etag)\"")
            if let checksum = version.metadata.checksum {
                x.element("Checksum" + checksum.algorithm.rawValue, checksum.value)
                x.element("ChecksumType", checksum.kind.rawValue)
            }
        }
        var response = xmlResponse(x)
        response.set("x-amz-version-id", version.writtenVersionId)
        applyEncryptionHeaders(version.metadata.encryption, to: &response, echoCustomerKey: false)
        try applyExpiration(version, to: &response)
        return response
    }

    func abortMultipartUpload(_ c: S3Context, uploadId: String) async throws -> APIResponse {
        try await store.abortUpload(bucket: c.bucket, key: c.key, uploadId: uploadId)
        return APIResponse(status: .noContent)
    }

    func listParts(_ c: S3Context, uploadId: String, parts page: PartsPage) async throws -> APIResponse {
        let (maxParts, marker) = (page.maxParts, page.marker)
        let (upload, parts, truncated) = try await store.listParts(bucket: c.bucket, key: c.key, uploadId: uploadId, afterPart: marker, maxParts: maxParts)
        let owner = try bucketOwner(c.bucket)
        var x = XMLWriter()
        x.group("ListPartsResult", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.element("Bucket", c.bucket)
            x.element("Key", c.key)
            x.element("UploadId", uploadId)
            x.element("PartNumberMarker", marker)
            x.element("NextPartNumberMarker", parts.last?.partNumber ?? marker)
            x.element("MaxParts", maxParts)
            x.element("IsTruncated", truncated)
            for part in parts {
                x.group("Part") { x in
                    x.element("PartNumber", part.partNumber)
                    x.element("LastModified", S3Time.iso8601(part.lastModifiedMillis))
                    x.element("ETag", "\"\(part.etag)\"")
                    if let checksum = part.checksum, upload.checksumAlgorithm != nil { x.element("Checksum" + checksum.algorithm.rawValue, checksum.value) }
                    x.element("Size", Int(part.size))
                }
            }
            owner.write(&x, element: "Initiator")
            owner.write(&x)
            x.element("StorageClass", upload.metadata.storageClass)
            if let algorithm = upload.checksumAlgorithm, let kind = upload.checksumKind {
                x.element("ChecksumAlgorithm", algorithm.rawValue)
                x.element("ChecksumType", kind.rawValue)
            }
        }
        var response = xmlResponse(x)
        try applyAbortDate(upload, to: &response)
        return response
    }

    func listMultipartUploads(_ c: S3Context, _ q: ListUploadsQuery) async throws -> APIResponse {
        let (prefix, delimiter, maxUploads, encode) = (q.listing.prefix, q.listing.delimiter, q.listing.maxKeys, q.listing.encode)
        let (keyMarker, uploadIdMarker) = (q.keyMarker, q.uploadIdMarker)
        let listing = try await store.listUploads(bucket: c.bucket, prefix: prefix, delimiter: delimiter, keyMarker: keyMarker,
                                                  uploadIdMarker: keyMarker == nil ? nil : uploadIdMarker, maxUploads: maxUploads)
        let owner = try bucketOwner(c.bucket)
        var x = XMLWriter()
        x.group("ListMultipartUploadsResult", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.element("Bucket", c.bucket)
            x.element("KeyMarker", encode(keyMarker ?? ""))
            x.element("UploadIdMarker", uploadIdMarker ?? "")
            if listing.isTruncated {
                x.optional("NextKeyMarker", listing.nextKeyMarker.map(encode))
                x.optional("NextUploadIdMarker", listing.nextUploadIdMarker)
            }
            x.element("Prefix", encode(prefix))
            if let delimiter { x.element("Delimiter", encode(delimiter)) }
            x.element("MaxUploads", maxUploads)
            if q.listing.urlEncoded { x.element("EncodingType", "url") }
            x.element("IsTruncated", listing.isTruncated)
            for upload in listing.uploads {
                x.group("Upload") { x in
                    x.element("Key", encode(upload.key))
                    x.element("UploadId", upload.uploadId)
                    owner.write(&x, element: "Initiator")
                    owner.write(&x)
                    x.element("StorageClass", upload.metadata.storageClass)
                    x.element("Initiated", S3Time.iso8601(upload.initiatedMillis))
                    if let algorithm = upload.checksumAlgorithm { x.element("ChecksumAlgorithm", algorithm.rawValue) }
                }
            }
            for commonPrefix in listing.commonPrefixes {
                x.group("CommonPrefixes") { x in x.element("Prefix", encode(commonPrefix)) }
            }
        }
        return xmlResponse(x)
    }
}

/// The checksum of a completed multipart object, from its parts' checksums.
/// The object checksum a CompleteMultipartUpload states (`x-amz-checksum-<algorithm>`, in the full-object form or
/// the composite `<base64>-<parts>` form, and `x-amz-checksum-type`), checked in the commit against what the parts
/// combine to.
struct ObjectChecksumClaim: Sendable {
    var algorithm: ChecksumAlgorithm?
    var value: String?
    var kind: StoredChecksum.Kind?

    init(_ c: S3Context) throws {
        for field in c.request.headers {
            guard let algorithm = ChecksumAlgorithm(headerName: field.name.canonicalName) else { continue }
            guard self.algorithm == nil else {
                throw S3Error.invalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
            }
            (self.algorithm, value) = (algorithm, field.value)
        }
        if let text = c.header("x-amz-checksum-type") {
            guard let kind = StoredChecksum.Kind(rawValue: text.uppercased()) else {
                throw S3Error.invalidRequest("Value for x-amz-checksum-type header is invalid.")
            }
            self.kind = kind
        }
    }

    /// The object's checksum when the claim holds; `BadDigest` when the value differs, `InvalidRequest` when the
    /// algorithm or type is not the upload's.
    func check(_ upload: MultipartUpload, _ combined: StoredChecksum?) throws -> StoredChecksum? {
        let uploadAlgorithm = upload.checksumAlgorithm ?? .crc64nvme
        let uploadKind = upload.checksumKind ?? .fullObject
        if let kind, kind != uploadKind {
            throw S3Error.invalidRequest("The upload was created using the \(uploadKind.rawValue) checksum mode. "
                                         + "The complete request specified the \(kind.rawValue) checksum mode.")
        }
        guard let algorithm, let value else { return combined }
        guard algorithm == uploadAlgorithm else {
            throw S3Error.invalidRequest("The upload was created using a \(uploadAlgorithm.rawValue.lowercased()) checksum. "
                                         + "The complete request specified a \(algorithm.rawValue.lowercased()) checksum.")
        }
        guard let combined, combined.value == value else {
            throw S3Error(.badDigest, "The \(algorithm.rawValue) you specified did not match the calculated checksum.")
        }
        return combined
    }
}

enum MultipartChecksum {
    @Sendable static func combine(_ upload: MultipartUpload, _ parts: [UploadedPart]) throws -> StoredChecksum? {
        let algorithm = upload.checksumAlgorithm ?? .crc64nvme
        let kind = upload.checksumKind ?? .fullObject
        let raw = parts.compactMap { part -> [UInt8]? in
            guard let checksum = part.checksum, checksum.algorithm == algorithm else { return nil }
            return Base64.decode(checksum.value)
        }
        guard raw.count == parts.count else { return nil }
        switch kind {
        case .composite:
            let value = ChecksumComputer.base64(algorithm, raw.flatMap { $0 }) + "-\(parts.count)"
            return StoredChecksum(algorithm: algorithm, value: value, kind: .composite)
        case .fullObject:
            func bigEndian(_ bytes: [UInt8]) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }
            var combined = bigEndian(raw[0])
            for (part, bytes) in zip(parts.dropFirst(), raw.dropFirst()) {
                let next = bigEndian(bytes)
                switch algorithm {
                case .crc32: combined = UInt64(CRCCombine.crc32(UInt32(combined), UInt32(next), secondLength: part.size, polynomial: .ieee))
                case .crc32c: combined = UInt64(CRCCombine.crc32(UInt32(combined), UInt32(next), secondLength: part.size, polynomial: .castagnoli))
                case .crc64nvme: combined = CRCCombine.crc64nvme(combined, next, secondLength: part.size)
                case .sha1, .sha256: return nil
                }
            }
            let width = algorithm.digestLength
            let bytes = (0..<width).map { UInt8(truncatingIfNeeded: combined >> UInt64(8 * (width - 1 - $0))) }
            return StoredChecksum(algorithm: algorithm, value: Base64.encode(bytes), kind: .fullObject)
        }
    }
}
