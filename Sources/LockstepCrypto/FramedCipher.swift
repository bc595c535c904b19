import CLibCrypto

// The encrypted object-body format.
//
// The plaintext is cut into 64 KiB frames (the last one may be shorter; an empty body is one empty frame). Frame i is
// sealed with AES-256-GCM under the object's data key and stored as ciphertext ‖ 16-byte tag, so it starts at
// i · (65536 + 16) in the body file and a ranged read touches only the frames it needs.
//
//   nonce(i) = noncePrefix (4 random bytes per object) ‖ UInt64(i) big-endian
//   aad(i)   = identity ‖ UInt64(i) big-endian ‖ (1 if i is the last frame, else 0)
//
// The identity (e.g. bucket, key and version id) ties frames to their object; the index stops reordering; the final
// flag stops truncation at a frame boundary and a full frame from passing as the end. The identity is followed by a
// fixed 9 bytes, so different identities can never produce the same associated data.

/// Errors from encrypting or decrypting framed object bodies.
public enum FramedCipherError: Error, Equatable, Sendable {
    /// The data key is not 32 bytes.
    case invalidKey
    /// The nonce prefix is not 4 bytes.
    case invalidNoncePrefix
    /// Frame `frame` does not authenticate: wrong key, identity, position or final flag, or altered bytes.
    case authenticationFailed(frame: Int)
    /// A sealed frame has the wrong length for its position in a body of the declared size.
    case badFrameLength(frame: Int, expected: Int, actual: Int)
    /// The frame index is not in the body.
    case frameOutOfRange(frame: Int, frameCount: Int)
    /// The sealed stream ended inside a frame or before the last frame expected.
    case truncated
    /// The sealed stream continues past the last frame expected.
    case trailingData
    /// The caller's output buffer is too small for the frame.
    case bufferTooSmall
    /// The stream was used after `finish` or after an earlier error.
    case closed
}

/// Sizes and offsets of the framed format.
public struct FrameLayout: Sendable, Equatable {
    /// Plaintext bytes in every frame but the last.
    public static let plaintextFrameSize = 65536
    public static let tagSize = 16
    /// Bytes on disk of a full frame.
    public static let sealedFrameSize = plaintextFrameSize + tagSize

    private static let f = Int64(plaintextFrameSize)
    private static let s = Int64(sealedFrameSize)

    public init() {}

    /// Number of frames; at least 1 (an empty body is one empty frame).
    public func frameCount(plaintextSize: Int64) -> Int {
        precondition(plaintextSize >= 0, "negative plaintext size")
        return plaintextSize == 0 ? 1 : Int((plaintextSize - 1) / Self.f + 1)
    }

    /// Size of the sealed body.
    public func encryptedSize(plaintextSize: Int64) -> Int64 {
        plaintextSize + Int64(frameCount(plaintextSize: plaintextSize)) * Int64(Self.tagSize)
    }

    /// The plaintext size a sealed body of `encryptedSize` bytes must hold, or nil if no body has that size.
    public func plaintextSize(encryptedSize: Int64) -> Int64? {
        guard encryptedSize >= Int64(Self.tagSize) else { return nil }
        let full = encryptedSize / Self.s, rest = encryptedSize % Self.s
        if rest == 0 { return full * Self.f }
        // A short last frame: at least a tag; an empty one only as the sole frame.
        guard rest > Int64(Self.tagSize) || (rest == Int64(Self.tagSize) && full == 0) else { return nil }
        return full * Self.f + rest - Int64(Self.tagSize)
    }

    /// Plaintext bytes in frame `frame`.
    public func plaintextLength(frame: Int, plaintextSize: Int64) -> Int {
        let start = Int64(frame) * Self.f
        return Int(max(0, min(Self.f, plaintextSize - start)))
    }

    /// Sealed bytes of frame `frame` (plaintext length + tag).
    public func sealedLength(frame: Int, plaintextSize: Int64) -> Int {
        plaintextLength(frame: frame, plaintextSize: plaintextSize) + Self.tagSize
    }

