import Store

/// Every S3 operation Lockstep serves, carrying the request parameters that select it and that its handler needs,
/// parsed and validated once by `S3Router`. The bucket and key are in `S3Context`.
public enum S3Operation: Sendable, Equatable {
    // Service
    case listBuckets(ListBucketsQuery)

    // Buckets
    case createBucket
    case headBucket
    case deleteBucket
    case getBucketLocation
    case putBucketTagging
    case getBucketTagging
    case deleteBucketTagging
    case putBucketVersioning
    case getBucketVersioning
    case putBucketEncryption
    case getBucketEncryption
    case deleteBucketEncryption
    case putBucketLifecycleConfiguration
    case getBucketLifecycleConfiguration
    case deleteBucketLifecycle
    case putObjectLockConfiguration
    case getObjectLockConfiguration
    case putBucketLogging
    case getBucketLogging
    case putBucketPolicy
    case getBucketPolicy
    case deleteBucketPolicy
    case getBucketPolicyStatus
    case putPublicAccessBlock
    case getPublicAccessBlock
    case deletePublicAccessBlock
    case putBucketOwnershipControls
    case getBucketOwnershipControls
    case deleteBucketOwnershipControls
    case putBucketAcl
    case getBucketAcl
    case putBucketCors
    case getBucketCors
    case deleteBucketCors
    case listObjects(ListObjectsQuery)
    case listObjectsV2(ListObjectsV2Query)
    case listObjectVersions(ListVersionsQuery)
    case listMultipartUploads(ListUploadsQuery)
    case deleteObjects

    // Objects
    case putObject
    /// POST Object: an HTML form upload to the bucket's URL.
    case postObject
    case copyObject(source: CopySource)
    case getObject(versionId: String?, partNumber: Int?)
    case headObject(versionId: String?, partNumber: Int?)
    case deleteObject(versionId: String?)
    case putObjectTagging(versionId: String?)
    case getObjectTagging(versionId: String?)
    case deleteObjectTagging(versionId: String?)
    case getObjectAttributes(versionId: String?, parts: PartsPage)
    case putObjectRetention(versionId: String?)
    case getObjectRetention(versionId: String?)
    case putObjectLegalHold(versionId: String?)
    case getObjectLegalHold(versionId: String?)
    case restoreObject(versionId: String?)
    case putObjectAcl(versionId: String?)
    case getObjectAcl(versionId: String?)

    // Multipart uploads
    case createMultipartUpload
    case uploadPart(uploadId: String, partNumber: Int)
    case uploadPartCopy(uploadId: String, partNumber: Int, source: CopySource, range: ByteRangeSpec?)
    case completeMultipartUpload(uploadId: String)
    case abortMultipartUpload(uploadId: String)
    case listParts(uploadId: String, parts: PartsPage)

