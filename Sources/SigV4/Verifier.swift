#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LockstepCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Verifies SigV4 header-signed and presigned (query) requests.
public struct SigV4Verifier: Sendable {
    public let credentials: any CredentialProvider
    /// Accept unknown access keys and wrong signatures (everything is still parsed and validated).
    public let allowAnyCredentials: Bool
    public let maxClockSkewSeconds: Int
    private let signingKeys = SigningKeyCache()

    public init(credentials: any CredentialProvider, allowAnyCredentials: Bool = false, maxClockSkewSeconds: Int = 900) {
        self.credentials = credentials
        self.allowAnyCredentials = allowAnyCredentials
        self.maxClockSkewSeconds = maxClockSkewSeconds
    }

    /// Verifies `request` for `service` (the name in the credential scope: `s3`, `kms`, …) against the server clock `now`.
    ///
    /// `bodySHA256Hex` is the hex SHA-256 of the body, used only by non-S3 services (kms, dynamodb, sts), whose
    /// clients may omit `x-amz-content-sha256`; when it is nil there, an empty body is assumed.
    /// `signatureV2`: S3 also takes Signature Version 2 (`SignatureV2.swift`); other services refuse it.
    public func verify(_ request: SignableRequest, service: String, now: Date, bodySHA256Hex: String? = nil,
                       signatureV2: SignatureV2Context? = nil) throws(SigV4Error) -> VerifiedRequest {
        let query = parseRawQuery(request.rawQuery)
        // An empty Authorization header counts as none, as some clients send one for anonymous requests.
        let authorization = request.header("authorization").flatMap { $0.trimmingSpaces.isEmpty ? nil : $0 }
        if let signatureV2, Self.isSignatureV2(authorization: authorization, query: query) {
            return try verifyV2(request, authorization: authorization, query: query, context: signatureV2, now: now)
        }
        let presigned = query.contains { $0.decodedName == "X-Amz-Algorithm" }
        if authorization != nil && presigned {
            throw .authorizationHeaderMalformed("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                + "Signature query string parameter or the Authorization header should be specified")
        }
        if let authorization {
            return try verifyHeader(request, authorization: authorization, query: query, service: service, now: now, bodySHA256Hex: bodySHA256Hex)
        }
        if presigned {
            return try verifyPresigned(request, query: query, service: service, now: now, bodySHA256Hex: bodySHA256Hex)
        }
        let names = Set(query.map(\.decodedName))
        if names.contains("AWSAccessKeyId") && names.contains("Signature") { throw .unsupportedAlgorithm("AWS") }
        throw .missingAuthentication
    }

    // MARK: Authorization header

    private func verifyHeader(_ request: SignableRequest, authorization: String, query: [RawQueryItem],
                              service: String, now: Date, bodySHA256Hex: String?) throws(SigV4Error) -> VerifiedRequest {
        let auth = try AuthorizationHeader.parse(authorization)
        guard auth.credential.service == service else { throw .wrongService(expected: service, scoped: auth.credential.service) }
        guard auth.signedHeaders.contains("host") else {
            throw .authorizationHeaderMalformed("the host header must be signed.")
        }
        // X-Amz-Date wins over Date; the string to sign always uses the basic ISO 8601 form.
        let requestTime: String, amzDate: String
        let seconds: Int64
        if let amz = request.header("x-amz-date")?.trimmingSpaces {
            guard let t = AmzDate.parseBasic(amz) else { throw .missingDate }
            (requestTime, amzDate, seconds) = (amz, amz, t)
        } else if let date = request.header("date")?.trimmingSpaces {
            guard let t = AmzDate.parseHTTP(date) else { throw .missingDate }
            (requestTime, amzDate, seconds) = (date, AmzDate.formatBasic(t), t)
        } else {
            throw .missingDate
        }
        guard auth.credential.date == amzDate.prefix(8) else {
            throw .authorizationHeaderMalformed("Invalid credential date. Date is not the same as X-Amz-Date.")
        }
        let serverSeconds = AmzDate.seconds(now)
        guard abs(serverSeconds - seconds) <= Int64(maxClockSkewSeconds) else {
            throw .requestTimeTooSkewed(requestTime: requestTime, serverTime: AmzDate.formatISO8601(serverSeconds))
        }
        let (payload, payloadHash) = try payloadMode(request, service: service, required: service == "s3", fallback: bodySHA256Hex)
        return try check(request, credential: auth.credential, signedHeaders: auth.signedHeaders,
                         providedSignature: auth.signature, canonicalQuery: canonicalQueryString(query),
                         payload: payload, payloadHash: payloadHash, amzDate: amzDate, seconds: seconds, presigned: false)
    }

    // MARK: Presigned URL

    private static let requiredQueryParameters = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
                                                   "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"]
    /// Seven days, the longest a presigned URL may live.
    public static let maxPresignedExpiry = 604_800

