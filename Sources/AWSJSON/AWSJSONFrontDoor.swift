import Foundation
import FrontDoors
import HTTPDates
import HTTPTypes
import LockstepCrypto
import Logging
import NIOCore
import SigV4

/// The front door of every AWS JSON protocol service on Lockstep's port (KMS now). A request is read whole (JSON
/// requests are small), authenticated as SigV4 for the service's signing name over the exact body, run, and answered
/// in JSON, errors included.
public struct AWSJSONFrontDoor<Service: AWSJSONService>: FrontDoor {
    public let service: Service
    let authenticator: Authenticator
    let logger: Logger

    public init(service: Service, authenticator: Authenticator, logger: Logger) {
        self.service = service
        self.authenticator = authenticator
        self.logger = logger
    }

    public func handle(_ request: APIRequest) async -> APIResponse {
        let requestId = RequestIds.requestId()
        let target = request.header("x-amz-target") ?? ""
        let operation = String(target.dropFirst(service.targetPrefix.count + 1))
        // The target is read before authentication: only names the service runs label a metric series, so unsigned
        // requests cannot choose labels (nor use up the series budget).
        var summary = RequestSummary(service: service.signingName, operation: service.operations.contains(operation) ? operation : "Unknown",
                                     requestId: requestId)
        var members: JSONMembers?
        var result: [String: JSONValue]?
        var failure: AWSJSONError?
        let notes = AWSJSONRequestNotes()
        do {
            let body = try await readBody(request)
            let verified = try authenticate(request, body: body)
            summary.requester = authenticator.identity(of: verified).arn
            let parsed = try JSONMembers(body: body)
            members = parsed
            result = try await AWSJSONRequestNotes.$current.withValue(notes) { try await service.run(operation, parsed) }
        } catch let error as AWSJSONError {
            failure = error
        } catch let error as BodyReadError {
            logger.debug("\(service.targetPrefix) request \(requestId): \(error)")
            failure = .serialization("The request body ended early or was not well framed.")
        } catch {
            logger.error("\(service.targetPrefix) request failed: \(error)")
            failure = service.internalError("\(error)")
        }
        var response: APIResponse
        if let failure {
            response = render(failure)
            summary.errorCode = failure.type
        } else {
            response = json(result)
        }
        if let members {
            AWSJSONRequestNotes.$current.withValue(notes) {
                service.annotate(&summary, operation: operation, request: members, result: result, error: failure)
            }
        }
        response.summary = summary
        response.set("x-amz-request-id", requestId)
        // The JSON protocol's own header; botocore reports it as ResponseMetadata.RequestId.
        response.set("x-amzn-RequestId", requestId)
        response.set("Server", "Lockstep")
        response.set("Date", HTTPDate.format(authenticator.nowMillis()))
        if service.sendsCRC32, case .bytes(let body) = response.body {
            var crc = CRC32(.ieee)
            body.withUnsafeReadableBytes { crc.update($0) }
            response.set("x-amz-crc32", String(crc.value))
        }
        return response
    }

    /// A success: the members as a JSON object, or an empty body for operations that return nothing.
    func json(_ members: [String: JSONValue]?) -> APIResponse {
        var response = APIResponse(status: .ok)
        response.set("Content-Type", service.contentType)
        if let members { response.body = .bytes(ByteBuffer(bytes: JSONValue.object(members).bytes)) }
        return response
    }

    /// `{"__type": "...", "message": "..."}`, the JSON protocol's error shape; clients read the code from `__type`.
    func render(_ error: AWSJSONError) -> APIResponse {
        var response = APIResponse(status: error.status)
        response.set("Content-Type", service.contentType)
        var members = error.extra
        members["__type"] = .string(service.errorType(error.type))
        if !error.message.isEmpty { members["message"] = .string(error.message) }
        let body: JSONValue = .object(members)
        response.body = .bytes(ByteBuffer(bytes: body.bytes))
        return response
    }

    private func readBody(_ request: APIRequest) async throws -> [UInt8] {
        let limit = service.bodyLimit
        if let length = request.header("content-length").flatMap(Int.init), length > limit {
            throw bodyTooLarge
        }
        guard let body = try await request.body.collect(limit: limit) else { throw bodyTooLarge }
        return body
    }

    private var bodyTooLarge: AWSJSONError {
        AWSJSONError("RequestEntityTooLargeException", "The request body is larger than \(service.bodyLimit >> 20) MiB.", status: .contentTooLarge)
    }

    /// SigV4 over the exact body, scoped to the service. Failures are the JSON errors AWS's front end gives.
    private func authenticate(_ request: APIRequest, body: [UInt8]) throws(AWSJSONError) -> VerifiedRequest {
        let bodyHash = Digest.sha256(body).hexString
        let verified: VerifiedRequest
        do {
            verified = try authenticator.authenticate(request, service: service.signingName, bodySHA256Hex: bodyHash)
        } catch {
            throw authenticationError(error)
        }
        // A client-sent x-amz-content-sha256 took the place of the body's hash in the signature; it must be that hash.
        guard case .signed(let signedHash) = verified.payload, signedHash == bodyHash else {
            throw AWSJSONError("InvalidSignatureException", "The x-amz-content-sha256 header does not match the SHA-256 of the request body.")
        }
        return verified
    }

    func authenticationError(_ error: SigV4Error) -> AWSJSONError {
        let nowMillis = authenticator.nowMillis()
        switch error {
        case .missingAuthentication:
            return AWSJSONError("MissingAuthenticationTokenException", "Request is missing Authentication Token")
        case .unsupportedAlgorithm(let name):
            return AWSJSONError("IncompleteSignatureException", "Unsupported AWS 'algorithm': '\(name)'. Use AWS4-HMAC-SHA256.")
        case .authorizationHeaderMalformed(let why), .authorizationQueryParametersError(let why):
            return AWSJSONError("IncompleteSignatureException", why)
        case .missingDate:
            return AWSJSONError("IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        case .invalidAccessKeyId:
            return AWSJSONError("UnrecognizedClientException", "The security token included in the request is invalid.")
        case .wrongService(let expected, _):
            return AWSJSONError("InvalidSignatureException", "Credential should be scoped to correct service: '\(expected)'. ")
        case .signatureDoesNotMatch(let stringToSign, let canonicalRequest):
            return AWSJSONError("InvalidSignatureException",
                                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key "
                                + "and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request "
                                + "should have been\n'\(canonicalRequest)'\n\nThe String-to-Sign should have been\n'\(stringToSign)'\n")
        case .requestTimeTooSkewed(let requestTime, _):
            let server = AmzDate.formatBasic(nowMillis / 1000)
            return AWSJSONError("InvalidSignatureException", "Signature expired: \(requestTime) is now outside the 15 minutes allowed "
                                + "around the server time \(server).")
        case .expired(let expiresAt, let serverTime):
            return AWSJSONError("InvalidSignatureException", "Signature expired: the request expired at \(expiresAt); it is now \(serverTime).")
        case .notYetValid:
            return AWSJSONError("InvalidSignatureException", "Signature not yet current: the request is dated more than 15 minutes after "
                                + "the server time \(AmzDate.formatBasic(nowMillis / 1000)).")
        case .invalidContentSHA256:
            return AWSJSONError("InvalidSignatureException", "The x-amz-content-sha256 header is not a SHA-256 hex digest.")
        case .missingContentSHA256:
            // Only S3 requires the header; a signature for this service never gets here.
            return AWSJSONError("IncompleteSignatureException", "Missing x-amz-content-sha256.")
        }
    }
}