    /// The frames that hold the plaintext bytes `range` (clamped to the body). An empty range gives an empty result.
    public func frames(covering range: Range<Int64>, plaintextSize: Int64) -> Range<Int> {
        let lower = min(max(range.lowerBound, 0), plaintextSize)
        let upper = min(max(range.upperBound, 0), plaintextSize)
        let first = Int(lower / Self.f)
        guard upper > lower else { return first..<first }
        return first..<Int((upper - 1) / Self.f + 1)
    }

    /// Every frame of the body.
    public func allFrames(plaintextSize: Int64) -> Range<Int> {
        0..<frameCount(plaintextSize: plaintextSize)
    }

    /// The plaintext bytes held by `frames`.
    public func plaintextRange(frames: Range<Int>, plaintextSize: Int64) -> Range<Int64> {
        let lower = min(Int64(frames.lowerBound) * Self.f, plaintextSize)
        let upper = min(Int64(frames.upperBound) * Self.f, plaintextSize)
        return lower..<max(lower, upper)
    }

    /// The bytes of the sealed body that hold `frames`: frame i starts at i · (65536 + 16).
    public func encryptedRange(frames: Range<Int>, plaintextSize: Int64) -> Range<Int64> {
        let total = encryptedSize(plaintextSize: plaintextSize)
        let lower = min(Int64(frames.lowerBound) * Self.s, total)
        let upper = min(Int64(frames.upperBound) * Self.s, total)
        return lower..<max(lower, upper)
    }
}

/// Helpers for the per-object secrets of the framed format.
public enum FramedCipher {
    public static let keySize = AESGCM.keySize
    public static let noncePrefixSize = 4

    /// A fresh 256-bit data key.
    public static func randomDataKey() -> [UInt8] { secureRandomBytes(keySize) }

    /// A fresh 4-byte nonce prefix.
    public static func randomNoncePrefix() -> [UInt8] { secureRandomBytes(noncePrefixSize) }
}

/// The per-frame nonce and associated data, rewritten in place for each frame.
struct FrameSealer {
    let gcm: AESGCM.Context
    let nonce: UnsafeMutableRawBufferPointer
    let aad: UnsafeMutableRawBufferPointer
    let identityCount: Int

    init(key: [UInt8], noncePrefix: [UInt8], identity: [UInt8]) throws {
        guard key.count == AESGCM.keySize else { throw FramedCipherError.invalidKey }
        guard noncePrefix.count == FramedCipher.noncePrefixSize else { throw FramedCipherError.invalidNoncePrefix }
        gcm = try AESGCM.Context(key: key)
        nonce = .allocate(byteCount: AESGCM.nonceSize, alignment: 8)
        nonce.copyBytes(from: noncePrefix)
        identityCount = identity.count
        aad = .allocate(byteCount: identity.count + 9, alignment: 8)
        aad.copyBytes(from: identity)
    }

    func deallocate() {
        nonce.deallocate()
        aad.deallocate()
    }

    /// Writes frame `index`'s nonce and associated data.
    func prepare(frame index: Int, final: Bool) {
        let be = UInt64(index).bigEndian
        withUnsafeBytes(of: be) { bytes in
            UnsafeMutableRawBufferPointer(rebasing: nonce[FramedCipher.noncePrefixSize...]).copyMemory(from: bytes)
            UnsafeMutableRawBufferPointer(rebasing: aad[identityCount..<identityCount + 8]).copyMemory(from: bytes)
        }
        aad[identityCount + 8] = final ? 1 : 0
    }
}

/// Streams a plaintext body into sealed frames. Holds at most one frame of plaintext.
///
/// A full frame is sealed once the next byte arrives (it is then known not to be the last); `finish` seals the last,
/// possibly short or empty, frame with the final flag. Each `output` buffer is valid only during the call.
public final class FrameEncryptor {
    private let layout = FrameLayout()
    private let sealer: FrameSealer
    private let pending: UnsafeMutableRawBufferPointer  // plaintext of the frame being filled
    private let sealed: UnsafeMutableRawBufferPointer  // ciphertext ‖ tag of the frame being emitted
    private var pendingCount = 0
    private var pendingUsed = 0  // high-water mark of `pending`, wiped on release
    private var nextFrame = 0
    private var closed = false

