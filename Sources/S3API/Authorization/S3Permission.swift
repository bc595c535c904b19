import Store

/// What an operation asks permission for: the IAM action a policy names, whether it acts on the bucket or an object
/// (which ARN it is evaluated against), and the ACL permission that grants it where ACLs are enabled.
/// The mapping follows the S3 API Reference's "Permissions" section of each operation.
struct S3Permission: Sendable, Equatable {
    enum Target: Sendable, Equatable { case bucket, object }
    let action: String
    let target: Target
    /// nil: no ACL grants it (only the owner's account or a policy can).
    let aclPermission: ACLPermission?
    /// Reads and changes of ACLs are governed by the object's ACL rather than the bucket's.
    var usesObjectACL: Bool { target == .object && (aclPermission == .read || aclPermission == .readACP || aclPermission == .writeACP) }

    init(_ action: String, _ target: Target, _ acl: ACLPermission? = nil) {
        self.action = action; self.target = target; aclPermission = acl
    }
}

extension S3Operation {
    /// The permission the operation needs; nil for operations that are not about one bucket (ListBuckets,
    /// CreateBucket) or that are authorized piece by piece (DeleteObjects: each key as `s3:DeleteObject`).
    var permission: S3Permission? {
        func versioned(_ versionId: String?, _ plain: String, _ version: String) -> String { versionId == nil ? plain : version }
        switch self {
        case .listBuckets, .createBucket, .deleteObjects: return nil
        case .headBucket: return S3Permission("s3:ListBucket", .bucket, .read)
        case .deleteBucket: return S3Permission("s3:DeleteBucket", .bucket)
        case .getBucketLocation: return S3Permission("s3:GetBucketLocation", .bucket)
        case .putBucketTagging, .deleteBucketTagging: return S3Permission("s3:PutBucketTagging", .bucket)
        case .getBucketTagging: return S3Permission("s3:GetBucketTagging", .bucket)
        case .putBucketVersioning: return S3Permission("s3:PutBucketVersioning", .bucket)
        case .getBucketVersioning: return S3Permission("s3:GetBucketVersioning", .bucket)
        case .putBucketEncryption, .deleteBucketEncryption: return S3Permission("s3:PutEncryptionConfiguration", .bucket)
        case .getBucketEncryption: return S3Permission("s3:GetEncryptionConfiguration", .bucket)
        case .putBucketLifecycleConfiguration, .deleteBucketLifecycle: return S3Permission("s3:PutLifecycleConfiguration", .bucket)
        case .getBucketLifecycleConfiguration: return S3Permission("s3:GetLifecycleConfiguration", .bucket)
        case .putObjectLockConfiguration: return S3Permission("s3:PutBucketObjectLockConfiguration", .bucket)
        case .getObjectLockConfiguration: return S3Permission("s3:GetBucketObjectLockConfiguration", .bucket)
        case .putBucketLogging: return S3Permission("s3:PutBucketLogging", .bucket)
        case .getBucketLogging: return S3Permission("s3:GetBucketLogging", .bucket)
        case .putBucketPolicy: return S3Permission("s3:PutBucketPolicy", .bucket)
        case .getBucketPolicy: return S3Permission("s3:GetBucketPolicy", .bucket)
        case .deleteBucketPolicy: return S3Permission("s3:DeleteBucketPolicy", .bucket)
        case .getBucketPolicyStatus: return S3Permission("s3:GetBucketPolicyStatus", .bucket)
        case .putPublicAccessBlock, .deletePublicAccessBlock: return S3Permission("s3:PutBucketPublicAccessBlock", .bucket)
        case .getPublicAccessBlock: return S3Permission("s3:GetBucketPublicAccessBlock", .bucket)
        case .putBucketOwnershipControls, .deleteBucketOwnershipControls: return S3Permission("s3:PutBucketOwnershipControls", .bucket)
        case .getBucketOwnershipControls: return S3Permission("s3:GetBucketOwnershipControls", .bucket)
        case .putBucketAcl: return S3Permission("s3:PutBucketAcl", .bucket, .writeACP)
        case .getBucketAcl: return S3Permission("s3:GetBucketAcl", .bucket, .readACP)
        case .putBucketCors, .deleteBucketCors: return S3Permission("s3:PutBucketCORS", .bucket)
        case .getBucketCors: return S3Permission("s3:GetBucketCORS", .bucket)
        case .listObjects, .listObjectsV2: return S3Permission("s3:ListBucket", .bucket, .read)
        case .listObjectVersions: return S3Permission("s3:ListBucketVersions", .bucket, .read)
        case .listMultipartUploads: return S3Permission("s3:ListBucketMultipartUploads", .bucket, .read)
        case .putObject, .copyObject, .createMultipartUpload, .uploadPart, .uploadPartCopy, .completeMultipartUpload, .postObject:
            return S3Permission("s3:PutObject", .object, .write)
        case .getObject(let v, _), .headObject(let v, _): return S3Permission(versioned(v, "s3:GetObject", "s3:GetObjectVersion"), .object, .read)
        case .deleteObject(let v): return S3Permission(versioned(v, "s3:DeleteObject", "s3:DeleteObjectVersion"), .object, .write)
        case .putObjectTagging(let v): return S3Permission(versioned(v, "s3:PutObjectTagging", "s3:PutObjectVersionTagging"), .object)
        case .getObjectTagging(let v): return S3Permission(versioned(v, "s3:GetObjectTagging", "s3:GetObjectVersionTagging"), .object)
        case .deleteObjectTagging(let v): return S3Permission(versioned(v, "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"), .object)
        case .getObjectAttributes(let v, _):
            return S3Permission(versioned(v, "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"), .object)
        case .putObjectAcl(let v): return S3Permission(versioned(v, "s3:PutObjectAcl", "s3:PutObjectVersionAcl"), .object, .writeACP)
        case .getObjectAcl(let v): return S3Permission(versioned(v, "s3:GetObjectAcl", "s3:GetObjectVersionAcl"), .object, .readACP)
        case .putObjectRetention: return S3Permission("s3:PutObjectRetention", .object)
        case .getObjectRetention: return S3Permission("s3:GetObjectRetention", .object)
        case .putObjectLegalHold: return S3Permission("s3:PutObjectLegalHold", .object)
        case .getObjectLegalHold: return S3Permission("s3:GetObjectLegalHold", .object)
        case .restoreObject: return S3Permission("s3:RestoreObject", .object)
        case .abortMultipartUpload: return S3Permission("s3:AbortMultipartUpload", .object, .write)
        case .listParts: return S3Permission("s3:ListMultipartUploadParts", .object)
        }
    }
}
