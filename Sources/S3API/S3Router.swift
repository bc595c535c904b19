import HTTPTypes
import Store

/// Bucket sub-resources Lockstep knows but does not implement yet: answered with NotImplemented rather than misrouted.
let unsupportedBucketSubresources: Set<String> = [
    "website", "notification", "accelerate", "requestPayment", "replication", "analytics", "inventory", "metrics",
    "intelligent-tiering", "metadataTable", "session",
]
let unsupportedObjectSubresources: Set<String> = ["torrent", "select"]

/// Decides the S3 operation from the method, the addressed bucket and key, the query keys and a few headers — and
/// parses and validates its parameters, once, so that every handler starts from well-formed input. A combination that
/// makes no sense gets the exact error AWS gives for it.
enum S3Router {
    static func route(method: HTTPRequest.Method, bucket: String?, key: String?, query: QueryParameters, headers: HTTPFields) throws -> S3Operation {
        // HTTP chunked framing is the only transfer coding S3 takes (aws-chunked is a content coding).
        if let codings = headers[.transferEncoding],
           codings.split(separator: ",").contains(where: { $0.strippingSpaces().lowercased() != "chunked" }) {
            throw S3Error(.notImplemented, details: [("Header", "Transfer-Encoding")])
        }
        guard let bucket, !bucket.isEmpty else {
            if method == .get { return .listBuckets(try listBucketsQuery(query)) }
            throw S3Error.methodNotAllowed()
        }
        guard let key, !key.isEmpty else { return try bucketOperation(method, query: query) }
        let operation = try objectOperation(method, query: query, headers: headers)
        try refuseWriteOnlyEncryption(operation, headers)
        return operation
    }

    /// `x-amz-server-side-encryption` chooses how a write is encrypted; a read (whose object knows its own encryption)
    /// or a CompleteMultipartUpload (whose upload chose at creation) that sends it is refused, as S3 refuses it.
    private static func refuseWriteOnlyEncryption(_ operation: S3Operation, _ headers: HTTPFields) throws(S3Error) {
        guard let value = headers[sseField] else { return }
        switch operation {
        case .getObject, .headObject, .completeMultipartUpload:
            throw S3Error.invalidArgument("x-amz-server-side-encryption header is not supported for this operation.",
                                          name: "x-amz-server-side-encryption", value: value)
        default:
            return
        }
    }

    private static func bucketOperation(_ method: HTTPRequest.Method, query: QueryParameters) throws -> S3Operation {
        let has = query.has
        if let sub = unsupportedBucketSubresources.first(where: has) {
            throw S3Error.notImplemented("Lockstep does not implement the ?\(sub) bucket sub-resource yet.")
        }
        switch method {
        case .get:
            if has("location") { return .getBucketLocation }
            if has("tagging") { return .getBucketTagging }
            if has("versioning") { return .getBucketVersioning }
            if has("encryption") { return .getBucketEncryption }
            if has("lifecycle") { return .getBucketLifecycleConfiguration }
            if has("object-lock") { return .getObjectLockConfiguration }
            if has("logging") { return .getBucketLogging }
            if has("policyStatus") { return .getBucketPolicyStatus }
            if has("policy") { return .getBucketPolicy }
            if has("publicAccessBlock") { return .getPublicAccessBlock }
            if has("ownershipControls") { return .getBucketOwnershipControls }
            if has("acl") { return .getBucketAcl }
            if has("cors") { return .getBucketCors }
            if has("versions") { return .listObjectVersions(try listVersionsQuery(query)) }
            if has("uploads") { return .listMultipartUploads(try listUploadsQuery(query)) }
            switch query["list-type"] {
            case "2": return .listObjectsV2(try listObjectsV2Query(query))
            case nil, "1": return .listObjects(try listObjectsQuery(query))
            case let other?: throw S3Error.invalidArgument("Invalid List Type specified", name: "list-type", value: other)
            }
        case .put:
            if has("tagging") { return .putBucketTagging }
            if has("versioning") { return .putBucketVersioning }
            if has("encryption") { return .putBucketEncryption }
            if has("lifecycle") { return .putBucketLifecycleConfiguration }
            if has("object-lock") { return .putObjectLockConfiguration }
            if has("logging") { return .putBucketLogging }
            if has("policy") { return .putBucketPolicy }
            if has("publicAccessBlock") { return .putPublicAccessBlock }
            if has("ownershipControls") { return .putBucketOwnershipControls }
            if has("acl") { return .putBucketAcl }
            if has("cors") { return .putBucketCors }
            return .createBucket
        case .head:
            return .headBucket
        case .delete:
            if has("tagging") { return .deleteBucketTagging }
            if has("encryption") { return .deleteBucketEncryption }
            if has("lifecycle") { return .deleteBucketLifecycle }
            if has("policy") { return .deleteBucketPolicy }
            if has("publicAccessBlock") { return .deletePublicAccessBlock }
            if has("ownershipControls") { return .deleteBucketOwnershipControls }
            if has("cors") { return .deleteBucketCors }
            return .deleteBucket
        case .post:
            if has("delete") { return .deleteObjects }
            return .postObject
        default:
            throw S3Error.methodNotAllowed()
        }
    }

