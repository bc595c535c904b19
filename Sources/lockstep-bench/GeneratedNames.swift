import LockstepCrypto
import NIOCore

/// Random lower-case hex, for bucket names and lock IDs.
func randomHex(_ bytes: Int) -> String { secureRandomBytes(bytes).hexString }

/// `count` random bytes (small-object bodies).
func randomBody(_ count: Int) -> ByteBuffer { ByteBuffer(bytes: secureRandomBytes(count)) }

/// Decimal `n` left-padded with zeros to `width` digits (s3bench's %07d key names).
func zeroPadded(_ n: Int, _ width: Int) -> String {
    let digits = String(n)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
