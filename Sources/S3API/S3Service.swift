import Foundation
import FrontDoors
import HTTPDates
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
    /// When lifecycle rules fall due (for `x-amz-expiration` and `x-amz-abort-date`).
    public var lifecycleSchedule: LifecycleSchedule
    /// New buckets get S3's defaults from before April 2023 (ACLs enabled, no public access block).
    public var legacyBucketDefaults: Bool

    public init(region: String = "us-east-1", domain: String? = nil, lifecycleSchedule: LifecycleSchedule = LifecycleSchedule(),
                legacyBucketDefaults: Bool = false) {
        self.region = region; self.domain = domain; self.lifecycleSchedule = lifecycleSchedule
        self.legacyBucketDefaults = legacyBucketDefaults
    }
}

/// Everything a handler knows about the request it serves.
struct S3Context {
    let request: APIRequest
    let operation: S3Operation
    let bucket: String
    let key: String
    let query: QueryParameters
    /// nil: an anonymous request.
    let auth: VerifiedRequest?
    /// Who signed it; nil when anonymous.
    let requester: Identity?
    let requestId: String
    /// Set when the server keeps access logs: handlers note what a record needs that the response does not show.
    let trace: AccessLogTrace?

    func header(_ name: String) -> String? { request.header(name) }
}

/// The S3 REST front door: addressing, routing, authentication, body decoding, dispatch, and error rendering.
/// It knows nothing of sockets (the server adapts HTTP to `APIRequest`) or files (the store does).
public final class S3Service: FrontDoor {
    public let store: ObjectStore
    public let keyring: Keyring
    public let configuration: S3ServiceConfiguration
    public let authenticator: Authenticator
    let addressing: S3Addressing
    let logger: Logger
    let hostId = RequestIds.hostId()
    public let accessLog: AccessLog?
    let policies = PolicyCache()

    public init(store: ObjectStore, keyring: Keyring, configuration: S3ServiceConfiguration, authenticator: Authenticator,
                accessLog: AccessLog? = nil, logger: Logger = Logger(label: "lockstep.s3")) {
        self.store = store
        self.keyring = keyring
        self.configuration = configuration
        self.authenticator = authenticator
        self.accessLog = accessLog
        addressing = S3Addressing(domain: configuration.domain)
        self.logger = logger
    }

    public func handle(_ request: APIRequest) async -> APIResponse { await handle(request, onBehalfOf: nil) }

    /// With `delegate`, the request comes from another of Lockstep's front doors on behalf of an identity it
    /// authenticated its own way (a console session): it is routed, authorized, logged and answered exactly as the
    /// same request signed by that identity.
    public func handle(_ request: APIRequest, onBehalfOf delegate: Identity?) async -> APIResponse {
        let requestId = RequestIds.requestId()
        let trace = accessLog == nil ? nil : AccessLogTrace(receivedMillis: store.clock.nowMillis())
        var request = request
        if let trace { request.body = trace.watching(request.body) }
        var resource = request.rawPath
        var response: APIResponse
        var addressedBucket = ""
        var notes = S3SummaryNotes()
        do {
            let (bucket, key, virtualHost) = try addressing.address(request)
            addressedBucket = bucket
            notes.key = key
            trace?.bucket = bucket
            trace?.key = key
            resource = key.isEmpty ? (bucket.isEmpty ? "/" : "/\(bucket)") : "/\(bucket)/\(key)"
            if request.method == .options, !bucket.isEmpty {
                // A CORS preflight: browsers send it without credentials, and only the bucket's CORS rules answer it.
                response = try preflight(request, bucket: bucket, key: key)
            } else {
                let query = QueryParameters(raw: request.rawQuery)
                trace?.query = query
                let auth = delegate == nil ? try authenticateUnlessAnonymous(request, virtualHostBucket: virtualHost ? bucket : nil) : nil
                let requester = delegate ?? auth.map(authenticator.identity(of:))
                notes.requester = requester?.arn ?? "anonymous"
                trace?.auth = auth
                trace?.requester = requester
                let operation = try S3Router.route(method: request.method, bucket: bucket.isEmpty ? nil : bucket, key: key.isEmpty ? nil : key,
                                                   query: query, headers: request.headers)
                notes.operation = operation
                let context = S3Context(request: request, operation: operation, bucket: bucket, key: key, query: query, auth: auth,
                                        requester: requester, requestId: requestId, trace: trace)
                try await authorize(context)
                if case .deleteObject(versionId: nil) = operation, key.hasSuffix(".tflock") {
                    // The handler's headers do not say whether a live lockfile went away; the store's outcome does.
                    let report = DeleteReport()
                    response = try await ObjectStore.$deleteReport.withValue(report) { try await dispatch(context) }
                    notes.removedLockfile = report.outcome?.removedCurrentObject == true
                } else {
                    response = try await dispatch(context)
                }
            }
        } catch {
            let failure = s3Error(for: error, requestId: requestId)
            trace?.errorCode = failure.code.rawValue
            notes.errorCode = failure.code.rawValue
            response = render(failure, resource: resource, requestId: requestId, method: request.method)
        }
        if request.method != .options { addCORSHeaders(request, bucket: addressedBucket, to: &response) }
        response.set("x-amz-request-id", requestId)
        response.set("x-amz-id-2", hostId)
        response.set("Server", "Lockstep")
        // Real time, as signatures are checked against: clients correct their clock skew from this header.
        response.set("Date", HTTPDate.format(authenticator.nowMillis()))
        if let trace { response = recordAccess(trace, request, response, requestId: requestId) }
        response.summary = notes.summary(request, bucket: addressedBucket, status: response.status, requestId: requestId)
        return response
    }

