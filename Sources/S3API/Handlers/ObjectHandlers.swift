import FrontDoors
import HTTPDates
import HTTPTypes
import LockstepCrypto
import LockstepXML
import NIOCore
import Store

extension S3Service {
    func putObject(_ c: S3Context) async throws -> APIResponse {
        try Validation.checkKey(c.key)
        var metadata = try ObjectHeaders.metadata(from: c)
        let lock = try ObjectLockHeaders.parse(c, nowMillis: store.clock.nowMillis())
        try lock.check(bucket: try store.configuration(bucket: c.bucket), c, operation: "Put Object")
        (metadata.retention, metadata.legalHold) = (lock.retention, lock.legalHold)
        (metadata.owner, metadata.acl) = try newObjectAccessControl(c)
        let requested = try RequestedEncryption.parse(c)
        let precondition = try ObjectHeaders.writePrecondition(c)
        // Fail fast before reading the body; the commit re-checks atomically.
        try await store.checkPrecondition(bucket: c.bucket, key: c.key, precondition)
        let payload = try PayloadReader(request: c.request, auth: c.auth, computeMD5: true, defaultChecksum: .crc64nvme)
        let encryption = try await newEncryption(requested, bucket: c.bucket, key: c.key)
        metadata.encryption = encryption.record
        let (staged, digests) = try await stage(payload, sealing: encryption.key)
        metadata.checksum = digests.checksum
        let version = try await store.putObject(bucket: c.bucket, key: c.key,
                                                NewObject(etag: digests.md5Hex ?? "", metadata: metadata, body: staged),
                                                precondition: precondition)
        c.trace?.objectSize = version.size
        var response = APIResponse()
        response.set("ETag", "\"\(version.etag)\"")
        response.set("x-amz-version-id", version.writtenVersionId)
        ObjectHeaders.applyChecksum(version.metadata.checksum, to: &response)
        applyEncryptionHeaders(version.metadata.encryption, to: &response, includeContext: true)
        try applyExpiration(version, to: &response)
        return response
    }

    /// GET and HEAD: the whole object, a byte range (`Range`), or one part of a multipart object (`partNumber`), after
    /// the read conditions; HEAD answers with the same headers and no body.
    func getObject(_ c: S3Context, versionId: String?, partNumber: Int?, head: Bool) async throws -> APIResponse {
        let customerKey = try CustomerKey.parse(c)
        let version = try await store.object(bucket: c.bucket, key: c.key, versionId: versionId, withBody: !head || partNumber != nil)
        let bodyKey = try openEncryption(version.metadata.encryption, bucket: c.bucket, key: c.key, customer: customerKey, unwrap: !head)
        c.trace?.objectSize = version.size
        if !head { try requireReadable(version) }
        switch ReadConditions(c).evaluate(version) {
        case .proceed: break
        case .preconditionFailed(let condition): throw S3Error.preconditionFailed(condition)
        case .notModified: return notModified(version)
        }
        var response = APIResponse()
        ObjectHeaders.apply(version, to: &response, overrides: c.query)
        // The console is served from this origin: an HTML object opened in a browser runs sandboxed, in an origin of its
        // own, never as the console (docs/compatibility.md).
        response.set("Content-Security-Policy", "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads")
        response.set("X-Content-Type-Options", "nosniff")
        applyEncryptionHeaders(version.metadata.encryption, to: &response)
        ObjectLockHeaders.apply(version.metadata, to: &response)
        applyRestore(version.metadata, to: &response)
        try applyExpiration(version, requestedVersionId: versionId, to: &response)
        response.set("Accept-Ranges", "bytes")
        let range: Range<Int64>
        if let partNumber {
            range = try part(partNumber, of: version, c, response: &response)
        } else if let header = c.header("range"), let spec = ByteRangeSpec(header) {
            range = try byteRange(spec, header, of: version, response: &response)
        } else {
            range = whole(version, c, response: &response)
        }
        response.set("Content-Length", String(range.count))
        if head || range.isEmpty { return response }
        return try serveBody(range, of: version, key: bodyKey, response: response, requestId: c.requestId)
    }

