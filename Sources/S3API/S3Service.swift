import Foundation
import FrontDoors
import HTTPTypes
import KeyService
import LockstepCrypto
import LockstepXML
import Logging
import NIOCore
import SigV4
import Store

public struct S3ServiceConfiguration: Sendable {
    public var region: String
    /// Extra base domain for virtual-hosted addressing (`BUCKET.<domain>`); `BUCKET.localhost` always works.
    public var domain: String?

    public init(region: String = "us-east-1", domain: String? = nil) {
        self.region = region; self.domain = domain
    }
}

/// Everything a handler knows about the request it serves.
struct S3Context {
    let request: APIRequest
    let operation: S3Operation
    let bucket: String
    let key: String
    let query: QueryParameters
    let auth: VerifiedRequest?
    let requestId: String

    func header(_ name: String) -> String? { request.header(name) }
}

/// The S3 REST front door: addressing, routing, authentication, body decoding, dispatch, and error rendering.
/// It knows nothing of sockets (the server adapts HTTP to `APIRequest`) or files (the store does).
public final class S3Service: FrontDoor {
    public let store: ObjectStore
    public let keyring: Keyring
    public let configuration: S3ServiceConfiguration
    let authenticator: Authenticator
    let logger: Logger
    let hostId = RequestIds.hostId()

    public init(store: ObjectStore, keyring: Keyring, configuration: S3ServiceConfiguration, authenticator: Authenticator,
                logger: Logger = Logger(label: "lockstep.s3")) {
        self.store = store
        self.keyring = keyring
        self.configuration = configuration
        self.authenticator = authenticator
        self.logger = logger
    }

    public func handle(_ request: APIRequest) async -> APIResponse {
        let requestId = RequestIds.requestId()
        var resource = request.rawPath
        var response: APIResponse
        var addressed: (bucket: String, key: String) = ("", "")
        var query = QueryParameters(raw: "")
        do {
            addressed = try address(request)
            let (bucket, key) = addressed
            resource = key.isEmpty ? (bucket.isEmpty ? "/" : "/\(bucket)") : "/\(bucket)/\(key)"
            query = QueryParameters(raw: request.rawQuery)
            let auth = try authenticate(request)
            let operation = try S3Router.route(method: request.method, bucket: bucket.isEmpty ? nil : bucket, key: key.isEmpty ? nil : key,
                                               query: query, headers: request.headers)
            let context = S3Context(request: request, operation: operation, bucket: bucket, key: key, query: query, auth: auth, requestId: requestId)
            response = try await dispatch(context)
        } catch let error as S3Error {
            response = render(error, resource: resource, requestId: requestId, method: request.method)
        } catch let error as StoreError {
            // Only an error needs to know what it names; built here, not on every request.
            let target = ErrorTarget(bucket: addressed.bucket, key: addressed.key, versionId: query["versionId"], uploadId: query["uploadId"],
                                     condition: request.header("if-none-match") != nil && request.header("if-match") == nil ? "If-None-Match" : "If-Match")
            response = render(S3Error(storeError: error, resource: resource, target: target), resource: resource, requestId: requestId,
                              method: request.method)
        } catch {
            logger.error("request failed: \(error)")
            response = render(.internalError(), resource: resource, requestId: requestId, method: request.method)
        }
        response.set("x-amz-request-id", requestId)
        response.set("x-amz-id-2", hostId)
        response.set("Server", "Lockstep")
        response.set("Date", HTTPDate.format(store.clock.nowMillis()))
        return response
    }

