import Foundation
import LockstepCrypto
import Logging
import Store

/// Access log records between the request that made them and their delivery, in `<data dir>/access-logs/`.
///
/// Recording is an append to an in-memory buffer under a lock held for a copy — no I/O and no fsync on the request
/// path. `writePending` (the access log worker, every `writeIntervalMillis`) appends the buffer to `open.log`; the
/// page cache survives `kill -9`, so a crash loses at most the records of the last interval. `seal` closes `open.log`
/// as `sealed-<store millis>-<random>.log`, whose name makes delivery idempotent (`AccessLogDelivery`); `open.log` is
/// also sealed whenever it reaches `segmentLimit`, which bounds what one delivery holds in memory. Each record is a
/// frame: length, CRC-32 and payload, so a frame torn by a crash is recognised and dropped, never misread.
public final class AccessLogSpool: @unchecked Sendable {
    // Unchecked: `pending` is only touched under `bufferLock`; the files and `openFile` only under `fileLock`.
    public let directory: String
    private let logger: Logger
    private let bufferLock = NSLock()
    private var pending: [UInt8] = []
    /// Counts for the metrics endpoint; under `bufferLock`, so they move with `pending`.
    private var tally = AccessLogTally()
    private let fileLock = NSLock()
    private var openFile: FileHandle?
    private var openSize = 0
    /// The store clock, for the names of segments sealed because they are full.
    private let now: @Sendable () -> Int64
    let segmentLimit: Int

    static let openName = "open.log"

    public init(dataDirectory: String, now: @escaping @Sendable () -> Int64, segmentLimit: Int = 8 << 20, logger: Logger) throws {
        directory = dataDirectory + "/access-logs"
        self.now = now
        self.segmentLimit = segmentLimit
        self.logger = logger
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Called on the request path: frames the record, then copies it into the buffer under the lock. A record carries
    /// where it goes, captured when it was made, so turning logging off or moving the target later neither loses nor
    /// misdirects what was already recorded.
    public func append(source: String, target: BucketLogging, eventMillis: Int64, line: [UInt8]) {
        let frame = Self.frame(source: source, target: target, eventMillis: eventMillis, line: line)
        bufferLock.withLock {
            pending.append(contentsOf: frame)
            tally.recorded += 1
        }
    }

    /// Records waiting for delivery and records delivered since the server started.
    public var counts: (pending: Int, delivered: Int) {
        bufferLock.withLock { (tally.pending, tally.delivered) }
    }

    /// After a delivery from the segments `seal` returned: how many records went out and how many stay.
    public func noteDelivery(delivered: Int, kept: Int) {
        bufferLock.withLock { tally.delivery(delivered: delivered, kept: kept) }
    }

    /// Appends the buffered records to `open.log`.
    public func writePending() throws {
        try fileLock.withLock { try writePendingLocked() }
    }

    /// Writes what is pending and seals `open.log` (if it holds anything) under the store-clock time `nowMillis`.
    /// Returns every sealed segment, oldest first — those of earlier runs included.
    public func seal(nowMillis: Int64) throws -> [String] {
        try fileLock.withLock {
            try writePendingLocked()
            bufferLock.withLock { tally.sealed = tally.written }
            try sealOpenLocked(nowMillis: nowMillis)
            return try sealedSegments()
        }
    }

    private func sealOpenLocked(nowMillis: Int64) throws {
        try openFile?.close()
        openFile = nil
        openSize = 0
        let openPath = directory + "/" + Self.openName
        guard let size = (try? FileManager.default.attributesOfItem(atPath: openPath))?[.size] as? Int, size > 0 else { return }
        let name = "sealed-\(String(nowMillis).leftPadded(14))-\(secureRandomBytes(4).hexString).log"
        guard rename(openPath, directory + "/" + name) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    public func sealedSegments() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("sealed-") && $0.hasSuffix(".log") }.sorted()
    }

    /// The store-clock time a segment was sealed at (its name says).
    static func sealedMillis(_ segment: String) -> Int64? {
        let parts = segment.split(separator: "-")
        return parts.count == 3 ? Int64(parts[1]) : nil
    }

    /// A sealed segment's bytes and where each record lies in them.
    public struct Segment {
        public struct Entry {
            public var source: String
            public var target: BucketLogging
            public var eventMillis: Int64
            /// The whole frame, and the record's line within it.
            public var frame: Range<Int>
            public var line: Range<Int>
        }
        public var bytes: [UInt8]
        public var entries: [Entry]
    }

