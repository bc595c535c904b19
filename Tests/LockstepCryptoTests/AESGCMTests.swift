import LockstepCrypto
import Testing

/// AES-256-GCM against published vectors: test cases 13–16 of McGrew & Viega, "The Galois/Counter Mode of Operation
/// (GCM)" (the AES-256, 96-bit IV cases), and NIST CAVP `gcmEncryptExtIV256.rsp` entries (Keylen 256, IVlen 96,
/// Taglen 128).
@Suite struct AESGCMTests {
    struct Vector: CustomTestStringConvertible, Sendable {
        let name: String
        let key: String
        let nonce: String
        let plaintext: String
        let aad: String
        let ciphertext: String
        let tag: String
        var testDescription: String { name }
    }

    static let specKey = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
    static let specNonce = "cafebabefacedbaddecaf888"
    static let specPlaintext = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255"
    static let specCiphertext = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        + "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"

    static let vectors: [Vector] = [
        Vector(name: "GCM spec test case 13", key: String(repeating: "00", count: 32), nonce: String(repeating: "00", count: 12),
               plaintext: "", aad: "", ciphertext: "", tag: "530f8afbc74536b9a963b4f1c4cb738b"),
        Vector(name: "GCM spec test case 14", key: String(repeating: "00", count: 32), nonce: String(repeating: "00", count: 12),
               plaintext: String(repeating: "00", count: 16), aad: "",
               ciphertext: "cea7403d4d606b6e074ec5d3baf39d18", tag: "d0d1c8a799996bf0265b98b5d48ab919"),
        Vector(name: "GCM spec test case 15", key: specKey, nonce: specNonce, plaintext: specPlaintext, aad: "",
               ciphertext: specCiphertext, tag: "b094dac5d93471bdec1a502270e3cc6c"),
        Vector(name: "GCM spec test case 16", key: specKey, nonce: specNonce, plaintext: String(specPlaintext.dropLast(8)),
               aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
               ciphertext: String(specCiphertext.dropLast(8)), tag: "76fc6ece0f4e1768cddf8853bb2d551b"),
        Vector(name: "CAVP gcmEncryptExtIV256 PTlen 128", key: "31bdadd96698c204aa9ce1448ea94ae1fb4a9a0b3c9d773b51bb1822666b8f22",
               nonce: "0d18e06c7c725ac9e362e1ce", plaintext: "2db5168e932556f8089a0622981d017d", aad: "",
               ciphertext: "fa4362189661d163fcd6a56d8bf0405a", tag: "d636ac1bbedd5cc3ee727dc2ab4a9489"),
        Vector(name: "CAVP gcmEncryptExtIV256 PTlen 104", key: "e5a0eb92cc2b064e1bc80891faf1fab5e9a17a9c3a984e25416720e30e6c2b21",
               nonce: "4742357c335913153ff0eb0f", plaintext: "8499893e16b0ba8b007d54665a", aad: "",
               ciphertext: "eb8e6175f1fe38eb1acf95fd51", tag: "88a8b74bb74fda553e91020a23deed45"),
        Vector(name: "CAVP gcmEncryptExtIV256 PTlen 256", key: "37f39137416bafde6f75022a7a527cc593b6000a83ff51ec04871a0ff5360e4e",
               nonce: "a291484c3de8bec6b47f525f", plaintext: "fafd94cede8b5a0730394bec68a8e77dba288d6ccaa8e1563a81d6e7ccc7fc97", aad: "",
               ciphertext: "44dc868006b21d49284016565ffb3979cc4271d967628bf7cdaf86db888e92e5", tag: "01a2b578aa2f41ec6379a44a31cc019c"),
        Vector(name: "CAVP gcmEncryptExtIV256 PTlen 408", key: "595f259c55abe00ae07535ca5d9b09d6efb9f7e9abb64605c337acbd6b14fc7e",
               nonce: "92f258071d79af3e63672285",
               plaintext: "a6fee33eb110a2d769bbc52b0f36969c287874f665681477a25fc4c48015c541fbe2394133ba490a34ee2dd67b898177849a91", aad: "",
               ciphertext: "bbca4a9e09ae9690c0f6f8d405e53dccd666aa9c5fa13c8758bc30abe1ddd1bcce0d36a1eaaaaffef20cd3c5970b9673f8a65c",
               tag: "26ccecb9976fd6ac9c2c0f372c52c821"),
    ]