    /// Path-style `/bucket/key` or virtual-hosted `bucket.localhost` / `bucket.<domain>`; the key is percent-decoded, `//` kept.
    func address(_ request: APIRequest) throws -> (bucket: String, key: String) {
        guard request.rawPath.hasPrefix("/") else { throw S3Error.invalidRequest("Invalid request target") }
        var host = (request.header("host") ?? "").lowercased()
        if host.hasPrefix("[") {
            host = ""  // IPv6 literal: never a virtual host
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        var bases = ["localhost"]
        if let domain = configuration.domain?.lowercased(), !domain.isEmpty { bases.insert(domain, at: 0) }
        for base in bases where host.hasSuffix("." + base) {
            let bucket = String(host.dropLast(base.count + 1))
            return (bucket, percentDecode(String(request.rawPath.dropFirst())))
        }
        let path = request.rawPath.dropFirst()
        guard let slash = path.firstIndex(of: "/") else { return (percentDecode(String(path)), "") }
        return (percentDecode(String(path[..<slash])), percentDecode(String(path[path.index(after: slash)...])))
    }

    func authenticate(_ request: APIRequest) throws(S3Error) -> VerifiedRequest {
        do {
            return try authenticator.authenticate(request, service: "s3")
        } catch {
            throw S3Error(sigV4: error)
        }
    }

    func render(_ error: S3Error, resource: String, requestId: String, method: HTTPRequest.Method) -> APIResponse {
        var response = APIResponse(status: error.status)
        for (name, value) in error.headers { response.set(name, value) }
        if method == .head { return response }
        var xml = XMLWriter()
        xml.group("Error") { x in
            x.element("Code", error.code)
            x.element("Message", error.message)
            for (name, value) in error.details { x.element(name, value) }
            x.element("Resource", error.resource ?? resource)
            x.element("RequestId", requestId)
            x.element("HostId", hostId)
        }
        response.set("Content-Type", "application/xml")
        response.body = .bytes(ByteBuffer(bytes: xml.bytes))
        return response
    }

    func dispatch(_ c: S3Context) async throws -> APIResponse {
        switch c.operation {
        case .listBuckets: return try await listBuckets(c)
        case .createBucket: return try await createBucket(c)
        case .headBucket: return try await headBucket(c)
        case .deleteBucket: return try await deleteBucket(c)
        case .getBucketLocation: return try await getBucketLocation(c)
        case .putBucketTagging: return try await putBucketTagging(c)
        case .getBucketTagging: return try await getBucketTagging(c)
        case .deleteBucketTagging: return try await deleteBucketTagging(c)
        case .putBucketVersioning: return try await putBucketVersioning(c)
        case .getBucketVersioning: return try await getBucketVersioning(c)
        case .putBucketEncryption: return try await putBucketEncryption(c)
        case .getBucketEncryption: return try await getBucketEncryption(c)
        case .deleteBucketEncryption: return try await deleteBucketEncryption(c)
        case .listObjects: return try await listObjects(c, v2: false)
        case .listObjectsV2: return try await listObjects(c, v2: true)
        case .listObjectVersions: return try await listObjectVersions(c)
        case .listMultipartUploads: return try await listMultipartUploads(c)
        case .deleteObjects: return try await deleteObjects(c)
        case .putObject: return try await putObject(c)
        case .copyObject: return try await copyObject(c)
        case .getObject: return try await getObject(c, head: false)
        case .headObject: return try await getObject(c, head: true)
        case .deleteObject: return try await deleteObject(c)
        case .putObjectTagging: return try await putObjectTagging(c)
        case .getObjectTagging: return try await getObjectTagging(c)
        case .deleteObjectTagging: return try await deleteObjectTagging(c)
        case .getObjectAttributes: return try await getObjectAttributes(c)
        case .createMultipartUpload: return try await createMultipartUpload(c)
        case .uploadPart: return try await uploadPart(c)
        case .uploadPartCopy: return try await uploadPartCopy(c)
        case .completeMultipartUpload: return try await completeMultipartUpload(c)
        case .abortMultipartUpload: return try await abortMultipartUpload(c)
        case .listParts: return try await listParts(c)
        }
    }
}

/// What an error about a missing resource or failed condition names (AWS adds BucketName, Key, UploadId…).
struct ErrorTarget {
    var bucket = ""
    var key = ""
    var versionId: String?
    var uploadId: String?
    var condition = "If-Match"
}

/// An XML document response.
func xmlResponse(_ writer: XMLWriter, status: HTTPResponse.Status = .ok) -> APIResponse {
    var response = APIResponse(status: status, body: .bytes(ByteBuffer(bytes: writer.bytes)))
    response.set("Content-Type", "application/xml")
    return response
}

extension S3Error {
    init(sigV4 error: SigV4Error) {
        switch error {
        case .missingAuthentication: self = .accessDenied()
        case .unsupportedAlgorithm(let name):
            self = S3Error("InvalidRequest", .badRequest, "The authorization mechanism you have provided (\(name)) is not supported. Please use AWS4-HMAC-SHA256.")
        case .authorizationHeaderMalformed(let why): self = S3Error("AuthorizationHeaderMalformed", .badRequest, "The authorization header is malformed; \(why)")
        case .authorizationQueryParametersError(let why): self = S3Error("AuthorizationQueryParametersError", .badRequest, why)
        case .wrongService(_, let scoped):
            self = S3Error("AuthorizationHeaderMalformed", .badRequest,
                           "The authorization header is malformed; incorrect service \"\(scoped)\". This endpoint belongs to \"s3\".")
        case .invalidAccessKeyId:
            self = S3Error("InvalidAccessKeyId", .forbidden, "The AWS Access Key Id you provided does not exist in our records.")
        case .signatureDoesNotMatch(let stringToSign, let canonicalRequest):
            self = S3Error("SignatureDoesNotMatch", .forbidden,
                           "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                           details: [("StringToSign", stringToSign), ("CanonicalRequest", canonicalRequest)])
        case .requestTimeTooSkewed(let requestTime, let serverTime):
            self = S3Error("RequestTimeTooSkewed", .forbidden, "The difference between the request time and the current time is too large.",
                           details: [("RequestTime", requestTime), ("ServerTime", serverTime), ("MaxAllowedSkewMilliseconds", "900000")])
        case .expired(let expiresAt, let serverTime):
            self = S3Error("AccessDenied", .forbidden, "Request has expired", details: [("Expires", expiresAt), ("ServerTime", serverTime)])
        case .notYetValid: self = .accessDenied("Request is not yet valid")
        case .invalidContentSHA256:
            self = .invalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
                                    name: "x-amz-content-sha256")
        case .missingContentSHA256: self = .invalidRequest("Missing required header for this request: x-amz-content-sha256")
        case .missingDate: self = .accessDenied("AWS authentication requires a valid Date or x-amz-date header")
        }
    }

