import Foundation

/// How one object version's body is encrypted, stored with the version (and with a multipart upload until it
/// completes). Only the wrapped data key is kept: SSE-S3 and SSE-KMS data keys are wrapped by a keyring key, SSE-C data
/// keys by the customer's key, of which only the MD5 is stored.
public struct ObjectEncryption: Sendable, Codable, Equatable {
    public enum Mode: String, Sendable, Codable {
        case sseS3 = "AES256"
        case sseKMS = "aws:kms"
        case sseKMSDSSE = "aws:kms:dsse"
        case sseC = "SSE-C"

        public var usesKMS: Bool { self == .sseKMS || self == .sseKMSDSSE }
    }

    public var mode: Mode
    /// The KMS key id (SSE-KMS), or the service key's id (SSE-S3).
    public var keyId: String?
    public var bucketKeyEnabled: Bool
    /// `x-amz-server-side-encryption-context` as the client sent it (base64 JSON), SSE-KMS only.
    public var context: String?
    public var wrappedKey: Data
    /// The per-version random part of every frame nonce (see `BodyKey`).
    public var noncePrefix: Data
    /// SSE-C: base64 MD5 of the customer's key, to tell a wrong key from a missing one.
    public var customerKeyMD5: String?

    public init(mode: Mode, keyId: String? = nil, bucketKeyEnabled: Bool = false, context: String? = nil, wrappedKey: Data,
                noncePrefix: Data, customerKeyMD5: String? = nil) {
        self.mode = mode; self.keyId = keyId; self.bucketKeyEnabled = bucketKeyEnabled; self.context = context
        self.wrappedKey = wrappedKey; self.noncePrefix = noncePrefix; self.customerKeyMD5 = customerKeyMD5
    }
}

/// A bucket's default encryption (PutBucketEncryption), applied to writes that name none.
public struct BucketEncryption: Sendable, Codable, Equatable {
    public var algorithm: ObjectEncryption.Mode
    public var kmsMasterKeyId: String?
    public var bucketKeyEnabled: Bool

    public init(algorithm: ObjectEncryption.Mode, kmsMasterKeyId: String? = nil, bucketKeyEnabled: Bool = false) {
        self.algorithm = algorithm; self.kmsMasterKeyId = kmsMasterKeyId; self.bucketKeyEnabled = bucketKeyEnabled
    }

    /// What a bucket without a configuration does, as on AWS since 2023.
    public static let `default` = BucketEncryption(algorithm: .sseS3)
}
