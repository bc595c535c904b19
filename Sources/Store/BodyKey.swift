import LockstepCrypto

/// The secrets that open or seal one version's body. Every stored body (the inline bytes, or each blob file of a
/// multipart object) is sealed with its own key, HMAC-SHA256(data key, "lockstep body v1" ‖ 0 ‖ identity), where the
/// identity is the blob's random id (or `inline`). Parts of one upload share the upload's data key, so this keeps every
/// (key, nonce) pair unique however many parts are uploaded or re-uploaded, and a frame moved to another body fails
/// to authenticate. The identity is also the frames' associated data.
public struct BodyKey: Sendable {
    public let dataKey: [UInt8]
    public let noncePrefix: [UInt8]

    public static let inlineIdentity = "inline"

    public init(dataKey: [UInt8], noncePrefix: [UInt8]) {
        self.dataKey = dataKey
        self.noncePrefix = noncePrefix
    }

    /// A fresh data key and nonce prefix for a new version or upload.
    public static func random() -> BodyKey {
        BodyKey(dataKey: FramedCipher.randomDataKey(), noncePrefix: FramedCipher.randomNoncePrefix())
    }

    func frameKey(identity: String) -> [UInt8] {
        HMAC.sha256(key: dataKey, Array("lockstep body v1".utf8) + [0] + Array(identity.utf8))
    }

    public func encryptor(identity: String) throws -> FrameEncryptor {
        try FrameEncryptor(key: frameKey(identity: identity), noncePrefix: noncePrefix, identity: identity)
    }

    public func decryptor(identity: String, plaintextSize: Int64) throws -> FrameDecryptor {
        try FrameDecryptor(key: frameKey(identity: identity), noncePrefix: noncePrefix, identity: identity, plaintextSize: plaintextSize)
    }

    /// Seals a whole small body held in memory (an inline body).
    public func seal(_ plaintext: [UInt8], identity: String = inlineIdentity) throws -> [UInt8] {
        try FrameEncryptor.seal(plaintext, key: frameKey(identity: identity), noncePrefix: noncePrefix, identity: Array(identity.utf8))
    }
}