    private func verifyPresigned(_ request: SignableRequest, query: [RawQueryItem],
                                 service: String, now: Date, bodySHA256Hex: String?) throws(SigV4Error) -> VerifiedRequest {
        var params: [String: String] = [:]
        for item in query {
            let name = item.decodedName
            if params[name] == nil { params[name] = item.decodedValue }
        }
        guard Self.requiredQueryParameters.allSatisfy({ params[$0] != nil }) else {
            throw .authorizationQueryParametersError("Query-string authentication version 4 requires the X-Amz-Algorithm, "
                + "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
        }
        guard params["X-Amz-Algorithm"] == sigV4Algorithm else {
            throw .authorizationQueryParametersError("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")
        }
        let credential: Credential
        do { credential = try Credential.parse(params["X-Amz-Credential"]!) } catch {
            throw .authorizationQueryParametersError("Error parsing the X-Amz-Credential parameter; " + error.message)
        }
        guard credential.service == service else { throw .wrongService(expected: service, scoped: credential.service) }
        let amzDate = params["X-Amz-Date"]!
        guard let seconds = AmzDate.parseBasic(amzDate) else {
            throw .authorizationQueryParametersError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        }
        guard let expires = Int(params["X-Amz-Expires"]!) else {
            throw .authorizationQueryParametersError("X-Amz-Expires should be a number")
        }
        guard expires >= 0 else { throw .authorizationQueryParametersError("X-Amz-Expires must be non-negative") }
        guard expires <= Self.maxPresignedExpiry else {
            throw .authorizationQueryParametersError("X-Amz-Expires must be less than a week (in seconds) that is 7 days")
        }
        guard credential.date == amzDate.prefix(8) else {
            throw .authorizationQueryParametersError("Invalid credential date \"\(credential.date)\". "
                + "This date is not the same as X-Amz-Date: \"\(amzDate.prefix(8))\".")
        }
        let signedHeaders = parseSignedHeaders(params["X-Amz-SignedHeaders"]!)
        guard signedHeaders.contains("host") else {
            throw .authorizationQueryParametersError("Query-string authentication requires the host header to be signed.")
        }
        let serverSeconds = AmzDate.seconds(now)
        guard serverSeconds >= seconds - Int64(maxClockSkewSeconds) else { throw .notYetValid }
        // A URL valid for 0 seconds has expired when it is used, even within the second it was signed, as on S3.
        guard expires > 0, serverSeconds <= seconds + Int64(expires) else {
            throw .expired(expiresAt: AmzDate.formatISO8601(seconds + Int64(expires)),
                           serverTime: AmzDate.formatISO8601(serverSeconds))
        }
        let (payload, payloadHash) = try payloadMode(request, service: service, required: false, fallback: bodySHA256Hex)
        return try check(request, credential: credential, signedHeaders: signedHeaders,
                         providedSignature: params["X-Amz-Signature"]!,
                         canonicalQuery: canonicalQueryString(query, excluding: "X-Amz-Signature"),
                         payload: payload, payloadHash: payloadHash, amzDate: amzDate, seconds: seconds, presigned: true)
    }

    // MARK: Shared

    /// The payload mode and the hash line of the canonical request. Without `x-amz-content-sha256`, S3 presigned
    /// URLs are UNSIGNED-PAYLOAD, and other services sign the body's SHA-256.
    private func payloadMode(_ request: SignableRequest, service: String, required: Bool,
                             fallback: String?) throws(SigV4Error) -> (PayloadMode, String) {
        if let value = request.header("x-amz-content-sha256") {
            guard let mode = PayloadMode(contentSHA256: value) else { throw .invalidContentSHA256 }
            return (mode, value)
        }
        if required { throw .missingContentSHA256 }
        if service == "s3" { return (.unsigned, PayloadMode.unsignedPayload) }
        let hash = fallback ?? emptySHA256Hex
        return (.signed(sha256Hex: hash), hash)
    }

    private func check(_ request: SignableRequest, credential: Credential, signedHeaders: [String],
                       providedSignature: String, canonicalQuery: String, payload: PayloadMode, payloadHash: String,
                       amzDate: String, seconds: Int64, presigned: Bool) throws(SigV4Error) -> VerifiedRequest {
        let secret: String
        if let known = credentials.secretKey(forAccessKey: credential.accessKey) {
            secret = known
        } else if allowAnyCredentials {
            secret = credential.accessKey
        } else {
            throw .invalidAccessKeyId
        }
        let key = signingKeys.key(secret: secret, date: credential.date, region: credential.region, service: credential.service)
        let scope = credential.scope
        let provided = Array(asciiLowercased(providedSignature).utf8)

        var first: (stringToSign: String, canonicalRequest: String)?
        var matched = false
        for uri in canonicalURICandidates(rawPath: request.rawPath) {
            let canonical = canonicalRequest(method: request.method, canonicalURI: uri, canonicalQuery: canonicalQuery,
                                             headers: request.headers, signedHeaders: signedHeaders, payloadHash: payloadHash)
            let toSign = stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical)
            if first == nil { first = (toSign, canonical) }
            if constantTimeEquals(Array(signature(signingKey: key, stringToSign: toSign).utf8), provided) {
                matched = true
                break
            }
        }
        if !matched && !allowAnyCredentials {
            throw .signatureDoesNotMatch(stringToSign: first!.stringToSign, canonicalRequest: first!.canonicalRequest)
        }
        return VerifiedRequest(accessKey: credential.accessKey, region: credential.region, service: credential.service,
                               requestDate: AmzDate.date(seconds), amzDate: amzDate, scope: scope, signingKey: key,
                               seedSignature: String(decoding: provided, as: UTF8.self), payload: payload,
                               isPresigned: presigned, signedHeaders: signedHeaders, signatureChecked: matched)
    }
}

extension String {
    var trimmingSpaces: String {
        let u = utf8
        guard let start = u.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
        let end = u.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })!
        return String(self[start...end])
    }
}

/// Signing keys change once a day per credential scope; deriving one costs four HMACs, so keep the few in use.
final class SigningKeyCache: @unchecked Sendable {
    // Unchecked: `keys` is only touched under `lock`.
    private var keys: [String: [UInt8]] = [:]
    private let lock = Mutex()

    func key(secret: String, date: String, region: String, service: String) -> [UInt8] {
        let id = secret + "\u{0}" + date + "\u{0}" + region + "\u{0}" + service
        if let known = lock.withLock({ keys[id] }) { return known }
        let derived = signingKey(secret: secret, date: date, region: region, service: service)
        lock.withLock {
            if keys.count >= 64 { keys.removeAll() }
            keys[id] = derived
        }
        return derived
    }
}

/// A pthread mutex (FoundationEssentials has no NSLock).
final class Mutex: @unchecked Sendable {
    // Unchecked: a pthread mutex is made to be shared between threads; it never moves (a class, never copied).
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
