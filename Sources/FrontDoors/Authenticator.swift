import Foundation
import LockstepCrypto
import SigV4

/// The authentication step every front door calls: SigV4 (header or presigned) against the configured credentials,
/// for the front door's own service name (`s3`, `kms`, …). What a failure means is the front door's business: each
/// maps `SigV4Error` to its protocol's error.
public struct Authenticator: Sendable {
    public let verifier: SigV4Verifier
    public let users: UserDirectory
    /// The clock signatures are checked against (request skew, presigned expiry), in milliseconds since the epoch.
    public let nowMillis: @Sendable () -> Int64

    public init(users: UserDirectory, allowAnyCredentials: Bool = false, nowMillis: @escaping @Sendable () -> Int64) {
        verifier = SigV4Verifier(credentials: users, allowAnyCredentials: allowAnyCredentials)
        self.users = users
        self.nowMillis = nowMillis
    }

    /// One root user of the default account.
    public init(credentials: [String: String], allowAnyCredentials: Bool = false, nowMillis: @escaping @Sendable () -> Int64) {
        precondition(credentials.count == 1, "one root user; more users come from a users file")
        self.init(users: UserDirectory(rootAccessKey: credentials.first!.key, rootSecretKey: credentials.first!.value),
                  allowAnyCredentials: allowAnyCredentials, nowMillis: nowMillis)
    }

    /// Who signed a verified request. A key Lockstep does not know got through only because any credentials are
    /// allowed; it acts as the default account's root.
    public func identity(of request: VerifiedRequest) -> Identity {
        users.identity(forAccessKey: request.accessKey) ?? Identity(account: .default, userName: nil)
    }

    /// `bodySHA256Hex` is the SHA-256 of a body the front door has already read (the JSON protocols); S3 streams its
    /// body and checks the signed hash as it goes.
    /// `signatureV2` lets Signature Version 2 through as well (S3 only).
    public func authenticate(_ request: APIRequest, service: String, bodySHA256Hex: String? = nil,
                             signatureV2: SignatureV2Context? = nil) throws(SigV4Error) -> VerifiedRequest {
        let signable = SignableRequest(method: request.method.rawValue, rawPath: request.rawPath, rawQuery: request.rawQuery,
                                       headers: request.headers.map { ($0.name.rawName, $0.value) })
        let now = Date(timeIntervalSince1970: Double(nowMillis()) / 1000)
        return try verifier.verify(signable, service: service, now: now, bodySHA256Hex: bodySHA256Hex, signatureV2: signatureV2)
    }

    /// HTTP Basic credentials (the Terraform `http` backend): an access key id and its secret, compared in constant
    /// time. With `allowAnyCredentials`, any pair passes, as any signature does.
    public func acceptsBasic(accessKey: String, secretKey: String) -> Bool {
        if verifier.allowAnyCredentials { return true }
        guard let secret = verifier.credentials.secretKey(forAccessKey: accessKey) else { return false }
        // Fixed-length MACs under a key of this process: comparing the secrets themselves would end early on a length
        // difference, and so tell the secret's length.
        return constantTimeEquals(HMAC.sha256(key: Self.basicKey, secret.utf8), HMAC.sha256(key: Self.basicKey, secretKey.utf8))
    }

    private static let basicKey = secureRandomBytes(32)
}
