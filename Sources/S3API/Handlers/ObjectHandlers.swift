import FrontDoors
import HTTPTypes
import LockstepCrypto
import LockstepXML
import NIOCore
import Store

extension S3Service {
    func putObject(_ c: S3Context) async throws -> APIResponse {
        try Validation.checkKey(c.key)
        var metadata = try ObjectHeaders.metadata(from: c)
        let requested = try RequestedEncryption.parse(c)
        let precondition = try ObjectHeaders.writePrecondition(c)
        // Fail fast before reading the body; the commit re-checks atomically.
        try await store.checkPrecondition(bucket: c.bucket, key: c.key, precondition)
        let payload = try PayloadReader(request: c.request, auth: c.auth, computeMD5: true, defaultChecksum: .crc64nvme)
        let encryption = try await newEncryption(requested, bucket: c.bucket, key: c.key)
        metadata.encryption = encryption.record
        let ingested = try await ingest(payload, sealing: encryption.key)
        metadata.checksum = ingested.digests.checksum
        let version = try await store.putObject(bucket: c.bucket, key: c.key,
                                                NewObject(size: ingested.digests.length, etag: ingested.digests.md5Hex ?? "", metadata: metadata,
                                                          body: ingested.body),
                                                precondition: precondition)
        var response = APIResponse()
        response.set("ETag", "\"\(version.etag)\"")
        response.set("x-amz-version-id", version.reportedVersionId)
        ObjectHeaders.applyChecksum(version.metadata.checksum, to: &response)
        applyEncryptionHeaders(version.metadata.encryption, to: &response, includeContext: true)
        return response
    }