    private static func objectOperation(_ method: HTTPRequest.Method, query: QueryParameters, headers: HTTPFields) throws -> S3Operation {
        let has = query.has
        if let sub = unsupportedObjectSubresources.first(where: has) {
            throw S3Error.notImplemented("Lockstep does not implement the ?\(sub) object sub-resource yet.")
        }
        let copySource = headers[copySourceField]
        switch method {
        case .put:
            if has("tagging") { return .putObjectTagging(versionId: try versionId(query)) }
            if has("retention") { return .putObjectRetention(versionId: try versionId(query)) }
            if has("legal-hold") { return .putObjectLegalHold(versionId: try versionId(query)) }
            if has("acl") { return .putObjectAcl(versionId: try versionId(query)) }
            if has("uploadId") {
                let uploadId = query["uploadId"] ?? "", partNumber = try requiredPartNumber(query)
                guard let copySource else { return .uploadPart(uploadId: uploadId, partNumber: partNumber) }
                return .uploadPartCopy(uploadId: uploadId, partNumber: partNumber, source: try CopySource(copySource),
                                       range: try copySourceRange(headers[copySourceRangeField]))
            }
            if let copySource { return .copyObject(source: try CopySource(copySource)) }
            return .putObject
        case .get:
            if has("tagging") { return .getObjectTagging(versionId: try versionId(query)) }
            if has("retention") { return .getObjectRetention(versionId: try versionId(query)) }
            if has("legal-hold") { return .getObjectLegalHold(versionId: try versionId(query)) }
            if has("acl") { return .getObjectAcl(versionId: try versionId(query)) }
            if has("attributes") {
                return .getObjectAttributes(versionId: try versionId(query),
                                            parts: PartsPage(maxParts: try count(headers[maxPartsField], name: "x-amz-max-parts") ?? 1000,
                                                             marker: try count(headers[partNumberMarkerField], name: "x-amz-part-number-marker") ?? 0))
            }
            if has("uploadId") {
                return .listParts(uploadId: query["uploadId"] ?? "",
                                  parts: PartsPage(maxParts: min(try count(query["max-parts"], name: "max-parts") ?? 1000, 1000),
                                                   marker: try count(query["part-number-marker"], name: "part-number-marker") ?? 0))
            }
            return .getObject(versionId: try versionId(query), partNumber: try optionalPartNumber(query))
        case .head:
            return .headObject(versionId: try versionId(query), partNumber: try optionalPartNumber(query))
        case .delete:
            if has("tagging") { return .deleteObjectTagging(versionId: try versionId(query)) }
            if has("uploadId") { return .abortMultipartUpload(uploadId: query["uploadId"] ?? "") }
            return .deleteObject(versionId: try versionId(query))
        case .post:
            if has("uploads") { return .createMultipartUpload }
            if has("restore") { return .restoreObject(versionId: try versionId(query)) }
            if has("uploadId") { return .completeMultipartUpload(uploadId: query["uploadId"] ?? "") }
            throw S3Error.methodNotAllowed()
        default:
            throw S3Error.methodNotAllowed()
        }
    }

    // MARK: Parameters

    static let copySourceField = HTTPField.Name("x-amz-copy-source")!
    static let sseField = HTTPField.Name("x-amz-server-side-encryption")!
    static let copySourceRangeField = HTTPField.Name("x-amz-copy-source-range")!
    static let maxPartsField = HTTPField.Name("x-amz-max-parts")!
    static let partNumberMarkerField = HTTPField.Name("x-amz-part-number-marker")!

    static func versionId(_ query: QueryParameters) throws -> String? {
        let id = query["versionId"]
        try Validation.checkVersionId(id)
        return id
    }

    /// `partNumber` on GET and HEAD: absent, or 1–10000.
    static func optionalPartNumber(_ query: QueryParameters) throws -> Int? {
        guard query.has("partNumber") else { return nil }
        return try requiredPartNumber(query)
    }

    /// `partNumber` on UploadPart and UploadPartCopy: 1–10000.
    static func requiredPartNumber(_ query: QueryParameters) throws -> Int {
        let text = query["partNumber"]
        guard let text, let n = Int(text), (1...10000).contains(n) else { throw S3Error.partNumberOutOfRange(text) }
        return n
    }

