import Foundation
import HTTPTypes
import LockstepCrypto
import NIOCore
import SigV4

/// KMS shares the S3 port: requests carrying `X-Amz-Target: TrentService.*` are read whole, authenticated as SigV4
/// for the `kms` service, and answered in the JSON protocol, errors included.
extension S3Service {
    /// Larger than any KMS request (a 4 KiB plaintext or 6 KiB ciphertext in base64, plus context).
    static let kmsBodyLimit = 1 << 20

    static func isKMS(_ request: S3Request) -> Bool {
        request.header("x-amz-target")?.hasPrefix("TrentService.") == true
    }

    func handleKMS(_ request: S3Request) async -> S3Response {
        let requestId = RequestIds.requestId()
        var response: S3Response
        do {
            let body = try await readKMSBody(request)
            try authenticateKMS(request, body: body)
            response = kms.handle(target: request.header("x-amz-target") ?? "", body: body)
        } catch let error as KMSError {
            response = KMSService.render(error)
        } catch {
            logger.error("KMS request failed: \(error)")
            response = KMSService.render(.internalError("\(error)"))
        }
        response.set("x-amz-request-id", requestId)
        // The JSON protocol's own header; botocore reports it as ResponseMetadata.RequestId.
        response.set("x-amzn-RequestId", requestId)
        response.set("Server", "Lockstep")
        response.set("Date", S3Time.httpDate(store.clock.nowMillis()))
        return response
    }

    private func readKMSBody(_ request: S3Request) async throws -> [UInt8] {
        if let length = request.header("content-length").flatMap(Int.init), length > Self.kmsBodyLimit {
            throw Self.kmsBodyTooLarge
        }
        var body: [UInt8] = []
        while let chunk = try await request.body.next() {
            guard body.count + chunk.readableBytes <= Self.kmsBodyLimit else { throw Self.kmsBodyTooLarge }
            body += chunk.readableBytesView
        }
        return body
    }

    private static let kmsBodyTooLarge = KMSError("RequestEntityTooLargeException", "The request body is larger than 1 MiB.",
                                                  status: .contentTooLarge)

    /// SigV4 over the exact body, scoped to `kms`. Failures are the JSON errors AWS's front end gives.
    private func authenticateKMS(_ request: S3Request, body: [UInt8]) throws(KMSError) {
        let digest = Digest(.sha256)
        digest.update(body)
        let bodyHash = digest.finalize().hexString
        let signable = SignableRequest(method: request.method.rawValue, rawPath: request.rawPath, rawQuery: request.rawQuery,
                                       headers: request.headers.map { ($0.name.rawName, $0.value) })
        let nowMillis = store.clock.nowMillis()
        let verified: VerifiedRequest
        do {
            verified = try verifier.verify(signable, now: Date(timeIntervalSince1970: Double(nowMillis) / 1000), bodySHA256Hex: bodyHash)
        } catch {
            throw Self.kmsAuthError(error, nowMillis: nowMillis)
        }
        guard verified.service == "kms" else { throw Self.wrongService }
        // A client-sent x-amz-content-sha256 took the place of the body's hash in the signature; it must be that hash.
        guard case .signed(let signedHash) = verified.payload, signedHash == bodyHash else {
            throw KMSError("InvalidSignatureException", "The x-amz-content-sha256 header does not match the SHA-256 of the request body.")
        }
    }

    private static let wrongService = KMSError("InvalidSignatureException", "Credential should be scoped to correct service: 'kms'. ")

    static func kmsAuthError(_ error: SigV4Error, nowMillis: Int64) -> KMSError {
        switch error {
        case .missingAuthentication:
            return KMSError("MissingAuthenticationTokenException", "Request is missing Authentication Token")
        case .unsupportedAlgorithm(let name):
            return KMSError("IncompleteSignatureException", "Unsupported AWS 'algorithm': '\(name)'. Use AWS4-HMAC-SHA256.")
        case .authorizationHeaderMalformed(let why), .authorizationQueryParametersError(let why):
            return KMSError("IncompleteSignatureException", why)
        case .missingDate:
            return KMSError("IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        case .invalidAccessKeyId:
            return KMSError("UnrecognizedClientException", "The security token included in the request is invalid.")
        case .signatureDoesNotMatch(let stringToSign, let canonicalRequest):
            // The scope is the string to sign's third line: date/region/service/aws4_request.
            let scope = stringToSign.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).first ?? ""
            let service = scope.split(separator: "/").dropFirst(2).first
            if let service, service != "kms" { return wrongService }
            return KMSError("InvalidSignatureException",
                            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key "
                            + "and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request "
                            + "should have been\n'\(canonicalRequest)'\n\nThe String-to-Sign should have been\n'\(stringToSign)'\n")
        case .requestTimeTooSkewed(let requestTime, _):
            let server = AmzTime.basic(nowMillis / 1000)
            return KMSError("InvalidSignatureException", "Signature expired: \(requestTime) is now outside the 15 minutes allowed "
                            + "around the server time \(server).")
        case .expired(let expiresAt, let serverTime):
            return KMSError("InvalidSignatureException", "Signature expired: the request expired at \(expiresAt); it is now \(serverTime).")
        case .notYetValid:
            return KMSError("InvalidSignatureException", "Signature not yet current: the request is dated more than 15 minutes after "
                            + "the server time \(AmzTime.basic(nowMillis / 1000)).")
        case .invalidContentSHA256:
            return KMSError("InvalidSignatureException", "The x-amz-content-sha256 header is not a SHA-256 hex digest.")
        case .missingContentSHA256:
            // Only S3-scoped signatures require the header.
            return wrongService
        }
    }
}

/// `20250301T120000Z`, the X-Amz-Date form, for error messages.
enum AmzTime {
    static func basic(_ seconds: Int64) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }
}
