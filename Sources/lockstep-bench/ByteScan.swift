#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import NIOCore

/// Substring search over response bytes, without decoding them to a String first.
enum ByteScan {
    static func contains(_ buffer: ByteBuffer, _ needle: String) -> Bool {
        buffer.withUnsafeReadableBytes { find(Array(needle.utf8), in: $0) } != nil
    }

    /// Offset of the first `needle` in `haystack` (memchr for its first byte, then memcmp).
    static func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> Int? {
        guard let first = needle.first else { return 0 }
        guard let base = haystack.baseAddress, haystack.count >= needle.count else { return nil }
        return needle.withUnsafeBytes { n -> Int? in
            var at = 0
            let last = haystack.count - needle.count
            while at <= last {
                guard let hit = memchr(base + at, Int32(first), last - at + 1) else { return nil }
                let offset = UnsafeRawPointer(hit) - base
                if memcmp(base + offset, n.baseAddress!, needle.count) == 0 { return offset }
                at = offset + 1
            }
            return nil
        }
    }
}
