#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import LockstepCrypto
import NIOCore

/// Large-object content, generated on the fly: a 1 MiB seeded random block, where MiB number i of the object is that
/// block with its first 8 bytes XOR-ed with i (little endian), so no two MiB of an object are equal (s3bench's layout;
/// the random block itself comes from a different generator).
final class Pattern: Sendable {
    static let blockSize = 1 << 20
    let block: [UInt8]

    init(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var b = [UInt8](repeating: 0, count: Pattern.blockSize)
        b.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for i in 0..<words.count { words[i] = rng.next().littleEndian }
        }
        block = b
    }

    /// The object's bytes at `offset`, written to `out`.
    func fill(_ out: UnsafeMutableRawBufferPointer, offset: Int64) {
        var written = 0
        var off = offset
        block.withUnsafeBytes { src in
            while written < out.count {
                let chunk = UInt64(off / Int64(Pattern.blockSize))
                let inBlock = Int(off % Int64(Pattern.blockSize))
                let n = min(out.count - written, Pattern.blockSize - inBlock)
                memcpy(out.baseAddress! + written, src.baseAddress! + inBlock, n)
                if inBlock < 8 {
                    var index = chunk.littleEndian
                    withUnsafeBytes(of: &index) { idx in
                        var j = inBlock
                        while j < 8 && j - inBlock < n {
                            out[written + j - inBlock] ^= idx[j]
                            j += 1
                        }
                    }
                }
                written += n
                off += Int64(n)
            }
        }
    }

    /// Offset of the first byte of `data` that differs from the object at `offset`, or nil when all match.
    func firstMismatch(_ data: UnsafeRawBufferPointer, offset: Int64, scratch: UnsafeMutableRawBufferPointer) -> Int64? {
        var done = 0
        while done < data.count {
            let n = min(scratch.count, data.count - done)
            let expected = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<n])
            fill(expected, offset: offset + Int64(done))
            if memcmp(expected.baseAddress!, data.baseAddress! + done, n) != 0 {
                for i in 0..<n where expected[i] != data[done + i] { return offset + Int64(done + i) }
            }
            done += n
        }
        return nil
    }

    /// SHA-256 (hex) of the first `size` bytes of the object.
    func sha256(size: Int64) -> String {
        let digest = Digest(.sha256)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Pattern.blockSize, alignment: 16)
        defer { buffer.deallocate() }
        var off: Int64 = 0
        while off < size {
            let n = Int(min(Int64(Pattern.blockSize), size - off))
            let piece = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<n])
            fill(piece, offset: off)
            digest.update(UnsafeRawBufferPointer(piece))
            off += Int64(n)
        }
        return digest.finalize().hexString
    }
}

/// The object as a request body, in 256 KiB pieces made as the socket takes them.
final class PatternSource: BodySource, @unchecked Sendable {
    private static let chunk = 256 << 10
    private let pattern: Pattern
    private let size: Int64
    private var offset: Int64 = 0

    init(pattern: Pattern, size: Int64) {
        self.pattern = pattern
        self.size = size
    }

    func nextChunk(allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard offset < size else { return nil }
        let n = Int(min(Int64(PatternSource.chunk), size - offset))
        var buffer = allocator.buffer(capacity: n)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n) { out in
            pattern.fill(UnsafeMutableRawBufferPointer(rebasing: out[0..<n]), offset: offset)
            return n
        }
        offset += Int64(n)
        return buffer
    }
}