    /// 304: the client has this version.
    private func notModified(_ version: ObjectVersion) -> APIResponse {
        var response = APIResponse(status: .notModified)
        response.set("ETag", "\"\(version.etag)\"")
        response.set("Last-Modified", HTTPDate.format(version.lastModifiedMillis))
        response.set("x-amz-version-id", version.reportedVersionId)
        return response
    }

    /// The whole object; its checksum too when asked for (`x-amz-checksum-mode: ENABLED`), as it describes exactly these bytes.
    private func whole(_ version: ObjectVersion, _ c: S3Context, response: inout APIResponse) -> Range<Int64> {
        if c.header("x-amz-checksum-mode")?.uppercased() == "ENABLED" { ObjectHeaders.applyChecksum(version.metadata.checksum, to: &response) }
        return 0..<version.size
    }

    /// `Range: bytes=…`: 206 with `Content-Range`.
    private func byteRange(_ spec: ByteRangeSpec, _ header: String, of version: ObjectVersion, response: inout APIResponse) throws -> Range<Int64> {
        let range = try spec.forRead(size: version.size, requested: header)
        Self.markPartial(range, of: version, response: &response)
        return range
    }

    /// `?partNumber=N`: one part of a multipart object (206, with the part count); part 1 of any other object is all of it.
    private func part(_ number: Int, of version: ObjectVersion, _ c: S3Context, response: inout APIResponse) throws -> Range<Int64> {
        if c.header("range") != nil { throw S3Error.invalidRequest("Cannot specify both Range header and partNumber query parameter") }
        guard let count = version.partsCount else {
            guard number == 1 else { throw S3Error.invalidPartNumber(number, 1) }
            return whole(version, c, response: &response)
        }
        guard let range = version.byteRange(ofPart: number) else { throw S3Error.invalidPartNumber(number, count) }
        response.set("x-amz-mp-parts-count", String(count))
        // A composite checksum is made of the parts' own, so a part answers with its checksum, which describes exactly
        // the bytes it returns; a full-object checksum describes no part.
        if c.header("x-amz-checksum-mode")?.uppercased() == "ENABLED", version.metadata.checksum?.kind == .composite,
           case .segments(let segments)? = version.body, let checksum = segments[number - 1].checksum {
            response.set(checksum.algorithm.headerName, checksum.value)
            response.set("x-amz-checksum-type", StoredChecksum.Kind.composite.rawValue)
        }
        Self.markPartial(range, of: version, response: &response)
        return range
    }

    private static func markPartial(_ range: Range<Int64>, of version: ObjectVersion, response: inout APIResponse) {
        response.status = .partialContent
        response.set("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(version.size)")
    }

    /// The body of `range`. Its first chunk is read (and authenticated) before the status line is sent, so a damaged body
    /// is an error response rather than a cut connection; small objects are then served from memory.
    private func serveBody(_ range: Range<Int64>, of version: ObjectVersion, key: BodyKey?, response: APIResponse,
                           requestId: String) throws -> APIResponse {
        var response = response
        let reader = store.openBody(of: version, range: range, key: key)
        let first = try reader.next()
        let logger = self.logger
        // How many frames a read decrypted (docs/benchmarks.md shows the count for a ranged GET).
        let logRead: @Sendable () -> Void = {
            logger.debug("GET body", metadata: ["request": "\(requestId)", "bytes": "\(range)", "frames_decrypted": "\(reader.framesDecrypted)"])
        }
        if let first, first.readableBytes == range.count {
            response.body = .bytes(first)
            logRead()
            return response
        }
        response.body = .stream(length: Int64(range.count)) { writer in
            // Read ahead one chunk: the next 1 MiB is read and decrypted on another thread while this one is sent.
            var next = first
            while let chunk = next {
                async let following = runBlocking { try reader.next() }
                try await writer.write(chunk)
                next = try await following
            }
            logRead()
        }
        return response
    }

