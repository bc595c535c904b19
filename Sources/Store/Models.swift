import Foundation
import LockstepCrypto

public enum VersioningState: String, Sendable, Codable {
    case unversioned = ""
    case enabled = "Enabled"
    case suspended = "Suspended"
}

public struct Tag: Sendable, Codable, Equatable {
    public var key: String
    public var value: String
    public init(key: String, value: String) { self.key = key; self.value = value }
}

/// Per-bucket settings kept as one JSON document; later capabilities (encryption, lifecycle, logging) add fields.
public struct BucketConfiguration: Sendable, Codable, Equatable {
    public var tags: [Tag]?
    /// PutBucketEncryption's default; nil means SSE-S3, as on AWS.
    public var encryption: BucketEncryption?
    /// Object Lock, once enabled (it never goes off).
    public var objectLock: ObjectLockConfiguration?
    /// PutBucketLifecycleConfiguration's rules, run by lifecycle passes.
    public var lifecycle: LifecycleConfiguration?
    /// PutBucketLogging's target: where this bucket's server access log records go.
    public var logging: BucketLogging?
    /// The account (12-digit id) that created the bucket; buckets made before accounts existed belong to the default
    /// account.
    public var ownerAccount: String?
    public var owner: String {
        get { ownerAccount ?? defaultAccountId }
        set { ownerAccount = newValue }
    }
    /// PutBucketPolicy's document, as given.
    public var policy: String?
    /// nil: no ownership controls, which S3 treats as `ObjectWriter`.
    public var ownership: ObjectOwnership?
    /// nil: no block configured.
    public var publicAccessBlock: PublicAccessBlock?
    /// nil: `private` (the owner has full control).
    public var acl: AccessControlList?
    /// PutBucketCors's rules, kept as the S3 front door encodes them.
    public var cors: String?
    public init(tags: [Tag]? = nil, encryption: BucketEncryption? = nil, lifecycle: LifecycleConfiguration? = nil,
                objectLock: ObjectLockConfiguration? = nil) {
        self.tags = tags; self.encryption = encryption; self.lifecycle = lifecycle; self.objectLock = objectLock
    }
}

public struct Bucket: Sendable, Equatable {
    public var name: String
    public var createdMillis: Int64
    public var region: String
    public var versioning: VersioningState
    public var configuration: BucketConfiguration

    /// The owning account's id.
    public var owner: String { configuration.owner }
}

/// The account that owns what was made before there were accounts (and the `--access-key` root's).
public let defaultAccountId = "000000000000"

/// The literal version id of objects written while versioning was never enabled or is suspended.
public let nullVersionId = "null"

/// A stored checksum of a whole object (or of a part).
public struct StoredChecksum: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case fullObject = "FULL_OBJECT", composite = "COMPOSITE" }
    public var algorithm: ChecksumAlgorithm
    public var value: String            // base64; composite values carry "-N"
    public var kind: Kind
    public init(algorithm: ChecksumAlgorithm, value: String, kind: Kind = .fullObject) {
        self.algorithm = algorithm; self.value = value; self.kind = kind
    }
}

/// Headers and metadata stored with an object version and returned on GET/HEAD.
public struct ObjectMetadata: Sendable, Codable, Equatable {
    public var contentType: String?
    public var contentEncoding: String?
    public var contentDisposition: String?
    public var contentLanguage: String?
    public var cacheControl: String?
    public var expires: String?
    /// `x-amz-meta-*` pairs, names lower-cased without the prefix, in request order.
    public var userMetadata: [Tag]
    public var tags: [Tag]
    public var storageClass: String
    public var checksum: StoredChecksum?
    /// nil only for bodies written before Lockstep encrypted at rest; they are read as stored.
    public var encryption: ObjectEncryption?
    /// Object Lock retention, if any (`ObjectLock.swift`).
    public var retention: ObjectRetention?
    /// Object Lock legal hold: nil never set, then ON (true) or OFF (false).
    public var legalHold: Bool?
    /// Restore of an archived version (GLACIER, DEEP_ARCHIVE), if one was asked for.
    public var restore: RestoreState?
    /// The account (12-digit id) that owns this version when it is not the bucket's owner (an `ObjectWriter` upload
    /// from another account); nil: the bucket's owner.
    public var owner: String?
    /// The version's ACL; nil: `private` (its owner has full control).
    public var acl: AccessControlList?
    /// The multipart upload this version completed, so a retried CompleteMultipartUpload (the response was lost) is
    /// recognised while the version is still current.
    public var completedUpload: CompletedUpload?
    public init(contentType: String? = nil, contentEncoding: String? = nil, contentDisposition: String? = nil, contentLanguage: String? = nil,
                cacheControl: String? = nil, expires: String? = nil, userMetadata: [Tag] = [], tags: [Tag] = [],
                storageClass: String = "STANDARD", checksum: StoredChecksum? = nil, encryption: ObjectEncryption? = nil) {
        self.contentType = contentType; self.contentEncoding = contentEncoding; self.contentDisposition = contentDisposition
        self.contentLanguage = contentLanguage; self.cacheControl = cacheControl; self.expires = expires
        self.userMetadata = userMetadata; self.tags = tags; self.storageClass = storageClass; self.checksum = checksum
        self.encryption = encryption
    }
}

/// Which upload made a version, and a digest of the part list that completed it.
public struct CompletedUpload: Sendable, Codable, Equatable {
    public var uploadId: String
    /// SHA-256 (hex) of the requested part numbers and ETags, in order.
    public var partsDigest: String
    public init(uploadId: String, partsDigest: String) { self.uploadId = uploadId; self.partsDigest = partsDigest }
}