    /// Every failure as the S3 error it is answered with.
    func s3Error(for error: any Error, requestId: String) -> S3Error {
        switch error {
        case let error as S3Error:
            return error
        case let error as StoreError:
            return S3Error(storeError: error)
        case let error as BodyReadError:
            logger.debug("request \(requestId): \(error)")
            return S3Error(.incompleteBody, "The request body ended before its declared length, or was not well framed.")
        default:
            logger.error("request failed: \(error)")
            return .internalError()
        }
    }

    func render(_ error: S3Error, resource: String, requestId: String, method: HTTPRequest.Method) -> APIResponse {
        var response = APIResponse(status: error.status)
        for (name, value) in error.headers { response.set(name, value) }
        if method == .head { return response }
        var xml = XMLWriter()
        xml.group("Error") { x in
            x.element("Code", error.code.rawValue)
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

    /// One handler per operation, grouped by family in `Handlers/`.
    func dispatch(_ c: S3Context) async throws -> APIResponse {
        switch c.operation {
        case .listBuckets(let q): return try await listBuckets(c, q)
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
        case .putBucketLifecycleConfiguration: return try await putBucketLifecycleConfiguration(c)
        case .getBucketLifecycleConfiguration: return try await getBucketLifecycleConfiguration(c)
        case .deleteBucketLifecycle: return try await deleteBucketLifecycle(c)
        case .putObjectLockConfiguration: return try await putObjectLockConfiguration(c)
        case .getObjectLockConfiguration: return try await getObjectLockConfiguration(c)
        case .putBucketLogging: return try await putBucketLogging(c)
        case .getBucketLogging: return try await getBucketLogging(c)
        case .putBucketPolicy: return try await putBucketPolicy(c)
        case .getBucketPolicy: return try await getBucketPolicy(c)
        case .deleteBucketPolicy: return try await deleteBucketPolicy(c)
        case .getBucketPolicyStatus: return try await getBucketPolicyStatus(c)
        case .putPublicAccessBlock: return try await putPublicAccessBlock(c)
        case .getPublicAccessBlock: return try await getPublicAccessBlock(c)
        case .deletePublicAccessBlock: return try await deletePublicAccessBlock(c)
        case .putBucketOwnershipControls: return try await putBucketOwnershipControls(c)
        case .getBucketOwnershipControls: return try await getBucketOwnershipControls(c)
        case .deleteBucketOwnershipControls: return try await deleteBucketOwnershipControls(c)
        case .putBucketAcl: return try await putBucketAcl(c)
        case .getBucketAcl: return try await getBucketAcl(c)
        case .putBucketCors: return try await putBucketCors(c)
        case .getBucketCors: return try await getBucketCors(c)
        case .deleteBucketCors: return try await deleteBucketCors(c)
        case .putObjectAcl(let versionId): return try await putObjectAcl(c, versionId: versionId)
        case .getObjectAcl(let versionId): return try await getObjectAcl(c, versionId: versionId)
        case .postObject: return try await postObject(c)
        case .putObjectRetention(let versionId): return try await putObjectRetention(c, versionId: versionId)
        case .getObjectRetention(let versionId): return try await getObjectRetention(c, versionId: versionId)
        case .putObjectLegalHold(let versionId): return try await putObjectLegalHold(c, versionId: versionId)
        case .getObjectLegalHold(let versionId): return try await getObjectLegalHold(c, versionId: versionId)
        case .restoreObject(let versionId): return try await restoreObject(c, versionId: versionId)
        case .listObjects(let q): return try await listObjects(c, q)
        case .listObjectsV2(let q): return try await listObjectsV2(c, q)
        case .listObjectVersions(let q): return try await listObjectVersions(c, q)
        case .listMultipartUploads(let q): return try await listMultipartUploads(c, q)
        case .deleteObjects: return try await deleteObjects(c)
        case .putObject: return try await putObject(c)
        case .copyObject(let source): return try await copyObject(c, source: source)
        case .getObject(let versionId, let partNumber): return try await getObject(c, versionId: versionId, partNumber: partNumber, head: false)
        case .headObject(let versionId, let partNumber): return try await getObject(c, versionId: versionId, partNumber: partNumber, head: true)
        case .deleteObject(let versionId): return try await deleteObject(c, versionId: versionId)
        case .putObjectTagging(let versionId): return try await putObjectTagging(c, versionId: versionId)
        case .getObjectTagging(let versionId): return try await getObjectTagging(c, versionId: versionId)
        case .deleteObjectTagging(let versionId): return try await deleteObjectTagging(c, versionId: versionId)
        case .getObjectAttributes(let versionId, let parts): return try await getObjectAttributes(c, versionId: versionId, parts: parts)
        case .createMultipartUpload: return try await createMultipartUpload(c)
        case .uploadPart(let uploadId, let partNumber): return try await uploadPart(c, uploadId: uploadId, partNumber: partNumber)
        case .uploadPartCopy(let uploadId, let partNumber, let source, let range):
            return try await uploadPartCopy(c, uploadId: uploadId, partNumber: partNumber, source: source, range: range)
        case .completeMultipartUpload(let uploadId): return try await completeMultipartUpload(c, uploadId: uploadId)
        case .abortMultipartUpload(let uploadId): return try await abortMultipartUpload(c, uploadId: uploadId)
        case .listParts(let uploadId, let parts): return try await listParts(c, uploadId: uploadId, parts: parts)
        }
    }
}

/// An XML document response.
func xmlResponse(_ writer: XMLWriter, status: HTTPResponse.Status = .ok) -> APIResponse {
    var response = APIResponse(status: status, body: .bytes(ByteBuffer(bytes: writer.bytes)))
    response.set("Content-Type", "application/xml")
    return response
}

