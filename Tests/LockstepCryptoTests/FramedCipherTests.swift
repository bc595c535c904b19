import LockstepCrypto
import LockstepTestSupport
import Testing

/// The framed AES-256-GCM object-body format: layout arithmetic, streaming round trips, ranged reads, and every way of
/// rearranging or cutting the sealed frames.
@Suite struct FramedCipherTests {
    static let F = FrameLayout.plaintextFrameSize
    static let S = FrameLayout.sealedFrameSize
    static let frameSizes = [0, 1, 65535, 65536, 65537, 3 * 65536, 3 * 65536 + 5]

    let layout = FrameLayout()
    let key = (0..<32).map { UInt8($0) }
    let prefix: [UInt8] = [0xA1, 0xB2, 0xC3, 0xD4]
    let identity = Array("bucket/key/v1".utf8)

    static func plaintext(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) } }

    func seal(_ plaintext: [UInt8], key: [UInt8]? = nil, prefix: [UInt8]? = nil, identity: [UInt8]? = nil) throws -> [UInt8] {
        try FrameEncryptor.seal(plaintext, key: key ?? self.key, noncePrefix: prefix ?? self.prefix, identity: identity ?? self.identity)
    }

    func decryptor(size: Int, key: [UInt8]? = nil, identity: [UInt8]? = nil) throws -> FrameDecryptor {
        try FrameDecryptor(key: key ?? self.key, noncePrefix: prefix, identity: identity ?? self.identity, plaintextSize: Int64(size))
    }

    /// Streams `sealed` through a decryptor for the whole body.
    func open(_ sealed: [UInt8], size: Int, key: [UInt8]? = nil, identity: [UInt8]? = nil) throws -> [UInt8] {
        try FrameDecryptor.open(sealed, key: key ?? self.key, noncePrefix: prefix, identity: identity ?? self.identity, plaintextSize: Int64(size))
    }

    /// Cuts `count` bytes into pieces: 0 = one piece, -1 = one byte at a time, otherwise random sizes up to that bound.
    static func splits(_ count: Int, pattern: Int, rng: inout SplitMix64) -> [Range<Int>] {
        if count == 0 { return [0..<0] }
        var out = [Range<Int>](), at = 0
        while at < count {
            let n: Int
            switch pattern {
            case 0: n = count
            case -1: n = 1
            default: n = Int.random(in: 0...pattern, using: &rng)  // zero-length pieces included
            }
            let end = min(count, at + n)
            out.append(at..<end)
            at = end
        }
        return out
    }

    func frame(_ sealed: [UInt8], _ i: Int, size: Int) -> [UInt8] {
        let r = layout.encryptedRange(frames: i..<i + 1, plaintextSize: Int64(size))
        return Array(sealed[Int(r.lowerBound)..<Int(r.upperBound)])
    }

    func frames(of sealed: [UInt8], size: Int) -> [[UInt8]] {
        (0..<layout.frameCount(plaintextSize: Int64(size))).map { frame(sealed, $0, size: size) }
    }

    func expectFailure(_ expected: FramedCipherError, _ comment: Comment? = nil, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected \(expected), got success. \(comment.map { "\($0)" } ?? "")")
        } catch {
            #expect(error as? FramedCipherError == expected, comment)
        }
    }

    // MARK: - Format

    /// Pins the on-disk format; the expected values were computed independently (Python `cryptography`) from the
    /// nonce = prefix ‖ BE64(i), AAD = identity ‖ BE64(i) ‖ final-flag rules.
    @Test func knownAnswer() throws {
        let empty = try seal([])
        #expect(empty.count == 16)
        #expect(Digest.sha256(empty).hexString == "395f0f13feb7d02e15a318cd90768ce8bd2da2b0f6bb6f6d0f8f98ee51847656")
        #expect(empty.hexString == "470e4e654d83b11b37bb444e8443cadd")
        let two = try seal(Self.plaintext(65536 + 100))
        #expect(two.count == 65668)
        #expect(Digest.sha256(two).hexString == "7434addf4e97846382a45434c98982b3c8deeb33eee86e6ff5dab45be1e30617")
        #expect(Array(two.suffix(16)).hexString == "82a448b089b8c7918cbcfe4eeab8d88c")
    }

    @Test func eachFrameIsPlainAESGCM() throws {
        let size = 2 * Self.F + 9
        let plaintext = Self.plaintext(size)
        let sealed = try seal(plaintext)
        for i in 0..<3 {
            let f = frame(sealed, i, size: size)
            let nonce = prefix + [0, 0, 0, 0, 0, 0, 0, UInt8(i)]
            let aad = identity + [0, 0, 0, 0, 0, 0, 0, UInt8(i), i == 2 ? 1 : 0]
            let opened = try AESGCM.open(key: key, nonce: nonce, ciphertext: Array(f.dropLast(16)), tag: Array(f.suffix(16)), aad: aad)
            #expect(opened == Array(plaintext[(i * Self.F)..<min(size, (i + 1) * Self.F)]))
        }
    }

    // MARK: - Layout

    @Test func sizes() {
        #expect(layout.frameCount(plaintextSize: 0) == 1)
        #expect(layout.encryptedSize(plaintextSize: 0) == 16)
        #expect(layout.frameCount(plaintextSize: 1) == 1)
        #expect(layout.frameCount(plaintextSize: 65536) == 1)
        #expect(layout.encryptedSize(plaintextSize: 65536) == 65552)
        #expect(layout.frameCount(plaintextSize: 65537) == 2)
        #expect(layout.encryptedSize(plaintextSize: 65537) == 65552 + 17)
        #expect(layout.frameCount(plaintextSize: 3 * 65536) == 3)
        #expect(layout.frameCount(plaintextSize: 3 * 65536 + 5) == 4)
        #expect(layout.encryptedSize(plaintextSize: 5 << 30) == (5 << 30) + 81920 * 16)
        for size in Self.frameSizes.map(Int64.init) + [2, 131_071, 131_072, 131_073, 5 << 30] {
            let encrypted = layout.encryptedSize(plaintextSize: size)
            #expect(layout.plaintextSize(encryptedSize: encrypted) == size)
            var sum: Int64 = 0
            for i in 0..<layout.frameCount(plaintextSize: size) {
                sum += Int64(layout.sealedLength(frame: i, plaintextSize: size))
                #expect(layout.encryptedRange(frames: 0..<i + 1, plaintextSize: size).upperBound == sum)
            }
            #expect(sum == encrypted)
            #expect(layout.encryptedRange(frames: layout.allFrames(plaintextSize: size), plaintextSize: size) == 0..<encrypted)
        }
        // Sizes no body can have: shorter than a tag, or an empty frame after full ones.
        for bad: Int64 in [0, 1, 15, Int64(Self.S) + 16, Int64(Self.S) + 5, 2 * Int64(Self.S) + 16] {
            #expect(layout.plaintextSize(encryptedSize: bad) == nil, "\(bad)")
        }
        #expect(layout.plaintextSize(encryptedSize: Int64(Self.S) + 17) == 65537)
    }

    /// Reference answer: the frames whose plaintext bytes intersect the (clamped) range.
    func touched(_ range: Range<Int64>, size: Int64) -> Range<Int> {
        let lower = min(max(range.lowerBound, 0), size), upper = min(max(range.upperBound, 0), size)
        let hits = (0..<layout.frameCount(plaintextSize: size)).filter { i in
            let start = Int64(i) * Int64(Self.F)
            let end = start + Int64(layout.plaintextLength(frame: i, plaintextSize: size))
            return max(start, lower) < min(end, upper)
        }
        guard let first = hits.first, let last = hits.last else { return Int(lower / Int64(Self.F))..<Int(lower / Int64(Self.F)) }
        #expect(hits == Array(first...last))
        return first..<last + 1
    }

    /// Ranges that start and end one before, on, and one after every frame boundary, plus suffixes and single bytes.
    func interestingRanges(size: Int) -> [Range<Int64>] {
        let n = Int64(size)
        var points = Set<Int64>([0, 1, n - 1, n])
        for k in 0...(size / Self.F + 1) {
            let b = Int64(k * Self.F)
            points.formUnion([b - 1, b, b + 1])
        }
        let clamped = points.filter { $0 >= 0 && $0 <= n }.sorted()
        var ranges = [Range<Int64>]()
        for a in clamped { for b in clamped where b >= a { ranges.append(a..<b) } }
        for suffix: Int64 in [1, 2, 5, 65535, 65536, 65537, n] where suffix <= n { ranges.append((n - suffix)..<n) }
        if n > 0 { ranges.append((n - 1)..<n) }
        return ranges
    }

    @Test(arguments: frameSizes) func framesCoveringEveryBoundary(_ size: Int) {
        let n = Int64(size)
        for range in interestingRanges(size: size) {
            let frames = layout.frames(covering: range, plaintextSize: n)
            #expect(frames == touched(range, size: n), "\(range) of \(size)")
            guard !frames.isEmpty else { continue }
            let plain = layout.plaintextRange(frames: frames, plaintextSize: n)
            #expect(plain.lowerBound <= range.lowerBound && plain.upperBound >= range.upperBound, "\(range) of \(size)")
            let sealed = layout.encryptedRange(frames: frames, plaintextSize: n)
            #expect(sealed.lowerBound == Int64(frames.lowerBound) * Int64(Self.S))
            #expect(sealed.count == plain.count + frames.count * 16)
        }
        // Ranges reaching past the end are clamped.
        #expect(layout.frames(covering: 0..<(n + 100_000), plaintextSize: n) == touched(0..<n, size: n))
    }

    @Test func framesCoveringExamples() {
        let n = Int64(3 * Self.F + 5)
        #expect(layout.frames(covering: 0..<1, plaintextSize: n) == 0..<1)
        #expect(layout.frames(covering: 65535..<65536, plaintextSize: n) == 0..<1)
        #expect(layout.frames(covering: 65535..<65537, plaintextSize: n) == 0..<2)
        #expect(layout.frames(covering: 65536..<65537, plaintextSize: n) == 1..<2)
        #expect(layout.frames(covering: 65536..<131072, plaintextSize: n) == 1..<2)
        #expect(layout.frames(covering: 65536..<131073, plaintextSize: n) == 1..<3)
        #expect(layout.frames(covering: (n - 1)..<n, plaintextSize: n) == 3..<4)
        #expect(layout.frames(covering: (n - 6)..<n, plaintextSize: n) == 2..<4)
        #expect(layout.frames(covering: 100..<100, plaintextSize: n).isEmpty)
        #expect(layout.encryptedRange(frames: 3..<4, plaintextSize: n) == Int64(3 * Self.S)..<Int64(3 * Self.S + 21))
        #expect(layout.frames(covering: 0..<0, plaintextSize: 0).isEmpty)
    }

    // MARK: - Round trips

    @Test(arguments: frameSizes) func roundTripInManySplits(_ size: Int) throws {
        let plaintext = Self.plaintext(size)
        let reference = try seal(plaintext)
        #expect(reference.count == Int(layout.encryptedSize(plaintextSize: Int64(size))))
        #expect(try open(reference, size: size) == plaintext)

        var rng = SplitMix64(seed: UInt64(size) &+ 1)
        var patterns = [0, 1, 7, 4096, 65535, 65536, 65537, 200_000]
        if size <= 65537 { patterns.append(-1) }
        for _ in 0..<4 { patterns.append(Int.random(in: 2...150_000, using: &rng)) }

        for pattern in patterns {
            // Encrypt in pieces: identical bytes whatever the split.
            let encryptor = try FrameEncryptor(key: key, noncePrefix: prefix, identity: identity)
            var sealed = [UInt8]()
            var emitted = [Int]()
            try plaintext.withUnsafeBytes { all in
                for piece in Self.splits(size, pattern: pattern, rng: &rng) {
                    try encryptor.append(UnsafeRawBufferPointer(rebasing: all[piece])) {
                        emitted.append($0.count)
                        sealed.append(contentsOf: $0)
                    }
                }
            }
            try encryptor.finish {
                emitted.append($0.count)
                sealed.append(contentsOf: $0)
            }
            #expect(sealed == reference, "split pattern \(pattern)")
            #expect(emitted == (0..<layout.frameCount(plaintextSize: Int64(size))).map { layout.sealedLength(frame: $0, plaintextSize: Int64(size)) })
            #expect(encryptor.plaintextSize == Int64(size))
            #expect(encryptor.encryptedSize == Int64(sealed.count))

            // Decrypt in pieces.
            let decryptor = try decryptor(size: size)
            let readRange = decryptor.begin()
            #expect(readRange == 0..<Int64(reference.count))
            var opened = [UInt8]()
            try reference.withUnsafeBytes { all in
                for piece in Self.splits(reference.count, pattern: pattern, rng: &rng) {
                    try decryptor.append(UnsafeRawBufferPointer(rebasing: all[piece])) { opened.append(contentsOf: $0) }
                }
            }
            try decryptor.finish()
            #expect(opened == plaintext, "split pattern \(pattern)")
        }
    }

    @Test(arguments: frameSizes) func framesOneByOne(_ size: Int) throws {
        let plaintext = Self.plaintext(size)
        let sealed = try seal(plaintext)
        let decryptor = try decryptor(size: size)
        var opened = [UInt8]()
        // In any order: frames are independent.
        let parts = frames(of: sealed, size: size)
        var byIndex = [Int: [UInt8]]()
        for i in parts.indices.reversed() { byIndex[i] = try decryptor.decrypt(frameIndex: i, sealed: parts[i]) }
        for i in parts.indices { opened += byIndex[i]! }
        #expect(opened == plaintext)
        // Into a caller buffer.
        var buffer = [UInt8](repeating: 0, count: Self.F)
        let n = try parts[parts.count - 1].withUnsafeBytes { s in
            try buffer.withUnsafeMutableBytes { try decryptor.decrypt(frameIndex: parts.count - 1, sealed: s, into: $0) }
        }
        #expect(Array(buffer[..<n]) == Array(plaintext.suffix(n)))
    }

    @Test(arguments: frameSizes) func rangedReadsUseOnlyTheirFrames(_ size: Int) throws {
        let plaintext = Self.plaintext(size)
        let sealed = try seal(plaintext)
        var rng = SplitMix64(seed: 99)
        var ranges = interestingRanges(size: size)
        for _ in 0..<20 where size > 0 {
            let a = Int64.random(in: 0..<Int64(size), using: &rng)
            ranges.append(a..<Int64.random(in: a...Int64(size), using: &rng))
        }
        let decryptor = try decryptor(size: size)
        for range in ranges {
            let readRange = decryptor.begin(range: range)
            #expect(readRange == layout.encryptedRange(frames: layout.frames(covering: range, plaintextSize: Int64(size)), plaintextSize: Int64(size)))
            // Feed only the sealed bytes of the needed frames (as a file read at that offset would).
            let needed = Array(sealed[Int(readRange.lowerBound)..<Int(readRange.upperBound)])
            var opened = [UInt8]()
            try needed.withUnsafeBytes { all in
                for piece in Self.splits(needed.count, pattern: 30_000, rng: &rng) {
                    try decryptor.append(UnsafeRawBufferPointer(rebasing: all[piece])) { opened.append(contentsOf: $0) }
                }
            }
            try decryptor.finish()
            #expect(opened == Array(plaintext[Int(range.lowerBound)..<Int(range.upperBound)]), "\(range) of \(size)")

            // The same slice by opening the frames one at a time and trimming.
            let frames = layout.frames(covering: range, plaintextSize: Int64(size))
            var joined = [UInt8]()
            for i in frames { joined += try decryptor.decrypt(frameIndex: i, sealed: frame(sealed, i, size: size)) }
            let plain = layout.plaintextRange(frames: frames, plaintextSize: Int64(size))
            let lo = Int(range.lowerBound - plain.lowerBound)
            if !range.isEmpty { #expect(Array(joined[lo..<lo + range.count]) == opened) }
        }
    }

    // MARK: - Tampering

    @Test func flippedByteFailsOnlyItsFrame() throws {
        let size = 3 * Self.F + 5
        let sealed = try seal(Self.plaintext(size))
        let parts = frames(of: sealed, size: size)
        let decryptor = try decryptor(size: size)
        for i in parts.indices {
            // First, middle and last ciphertext byte, and a tag byte.
            for offset in Set([0, parts[i].count / 2, parts[i].count - 17, parts[i].count - 1]) {
                var bad = parts[i]
                bad[offset] ^= 0x04
                expectFailure(.authenticationFailed(frame: i), "frame \(i) byte \(offset)") {
                    _ = try decryptor.decrypt(frameIndex: i, sealed: bad)
                }
                for j in parts.indices where j != i { #expect(throws: Never.self) { _ = try decryptor.decrypt(frameIndex: j, sealed: parts[j]) } }
                var body = sealed
                body[i * Self.S + offset] ^= 0x04
                expectFailure(.authenticationFailed(frame: i)) { _ = try open(body, size: size) }
            }
        }
    }

    @Test func flippedByteInEmptyBody() throws {
        var sealed = try seal([])
        #expect(try open(sealed, size: 0) == [])
        sealed[3] ^= 1
        expectFailure(.authenticationFailed(frame: 0)) { _ = try open(sealed, size: 0) }
    }

    @Test func swappedFramesFail() throws {
        let size = 3 * Self.F + 5
        let sealed = try seal(Self.plaintext(size))
        var parts = frames(of: sealed, size: size)
        parts.swapAt(0, 1)
        expectFailure(.authenticationFailed(frame: 0)) { _ = try open(parts.flatMap { $0 }, size: size) }
        let decryptor = try decryptor(size: size)
        expectFailure(.authenticationFailed(frame: 1)) { _ = try decryptor.decrypt(frameIndex: 1, sealed: parts[1]) }
        // Same-length frames at swapped positions also fail (0 ↔ 2).
        parts = frames(of: sealed, size: size)
        parts.swapAt(0, 2)
        expectFailure(.authenticationFailed(frame: 0)) { _ = try open(parts.flatMap { $0 }, size: size) }
    }

    @Test func frameFromAnotherObjectFails() throws {
        let size = 2 * Self.F + 3
        let plaintext = Self.plaintext(size)
        let sealed = try seal(plaintext)
        // Same key and nonce prefix, different identity: the worst case for a mix-up.
        let other = try seal(plaintext, identity: Array("bucket/key/v2".utf8))
        #expect(other != sealed)
        for i in 0..<3 {
            var parts = frames(of: sealed, size: size)
            parts[i] = frame(other, i, size: size)
            expectFailure(.authenticationFailed(frame: i)) { _ = try open(parts.flatMap { $0 }, size: size) }
        }
        // The whole other body does not open under this identity.
        expectFailure(.authenticationFailed(frame: 0)) { _ = try open(other, size: size) }
        // Different nonce prefix.
        let moved = try seal(plaintext, prefix: [1, 2, 3, 4])
        expectFailure(.authenticationFailed(frame: 0)) { _ = try open(moved, size: size) }
    }

    @Test func droppedFinalFrameFails() throws {
        for size in [3 * Self.F + 5, 3 * Self.F, 2 * Self.F] {
            let sealed = try seal(Self.plaintext(size))
            let parts = frames(of: sealed, size: size)
            let shortened = parts.dropLast().flatMap { $0 }
            // With the true size from the metadata: the stream ends early.
            expectFailure(.truncated) { _ = try open(shortened, size: size) }
            // With a size rewritten to match: the new last frame was not sealed as final.
            let claimed = (parts.count - 1) * Self.F
            expectFailure(.authenticationFailed(frame: parts.count - 2)) { _ = try open(shortened, size: claimed) }
        }
    }

    @Test func truncatedLastFrameFails() throws {
        let size = 3 * Self.F + 5
        let sealed = try seal(Self.plaintext(size))
        let decryptor = try decryptor(size: size)
        let last = frame(sealed, 3, size: size)
        for cut in [1, 5, 16, 20, last.count] {
            let body = Array(sealed.dropLast(cut))
            expectFailure(.truncated, "cut \(cut)") { _ = try open(body, size: size) }
            if cut < last.count {
                expectFailure(.badFrameLength(frame: 3, expected: 21, actual: 21 - cut)) {
                    _ = try decryptor.decrypt(frameIndex: 3, sealed: Array(last.dropLast(cut)))
                }
            }
        }
        // Cut and relabel the size: authentication fails.
        expectFailure(.authenticationFailed(frame: 3)) { _ = try open(Array(sealed.dropLast(1)), size: size - 1) }
        // A full-size body with a cut frame in the middle.
        var parts = frames(of: sealed, size: size)
        parts[1].removeLast()
        expectFailure(.authenticationFailed(frame: 1)) { _ = try open(parts.flatMap { $0 }, size: size) }
        expectFailure(.badFrameLength(frame: 1, expected: Self.S, actual: Self.S - 1)) {
            _ = try decryptor.decrypt(frameIndex: 1, sealed: parts[1])
        }
    }

    @Test func trailingDataFails() throws {
        let size = Self.F + 1
        let sealed = try seal(Self.plaintext(size))
        expectFailure(.trailingData) { _ = try open(sealed + [0], size: size) }
        expectFailure(.trailingData) { _ = try open(sealed + sealed, size: size) }
    }

    @Test func wrongKeyFails() throws {
        for size in [0, 5, 2 * Self.F] {
            let sealed = try seal(Self.plaintext(size))
            var wrong = key
            wrong[31] ^= 0x01
            expectFailure(.authenticationFailed(frame: 0)) { _ = try open(sealed, size: size, key: wrong) }
            let other = try decryptor(size: size, key: FramedCipher.randomDataKey())
            expectFailure(.authenticationFailed(frame: 0)) { _ = try other.decrypt(frameIndex: 0, sealed: frame(sealed, 0, size: size)) }
        }
    }

    @Test func finalFrameInTheMiddleIsRejected() throws {
        // Object A is exactly one full frame, so its frame 0 is flagged final; B is longer under the same secrets.
        let a = try seal(Self.plaintext(Self.F))
        let bSize = 2 * Self.F + 7
        let b = try seal(Self.plaintext(bSize))
        #expect(Array(a.prefix(Self.F)) == Array(b.prefix(Self.F)))  // same keystream, same ciphertext...
        #expect(Array(a.suffix(16)) != Array(b[Self.F..<Self.S]))  // ...but the final flag changes the tag
        let spliced = a + frame(b, 1, size: bSize) + frame(b, 2, size: bSize)
        expectFailure(.authenticationFailed(frame: 0)) { _ = try open(spliced, size: bSize) }
        // And a non-final frame cannot serve as the end.
        expectFailure(.authenticationFailed(frame: 0)) { _ = try open(frame(b, 0, size: bSize), size: Self.F) }
    }

    // MARK: - Misuse

    @Test func argumentErrors() throws {
        expectFailure(.invalidKey) { _ = try FrameEncryptor(key: Array(key.prefix(16)), noncePrefix: prefix, identity: identity) }
        expectFailure(.invalidNoncePrefix) { _ = try FrameEncryptor(key: key, noncePrefix: [1, 2, 3], identity: identity) }
        expectFailure(.invalidNoncePrefix) { _ = try FrameDecryptor(key: key, noncePrefix: prefix + [5], identity: identity, plaintextSize: 1) }
        let decryptor = try decryptor(size: Self.F + 1)
        expectFailure(.frameOutOfRange(frame: 2, frameCount: 2)) { _ = try decryptor.decrypt(frameIndex: 2, sealed: [UInt8](repeating: 0, count: 17)) }
        expectFailure(.frameOutOfRange(frame: -1, frameCount: 2)) { _ = try decryptor.decrypt(frameIndex: -1, sealed: []) }
        let sealed = try seal(Self.plaintext(Self.F + 1))
        var small = [UInt8](repeating: 0, count: 100)
        expectFailure(.bufferTooSmall) {
            _ = try frame(sealed, 0, size: Self.F + 1).withUnsafeBytes { s in
                try small.withUnsafeMutableBytes { try decryptor.decrypt(frameIndex: 0, sealed: s, into: $0) }
            }
        }
    }

    @Test func closedAfterFinishOrError() throws {
        let encryptor = try FrameEncryptor(key: key, noncePrefix: prefix, identity: "bucket/key/v1")
        try encryptor.append([1, 2, 3]) { _ in }
        try encryptor.finish { _ in }
        expectFailure(.closed) { try encryptor.append([4]) { _ in } }
        expectFailure(.closed) { try encryptor.finish { _ in } }

        let sealed = try seal(Self.plaintext(10))
        let decryptor = try decryptor(size: 10)
        var bad = sealed
        bad[0] ^= 1
        expectFailure(.authenticationFailed(frame: 0)) { try decryptor.append(bad) { _ in } }
        expectFailure(.closed) { try decryptor.append(sealed) { _ in } }
        // begin() starts a fresh stream.
        decryptor.begin()
        var out = [UInt8]()
        try decryptor.append(sealed) { out += $0 }
        try decryptor.finish()
        #expect(out == Self.plaintext(10))
    }

    @Test func outputErrorsPropagate() throws {
        struct Stop: Error {}
        let encryptor = try FrameEncryptor(key: key, noncePrefix: prefix, identity: identity)
        #expect(throws: Stop.self) { try encryptor.append(Self.plaintext(Self.F + 1)) { _ in throw Stop() } }
        expectFailure(.closed) { try encryptor.append([1]) { _ in } }
    }

    @Test func randomSecrets() {
        #expect(FramedCipher.randomDataKey().count == 32)
        #expect(FramedCipher.randomNoncePrefix().count == 4)
        #expect(FramedCipher.randomDataKey() != FramedCipher.randomDataKey())
    }
}
