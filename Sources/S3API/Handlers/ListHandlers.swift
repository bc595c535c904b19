import FrontDoors
import LockstepXML
import Store

extension S3Service {
    func parseMaxKeys(_ c: S3Context, _ name: String = "max-keys") throws -> Int {
        guard let text = c.query[name] else { return 1000 }
        guard let n = Int(text), n >= 0 else {
            throw S3Error.invalidArgument("Provided \(name) not an integer or within integer range", name: name, value: text)
        }
        return min(n, 1000)
    }

    func encoder(_ c: S3Context) throws -> (String) -> String {
        guard let type = c.query["encoding-type"] else { return { $0 } }
        guard type == "url" else { throw S3Error.invalidArgument("Invalid Encoding Method specified in Request", name: "encoding-type", value: type) }
        return urlEncodeForListing
    }

    func listObjects(_ c: S3Context, v2: Bool) async throws -> APIResponse {
        let maxKeys = try parseMaxKeys(c)
        let encode = try encoder(c)
        let prefix = c.query["prefix"] ?? ""
        let delimiter = c.query["delimiter"].flatMap { $0.isEmpty ? nil : $0 }
        var position: ListPosition?
        if v2 {
            if let token = c.query["continuation-token"] {
                guard let decoded = ListToken.decode(token) else {
                    throw S3Error.invalidArgument("The continuation token provided is incorrect", name: "continuation-token", value: token)
                }
                position = decoded
            } else if let startAfter = c.query["start-after"], !startAfter.isEmpty {
                position = .afterKey(startAfter)
            }
        } else if let marker = c.query["marker"], !marker.isEmpty {
            // A marker that is itself a common prefix resumes after everything under it.
            if let delimiter, marker.hasPrefix(prefix), marker.hasSuffix(delimiter),
               marker.dropFirst(prefix.count).range(of: delimiter)?.upperBound == marker.endIndex {
                position = .afterPrefix(marker)
            } else {
                position = .afterKey(marker)
            }
        }
        let listing = try await store.listObjects(bucket: c.bucket, prefix: prefix, delimiter: delimiter, after: position, maxKeys: maxKeys)
        let fetchOwner = !v2 || c.query["fetch-owner"] == "true"
        var x = XMLWriter()
        x.group("ListBucketResult", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.element("Name", c.bucket)
            x.element("Prefix", encode(prefix))
            if v2 {
                if let token = c.query["continuation-token"] { x.element("ContinuationToken", token) }
                if let startAfter = c.query["start-after"] { x.element("StartAfter", encode(startAfter)) }
                x.element("KeyCount", listing.objects.count + listing.commonPrefixes.count)
            } else {
                x.element("Marker", encode(c.query["marker"] ?? ""))
            }
            x.element("MaxKeys", maxKeys)
            if let delimiter { x.element("Delimiter", encode(delimiter)) }
            if c.query["encoding-type"] != nil { x.element("EncodingType", "url") }
            x.element("IsTruncated", listing.isTruncated)
            if listing.isTruncated, let last = listing.last {
                if v2 {
                    x.element("NextContinuationToken", ListToken.encode(last))
                } else if delimiter != nil {
                    switch last {
                    case .afterKey(let k), .afterPrefix(let k): x.element("NextMarker", encode(k))
                    }
                }
            }
            for object in listing.objects {
                x.group("Contents") { x in
                    x.element("Key", encode(object.key))
                    x.element("LastModified", S3Time.iso8601(object.lastModifiedMillis))
                    x.element("ETag", "\"\(object.etag)\"")
                    if let algorithm = object.checksumAlgorithm {
                        x.element("ChecksumAlgorithm", algorithm)
                        x.optional("ChecksumType", object.checksumType)
                    }
                    x.element("Size", Int(object.size))
                    if fetchOwner { Owner.write(&x) }
                    x.element("StorageClass", object.storageClass)
                }
            }
            for commonPrefix in listing.commonPrefixes {
                x.group("CommonPrefixes") { x in x.element("Prefix", encode(commonPrefix)) }
            }
        }
        return xmlResponse(x)
    }

    func listObjectVersions(_ c: S3Context) async throws -> APIResponse {
        let maxKeys = try parseMaxKeys(c)
        let encode = try encoder(c)
        let prefix = c.query["prefix"] ?? ""
        let delimiter = c.query["delimiter"].flatMap { $0.isEmpty ? nil : $0 }
        let keyMarker = c.query["key-marker"].flatMap { $0.isEmpty ? nil : $0 }
        var versionIdMarker = c.query["version-id-marker"].flatMap { $0.isEmpty ? nil : $0 }
        if versionIdMarker != nil {
            guard keyMarker != nil else {
                throw S3Error.invalidArgument("A version-id marker cannot be specified without a key marker.", name: "version-id-marker", value: versionIdMarker)
            }
            try Validation.checkVersionId(versionIdMarker)
        } else {
            versionIdMarker = nil
        }
        let listing = try await store.listVersions(bucket: c.bucket, prefix: prefix, delimiter: delimiter, keyMarker: keyMarker,
                                                   versionIdMarker: versionIdMarker, maxKeys: maxKeys)
        var x = XMLWriter()
        x.group("ListVersionsResult", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.element("Name", c.bucket)
            x.element("Prefix", encode(prefix))
            x.element("KeyMarker", encode(keyMarker ?? ""))
            x.element("VersionIdMarker", versionIdMarker ?? "")
            if listing.isTruncated {
                x.optional("NextKeyMarker", listing.nextKeyMarker.map(encode))
                x.optional("NextVersionIdMarker", listing.nextVersionIdMarker)
            }
            x.element("MaxKeys", maxKeys)
            if let delimiter { x.element("Delimiter", encode(delimiter)) }
            if c.query["encoding-type"] != nil { x.element("EncodingType", "url") }
            x.element("IsTruncated", listing.isTruncated)
            for version in listing.versions {
                x.group(version.isDeleteMarker ? "DeleteMarker" : "Version") { x in
                    x.element("Key", encode(version.key))
                    x.element("VersionId", version.versionId)
                    x.element("IsLatest", version.isLatest)
                    x.element("LastModified", S3Time.iso8601(version.lastModifiedMillis))
                    if !version.isDeleteMarker {
                        x.element("ETag", "\"\(version.etag)\"")
                        if let algorithm = version.checksumAlgorithm {
                            x.element("ChecksumAlgorithm", algorithm)
                            x.optional("ChecksumType", version.checksumType)
                        }
                        x.element("Size", Int(version.size))
                        x.element("StorageClass", version.storageClass)
                    }
                    Owner.write(&x)
                }
            }
            for commonPrefix in listing.commonPrefixes {
                x.group("CommonPrefixes") { x in x.element("Prefix", encode(commonPrefix)) }
            }
        }
        return xmlResponse(x)
    }
}

/// ListObjectsV2 continuation tokens: the resume position, opaque to clients.
enum ListToken {
    static func encode(_ position: ListPosition) -> String {
        switch position {
        case .afterKey(let k): return ContinuationToken.encode("k" + k)
        case .afterPrefix(let p): return ContinuationToken.encode("p" + p)
        }
    }

    static func decode(_ token: String) -> ListPosition? {
        guard let text = ContinuationToken.decode(token), let kind = text.first else { return nil }
        let rest = String(text.dropFirst())
        switch kind {
        case "k": return .afterKey(rest)
        case "p": return .afterPrefix(rest)
        default: return nil
        }
    }
}