    func deleteObject(_ c: S3Context, versionId: String?) async throws -> APIResponse {
        // Conditional delete: If-Match with an ETag or `*`, evaluated against the current version.
        let precondition = ObjectHeaders.ifMatch(c.header("if-match"))
        let bypass = try ObjectLockHeaders.bypassGovernance(c, bucket: try store.configuration(bucket: c.bucket))
        let outcome = try await store.deleteObject(bucket: c.bucket, key: c.key, versionId: versionId, precondition: precondition,
                                                   bypassGovernance: bypass)
        var response = APIResponse(status: .noContent)
        if outcome.deleteMarker { response.set("x-amz-delete-marker", "true") }
        response.set("x-amz-version-id", outcome.versionId)
        return response
    }

    func putObjectTagging(_ c: S3Context, versionId: String?) async throws -> APIResponse {
        let tags = try Validation.parseTagging(try await readXMLBody(c), maxTags: 10)
        let version = try await store.setTags(bucket: c.bucket, key: c.key, versionId: versionId, tags: tags)
        var response = APIResponse()
        response.set("x-amz-version-id", version.reportedVersionId)
        return response
    }

    func getObjectTagging(_ c: S3Context, versionId: String?) async throws -> APIResponse {
        let version = try await store.object(bucket: c.bucket, key: c.key, versionId: versionId, withBody: false)
        var response = xmlResponse(taggingDocument(version.metadata.tags))
        response.set("x-amz-version-id", version.reportedVersionId)
        return response
    }

    func deleteObjectTagging(_ c: S3Context, versionId: String?) async throws -> APIResponse {
        let version = try await store.setTags(bucket: c.bucket, key: c.key, versionId: versionId, tags: [])
        var response = APIResponse(status: .noContent)
        response.set("x-amz-version-id", version.reportedVersionId)
        return response
    }

    func getObjectAttributes(_ c: S3Context, versionId: String?, parts page: PartsPage) async throws -> APIResponse {
        let requested = Set((c.header("x-amz-object-attributes") ?? "").split(separator: ",").map { $0.strippingSpaces() })
        let known: Set<String> = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
        if requested.isEmpty {
            throw S3Error.invalidRequest("The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
        }
        guard requested.isSubset(of: known) else {
            throw S3Error.invalidArgument("Invalid attribute name specified.", name: "x-amz-object-attributes")
        }
        let customerKey = try CustomerKey.parse(c)
        let version = try await store.object(bucket: c.bucket, key: c.key, versionId: versionId, withBody: true)
        _ = try openEncryption(version.metadata.encryption, bucket: c.bucket, key: c.key, customer: customerKey, unwrap: false)
        let (maxParts, marker) = (page.maxParts, page.marker)
        var x = XMLWriter()
        x.group("GetObjectAttributesResponse", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            if requested.contains("ETag") { x.element("ETag", version.etag) }
            if requested.contains("Checksum"), let checksum = version.metadata.checksum {
                x.group("Checksum") { x in
                    x.element("Checksum" + checksum.algorithm.rawValue, checksum.value)
                    x.element("ChecksumType", checksum.kind.rawValue)
                }
            }
            if requested.contains("ObjectParts"), let count = version.partsCount, case .segments(let segments)? = version.body {
                let after = segments.filter { ($0.partNumber ?? 0) > marker }
                let page = after.prefix(maxParts)
                x.group("ObjectParts") { x in
                    x.element("PartsCount", count)
                    x.element("PartNumberMarker", marker)
                    x.element("NextPartNumberMarker", page.last?.partNumber ?? marker)
                    x.element("MaxParts", maxParts)
                    x.element("IsTruncated", after.count > page.count)
                    for segment in page {
                        x.group("Part") { x in
                            x.element("PartNumber", segment.partNumber ?? 0)
                            x.element("Size", Int(segment.size))
                            if let checksum = segment.checksum { x.element("Checksum" + checksum.algorithm.rawValue, checksum.value) }
                        }
                    }
                }
            }
            if requested.contains("StorageClass") { x.element("StorageClass", version.metadata.storageClass) }
            if requested.contains("ObjectSize") { x.element("ObjectSize", Int(version.size)) }
        }
        var response = xmlResponse(x)
        response.set("Last-Modified", HTTPDate.format(version.lastModifiedMillis))
        response.set("x-amz-version-id", version.reportedVersionId)
        return response
    }
}
