import CLibCrypto

public enum HMAC {
    /// One-shot HMAC-SHA256.
    public static func sha256<Key: Sequence, Message: Sequence>(key: Key, _ message: Message) -> [UInt8]
    where Key.Element == UInt8, Message.Element == UInt8 {
        mac(EVP_sha256(), length: 32, key: Array(key), Array(message))
    }

    /// One-shot HMAC-SHA1, which Signature Version 2 uses.
    public static func sha1<Key: Sequence, Message: Sequence>(key: Key, _ message: Message) -> [UInt8]
    where Key.Element == UInt8, Message.Element == UInt8 {
        mac(EVP_sha1(), length: 20, key: Array(key), Array(message))
    }

    private static func mac(_ digest: OpaquePointer?, length size: Int, key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var length = UInt32(size)
        key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                _ = CLibCrypto.HMAC(digest, k.baseAddress, Int32(k.count), m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count, &out, &length)
            }
        }
        return out
    }
}

/// Compares two byte strings in time independent of where they differ (for signatures, MACs, key digests).
public func constantTimeEquals<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool where A.Element == UInt8, B.Element == UInt8 {
    let x = Array(a), y = Array(b)
    guard x.count == y.count else { return false }
    if x.isEmpty { return true }
    return x.withUnsafeBytes { xp in y.withUnsafeBytes { yp in CRYPTO_memcmp(xp.baseAddress, yp.baseAddress, x.count) == 0 } }
}

/// Cryptographically secure random bytes.
public func secureRandomBytes(_ count: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    precondition(RAND_bytes(&out, Int32(count)) == 1, "RAND_bytes failed")
    return out
}
