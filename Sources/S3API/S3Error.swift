import FrontDoors
import HTTPDates
import HTTPTypes
import Store

/// Every S3 error code Lockstep answers with, each with its HTTP status and AWS's default message (the S3 API
/// reference's error code list): one table, so a code never travels with the wrong status.
public enum S3ErrorCode: String, Sendable, CaseIterable {
    case accessControlListNotSupported = "AccessControlListNotSupported"
    case accessDenied = "AccessDenied"
    case accessForbidden = "AccessForbidden"
    case missingSecurityHeader = "MissingSecurityHeader"
    case unexpectedContent = "UnexpectedContent"
    case maxPostPreDataLengthExceeded = "MaxPostPreDataLengthExceededError"
    case malformedPOSTRequest = "MalformedPOSTRequest"
    case invalidPolicyDocument = "InvalidPolicyDocument"
    case noSuchCORSConfiguration = "NoSuchCORSConfiguration"
    case invalidBucketAclWithObjectOwnership = "InvalidBucketAclWithObjectOwnership"
    case unresolvableGrantByEmailAddress = "UnresolvableGrantByEmailAddress"
    case malformedACLError = "MalformedACLError"
    case ownershipControlsNotFoundError = "OwnershipControlsNotFoundError"
    case noSuchPublicAccessBlockConfiguration = "NoSuchPublicAccessBlockConfiguration"
    case noSuchBucketPolicy = "NoSuchBucketPolicy"
    case malformedPolicy = "MalformedPolicy"
    case bucketAlreadyExists = "BucketAlreadyExists"
    case authorizationHeaderMalformed = "AuthorizationHeaderMalformed"
    case authorizationQueryParametersError = "AuthorizationQueryParametersError"
    case badDigest = "BadDigest"
    case badRequest = "BadRequest"
    case bucketAlreadyOwnedByYou = "BucketAlreadyOwnedByYou"
    case bucketNotEmpty = "BucketNotEmpty"
    case conditionalRequestConflict = "ConditionalRequestConflict"
    case entityTooLarge = "EntityTooLarge"
    case entityTooSmall = "EntityTooSmall"
    case incompleteBody = "IncompleteBody"
    case internalError = "InternalError"
    case invalidAccessKeyId = "InvalidAccessKeyId"
    case invalidArgument = "InvalidArgument"
    case invalidBucketName = "InvalidBucketName"
    case invalidChunkSizeError = "InvalidChunkSizeError"
    case invalidDigest = "InvalidDigest"
    case invalidEncryptionAlgorithmError = "InvalidEncryptionAlgorithmError"
    case invalidLocationConstraint = "InvalidLocationConstraint"
    case invalidPart = "InvalidPart"
    case invalidPartNumber = "InvalidPartNumber"
    case invalidPartOrder = "InvalidPartOrder"
    case invalidRange = "InvalidRange"
    case invalidRequest = "InvalidRequest"
    case invalidStorageClass = "InvalidStorageClass"
    case invalidTag = "InvalidTag"
    case invalidTargetBucketForLogging = "InvalidTargetBucketForLogging"
    case invalidURI = "InvalidURI"
    case keyTooLongError = "KeyTooLongError"
    case kmsDisabled = "KMS.DisabledException"
    case kmsInvalidState = "KMS.KMSInvalidStateException"
    case kmsNotFound = "KMS.NotFoundException"
    case malformedXML = "MalformedXML"
    case maxMessageLengthExceeded = "MaxMessageLengthExceeded"
    case metadataTooLarge = "MetadataTooLarge"
    case methodNotAllowed = "MethodNotAllowed"
    case missingContentLength = "MissingContentLength"
    case noSuchBucket = "NoSuchBucket"
    case noSuchKey = "NoSuchKey"
    case noSuchTagSet = "NoSuchTagSet"
    case noSuchLifecycleConfiguration = "NoSuchLifecycleConfiguration"
    case invalidBucketState = "InvalidBucketState"
    case objectLockConfigurationNotFound = "ObjectLockConfigurationNotFoundError"
    case noSuchObjectLockConfiguration = "NoSuchObjectLockConfiguration"
    case invalidObjectState = "InvalidObjectState"
    case restoreAlreadyInProgress = "RestoreAlreadyInProgress"
    case noSuchUpload = "NoSuchUpload"
    case noSuchVersion = "NoSuchVersion"
    case notImplemented = "NotImplemented"
    case preconditionFailed = "PreconditionFailed"
    case requestTimeTooSkewed = "RequestTimeTooSkewed"
    case signatureDoesNotMatch = "SignatureDoesNotMatch"
    case xAmzContentSHA256Mismatch = "XAmzContentSHA256Mismatch"

