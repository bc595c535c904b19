import FrontDoors
import SigV4

extension S3Service {
    /// SigV4 for `s3` (and Signature Version 2), through the authenticator every front door shares; a request without
    /// credentials is refused.
    func authenticate(_ request: APIRequest, virtualHostBucket: String? = nil) throws(S3Error) -> VerifiedRequest {
        guard let verified = try authenticateUnlessAnonymous(request, virtualHostBucket: virtualHostBucket) else { throw S3Error.accessDenied() }
        return verified
    }

    /// As `authenticate`, but a request with no credentials at all is anonymous (nil), for authorization to decide.
    func authenticateUnlessAnonymous(_ request: APIRequest, virtualHostBucket: String?) throws(S3Error) -> VerifiedRequest? {
        let verified: VerifiedRequest
        do {
            verified = try authenticator.authenticate(request, service: "s3", signatureV2: SignatureV2Context(virtualHostBucket: virtualHostBucket))
        } catch .missingAuthentication {
            return nil
        } catch {
            throw S3Error(sigV4: error)
        }
        try Self.requireSigned(request, verified)
        return verified
    }

    /// For endpoints outside S3 that are signed as S3 requests are (Lockstep's admin API): nil when `request` is signed
    /// by the configured credentials, otherwise S3's error response for it.
    public func refusalUnlessSigned(_ request: APIRequest) -> APIResponse? {
        do {
            _ = try authenticate(request)
            return nil
        } catch {
            var response = render(error, resource: request.rawPath, requestId: RequestIds.requestId(), method: request.method)
            response.set("Server", "Lockstep")
            return response
        }
    }

    /// S3 honours an `x-amz-*` header only if the signature covers it: one outside it could have been added or swapped on
    /// the way (a copy source, metadata, encryption settings), so the request is refused, as S3 refuses it.
    static func requireSigned(_ request: APIRequest, _ verified: VerifiedRequest) throws(S3Error) {
        guard verified.signatureChecked else { return }
        var unsigned: [String] = []
        for field in request.headers {
            let name = field.name.canonicalName
            if name.hasPrefix("x-amz-"), !verified.signedHeaders.contains(name), !unsigned.contains(name) { unsigned.append(name) }
        }
        guard unsigned.isEmpty else {
            throw S3Error(.accessDenied, "There were headers present in the request which were not signed",
                          details: [("HeadersNotSigned", unsigned.joined(separator: ", "))])
        }
    }
}

extension S3Error {
    /// The S3 error for an authentication failure, with the diagnostics AWS includes.
    init(sigV4 error: SigV4Error) {
        switch error {
        case .missingAuthentication: self = .accessDenied()
        case .unsupportedAlgorithm(let name):
            self = S3Error(.invalidRequest, "The authorization mechanism you have provided (\(name)) is not supported. Please use AWS4-HMAC-SHA256.")
        case .authorizationHeaderMalformed(let why): self = S3Error(.authorizationHeaderMalformed, "The authorization header is malformed; \(why)")
        case .authorizationQueryParametersError(let why): self = S3Error(.authorizationQueryParametersError, why)
        case .wrongService(let expected, _):
            self = S3Error(.authorizationHeaderMalformed, "The authorization header is malformed; Credential should be scoped to correct service: '\(expected)'.")
        case .invalidAccessKeyId:
            self = S3Error(.invalidAccessKeyId)
        case .signatureDoesNotMatch(let stringToSign, let canonicalRequest):
            // Signature Version 2 has no canonical request.
            self = S3Error(.signatureDoesNotMatch, details: [("StringToSign", stringToSign)] + (canonicalRequest.isEmpty ? [] : [("CanonicalRequest", canonicalRequest)]))
        case .requestTimeTooSkewed(let requestTime, let serverTime):
            self = S3Error(.requestTimeTooSkewed,
                           details: [("RequestTime", requestTime), ("ServerTime", serverTime), ("MaxAllowedSkewMilliseconds", "900000")])
        case .expired(let expiresAt, let serverTime):
            self = S3Error(.accessDenied, "Request has expired", details: [("Expires", expiresAt), ("ServerTime", serverTime)])
        case .notYetValid: self = .accessDenied("Request is not yet valid")
        case .invalidContentSHA256:
            self = .invalidArgument("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
                                    name: "x-amz-content-sha256")
        case .missingContentSHA256: self = .invalidRequest("Missing required header for this request: x-amz-content-sha256")
        case .missingDate: self = .accessDenied("AWS authentication requires a valid Date or x-amz-date header")
        }
    }
}
