import NIOCore

/// Reads a byte range of a stored body in order, in chunks, from inline bytes or across part blob files.
public final class ObjectBodyReader: @unchecked Sendable {
    public static let chunkSize = 1 << 20

    private let blobs: BlobStore
    private let body: StoredBody
    private var position: Int64
    private let end: Int64          // exclusive
    private var segmentIndex = 0
    private var segmentStart: Int64 = 0
    private var reader: BlobReader?

    /// `range` is the half-open byte range to read.
    public init(blobs: BlobStore, body: StoredBody, range: Range<Int64>) {
        self.blobs = blobs
        self.body = body
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    /// The next chunk, or nil when the range is done.
    public func next(allocator: ByteBufferAllocator = ByteBufferAllocator()) throws -> ByteBuffer? {
        guard position < end else { return nil }
        switch body {
        case .inline(let bytes):
            let slice = bytes[Int(position)..<Int(end)]
            position = end
            var buffer = allocator.buffer(capacity: slice.count)
            buffer.writeBytes(slice)
            return buffer
        case .segments(let segments):
            // Find the segment holding `position`.
            while segmentIndex < segments.count && position >= segmentStart + segments[segmentIndex].size {
                segmentStart += segments[segmentIndex].size
                segmentIndex += 1
                reader = nil
            }
            guard segmentIndex < segments.count else { throw StoreError.io("stored body is shorter than its recorded size") }
            let segment = segments[segmentIndex]
            if reader == nil { reader = try blobs.openReader(id: segment.blob) }
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
}