    /// Plaintext bytes accepted so far.
    public private(set) var plaintextSize: Int64 = 0
    /// Sealed bytes emitted so far.
    public private(set) var encryptedSize: Int64 = 0

    public init(key: [UInt8], noncePrefix: [UInt8], identity: [UInt8]) throws {
        sealer = try FrameSealer(key: key, noncePrefix: noncePrefix, identity: identity)
        pending = .allocate(byteCount: FrameLayout.plaintextFrameSize, alignment: 16)
        sealed = .allocate(byteCount: FrameLayout.sealedFrameSize, alignment: 16)
    }

    public convenience init(key: [UInt8], noncePrefix: [UInt8], identity: String) throws {
        try self.init(key: key, noncePrefix: noncePrefix, identity: Array(identity.utf8))
    }

    deinit {
        if pendingUsed > 0 { OPENSSL_cleanse(pending.baseAddress, pendingUsed) }
        pending.deallocate()
        sealed.deallocate()
        sealer.deallocate()
    }

    /// Adds plaintext; emits every frame known to be complete and not the last.
    public func append(_ bytes: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !closed else { throw FramedCipherError.closed }
        do {
            let frameSize = FrameLayout.plaintextFrameSize
            var input = bytes
            while !input.isEmpty {
                if pendingCount == frameSize {
                    try seal(UnsafeRawBufferPointer(pending), final: false, output: output)
                    pendingCount = 0
                }
                if pendingCount == 0 && input.count > frameSize {
                    // A whole frame with more after it: seal straight from the caller's buffer.
                    try seal(UnsafeRawBufferPointer(rebasing: input[..<frameSize]), final: false, output: output)
                    input = UnsafeRawBufferPointer(rebasing: input[frameSize...])
                    continue
                }
                let n = min(frameSize - pendingCount, input.count)
                UnsafeMutableRawBufferPointer(rebasing: pending[pendingCount..<pendingCount + n])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: input[..<n]))
                pendingCount += n
                pendingUsed = max(pendingUsed, pendingCount)
                input = UnsafeRawBufferPointer(rebasing: input[n...])
            }
            plaintextSize += Int64(bytes.count)
        } catch {
            closed = true
            throw error
        }
    }

    public func append(_ bytes: [UInt8], output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try bytes.withUnsafeBytes { try append($0, output: output) }
    }

    /// Seals the last frame (flagged final). The encryptor cannot be used afterwards.
    public func finish(output: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !closed else { throw FramedCipherError.closed }
        closed = true
        try seal(UnsafeRawBufferPointer(rebasing: pending[..<pendingCount]), final: true, output: output)
        pendingCount = 0
        assert(encryptedSize == layout.encryptedSize(plaintextSize: plaintextSize))
    }

    /// Encrypts a whole body in memory.
    public static func seal(_ plaintext: [UInt8], key: [UInt8], noncePrefix: [UInt8], identity: [UInt8]) throws -> [UInt8] {
        let encryptor = try FrameEncryptor(key: key, noncePrefix: noncePrefix, identity: identity)
        var out = [UInt8]()
        out.reserveCapacity(Int(FrameLayout().encryptedSize(plaintextSize: Int64(plaintext.count))))
        try encryptor.append(plaintext) { out.append(contentsOf: $0) }
        try encryptor.finish { out.append(contentsOf: $0) }
        return out
    }

    private func seal(_ plaintext: UnsafeRawBufferPointer, final: Bool, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        let n = plaintext.count
        sealer.prepare(frame: nextFrame, final: final)
        try sealer.gcm.seal(nonce: UnsafeRawBufferPointer(sealer.nonce), plaintext: plaintext, aad: UnsafeRawBufferPointer(sealer.aad),
                            ciphertext: UnsafeMutableRawBufferPointer(rebasing: sealed[..<n]),
                            tag: UnsafeMutableRawBufferPointer(rebasing: sealed[n..<n + FrameLayout.tagSize]))
        nextFrame += 1
        encryptedSize += Int64(n + FrameLayout.tagSize)
        try output(UnsafeRawBufferPointer(rebasing: sealed[..<(n + FrameLayout.tagSize)]))
    }
}

