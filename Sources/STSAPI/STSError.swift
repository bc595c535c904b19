import HTTPTypes
import SigV4

/// One STS error: its code, message and status, rendered once by `STSFrontDoor` as STS's `ErrorResponse`.
struct STSError: Error {
    let code: String
    let message: String
    let status: HTTPResponse.Status

    init(_ code: String, _ message: String, status: HTTPResponse.Status = .badRequest) {
        self.code = code; self.message = message; self.status = status
    }

    /// The errors STS's front end gives for each signature failure.
    init(authentication error: SigV4Error) {
        switch error {
        case .missingAuthentication:
            self.init("MissingAuthenticationToken", "Request is missing Authentication Token", status: .forbidden)
        case .invalidAccessKeyId:
            self.init("InvalidClientTokenId", "The security token included in the request is invalid.", status: .forbidden)
        case .signatureDoesNotMatch:
            self.init("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. "
                      + "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", status: .forbidden)
        case .wrongService(let expected, _):
            self.init("SignatureDoesNotMatch", "Credential should be scoped to correct service: '\(expected)'. ", status: .forbidden)
        case .requestTimeTooSkewed, .expired, .notYetValid:
            self.init("SignatureDoesNotMatch", "Signature expired or not yet current: the request time is outside the 15 minutes allowed "
                      + "around the server time.", status: .forbidden)
        case .unsupportedAlgorithm(let name):
            self.init("IncompleteSignature", "Unsupported AWS 'algorithm': '\(name)'", status: .badRequest)
        case .authorizationHeaderMalformed(let why), .authorizationQueryParametersError(let why):
            self.init("IncompleteSignature", why, status: .badRequest)
        case .missingDate:
            self.init("IncompleteSignature", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        case .invalidContentSHA256, .missingContentSHA256:
            self.init("SignatureDoesNotMatch", "The x-amz-content-sha256 header does not match the request body.", status: .forbidden)
        }
    }
}
