import HTTPTypes

/// Every operation Lockstep dispatches, decided from method, addressing, query keys and headers only.
public enum S3Operation: String, Sendable, CaseIterable {
    case listBuckets = "ListBuckets"
    case createBucket = "CreateBucket"
    case headBucket = "HeadBucket"
    case deleteBucket = "DeleteBucket"
    case getBucketLocation = "GetBucketLocation"
    case putBucketTagging = "PutBucketTagging"
    case getBucketTagging = "GetBucketTagging"
    case deleteBucketTagging = "DeleteBucketTagging"
    case putBucketVersioning = "PutBucketVersioning"
    case getBucketVersioning = "GetBucketVersioning"
    case putBucketEncryption = "PutBucketEncryption"
    case getBucketEncryption = "GetBucketEncryption"
    case deleteBucketEncryption = "DeleteBucketEncryption"
    case listObjects = "ListObjects"
    case listObjectsV2 = "ListObjectsV2"
    case listObjectVersions = "ListObjectVersions"
    case listMultipartUploads = "ListMultipartUploads"
    case deleteObjects = "DeleteObjects"

    case putObject = "PutObject"
    case copyObject = "CopyObject"
    case getObject = "GetObject"
    case headObject = "HeadObject"
    case deleteObject = "DeleteObject"
    case putObjectTagging = "PutObjectTagging"
    case getObjectTagging = "GetObjectTagging"
    case deleteObjectTagging = "DeleteObjectTagging"
    case getObjectAttributes = "GetObjectAttributes"

    case createMultipartUpload = "CreateMultipartUpload"
    case uploadPart = "UploadPart"
    case uploadPartCopy = "UploadPartCopy"
    case completeMultipartUpload = "CompleteMultipartUpload"
    case abortMultipartUpload = "AbortMultipartUpload"
    case listParts = "ListParts"

}

/// Bucket sub-resources Lockstep knows but does not implement yet: answered with NotImplemented rather than misrouted.
let unsupportedBucketSubresources: Set<String> = [
    "acl", "policy", "policyStatus", "cors", "lifecycle", "logging", "object-lock", "ownershipControls", "website",
    "notification", "accelerate", "requestPayment", "replication", "publicAccessBlock", "analytics", "inventory", "metrics",
    "intelligent-tiering", "metadataTable", "session",
]
let unsupportedObjectSubresources: Set<String> = ["acl", "retention", "legal-hold", "torrent", "restore", "select"]

enum S3Router {
    /// Resolves the operation, or the exact error AWS gives for a combination that makes no sense.
    static func route(method: HTTPRequest.Method, bucket: String?, key: String?, query: QueryParameters, headers: HTTPFields) throws -> S3Operation {
        guard let bucket, !bucket.isEmpty else {
            if method == .get { return .listBuckets }
            throw S3Error.methodNotAllowed()
        }
        _ = bucket
        let has = query.has
        let copySource = headers[HTTPField.Name("x-amz-copy-source")!] != nil
        if key == nil || key!.isEmpty {
            if let sub = unsupportedBucketSubresources.first(where: has) {
                throw S3Error.notImplemented("Lockstep does not implement the ?\(sub) bucket sub-resource yet.")
            }
            switch method {
            case .get:
                if has("location") { return .getBucketLocation }
                if has("tagging") { return .getBucketTagging }
                if has("versioning") { return .getBucketVersioning }
                if has("encryption") { return .getBucketEncryption }
                if has("versions") { return .listObjectVersions }
                if has("uploads") { return .listMultipartUploads }
                if query["list-type"] == "2" { return .listObjectsV2 }
                if let listType = query["list-type"], listType != "1" {
                    throw S3Error.invalidArgument("Invalid List Type specified", name: "list-type", value: listType)
                }
                return .listObjects
            case .put:
                if has("tagging") { return .putBucketTagging }
                if has("versioning") { return .putBucketVersioning }
                if has("encryption") { return .putBucketEncryption }
                return .createBucket
            case .head: return .headBucket
            case .delete:
                if has("tagging") { return .deleteBucketTagging }
                if has("encryption") { return .deleteBucketEncryption }
                return .deleteBucket
            case .post:
                if has("delete") { return .deleteObjects }
                throw S3Error.methodNotAllowed()
            default:
                throw S3Error.methodNotAllowed()
            }
        }
        if let sub = unsupportedObjectSubresources.first(where: has) {
            throw S3Error.notImplemented("Lockstep does not implement the ?\(sub) object sub-resource yet.")
        }
        switch method {
        case .put:
            if has("tagging") { return .putObjectTagging }
            if has("uploadId") {
                guard has("partNumber") else { throw S3Error.invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber") }
                return copySource ? .uploadPartCopy : .uploadPart
            }
            return copySource ? .copyObject : .putObject
        case .get:
            if has("tagging") { return .getObjectTagging }
            if has("attributes") { return .getObjectAttributes }
            if has("uploadId") { return .listParts }
            return .getObject
        case .head:
            return .headObject
        case .delete:
            if has("tagging") { return .deleteObjectTagging }
            if has("uploadId") { return .abortMultipartUpload }
            return .deleteObject
        case .post:
            if has("uploads") { return .createMultipartUpload }
            if has("uploadId") { return .completeMultipartUpload }
            throw S3Error.methodNotAllowed()
        default:
            throw S3Error.methodNotAllowed()
        }
    }
}