    static func bytes(_ hex: String) -> [UInt8] { Hex.decode(hex)! }

    @Test(arguments: vectors) func sealMatchesVector(_ v: Vector) throws {
        let sealed = try AESGCM.seal(key: Self.bytes(v.key), nonce: Self.bytes(v.nonce), plaintext: Self.bytes(v.plaintext), aad: Self.bytes(v.aad))
        #expect(sealed.ciphertext.hexString == v.ciphertext)
        #expect(sealed.tag.hexString == v.tag)
    }

    @Test(arguments: vectors) func openMatchesVector(_ v: Vector) throws {
        let opened = try AESGCM.open(key: Self.bytes(v.key), nonce: Self.bytes(v.nonce), ciphertext: Self.bytes(v.ciphertext),
                                     tag: Self.bytes(v.tag), aad: Self.bytes(v.aad))
        #expect(opened.hexString == v.plaintext)
    }

    @Test(arguments: vectors) func tamperingIsDetected(_ v: Vector) throws {
        let key = Self.bytes(v.key), nonce = Self.bytes(v.nonce), ciphertext = Self.bytes(v.ciphertext)
        let tag = Self.bytes(v.tag), aad = Self.bytes(v.aad)
        func fails(key: [UInt8], nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8], aad: [UInt8]) -> Bool {
            do {
                _ = try AESGCM.open(key: key, nonce: nonce, ciphertext: ciphertext, tag: tag, aad: aad)
                return false
            } catch {
                return error as? AESGCMError == .authenticationFailed
            }
        }
        for i in ciphertext.indices {
            var bad = ciphertext
            bad[i] ^= 0x01
            #expect(fails(key: key, nonce: nonce, ciphertext: bad, tag: tag, aad: aad), "ciphertext byte \(i)")
        }
        for i in tag.indices {
            var bad = tag
            bad[i] ^= 0x80
            #expect(fails(key: key, nonce: nonce, ciphertext: ciphertext, tag: bad, aad: aad), "tag byte \(i)")
        }
        for i in aad.indices {
            var bad = aad
            bad[i] ^= 0x10
            #expect(fails(key: key, nonce: nonce, ciphertext: ciphertext, tag: tag, aad: bad), "aad byte \(i)")
        }
        #expect(fails(key: key, nonce: nonce, ciphertext: ciphertext, tag: tag, aad: aad + [0]), "extra aad byte")
        if !ciphertext.isEmpty {
            #expect(fails(key: key, nonce: nonce, ciphertext: Array(ciphertext.dropLast()), tag: tag, aad: aad), "truncated ciphertext")
        }
        var otherNonce = nonce
        otherNonce[11] ^= 1
        #expect(fails(key: key, nonce: otherNonce, ciphertext: ciphertext, tag: tag, aad: aad), "nonce")
        var otherKey = key
        otherKey[0] ^= 1
        #expect(fails(key: otherKey, nonce: nonce, ciphertext: ciphertext, tag: tag, aad: aad), "key")
    }

    @Test func failedOpenZeroesOutput() throws {
        let v = Self.vectors[2]
        let key = Self.bytes(v.key), nonce = Self.bytes(v.nonce), ciphertext = Self.bytes(v.ciphertext)
        var tag = Self.bytes(v.tag)
        tag[0] ^= 1
        var out = [UInt8](repeating: 0xAA, count: ciphertext.count)
        let context = try AESGCM.Context(key: key)
        #expect(throws: AESGCMError.authenticationFailed) {
            try nonce.withUnsafeBytes { n in
                try ciphertext.withUnsafeBytes { c in
                    try tag.withUnsafeBytes { t in
                        try out.withUnsafeMutableBytes { o in
                            try context.open(nonce: n, ciphertext: c, tag: t, aad: UnsafeRawBufferPointer(start: nil, count: 0), plaintext: o)
                        }
                    }
                }
            }
        }
        #expect(out.allSatisfy { $0 == 0 })
    }

    /// One context, many messages, alternating directions and nonces: every result matches a fresh one-shot.
    @Test func reusedContextMatchesOneShot() throws {
        let key = Self.bytes(Self.specKey)
        let context = try AESGCM.Context(key: key)
        for round in 0..<50 {
            let nonce = secureRandomBytes(12)
            let plaintext = secureRandomBytes(round * 37)
            let aad = secureRandomBytes(round % 5)
            let sealed = try context.seal(nonce: nonce, plaintext: plaintext, aad: aad)
            let reference = try AESGCM.seal(key: key, nonce: nonce, plaintext: plaintext, aad: aad)
            #expect(sealed.ciphertext == reference.ciphertext)
            #expect(sealed.tag == reference.tag)
            #expect(try context.open(nonce: nonce, ciphertext: sealed.ciphertext, tag: sealed.tag, aad: aad) == plaintext)
        }
        // A failure does not poison the context.
        let nonce = Self.bytes(Self.specNonce)
        #expect(throws: AESGCMError.authenticationFailed) {
            try context.open(nonce: nonce, ciphertext: [1, 2, 3], tag: [UInt8](repeating: 0, count: 16))
        }
        let sealed = try context.seal(nonce: nonce, plaintext: Self.bytes(Self.specPlaintext))
        #expect(sealed.ciphertext.hexString == Self.specCiphertext)
        #expect(sealed.tag.hexString == "b094dac5d93471bdec1a502270e3cc6c")
    }

    @Test func inPlace() throws {
        let v = Self.vectors[2]
        let context = try AESGCM.Context(key: Self.bytes(v.key))
        var buffer = Self.bytes(v.plaintext)
        var tag = [UInt8](repeating: 0, count: 16)
        let nonce = Self.bytes(v.nonce)
        let none = UnsafeRawBufferPointer(start: nil, count: 0)
        try nonce.withUnsafeBytes { n in
            try buffer.withUnsafeMutableBytes { b in
                try tag.withUnsafeMutableBytes { t in
                    try context.seal(nonce: n, plaintext: UnsafeRawBufferPointer(b), aad: none, ciphertext: b, tag: t)
                }
            }
        }
        #expect(buffer.hexString == v.ciphertext)
        #expect(tag.hexString == v.tag)
        try nonce.withUnsafeBytes { n in
            try buffer.withUnsafeMutableBytes { b in
                try tag.withUnsafeBytes { t in
                    try context.open(nonce: n, ciphertext: UnsafeRawBufferPointer(b), tag: t, aad: none, plaintext: b)
                }
            }
        }
        #expect(buffer.hexString == v.plaintext)
    }

    @Test func largeMessageRoundTrip() throws {
        let key = secureRandomBytes(32), nonce = secureRandomBytes(12)
        let plaintext = (0..<(1 << 20) + 3).map { UInt8(truncatingIfNeeded: $0 &* 131) }
        let sealed = try AESGCM.seal(key: key, nonce: nonce, plaintext: plaintext, aad: Array("aad".utf8))
        #expect(try AESGCM.open(key: key, nonce: nonce, ciphertext: sealed.ciphertext, tag: sealed.tag, aad: Array("aad".utf8)) == plaintext)
    }

    @Test func sizeErrors() throws {
        let key = [UInt8](repeating: 0, count: 32), nonce = [UInt8](repeating: 0, count: 12)
        #expect(throws: AESGCMError.invalidKeySize) { try AESGCM.seal(key: Array(key.dropLast()), nonce: nonce, plaintext: []) }
        #expect(throws: AESGCMError.invalidKeySize) { try AESGCM.Context(key: key + [0]) }
        #expect(throws: AESGCMError.invalidNonceSize) { try AESGCM.seal(key: key, nonce: nonce + [0], plaintext: []) }
        #expect(throws: AESGCMError.invalidNonceSize) { try AESGCM.seal(key: key, nonce: [], plaintext: []) }
        #expect(throws: AESGCMError.invalidTagSize) {
            try AESGCM.open(key: key, nonce: nonce, ciphertext: [], tag: [UInt8](repeating: 0, count: 12))
        }
        let context = try AESGCM.Context(key: key)
        var small = [UInt8](repeating: 0, count: 3)
        var tag = [UInt8](repeating: 0, count: 16)
        #expect(throws: AESGCMError.bufferTooSmall) {
            try nonce.withUnsafeBytes { n in
                try [UInt8](repeating: 1, count: 4).withUnsafeBytes { p in
                    try small.withUnsafeMutableBytes { c in
                        try tag.withUnsafeMutableBytes { t in
                            try context.seal(nonce: n, plaintext: p, aad: UnsafeRawBufferPointer(start: nil, count: 0), ciphertext: c, tag: t)
                        }
                    }
                }
            }
        }
    }
}