    /// The records of a sealed segment; a torn or damaged tail is dropped (and said so).
    public func open(_ segment: String) throws -> Segment {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + segment)))
        var entries: [Segment.Entry] = []
        var offset = 0
        while offset < bytes.count {
            guard let entry = Self.unframe(bytes, at: offset) else {
                logger.warning("access log spool \(segment): \(bytes.count - offset) damaged bytes at its end dropped")
                break
            }
            entries.append(entry)
            offset = entry.frame.upperBound
        }
        return Segment(bytes: bytes, entries: entries)
    }

    /// Keeps only the frames `kept` of a segment (what could not be delivered), under the same name.
    public func replace(_ segment: String, keeping kept: [Range<Int>], of bytes: [UInt8]) throws {
        let path = directory + "/" + segment
        guard !kept.isEmpty else {
            try FileManager.default.removeItem(atPath: path)
            return
        }
        var remaining: [UInt8] = []
        for frame in kept { remaining.append(contentsOf: bytes[frame]) }
        try Data(remaining).write(to: URL(fileURLWithPath: path + ".tmp"))
        guard rename(path + ".tmp", path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    private func writePendingLocked() throws {
        let bytes: [UInt8] = bufferLock.withLock {
            defer { pending = [] }
            tally.written = tally.recorded
            return pending
        }
        guard !bytes.isEmpty else { return }
        if openFile == nil {
            let path = directory + "/" + Self.openName
            if !FileManager.default.fileExists(atPath: path), !FileManager.default.createFile(atPath: path, contents: nil) {
                throw POSIXError(.EIO)
            }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw POSIXError(.EIO) }
            openSize = Int(try handle.seekToEnd())
            openFile = handle
        }
        try openFile?.write(contentsOf: bytes)
        openSize += bytes.count
        if openSize >= segmentLimit { try sealOpenLocked(nowMillis: now()) }
    }

    // MARK: Frames: u32 payload length, u32 CRC-32 of the payload, payload (all little-endian).

    static func frame(source: String, target: BucketLogging, eventMillis: Int64, line: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]             // length and CRC, filled in below
        frame.reserveCapacity(32 + source.utf8.count + target.targetBucket.utf8.count + target.targetPrefix.utf8.count + line.count)
        frame.append(1)
        func bytes(_ b: some Collection<UInt8>) {
            appendUInt32(&frame, UInt32(b.count))
            frame.append(contentsOf: b)
        }
        bytes(source.utf8)
        bytes(target.targetBucket.utf8)
        bytes(target.targetPrefix.utf8)
        switch target.keyFormat {
        case .simple: frame.append(0)
        case .partitioned(.eventTime): frame.append(1)
        case .partitioned(.deliveryTime): frame.append(2)
        }
        appendUInt32(&frame, UInt32(truncatingIfNeeded: UInt64(bitPattern: eventMillis) >> 32))
        appendUInt32(&frame, UInt32(truncatingIfNeeded: UInt64(bitPattern: eventMillis)))
        bytes(line)
        let header = [UInt32(frame.count - 8), crc(frame[8...])]
        for (index, value) in header.enumerated() {
            for byte in 0..<4 { frame[index * 4 + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(byte))) }
        }
        return frame
    }

    static func unframe(_ bytes: [UInt8], at start: Int) -> Segment.Entry? {
        var reader = Reader(bytes: bytes, offset: start)
        guard let length = reader.uint32(), let checksum = reader.uint32(), let payloadLength = Int(exactly: length),
              payloadLength <= bytes.count - reader.offset else { return nil }
        let end = reader.offset + payloadLength
        guard crc(bytes[reader.offset..<end]) == checksum else { return nil }
        var payload = Reader(bytes: bytes, offset: reader.offset, end: end)
        guard payload.byte() == 1, let source = payload.string(), let targetBucket = payload.string(), let prefix = payload.string(),
              let formatCode = payload.byte(), let high = payload.uint32(), let low = payload.uint32(), let line = payload.range(),
              payload.offset == end else { return nil }
        let format: LogObjectKeyFormat
        switch formatCode {
        case 0: format = .simple
        case 1: format = .partitioned(.eventTime)
        case 2: format = .partitioned(.deliveryTime)
        default: return nil
        }
        let millis = Int64(bitPattern: UInt64(high) << 32 | UInt64(low))
        return Segment.Entry(source: source, target: BucketLogging(targetBucket: targetBucket, targetPrefix: prefix, keyFormat: format),
                             eventMillis: millis, frame: start..<end, line: line)
    }

    private static func crc(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc = CRC32()
        bytes.withUnsafeBytes { crc.update($0) }
        return crc.value
    }

    private static func appendUInt32(_ bytes: inout [UInt8], _ value: UInt32) {
        bytes.append(contentsOf: [UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24)])
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset: Int
        var end: Int

        init(bytes: [UInt8], offset: Int, end: Int? = nil) {
            self.bytes = bytes; self.offset = offset; self.end = end ?? bytes.count
        }

        mutating func byte() -> UInt8? {
            guard offset < end else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func uint32() -> UInt32? {
            guard end - offset >= 4 else { return nil }
            defer { offset += 4 }
            return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
        }

        mutating func range() -> Range<Int>? {
            guard let length = uint32(), let count = Int(exactly: length), count <= end - offset else { return nil }
            defer { offset += count }
            return offset..<offset + count
        }

        mutating func string() -> String? { range().map { String(decoding: bytes[$0], as: UTF8.self) } }
    }
}