    /// A count or marker (`max-keys`, `max-parts`, `part-number-marker`, …): absent, or a non-negative integer.
    static func count(_ text: String?, name: String) throws -> Int? {
        guard let text else { return nil }
        guard let n = Int(text), n >= 0 else {
            throw S3Error.invalidArgument("Provided \(name) not an integer or within integer range", name: name, value: text)
        }
        return n
    }

    /// `x-amz-copy-source-range`: exactly `bytes=first-last`.
    static func copySourceRange(_ text: String?) throws -> ByteRangeSpec? {
        guard let text else { return nil }
        guard let spec = ByteRangeSpec(text), case .from(_, _?) = spec else {
            throw S3Error.invalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
                                          name: "x-amz-copy-source-range", value: text)
        }
        return spec
    }

    static func listBucketsQuery(_ query: QueryParameters) throws -> ListBucketsQuery {
        let maxBuckets = try query["max-buckets"].map { text -> Int in
            guard let n = Int(text), (1...10000).contains(n) else {
                throw S3Error.invalidArgument("Argument max-buckets must be an integer between 1 and 10000", name: "max-buckets", value: text)
            }
            return n
        } ?? 10000
        var startAfter: String?
        if let token = query["continuation-token"] {
            guard let decoded = ContinuationToken.decode(token) else {
                throw S3Error.invalidArgument("The continuation token provided is incorrect", name: "continuation-token", value: token)
            }
            startAfter = decoded
        }
        return ListBucketsQuery(prefix: query["prefix"], maxBuckets: maxBuckets, startAfter: startAfter)
    }

    /// `prefix`, `delimiter`, the page size (at most 1000 are returned) and `encoding-type`.
    static func listingQuery(_ query: QueryParameters, maxName: String = "max-keys") throws -> ListingQuery {
        let maxKeys = min(try count(query[maxName], name: maxName) ?? 1000, 1000)
        if let type = query["encoding-type"], type != "url" {
            throw S3Error.invalidArgument("Invalid Encoding Method specified in Request", name: "encoding-type", value: type)
        }
        return ListingQuery(prefix: query["prefix"] ?? "", delimiter: query["delimiter"].flatMap { $0.isEmpty ? nil : $0 },
                            maxKeys: maxKeys, urlEncoded: query["encoding-type"] != nil)
    }

    static func listObjectsQuery(_ query: QueryParameters) throws -> ListObjectsQuery {
        let listing = try listingQuery(query)
        var position: ListPosition?
        if let marker = query["marker"], !marker.isEmpty {
            // A marker that is itself a common prefix resumes after everything under it.
            if let delimiter = listing.delimiter, marker.hasPrefix(listing.prefix), marker.hasSuffix(delimiter),
               marker.dropFirst(listing.prefix.count).range(of: delimiter)?.upperBound == marker.endIndex {
                position = .afterPrefix(marker)
            } else {
                position = .afterKey(marker)
            }
        }
        return ListObjectsQuery(listing: listing, marker: query["marker"], position: position)
    }

    static func listObjectsV2Query(_ query: QueryParameters) throws -> ListObjectsV2Query {
        let listing = try listingQuery(query)
        var position: ListPosition?
        if let token = query["continuation-token"] {
            guard let decoded = ListToken.decode(token) else {
                throw S3Error.invalidArgument("The continuation token provided is incorrect", name: "continuation-token", value: token)
            }
            position = decoded
        } else if let startAfter = query["start-after"], !startAfter.isEmpty {
            position = .afterKey(startAfter)
        }
        return ListObjectsV2Query(listing: listing, continuationToken: query["continuation-token"], startAfter: query["start-after"],
                                  fetchOwner: query["fetch-owner"] == "true", position: position)
    }

    static func listVersionsQuery(_ query: QueryParameters) throws -> ListVersionsQuery {
        let listing = try listingQuery(query)
        let keyMarker = query["key-marker"].flatMap { $0.isEmpty ? nil : $0 }
        let versionIdMarker = query["version-id-marker"].flatMap { $0.isEmpty ? nil : $0 }
        if versionIdMarker != nil {
            guard keyMarker != nil else {
                throw S3Error.invalidArgument("A version-id marker cannot be specified without a key marker.", name: "version-id-marker",
                                              value: versionIdMarker)
            }
            try Validation.checkVersionId(versionIdMarker)
        }
        return ListVersionsQuery(listing: listing, keyMarker: keyMarker, versionIdMarker: versionIdMarker)
    }

    static func listUploadsQuery(_ query: QueryParameters) throws -> ListUploadsQuery {
        ListUploadsQuery(listing: try listingQuery(query, maxName: "max-uploads"),
                         keyMarker: query["key-marker"].flatMap { $0.isEmpty ? nil : $0 },
                         uploadIdMarker: query["upload-id-marker"].flatMap { $0.isEmpty ? nil : $0 })
    }
}