    /// AWS's name for the operation (`GetObject`): what logs and metrics show, and the action a policy names
    /// (`s3:GetObject`).
    public var name: String {
        switch self {
        case .listBuckets: return "ListBuckets"
        case .createBucket: return "CreateBucket"
        case .headBucket: return "HeadBucket"
        case .deleteBucket: return "DeleteBucket"
        case .getBucketLocation: return "GetBucketLocation"
        case .putBucketTagging: return "PutBucketTagging"
        case .getBucketTagging: return "GetBucketTagging"
        case .deleteBucketTagging: return "DeleteBucketTagging"
        case .putBucketVersioning: return "PutBucketVersioning"
        case .getBucketVersioning: return "GetBucketVersioning"
        case .putBucketEncryption: return "PutBucketEncryption"
        case .getBucketEncryption: return "GetBucketEncryption"
        case .deleteBucketEncryption: return "DeleteBucketEncryption"
        case .putBucketLifecycleConfiguration: return "PutBucketLifecycleConfiguration"
        case .getBucketLifecycleConfiguration: return "GetBucketLifecycleConfiguration"
        case .deleteBucketLifecycle: return "DeleteBucketLifecycle"
        case .putObjectLockConfiguration: return "PutObjectLockConfiguration"
        case .getObjectLockConfiguration: return "GetObjectLockConfiguration"
        case .putBucketLogging: return "PutBucketLogging"
        case .getBucketLogging: return "GetBucketLogging"
        case .putBucketPolicy: return "PutBucketPolicy"
        case .getBucketPolicy: return "GetBucketPolicy"
        case .deleteBucketPolicy: return "DeleteBucketPolicy"
        case .getBucketPolicyStatus: return "GetBucketPolicyStatus"
        case .putPublicAccessBlock: return "PutPublicAccessBlock"
        case .getPublicAccessBlock: return "GetPublicAccessBlock"
        case .deletePublicAccessBlock: return "DeletePublicAccessBlock"
        case .putBucketOwnershipControls: return "PutBucketOwnershipControls"
        case .getBucketOwnershipControls: return "GetBucketOwnershipControls"
        case .deleteBucketOwnershipControls: return "DeleteBucketOwnershipControls"
        case .putBucketAcl: return "PutBucketAcl"
        case .getBucketAcl: return "GetBucketAcl"
        case .putBucketCors: return "PutBucketCors"
        case .getBucketCors: return "GetBucketCors"
        case .deleteBucketCors: return "DeleteBucketCors"
        case .putObjectAcl: return "PutObjectAcl"
        case .getObjectAcl: return "GetObjectAcl"
        case .postObject: return "PostObject"
        case .putObjectRetention: return "PutObjectRetention"
        case .getObjectRetention: return "GetObjectRetention"
        case .putObjectLegalHold: return "PutObjectLegalHold"
        case .getObjectLegalHold: return "GetObjectLegalHold"
        case .restoreObject: return "RestoreObject"
        case .listObjects: return "ListObjects"
        case .listObjectsV2: return "ListObjectsV2"
        case .listObjectVersions: return "ListObjectVersions"
        case .listMultipartUploads: return "ListMultipartUploads"
        case .deleteObjects: return "DeleteObjects"
        case .putObject: return "PutObject"
        case .copyObject: return "CopyObject"
        case .getObject: return "GetObject"
        case .headObject: return "HeadObject"
        case .deleteObject: return "DeleteObject"
        case .putObjectTagging: return "PutObjectTagging"
        case .getObjectTagging: return "GetObjectTagging"
        case .deleteObjectTagging: return "DeleteObjectTagging"
        case .getObjectAttributes: return "GetObjectAttributes"
        case .createMultipartUpload: return "CreateMultipartUpload"
        case .uploadPart: return "UploadPart"
        case .uploadPartCopy: return "UploadPartCopy"
        case .completeMultipartUpload: return "CompleteMultipartUpload"
        case .abortMultipartUpload: return "AbortMultipartUpload"
        case .listParts: return "ListParts"
        }
    }
}

/// ListBuckets: `prefix`, `max-buckets` (1–10000), `continuation-token` (decoded to the name to start after).
public struct ListBucketsQuery: Sendable, Equatable {
    public var prefix: String?
    public var maxBuckets: Int
    public var startAfter: String?
}

/// What every object listing takes: `prefix`, `delimiter`, `max-keys` (at most 1000 are returned), `encoding-type=url`.
public struct ListingQuery: Sendable, Equatable {
    public var prefix: String
    public var delimiter: String?
    public var maxKeys: Int
    public var urlEncoded: Bool
}

/// ListObjects (v1): the listing and its `marker`.
public struct ListObjectsQuery: Sendable, Equatable {
    public var listing: ListingQuery
    /// As sent, echoed back (`Marker`).
    public var marker: String?
    /// Where the page starts: after the marker, or after everything under it when the marker is a common prefix.
    public var position: ListPosition?
}

/// ListObjectsV2: the listing, `continuation-token` or `start-after`, `fetch-owner`.
public struct ListObjectsV2Query: Sendable, Equatable {
    public var listing: ListingQuery
    /// As sent, echoed back (`ContinuationToken`).
    public var continuationToken: String?
    public var startAfter: String?
    public var fetchOwner: Bool
    /// Where the page starts: the token's position, else after `start-after`.
    public var position: ListPosition?
}

/// ListObjectVersions: the listing, `key-marker` and `version-id-marker`.
public struct ListVersionsQuery: Sendable, Equatable {
    public var listing: ListingQuery
    public var keyMarker: String?
    public var versionIdMarker: String?
}

/// ListMultipartUploads: the listing (`max-uploads`), `key-marker` and `upload-id-marker`.
public struct ListUploadsQuery: Sendable, Equatable {
    public var listing: ListingQuery
    public var keyMarker: String?
    public var uploadIdMarker: String?
}

/// A page of an object's or upload's parts: at most `maxParts` (capped at 1000) after `marker`.
public struct PartsPage: Sendable, Equatable {
    public var maxParts: Int
    public var marker: Int
}
