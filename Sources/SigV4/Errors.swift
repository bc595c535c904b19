/// Why a request failed SigV4 authentication. Each case maps to one S3 error code.
public enum SigV4Error: Error, Equatable, Sendable {
    /// No Authorization header and no X-Amz-Algorithm query parameter (S3: AccessDenied).
    case missingAuthentication
    /// Another scheme, e.g. SigV2 ("AWS") or SigV4a; the associated value names it.
    case unsupportedAlgorithm(String)
    /// S3: AuthorizationHeaderMalformed (400). The reason, to follow AWS's "The authorization header is malformed; ".
    case authorizationHeaderMalformed(String)
    /// S3: AuthorizationQueryParametersError (400).
    case authorizationQueryParametersError(String)
    /// The credential scope names another service than the one this front door serves (S3:
    /// AuthorizationHeaderMalformed; the JSON services: InvalidSignatureException "Credential should be scoped to
    /// correct service").
    case wrongService(expected: String, scoped: String)
    /// S3: InvalidAccessKeyId (403).
    case invalidAccessKeyId
    /// S3: SignatureDoesNotMatch (403); AWS echoes both strings in the error body.
    case signatureDoesNotMatch(stringToSign: String, canonicalRequest: String)
    /// S3: RequestTimeTooSkewed (403). `requestTime` is the date as sent, `serverTime` ISO 8601.
    case requestTimeTooSkewed(requestTime: String, serverTime: String)
    /// Presigned URL past its expiry (S3: AccessDenied "Request has expired"); both ISO 8601.
    case expired(expiresAt: String, serverTime: String)
    /// Presigned URL dated in the future beyond the allowed skew (S3: AccessDenied "Request is not yet valid").
    case notYetValid
    /// `x-amz-content-sha256` is neither a hex SHA-256 nor a known keyword (S3: InvalidArgument, 400).
    case invalidContentSHA256
    /// Header-signed S3 request without `x-amz-content-sha256` (S3: InvalidRequest, 400).
    case missingContentSHA256
    /// Neither a valid X-Amz-Date nor Date header (S3: AccessDenied).
    case missingDate
}
