import FrontDoors
import LockstepXML
import Store

extension ListingQuery {
    /// Keys and prefixes as the response writes them: URL-encoded when `encoding-type=url` was asked for.
    var encode: @Sendable (String) -> String {
        if urlEncoded { return urlEncodeForListing }
        return { $0 }
    }
}

extension S3Service {
    func listObjects(_ c: S3Context, _ q: ListObjectsQuery) async throws -> APIResponse {
        try await listObjects(c, q.listing, after: q.position, version: .v1(marker: q.marker))
    }

    func listObjectsV2(_ c: S3Context, _ q: ListObjectsV2Query) async throws -> APIResponse {
        try await listObjects(c, q.listing, after: q.position, version: .v2(q))
    }

    /// What differs between ListObjects and ListObjectsV2: the marker fields echoed and how the next page is named.
    enum ListObjectsVersion {
        case v1(marker: String?)
        case v2(ListObjectsV2Query)
    }

    private func listObjects(_ c: S3Context, _ q: ListingQuery, after position: ListPosition?, version: ListObjectsVersion) async throws -> APIResponse {
        let listing = try await store.listObjects(bucket: c.bucket, prefix: q.prefix, delimiter: q.delimiter, after: position, maxKeys: q.maxKeys)
        let encode = q.encode
        let owner = try bucketOwner(c.bucket)
        var fetchOwner = true
        if case .v2(let v2) = version { fetchOwner = v2.fetchOwner }
        var x = XMLWriter()
        x.group("ListBucketResult", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            x.element("Name", c.bucket)
            x.element("Prefix", encode(q.prefix))
            switch version {
            case .v2(let v2):
                if let token = v2.continuationToken { x.element("ContinuationToken", token) }
                if let startAfter = v2.startAfter { x.element("StartAfter", encode(startAfter)) }
                x.element("KeyCount", listing.objects.count + listing.commonPrefixes.count)
            case .v1(let marker):
                x.element("Marker", encode(marker ?? ""))
            }
            x.element("MaxKeys", q.maxKeys)
            if let delimiter = q.delimiter { x.element("Delimiter", encode(delimiter)) }
            if q.urlEncoded { x.element("EncodingType", "url") }
            x.element("IsTruncated", listing.isTruncated)
            if listing.isTruncated, let last = listing.last {
                switch (version, last) {
                case (.v2, _): x.element("NextContinuationToken", ListToken.encode(last))
                case (.v1, .afterKey(let k)), (.v1, .afterPrefix(let k)):
                    if q.delimiter != nil { x.element("NextMarker", encode(k)) }
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
                    if fetchOwner { owner.write(&x) }
                    x.element("StorageClass", object.storageClass)
                }
            }
            for commonPrefix in listing.commonPrefixes {
                x.group("CommonPrefixes") { x in x.element("Prefix", encode(commonPrefix)) }
            }
        }
        return xmlResponse(x)
    }

    func listObjectVersions(_ c: S3Context, _ q: ListVersionsQuery) async throws -> APIResponse {
        let (prefix, delimiter, maxKeys, encode) = (q.listing.prefix, q.listing.delimiter, q.listing.maxKeys, q.listing.encode)
        let (keyMarker, versionIdMarker) = (q.keyMarker, q.versionIdMarker)
        let listing = try await store.listVersions(bucket: c.bucket, prefix: prefix, delimiter: delimiter, keyMarker: keyMarker,
                                                   versionIdMarker: versionIdMarker, maxKeys: maxKeys)
        let owner = try bucketOwner(c.bucket)
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
            if q.listing.urlEncoded { x.element("EncodingType", "url") }
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
                    owner.write(&x)
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