    init(storeError: StoreError, resource: String, target: ErrorTarget = ErrorTarget()) {
        switch storeError {
        case .noSuchBucket: self = .noSuchBucket(target.bucket)
        case .bucketAlreadyOwnedByYou:
            self = S3Error("BucketAlreadyOwnedByYou", .conflict, "Your previous request to create the named bucket succeeded and you already own it.")
        case .bucketNotEmpty: self = S3Error("BucketNotEmpty", .conflict, "The bucket you tried to delete is not empty")
        case .noSuchKey: self = .noSuchKey(target.key)
        case .noSuchVersion: self = .noSuchVersion(target.key, target.versionId ?? "")
        case .isDeleteMarker(let versionId, let lastModified, let explicit):
            if explicit {
                self = S3Error("MethodNotAllowed", .methodNotAllowed, "The specified method is not allowed against this resource.",
                               details: [("Method", "GET"), ("ResourceType", "DeleteMarker")],
                               headers: [("x-amz-delete-marker", "true"), ("x-amz-version-id", versionId), ("Allow", "DELETE"),
                                         ("Last-Modified", HTTPDate.format(lastModified))])
            } else {
                self = S3Error("NoSuchKey", .notFound, "The specified key does not exist.",
                               headers: [("x-amz-delete-marker", "true"), ("x-amz-version-id", versionId)])
            }
        case .preconditionFailed: self = .preconditionFailed(target.condition)
        case .noSuchUpload: self = .noSuchUpload(target.uploadId ?? "")
        case .invalidPart:
            self = S3Error("InvalidPart", .badRequest, "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
        case .invalidPartOrder:
            self = S3Error("InvalidPartOrder", .badRequest, "The list of parts was not in ascending order. Parts must be ordered by part number.")
        case .entityTooSmall: self = S3Error("EntityTooSmall", .badRequest, "Your proposed upload is smaller than the minimum allowed object size.")
        case .conditionalRequestConflict:
            self = S3Error("ConditionalRequestConflict", .conflict, "A conflicting conditional operation is currently in progress against this resource. Please try again.")
        case .io(let why): self = .internalError("Storage failure: \(why)")
        }
        self.resource = resource
    }
}