    func getObject(_ c: S3Context, head: Bool) async throws -> APIResponse {
        let versionId = c.query["versionId"]
        try Validation.checkVersionId(versionId)
        let customerKey = try CustomerKey.parse(c)
        let version = try await store.object(bucket: c.bucket, key: c.key, versionId: versionId, withBody: !head || c.query.has("partNumber"))
        let bodyKey = try openEncryption(version.metadata.encryption, bucket: c.bucket, key: c.key, customer: customerKey, unwrap: !head)
        var response = APIResponse()
        ObjectHeaders.apply(version, to: &response, overrides: c.query)
        applyEncryptionHeaders(version.metadata.encryption, to: &response)
        response.set("Accept-Ranges", "bytes")
        if let notModified = try ConditionalRead.evaluate(c, version: version) {
            var r = APIResponse(status: notModified)
            r.set("ETag", "\"\(version.etag)\"")
            r.set("Last-Modified", HTTPDate.format(version.lastModifiedMillis))
            r.set("x-amz-version-id", version.reportedVersionId)
            return r
        }
        var range: Range<Int64> = 0..<version.size
        var partial = false
        if let partText = c.query["partNumber"] {
            if c.header("range") != nil { throw S3Error.invalidRequest("Cannot specify both Range header and partNumber query parameter") }
            guard let part = Int(partText), (1...10000).contains(part) else {
                throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber", value: partText)
            }
            if let count = version.partsCount, case .segments(let segments)? = version.body {
                guard part <= count else { throw S3Error.invalidPartNumber(part, count) }
                let start = segments.prefix(part - 1).reduce(0) { $0 + $1.size }
                range = start..<(start + segments[part - 1].size)
                partial = true
                response.set("x-amz-mp-parts-count", String(count))
            } else if part != 1 {
                throw S3Error.invalidPartNumber(part, 1)
            }
        } else if let rangeHeader = c.header("range"), let requested = try ByteRange.parse(rangeHeader, size: version.size) {
            range = requested
            partial = true
        }
        if partial {
            response.status = .partialContent
            response.set("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(version.size)")
        } else if c.header("x-amz-checksum-mode")?.uppercased() == "ENABLED" {
            // A whole-object checksum only describes the whole object: never sent with a partial body.
            ObjectHeaders.applyChecksum(version.metadata.checksum, to: &response)
        }
        response.set("Content-Length", String(range.count))
        if head || range.isEmpty {
            response.body = .empty
            return response
        }
        // The first chunk is read (and authenticated) before the status line is sent, so a damaged body is an error
        // response rather than a cut connection; small objects are then served from memory.
        let reader = ObjectBodyReader(blobs: store.blobs, body: version.body ?? .inline([]), range: range, key: bodyKey)
        let first = try reader.next()
        let logger = self.logger, requestId = c.requestId, bodyRange = range
        // How many frames a read decrypted (docs/benchmarks.md shows the count for a ranged GET).
        let logRead: @Sendable () -> Void = {
            logger.debug("GET body", metadata: ["request": "\(requestId)", "bytes": "\(bodyRange)", "frames_decrypted": "\(reader.framesDecrypted)"])
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

    func deleteObject(_ c: S3Context) async throws -> APIResponse {
        let versionId = c.query["versionId"]
        try Validation.checkVersionId(versionId)
        // Conditional delete: If-Match with an ETag or `*`, evaluated against the current version.
        let precondition = ObjectHeaders.ifMatch(c.header("if-match"))
        let outcome = try await store.deleteObject(bucket: c.bucket, key: c.key, versionId: versionId, precondition: precondition)
        var response = APIResponse(status: .noContent)
        if outcome.deleteMarker { response.set("x-amz-delete-marker", "true") }
        response.set("x-amz-version-id", outcome.versionId)
        return response
    }

    func putObjectTagging(_ c: S3Context) async throws -> APIResponse {
        let versionId = c.query["versionId"]
        try Validation.checkVersionId(versionId)
        let tags = try Validation.parseTagging(try await readXMLBody(c), maxTags: 10)
        let version = try await store.setTags(bucket: c.bucket, key: c.key, versionId: versionId, tags: tags)
        var response = APIResponse()
        response.set("x-amz-version-id", version.reportedVersionId)
        return response
    }

    func getObjectTagging(_ c: S3Context) async throws -> APIResponse {
        let versionId = c.query["versionId"]
        try Validation.checkVersionId(versionId)
        let version = try await store.object(bucket: c.bucket, key: c.key, versionId: versionId, withBody: false)
        var response = xmlResponse(taggingDocument(version.metadata.tags))
        response.set("x-amz-version-id", version.reportedVersionId)
        return response
    }

    func deleteObjectTagging(_ c: S3Context) async throws -> APIResponse {
        let versionId = c.query["versionId"]
        try Validation.checkVersionId(versionId)
        let version = try await store.setTags(bucket: c.bucket, key: c.key, versionId: versionId, tags: [])
        var response = APIResponse(status: .noContent)
        response.set("x-amz-version-id", version.reportedVersionId)
        return response
    }

    func getObjectAttributes(_ c: S3Context) async throws -> APIResponse {
        let versionId = c.query["versionId"]
        try Validation.checkVersionId(versionId)
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
        let maxParts = Int(c.header("x-amz-max-parts") ?? "") ?? 1000
        let marker = Int(c.header("x-amz-part-number-marker") ?? "") ?? 0
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

extension S3Error {
    static func invalidPartNumber(_ requested: Int, _ count: Int) -> S3Error {
        S3Error("InvalidPartNumber", .rangeNotSatisfiable416, "The requested partnumber is not satisfiable",
                details: [("PartNumberRequested", String(requested)), ("ActualPartCount", String(count))])
    }
}

/// `Range: bytes=…` as S3 reads it: one range; a syntactically invalid header is ignored (whole object).
enum ByteRange {
    static func parse(_ header: String, size: Int64) throws -> Range<Int64>? {
        let text = header.strippingSpaces()
        guard text.hasPrefix("bytes=") else { return nil }
        let spec = text.dropFirst(6)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash], last = spec[spec.index(after: dash)...]
        let unsatisfiable = S3Error("InvalidRange", .rangeNotSatisfiable416, "The requested range is not satisfiable",
                                    details: [("RangeRequested", text), ("ActualObjectSize", String(size))])
        if first.isEmpty {
            guard let suffix = Int64(last), suffix >= 0 else { return nil }
            guard suffix > 0, size > 0 else { throw unsatisfiable }
            return max(0, size - suffix)..<size
        }
        guard let start = Int64(first), start >= 0 else { return nil }
        let end: Int64
        if last.isEmpty {
            end = size - 1
        } else {
            guard let e = Int64(last), e >= start else { return nil }
            end = min(e, size - 1)
        }
        guard start < size else { throw unsatisfiable }
        return start..<(end + 1)
    }
}

/// GET/HEAD conditional headers with S3's precedence (RFC 7232): If-Match, then If-Unmodified-Since, then If-None-Match,
/// then If-Modified-Since.
enum ConditionalRead {
    /// Returns the status to answer instead of the object (304), or throws 412.
    static func evaluate(_ c: S3Context, version: ObjectVersion) throws -> HTTPResponse.Status? {
        let lastModifiedSeconds = version.lastModifiedMillis / 1000 * 1000
        if let ifMatch = c.header("if-match") {
            if !etagList(ifMatch, matches: version.etag) { throw S3Error.preconditionFailed("If-Match") }
        } else if let text = c.header("if-unmodified-since"), let date = HTTPDate.parse(text), lastModifiedSeconds > date {
            throw S3Error.preconditionFailed("If-Unmodified-Since")
        }
        if let ifNoneMatch = c.header("if-none-match") {
            if etagList(ifNoneMatch, matches: version.etag) { return .notModified }
        } else if let text = c.header("if-modified-since"), let date = HTTPDate.parse(text), lastModifiedSeconds <= date {
            return .notModified
        }
        return nil
    }

    static func etagList(_ header: String, matches etag: String) -> Bool {
        header.split(separator: ",").contains { item in
            let value = ObjectHeaders.unquote(String(item))
            return value == "*" || value == etag
        }
    }
}
