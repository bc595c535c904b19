import LockstepCrypto
import Testing

/// Published check values ("123456789") from the CRC catalogue, and FIPS/RFC digest vectors.
@Suite struct ChecksumVectorTests {
    let check = Array("123456789".utf8)

    @Test func crc32IEEE() {
        var crc = CRC32(.ieee)
        check.withUnsafeBytes { crc.update($0) }
        #expect(crc.value == 0xCBF4_3926)
    }

    @Test func crc32Castagnoli() {
        var crc = CRC32(.castagnoli)
        check.withUnsafeBytes { crc.update($0) }
        #expect(crc.value == 0xE306_9283)
    }

    @Test func crc64NVME() {
        var crc = CRC64NVME()
        check.withUnsafeBytes { crc.update($0) }
        #expect(crc.value == 0xAE8B_1486_0A79_9888)
    }

    @Test func crcIsIndependentOfChunking() {
        let data = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for algorithm in ChecksumAlgorithm.allCases {
            let whole = ChecksumComputer.base64(algorithm, data)
            let pieces = ChecksumComputer(algorithm)
            var offset = 0
            for size in [1, 7, 8, 9, 63, 1000, 4096] where offset < data.count {
                let end = min(data.count, offset + size)
                data[offset..<end].withUnsafeBytes { pieces.update($0) }
                offset = end
            }
            data[offset...].withUnsafeBytes { pieces.update($0) }
            #expect(pieces.finalizeBase64() == whole, "\(algorithm)")
        }
    }

    /// S3's documented example: CRC32 of "Hello World" is "ShexVg==" (base64 of 0x4A17B156).
    @Test func s3Base64Forms() {
        #expect(ChecksumComputer.base64(.crc32, Array("Hello World".utf8)) == "ShexVg==")
        #expect(ChecksumComputer.base64(.sha256, [UInt8]()) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
    }

    @Test func digests() {
        #expect(Digest.sha256(Array("abc".utf8)).hexString == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.md5(Array("abc".utf8)).hexString == "900150983cd24fb0d6963f7d28e17f72")
        #expect(Digest.hash(.sha1, Array("abc".utf8)).hexString == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    /// RFC 4231 test case 2.
    @Test func hmacSHA256() {
        let mac = HMAC.sha256(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
        #expect(mac.hexString == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func base64RoundTripAndStrictness() {
        for n in 0..<20 {
            let bytes = (0..<n).map { UInt8($0 * 13 & 0xff) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.decode("abc") == nil)
        #expect(Base64.decode("a=bc") == nil)
        #expect(Base64.decode("ab!c") == nil)
        #expect(Hex.decode("0aFf") == [0x0a, 0xff])
        #expect(Hex.decode("0g") == nil)
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([1, 2], [1, 2, 3]))
    }
}

@Suite struct CRCCombineTests {
    @Test(arguments: [0, 1, 7, 8, 100, 5000])
    func combineEqualsWholeComputation(split: Int) {
        let data = (0..<6000).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
        let a = Array(data[..<split]), b = Array(data[split...])
        for polynomial in [CRC32.Polynomial.ieee, .castagnoli] {
            var whole = CRC32(polynomial), first = CRC32(polynomial), second = CRC32(polynomial)
            data.withUnsafeBytes { whole.update($0) }
            a.withUnsafeBytes { first.update($0) }
            b.withUnsafeBytes { second.update($0) }
            #expect(CRCCombine.crc32(first.value, second.value, secondLength: Int64(b.count), polynomial: polynomial) == whole.value)
        }
        var whole = CRC64NVME(), first = CRC64NVME(), second = CRC64NVME()
        data.withUnsafeBytes { whole.update($0) }
        a.withUnsafeBytes { first.update($0) }
        b.withUnsafeBytes { second.update($0) }
        #expect(CRCCombine.crc64nvme(first.value, second.value, secondLength: Int64(b.count)) == whole.value)
    }
}