/// One contiguous piece of an object body held in a blob file (a simple object has one; a multipart object one per part).
public struct BodySegment: Sendable, Codable, Equatable {
    public var blob: String
    public var size: Int64
    /// Multipart objects remember each part so `?partNumber=` and GetObjectAttributes can answer.
    public var partNumber: Int?
    public var etag: String?
    public var checksum: StoredChecksum?

    public init(blob: String, size: Int64, partNumber: Int? = nil, etag: String? = nil, checksum: StoredChecksum? = nil) {
        self.blob = blob; self.size = size; self.partNumber = partNumber; self.etag = etag; self.checksum = checksum
    }
}

/// Where a version's bytes are: small bodies live inside the index row, larger ones in immutable blob files.
public enum StoredBody: Sendable, Equatable {
    case inline([UInt8])
    case segments([BodySegment])

    public var blobIds: [String] {
        if case .segments(let s) = self { return s.map(\.blob) }
        return []
    }
}

public struct ObjectVersion: Sendable, Equatable {
    public var bucket: String
    public var key: String
    public var versionId: String
    public var sequence: Int64
    public var isLatest: Bool
    public var isDeleteMarker: Bool
    public var size: Int64
    /// The ETag without quotes, e.g. `9b2cf535f27731c974343645a3985328` or `…-3` for multipart.
    public var etag: String
    public var lastModifiedMillis: Int64
    public var metadata: ObjectMetadata
    /// Loaded only when a body is about to be read (listings skip it).
    public var body: StoredBody?
    /// Holds the body's blob files while this version is being read (see `BlobPin`).
    public var bodyPin: BlobPin?
    /// The bucket's versioning state when the version was read or written (S3 reports `x-amz-version-id: null` only
    /// in buckets that have had versioning enabled).
    public var bucketVersioning: VersioningState = .unversioned

    public var partsCount: Int? {
        if case .segments(let s)? = body, s.first?.partNumber != nil { return s.count }
        return nil
    }

    /// The plaintext bytes of part `number` (from 1) of a multipart object read with its body; nil for other objects
    /// and for numbers past its parts.
    public func byteRange(ofPart number: Int) -> Range<Int64>? {
        guard let count = partsCount, (1...count).contains(number), case .segments(let segments)? = body else { return nil }
        let start = segments.prefix(number - 1).reduce(0) { $0 + $1.size }
        return start..<(start + segments[number - 1].size)
    }
}

/// What a conditional write requires of the key's current version, decided inside the committing transaction.
public enum WritePrecondition: Sendable, Equatable {
    case none
    /// `If-None-Match: *`: no current object (a delete marker as the latest version counts as absent).
    case absent
    /// `If-Match: "etag"`: the current object has this ETag (unquoted).
    case etagMatches(String)
    /// `If-Match: *`: some current object exists.
    case exists
}

/// Why a store operation failed, naming what it refers to, so that every protocol's error can say which bucket, key,
/// version or upload it was about.
public enum StoreError: Error, Equatable, Sendable {
    case noSuchBucket(bucket: String)
    case bucketAlreadyOwnedByYou(bucket: String)
    /// Another account owns the name.
    case bucketAlreadyExists(bucket: String)
    case bucketNotEmpty(bucket: String)
    case noSuchKey(bucket: String, key: String)
    case noSuchVersion(bucket: String, key: String, versionId: String)
    /// The addressed (or latest) version is a delete marker.
    case isDeleteMarker(key: String, versionId: String, lastModifiedMillis: Int64, explicitVersion: Bool)
    /// The write's precondition did not hold against the current version.
    case preconditionFailed(WritePrecondition)
    case noSuchUpload(bucket: String, key: String, uploadId: String)
    /// The bucket's state forbids the change (Object Lock and versioning), with S3's explanation.
    case invalidBucketState(bucket: String, String)
    /// The version is protected by Object Lock (retention or legal hold).
    case objectLocked(key: String, versionId: String)
    /// Object Lock calls on a bucket without Object Lock.
    case objectLockNotEnabled(bucket: String)
    /// The version's storage class does not allow the operation (reading an unrestored archive, restoring a
    /// non-archived version).
    case invalidObjectState(storageClass: String, restore: Bool)
    case restoreAlreadyInProgress(key: String)
    case invalidPart(Int)
    case invalidPartOrder
    case entityTooSmall
    case conditionalRequestConflict(key: String)
    case io(String)
}

public struct MultipartUpload: Sendable, Equatable {
    public var uploadId: String
    public var bucket: String
    public var key: String
    public var initiatedMillis: Int64
    public var metadata: ObjectMetadata
    /// The key's current version when the upload was created; a conditional completion finding another one
    /// ends in 409 ConditionalRequestConflict (someone else wrote or deleted the key while the upload ran).
    public var currentSequenceAtCreation: Int64?
    /// Algorithm named at CreateMultipartUpload (`x-amz-checksum-algorithm`) and its type.
    public var checksumAlgorithm: ChecksumAlgorithm?
    public var checksumKind: StoredChecksum.Kind?
}

public struct UploadedPart: Sendable, Equatable {
    public var partNumber: Int
    public var size: Int64
    public var etag: String
    public var lastModifiedMillis: Int64
    public var checksum: StoredChecksum?
    public var blob: String

    public init(partNumber: Int, size: Int64, etag: String, lastModifiedMillis: Int64, checksum: StoredChecksum?, blob: String) {
        self.partNumber = partNumber; self.size = size; self.etag = etag; self.lastModifiedMillis = lastModifiedMillis
        self.checksum = checksum; self.blob = blob
    }
}
