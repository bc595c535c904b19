/// Combining CRCs of concatenated data without re-reading it (zlib's crc32_combine, generalised to 64-bit):
/// crc(A‖B) = crc(A)·x^(8·len(B)) mod P ⊕ crc(B). S3 needs this for FULL_OBJECT checksums of multipart uploads.
public enum CRCCombine {
    public static func crc32(_ first: UInt32, _ second: UInt32, secondLength: Int64, polynomial: CRC32.Polynomial) -> UInt32 {
        let engine = Engine(width: 32, reflectedPoly: UInt64(polynomial.reflected))
        return UInt32(engine.combine(UInt64(first), UInt64(second), secondLength))
    }

    public static func crc64nvme(_ first: UInt64, _ second: UInt64, secondLength: Int64) -> UInt64 {
        Engine(width: 64, reflectedPoly: 0x9A6C_9329_AC4B_C9B5).combine(first, second, secondLength)
    }

    struct Engine {
        let top: UInt64          // x^0 in reflected form
        let poly: UInt64
        var powers: [UInt64] = []  // x^(2^k) mod P

        init(width: Int, reflectedPoly: UInt64) {
            top = 1 << UInt64(width - 1)
            poly = reflectedPoly
            var p = top >> 1  // x^1
            for _ in 0..<64 {
                powers.append(p)
                p = multiply(p, p)
            }
        }

        func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
            var m = top, b = b, product: UInt64 = 0
            while true {
                if a & m != 0 {
                    product ^= b
                    if a & (m - 1) == 0 { break }
                }
                m >>= 1
                b = b & 1 != 0 ? (b >> 1) ^ poly : b >> 1
                if m == 0 { break }
            }
            return product
        }

        /// x^(n·2^k) mod P
        func xPower(_ n: Int64, _ k: Int) -> UInt64 {
            var p = top, n = n, k = k
            while n != 0 {
                if n & 1 != 0 { p = multiply(powers[k & 63], p) }
                n >>= 1
                k += 1
            }
            return p
        }

        func combine(_ first: UInt64, _ second: UInt64, _ length: Int64) -> UInt64 {
            multiply(xPower(length, 3), first) ^ second
        }
    }
}