    /// The HTTP status and AWS's default message.
    private var entry: (status: HTTPResponse.Status, message: String) {
        switch self {
        case .accessControlListNotSupported: return (.badRequest, "The bucket does not allow ACLs")
        case .accessDenied: return (.forbidden, "Access Denied")
        case .accessForbidden: return (.forbidden, "CORSResponse: This CORS request is not allowed.")
        case .missingSecurityHeader: return (.badRequest, "Your request was missing a required header")
        case .unexpectedContent: return (.badRequest, "This request does not support content")
        case .maxPostPreDataLengthExceeded: return (.badRequest, "Your POST request fields preceeding the upload file was too large.")
        case .malformedPOSTRequest: return (.badRequest, "The body of your POST request is not well-formed multipart/form-data.")
        case .invalidPolicyDocument: return (.badRequest, "The content of the form does not meet the conditions specified in the policy document.")
        case .noSuchCORSConfiguration: return (.notFound, "The CORS configuration does not exist")
        case .invalidBucketAclWithObjectOwnership: return (.badRequest, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
        case .unresolvableGrantByEmailAddress: return (.badRequest, "The e-mail address you provided does not match any account on record.")
        case .malformedACLError: return (.badRequest, "The XML you provided was not well-formed or did not validate against our published schema")
        case .ownershipControlsNotFoundError: return (.notFound, "The bucket ownership controls were not found")
        case .noSuchPublicAccessBlockConfiguration: return (.notFound, "The public access block configuration was not found")
        case .noSuchBucketPolicy: return (.notFound, "The bucket policy does not exist")
        case .malformedPolicy: return (.badRequest, "Policies must be valid JSON and the first byte must be '{'")
        case .bucketAlreadyExists: return (.conflict, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
        case .authorizationHeaderMalformed: return (.badRequest, "The authorization header you provided is invalid.")
        case .authorizationQueryParametersError: return (.badRequest, "Error parsing the X-Amz-Credential parameter.")
        case .badDigest: return (.badRequest, "The Content-MD5 you specified did not match what we received.")
        case .badRequest: return (.badRequest, "Bad Request")
        case .bucketAlreadyOwnedByYou:
            return (.conflict, "Your previous request to create the named bucket succeeded and you already own it.")
        case .bucketNotEmpty: return (.conflict, "The bucket you tried to delete is not empty")
        case .conditionalRequestConflict:
            return (.conflict, "A conflicting conditional operation is currently in progress against this resource. Please try again.")
        case .entityTooLarge: return (.badRequest, "Your proposed upload exceeds the maximum allowed size")
        case .entityTooSmall: return (.badRequest, "Your proposed upload is smaller than the minimum allowed object size.")
        case .incompleteBody: return (.badRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header")
        case .internalError: return (.internalServerError, "We encountered an internal error. Please try again.")
        case .invalidAccessKeyId: return (.forbidden, "The AWS Access Key Id you provided does not exist in our records.")
        case .invalidArgument: return (.badRequest, "Invalid Argument")
        case .invalidBucketName: return (.badRequest, "The specified bucket is not valid.")
        case .invalidChunkSizeError: return (.badRequest, "Only the last chunk is allowed to have a size less than 8192 bytes")
        case .invalidDigest: return (.badRequest, "The Content-MD5 you specified was invalid.")
        case .invalidEncryptionAlgorithmError:
            return (.badRequest, "The encryption request you specified is not valid. The valid value is AES256.")
        case .invalidLocationConstraint: return (.badRequest, "The specified location-constraint is not valid")
        case .invalidPart:
            return (.badRequest, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
        case .invalidPartNumber: return (.rangeNotSatisfiable416, "The requested partnumber is not satisfiable")
        case .invalidPartOrder: return (.badRequest, "The list of parts was not in ascending order. Parts must be ordered by part number.")
        case .invalidRange: return (.rangeNotSatisfiable416, "The requested range is not satisfiable")
        case .invalidRequest: return (.badRequest, "Invalid Request")
        case .invalidStorageClass: return (.badRequest, "The storage class you specified is not valid")
        case .invalidTag: return (.badRequest, "The tag provided was not a valid tag.")
        case .invalidTargetBucketForLogging: return (.badRequest, "The target bucket for logging does not exist")
        case .invalidURI: return (.badRequest, "Couldn't parse the specified URI.")
        case .keyTooLongError: return (.badRequest, "Your key is too long")
        case .kmsDisabled, .kmsInvalidState, .kmsNotFound: return (.badRequest, "The KMS key cannot be used.")
        case .malformedXML:
            return (.badRequest, "The XML you provided was not well-formed or did not validate against our published schema")
        case .maxMessageLengthExceeded: return (.badRequest, "Your request was too big.")
        case .metadataTooLarge: return (.badRequest, "Your metadata headers exceed the maximum allowed metadata size.")
        case .methodNotAllowed: return (.methodNotAllowed, "The specified method is not allowed against this resource.")
        case .missingContentLength: return (.lengthRequired, "You must provide the Content-Length HTTP header.")
        case .noSuchBucket: return (.notFound, "The specified bucket does not exist")
        case .noSuchKey: return (.notFound, "The specified key does not exist.")
        case .noSuchTagSet: return (.notFound, "The TagSet does not exist")
        case .noSuchLifecycleConfiguration: return (.notFound, "The lifecycle configuration does not exist")
        case .invalidBucketState: return (.conflict, "The request is not valid with the current state of the bucket.")
        case .objectLockConfigurationNotFound: return (.notFound, "Object Lock configuration does not exist for this bucket")
        case .noSuchObjectLockConfiguration: return (.notFound, "The specified object does not have a ObjectLock configuration")
        case .invalidObjectState: return (.forbidden, "The operation is not valid for the object's storage class")
        case .restoreAlreadyInProgress: return (.conflict, "Object restore is already in progress")
        case .noSuchUpload:
            return (.notFound, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
        case .noSuchVersion: return (.notFound, "The specified version does not exist.")
        case .notImplemented: return (.notImplemented, "A header you provided implies functionality that is not implemented")
        case .preconditionFailed: return (.preconditionFailed, "At least one of the pre-conditions you specified did not hold")
        case .requestTimeTooSkewed: return (.forbidden, "The difference between the request time and the current time is too large.")
        case .signatureDoesNotMatch:
            return (.forbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
        case .xAmzContentSHA256Mismatch: return (.badRequest, "The provided 'x-amz-content-sha256' header does not match what was computed.")
        }
    }

    public var status: HTTPResponse.Status { entry.status }
    public var defaultMessage: String { entry.message }
}

/// Every failure an S3 request can end in. Rendered to XML in one place (`S3Service.render`).
public struct S3Error: Error, Sendable {
    public var code: S3ErrorCode
    public var message: String
    /// The `Resource` element; the request's path when nil.
    public var resource: String?
    /// Extra elements AWS adds to some errors (e.g. `Key`, `StringToSign`, `RequestTime`), in order.
    public var details: [(String, String)] = []
    /// Headers AWS sends with some errors (e.g. `x-amz-delete-marker`, `Allow`).
    public var headers: [(String, String)] = []

    public var status: HTTPResponse.Status { code.status }

    public init(_ code: S3ErrorCode, _ message: String? = nil, details: [(String, String)] = [], headers: [(String, String)] = []) {
        self.code = code
        self.message = message ?? code.defaultMessage
        self.details = details
        self.headers = headers
    }
}

extension HTTPResponse.Status {
    /// 416 Range Not Satisfiable.
    static let rangeNotSatisfiable416 = HTTPResponse.Status(code: 416, reasonPhrase: "Requested Range Not Satisfiable")
}

extension S3Error {
    public static func accessDenied(_ message: String? = nil) -> S3Error { S3Error(.accessDenied, message) }
    public static func noSuchBucket(_ bucket: String) -> S3Error { S3Error(.noSuchBucket, details: [("BucketName", bucket)]) }
    public static func noSuchKey(_ key: String) -> S3Error { S3Error(.noSuchKey, details: [("Key", key)]) }
    public static func noSuchVersion(_ key: String, _ versionId: String) -> S3Error {
        S3Error(.noSuchVersion, details: [("Key", key), ("VersionId", versionId)])
    }
    public static func noSuchUpload(_ uploadId: String) -> S3Error { S3Error(.noSuchUpload, details: [("UploadId", uploadId)]) }
    public static func invalidArgument(_ message: String, name: String? = nil, value: String? = nil) -> S3Error {
        var details: [(String, String)] = []
        if let name { details.append(("ArgumentName", name)) }
        if let value { details.append(("ArgumentValue", value)) }
        return S3Error(.invalidArgument, message, details: details)
    }
    public static func invalidRequest(_ message: String) -> S3Error { S3Error(.invalidRequest, message) }
    public static func malformedXML() -> S3Error { S3Error(.malformedXML) }
    static func malformedACLError() -> S3Error { S3Error(.malformedACLError) }
    public static func notImplemented(_ message: String? = nil) -> S3Error { S3Error(.notImplemented, message) }
    public static func preconditionFailed(_ condition: String) -> S3Error { S3Error(.preconditionFailed, details: [("Condition", condition)]) }
    public static func internalError(_ message: String? = nil) -> S3Error { S3Error(.internalError, message) }
    public static func methodNotAllowed() -> S3Error { S3Error(.methodNotAllowed) }
    /// A part number past the object's parts (GET `?partNumber=`).
    static func invalidPartNumber(_ requested: Int, _ count: Int) -> S3Error {
        S3Error(.invalidPartNumber, details: [("PartNumberRequested", String(requested)), ("ActualPartCount", String(count))])
    }
    /// A byte range that starts past the end of the object.
    static func invalidRange(_ requested: String, size: Int64) -> S3Error {
        S3Error(.invalidRange, details: [("RangeRequested", requested), ("ActualObjectSize", String(size))])
    }
    /// A `partNumber` that is not an integer from 1 to 10000.
    static func partNumberOutOfRange(_ value: String?) -> S3Error {
        invalidArgument("Part number must be an integer between 1 and 10000, inclusive", name: "partNumber", value: value)
    }
}

extension S3Error {
    /// The S3 error for a store failure; the store's error names its subject (bucket, key, version, upload).
    init(storeError: StoreError) {
        switch storeError {
        case .noSuchBucket(let bucket): self = .noSuchBucket(bucket)
        case .bucketAlreadyOwnedByYou(let bucket): self = S3Error(.bucketAlreadyOwnedByYou, details: [("BucketName", bucket)])
        case .bucketAlreadyExists(let bucket): self = S3Error(.bucketAlreadyExists, details: [("BucketName", bucket)])
        case .bucketNotEmpty(let bucket): self = S3Error(.bucketNotEmpty, details: [("BucketName", bucket)])
        case .noSuchKey(_, let key): self = .noSuchKey(key)
        case .noSuchVersion(_, let key, let versionId): self = .noSuchVersion(key, versionId)
        case .isDeleteMarker(let key, let versionId, let lastModified, let explicit):
            if explicit {
                self = S3Error(.methodNotAllowed, details: [("Method", "GET"), ("ResourceType", "DeleteMarker")],
                               headers: [("x-amz-delete-marker", "true"), ("x-amz-version-id", versionId), ("Allow", "DELETE"),
                                         ("Last-Modified", HTTPDate.format(lastModified))])
            } else {
                self = S3Error(.noSuchKey, details: [("Key", key)], headers: [("x-amz-delete-marker", "true"), ("x-amz-version-id", versionId)])
            }
        case .preconditionFailed(let precondition):
            self = .preconditionFailed(precondition == .absent ? "If-None-Match" : "If-Match")
        case .noSuchUpload(_, _, let uploadId): self = .noSuchUpload(uploadId)
        case .invalidPart: self = S3Error(.invalidPart)
        case .invalidPartOrder: self = S3Error(.invalidPartOrder)
        case .entityTooSmall: self = S3Error(.entityTooSmall)
        case .conditionalRequestConflict(let key): self = S3Error(.conditionalRequestConflict, details: [("Key", key)])
        case .invalidBucketState(let bucket, let why): self = S3Error(.invalidBucketState, why, details: [("BucketName", bucket)])
        case .objectLocked: self = .accessDenied("Access Denied because object protected by object lock.")
        case .objectLockNotEnabled: self = .invalidRequest("Bucket is missing Object Lock Configuration")
        case .invalidObjectState(let storageClass, let restore):
            self = S3Error(.invalidObjectState, restore ? "Restore is not allowed for the object's current storage class" : nil,
                           details: [("StorageClass", storageClass)])
        case .restoreAlreadyInProgress: self = S3Error(.restoreAlreadyInProgress)
        case .io(let why): self = .internalError("Storage failure: \(why)")
        }
    }
}