/// Opens the sealed frames of one body whose plaintext size is known (from the object's metadata), which fixes how
/// many frames there are, how long each is, and which one carries the final flag.
///
/// Frames can be opened one at a time by index (`decrypt(frameIndex:sealed:)`), or streamed: `begin(range:)` says
/// which plaintext bytes are wanted and returns the sealed byte range to read; `append` takes that range in pieces of
/// any size and emits the wanted plaintext; `finish` checks nothing is missing.
public final class FrameDecryptor {
    public let layout = FrameLayout()
    public let plaintextSize: Int64
    public let frameCount: Int
    private let sealer: FrameSealer
    private let plain: UnsafeMutableRawBufferPointer  // decrypted frame
    private let pending: UnsafeMutableRawBufferPointer  // sealed frame assembled from pieces
    private var pendingCount = 0
    private var plainUsed = 0  // high-water mark of `plain`, wiped on release
    private var streamFrames: Range<Int>
    private var streamNext: Int
    private var wanted: Range<Int64>
    private var closed = false

    public init(key: [UInt8], noncePrefix: [UInt8], identity: [UInt8], plaintextSize: Int64) throws {
        precondition(plaintextSize >= 0, "negative plaintext size")
        sealer = try FrameSealer(key: key, noncePrefix: noncePrefix, identity: identity)
        self.plaintextSize = plaintextSize
        frameCount = layout.frameCount(plaintextSize: plaintextSize)
        plain = .allocate(byteCount: FrameLayout.plaintextFrameSize, alignment: 16)
        pending = .allocate(byteCount: FrameLayout.sealedFrameSize, alignment: 16)
        streamFrames = 0..<frameCount
        streamNext = 0
        wanted = 0..<plaintextSize
    }

    public convenience init(key: [UInt8], noncePrefix: [UInt8], identity: String, plaintextSize: Int64) throws {
        try self.init(key: key, noncePrefix: noncePrefix, identity: Array(identity.utf8), plaintextSize: plaintextSize)
    }

    deinit {
        if plainUsed > 0 { OPENSSL_cleanse(plain.baseAddress, plainUsed) }
        plain.deallocate()
        pending.deallocate()
        sealer.deallocate()
    }

    // MARK: - One frame at a time

    /// Opens frame `frameIndex` (`sealed` = its ciphertext ‖ tag) into `plaintext`; returns the plaintext length.
    @discardableResult
    public func decrypt(frameIndex: Int, sealed: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawBufferPointer) throws -> Int {
        guard frameIndex >= 0 && frameIndex < frameCount else {
            throw FramedCipherError.frameOutOfRange(frame: frameIndex, frameCount: frameCount)
        }
        let expected = layout.sealedLength(frame: frameIndex, plaintextSize: plaintextSize)
        guard sealed.count == expected else {
            throw FramedCipherError.badFrameLength(frame: frameIndex, expected: expected, actual: sealed.count)
        }
        let n = expected - FrameLayout.tagSize
        guard plaintext.count >= n else { throw FramedCipherError.bufferTooSmall }
        sealer.prepare(frame: frameIndex, final: frameIndex == frameCount - 1)
        do {
            try sealer.gcm.open(nonce: UnsafeRawBufferPointer(sealer.nonce), ciphertext: UnsafeRawBufferPointer(rebasing: sealed[..<n]),
                                tag: UnsafeRawBufferPointer(rebasing: sealed[n...]), aad: UnsafeRawBufferPointer(sealer.aad),
                                plaintext: UnsafeMutableRawBufferPointer(rebasing: plaintext[..<n]))
        } catch AESGCMError.authenticationFailed {
            throw FramedCipherError.authenticationFailed(frame: frameIndex)
        }
        return n
    }

