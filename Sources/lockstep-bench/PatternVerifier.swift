import LockstepCrypto
import NIOCore

/// How get-large checks what it downloads.
enum VerifyMode: String, CaseIterable, Sendable {
    /// Every byte compared with the generated object.
    case bytes
    /// SHA-256 of the download compared with the generated object's.
    case sha256
    case none
}

/// Checks a downloaded object as it streams in, without keeping it.
final class PatternVerifier: ResponseSink, @unchecked Sendable {
    private let pattern: Pattern
    private let mode: VerifyMode
    private var offset: Int64 = 0
    private let scratch: UnsafeMutableRawBufferPointer
    private let digest: Digest?
    private(set) var mismatchAt: Int64?

    init(pattern: Pattern, mode: VerifyMode) {
        self.pattern = pattern
        self.mode = mode
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
        digest = mode == .sha256 ? Digest(.sha256) : nil
    }

    deinit { scratch.deallocate() }

    func consume(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { data in
            switch mode {
            case .bytes:
                if mismatchAt == nil, let at = pattern.firstMismatch(data, offset: offset, scratch: scratch) { mismatchAt = at }
            case .sha256:
                digest?.update(data)
            case .none:
                break
            }
        }
        offset += Int64(buffer.readableBytes)
    }

    var bytesSeen: Int64 { offset }

    /// The download's SHA-256 (sha256 mode), once the body is complete.
    func finalSHA256() -> String? { digest?.finalize().hexString }
}
