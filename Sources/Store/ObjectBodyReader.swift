import LockstepCrypto
import NIOCore

/// Reads a byte range of a stored body in order, in chunks, from inline bytes or across part blob files, opening
/// encrypted bodies frame by frame: only the frames that hold the range are read and decrypted. Made by
/// `ObjectStore.openBody`.
public final class ObjectBodyReader: BodySource, @unchecked Sendable {
    // Unchecked: one reader serves one response or copy, and its reads run one after another (GET's read-ahead awaits
    // each read before starting the next).
    public static let chunkSize = 1 << 20
    /// Sealed frames read per chunk of an encrypted body (16 × 64 KiB of plaintext).
    static let framesPerChunk = chunkSize / FrameLayout.plaintextFrameSize

    private let blobs: BlobStore
    private let body: StoredBody
    /// Keeps the body's blob files while this reader may still open them.
    private let pin: BlobPin?
    private let key: BodyKey?
    private var position: Int64
    private let start: Int64
    private let end: Int64          // exclusive
    private let allocator = ByteBufferAllocator()
    private var segmentIndex = 0
    private var segmentStart: Int64 = 0
    private var reader: BlobReader?
    // The encrypted segment being read: its decryptor, the frames still to read, and the plaintext range wanted from it.
    private var decryptor: FrameDecryptor?
    private var frames: Range<Int> = 0..<0
    private var wanted: Range<Int64> = 0..<0
    private var scratch: UnsafeMutableRawBufferPointer?

    /// Frames authenticated and decrypted so far (a ranged read touches at most one partial frame at each end).
    public private(set) var framesDecrypted = 0

    /// `range` is the half-open plaintext byte range to read; `key` opens an encrypted body (nil: stored in the clear).
    init(blobs: BlobStore, body: StoredBody, range: Range<Int64>, key: BodyKey? = nil, pin: BlobPin? = nil) {
        self.blobs = blobs
        self.body = body
        self.pin = pin
        self.key = key
        self.position = range.lowerBound
        self.start = range.lowerBound
        self.end = range.upperBound
    }

    deinit { scratch?.deallocate() }

    /// The plaintext length still to read when the reader was made.
    public var declaredLength: Int64? { end - start }

    /// The next chunk, or nil when the range is done.
    public func next() throws -> ByteBuffer? {
        guard position < end else { return nil }
        switch body {
        case .inline(let bytes):
            guard let key else {
                let slice = bytes[Int(position)..<Int(end)]
                position = end
                var buffer = allocator.buffer(capacity: slice.count)
                buffer.writeBytes(slice)
                return buffer
            }
            return try openInline(bytes, key: key)
        case .segments(let segments):
            // Find the segment holding `position`.
            while segmentIndex < segments.count && position >= segmentStart + segments[segmentIndex].size {
                segmentStart += segments[segmentIndex].size
                segmentIndex += 1
                reader = nil
                decryptor = nil
            }
            guard segmentIndex < segments.count else { throw StoreError.io("stored body is shorter than its recorded size") }
            let segment = segments[segmentIndex]
            if reader == nil { reader = try blobs.openReader(id: segment.blob) }
            if let key { return try nextSealed(segment, key: key) }
            let want = Int(min(Int64(Self.chunkSize), end - position, segmentStart + segment.size - position))
            var buffer = allocator.buffer(capacity: want)
            let offsetInSegment = position - segmentStart
            let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { pointer in
                try reader!.read(into: UnsafeMutableRawBufferPointer(rebasing: pointer[0..<want]), at: offsetInSegment)
            }
            guard got > 0 else { throw StoreError.io("blob \(segment.blob) is shorter than its recorded size") }
            position += Int64(got)
            return buffer
        }
    }

    private func openInline(_ sealed: [UInt8], key: BodyKey) throws -> ByteBuffer {
        let layout = FrameLayout()
        guard let size = layout.plaintextSize(encryptedSize: Int64(sealed.count)) else {
            throw StoreError.io("an encrypted inline body has an impossible size")
        }
        let decryptor = try key.decryptor(identity: BodyKey.inlineIdentity, plaintextSize: size)
        let range = decryptor.begin(range: position..<end)
        var buffer = allocator.buffer(capacity: Int(end - position))
        try authenticated("inline body") {
            try sealed[Int(range.lowerBound)..<Int(range.upperBound)].withUnsafeBytes { bytes in
                try decryptor.append(bytes) { buffer.writeBytes($0) }
            }
            try decryptor.finish()
        }
        framesDecrypted += layout.frames(covering: position..<end, plaintextSize: size).count
        position = end
        return buffer
    }

    private func nextSealed(_ segment: BodySegment, key: BodyKey) throws -> ByteBuffer {
        let layout = FrameLayout()
        if decryptor == nil {
            let local = (position - segmentStart)..<min(end - segmentStart, segment.size)
            decryptor = try key.decryptor(identity: segment.blob, plaintextSize: segment.size)
            frames = layout.frames(covering: local, plaintextSize: segment.size)
            wanted = local
        }
        let decryptor = self.decryptor!
        let batch = frames.lowerBound..<min(frames.upperBound, frames.lowerBound + Self.framesPerChunk)
        let sealedRange = layout.encryptedRange(frames: batch, plaintextSize: segment.size)
        let sealedCount = Int(sealedRange.count)
        if scratch == nil { scratch = .allocate(byteCount: Self.framesPerChunk * FrameLayout.sealedFrameSize, alignment: 16) }
        var filled = 0
        while filled < sealedCount {
            let got = try reader!.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch![filled..<sealedCount]),
                                       at: sealedRange.lowerBound + Int64(filled))
            guard got > 0 else { throw StoreError.io("blob \(segment.blob) is shorter than its recorded size") }
            filled += got
        }
        let plainRange = layout.plaintextRange(frames: batch, plaintextSize: segment.size)
        let lower = max(wanted.lowerBound, plainRange.lowerBound), upper = min(wanted.upperBound, plainRange.upperBound)
        var buffer = allocator.buffer(capacity: Int(upper - lower))
        try authenticated("blob \(segment.blob)") {
            var offset = 0
            for frame in batch {
                let sealedLength = layout.sealedLength(frame: frame, plaintextSize: segment.size)
                let sealed = UnsafeRawBufferPointer(rebasing: scratch![offset..<(offset + sealedLength)])
                offset += sealedLength
                let frameStart = Int64(frame) * Int64(FrameLayout.plaintextFrameSize)
                let plainLength = sealedLength - FrameLayout.tagSize
                let from = Int(max(wanted.lowerBound - frameStart, 0)), to = Int(min(wanted.upperBound - frameStart, Int64(plainLength)))
                if from == 0 && to == plainLength {
                    // A whole frame is wanted: decrypt straight into the response buffer.
                    _ = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: plainLength) { out in
                        try decryptor.decrypt(frameIndex: frame, sealed: sealed, into: out)
                    }
                } else {
                    let plain = try decryptor.decrypt(frameIndex: frame, sealed: sealed)
                    buffer.writeBytes(plain[from..<to])
                }
            }
        }
        framesDecrypted += batch.count
        frames = batch.upperBound..<frames.upperBound
        position = segmentStart + upper
        if frames.isEmpty {
            self.decryptor = nil
            // The segment's part of the range is done; the next call moves to the following segment.
            if position < end { position = segmentStart + segment.size }
        }
        return buffer
    }

    /// A frame that does not open means the stored bytes were altered or damaged: say which body.
    private func authenticated(_ what: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as FramedCipherError {
            throw StoreError.io("\(what) failed authentication (\(error)); it was altered or damaged on disk")
        }
    }
}