    public func decrypt(frameIndex: Int, sealed: UnsafeRawBufferPointer) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: max(0, sealed.count - FrameLayout.tagSize))
        _ = try out.withUnsafeMutableBytes { try decrypt(frameIndex: frameIndex, sealed: sealed, into: $0) }
        return out
    }

    public func decrypt(frameIndex: Int, sealed: [UInt8]) throws -> [UInt8] {
        try sealed.withUnsafeBytes { try decrypt(frameIndex: frameIndex, sealed: $0) }
    }

    // MARK: - Streaming

    /// Prepares the stream for the plaintext bytes `range` (nil: the whole body, every frame verified, including the
    /// empty frame of an empty body). Returns the range of the sealed body to feed to `append`.
    @discardableResult
    public func begin(range: Range<Int64>? = nil) -> Range<Int64> {
        if let range {
            wanted = min(max(range.lowerBound, 0), plaintextSize)..<min(max(range.upperBound, 0), plaintextSize)
            wanted = wanted.lowerBound..<max(wanted.lowerBound, wanted.upperBound)
            streamFrames = layout.frames(covering: wanted, plaintextSize: plaintextSize)
        } else {
            wanted = 0..<plaintextSize
            streamFrames = 0..<frameCount
        }
        streamNext = streamFrames.lowerBound
        pendingCount = 0
        closed = false
        return layout.encryptedRange(frames: streamFrames, plaintextSize: plaintextSize)
    }

    /// Takes the next piece of the sealed range returned by `begin` and emits the wanted plaintext of every frame it
    /// completes. Each `output` buffer is valid only during the call.
    public func append(_ bytes: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !closed else { throw FramedCipherError.closed }
        do {
            var input = bytes
            while !input.isEmpty {
                guard streamNext < streamFrames.upperBound else { throw FramedCipherError.trailingData }
                let need = layout.sealedLength(frame: streamNext, plaintextSize: plaintextSize)
                if pendingCount == 0 && input.count >= need {
                    try emit(UnsafeRawBufferPointer(rebasing: input[..<need]), output: output)
                    input = UnsafeRawBufferPointer(rebasing: input[need...])
                    continue
                }
                let n = min(need - pendingCount, input.count)
                UnsafeMutableRawBufferPointer(rebasing: pending[pendingCount..<pendingCount + n])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: input[..<n]))
                pendingCount += n
                input = UnsafeRawBufferPointer(rebasing: input[n...])
                if pendingCount == need {
                    pendingCount = 0
                    try emit(UnsafeRawBufferPointer(rebasing: pending[..<need]), output: output)
                }
            }
        } catch {
            closed = true
            throw error
        }
    }

    public func append(_ bytes: [UInt8], output: (UnsafeRawBufferPointer) throws -> Void) throws {
        try bytes.withUnsafeBytes { try append($0, output: output) }
    }

    /// Ends the stream; throws ``FramedCipherError/truncated`` if frames are missing or incomplete.
    public func finish() throws {
        guard !closed else { throw FramedCipherError.closed }
        closed = true
        guard pendingCount == 0 && streamNext == streamFrames.upperBound else { throw FramedCipherError.truncated }
    }

    /// Decrypts a whole sealed body in memory.
    public static func open(_ sealed: [UInt8], key: [UInt8], noncePrefix: [UInt8], identity: [UInt8], plaintextSize: Int64) throws -> [UInt8] {
        let decryptor = try FrameDecryptor(key: key, noncePrefix: noncePrefix, identity: identity, plaintextSize: plaintextSize)
        var out = [UInt8]()
        out.reserveCapacity(Int(plaintextSize))
        decryptor.begin()
        try decryptor.append(sealed) { out.append(contentsOf: $0) }
        try decryptor.finish()
        return out
    }

    private func emit(_ sealed: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        let frame = streamNext
        let n = try decrypt(frameIndex: frame, sealed: sealed, into: plain)
        plainUsed = max(plainUsed, n)
        streamNext += 1
        let frameStart = Int64(frame) * Int64(FrameLayout.plaintextFrameSize)
        let lower = Int(max(wanted.lowerBound - frameStart, 0))
        let upper = Int(min(wanted.upperBound - frameStart, Int64(n)))
        if upper > lower { try output(UnsafeRawBufferPointer(rebasing: plain[lower..<upper])) }
    }
}
