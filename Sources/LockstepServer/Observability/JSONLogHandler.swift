#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// `--log-format json`: one JSON object per line — `time` (ISO 8601, UTC, milliseconds), `level`, `message`, `label`,
/// then the metadata's keys beside them (a key that would shadow one of those gets a leading `_`); integers and finite
/// doubles are JSON numbers, everything else a string. Each line goes out in one `write`, so lines from concurrent
/// requests never interleave.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let write: @Sendable ([UInt8]) -> Void

    /// Lines go to standard error unless `write` takes them (tests).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil,
                write: @escaping @Sendable ([UInt8]) -> Void = JSONLogHandler.writeToStandardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let given = event.metadata { fields.merge(given) { _, new in new } }
        var line: [UInt8] = []
        line.reserveCapacity(160)
        line += #"{"time":""#.utf8
        Self.appendTimestamp(to: &line)
        line += #"","level":"#.utf8
        Self.appendString(event.level.rawValue, to: &line)
        line += #","message":"#.utf8
        Self.appendString(event.message.description, to: &line)
        line += #","label":"#.utf8
        Self.appendString(label, to: &line)
        if let error = event.error {
            line += #","error":"#.utf8
            Self.appendString("\(error)", to: &line)
        }
        for key in fields.keys.sorted() {
            line.append(UInt8(ascii: ","))
            Self.appendString(Self.reserved.contains(key) ? "_" + key : key, to: &line)
            line.append(UInt8(ascii: ":"))
            Self.appendValue(fields[key]!, to: &line)
        }
        line += "}\n".utf8
        write(line)
    }

    static let reserved: Set<String> = ["time", "level", "message", "label", "error"]

    static func appendValue(_ value: Logger.MetadataValue, to line: inout [UInt8]) {
        switch value {
        case .string(let text): appendString(text, to: &line)
        case .stringConvertible(let value as any BinaryInteger): line += value.description.utf8
        case .stringConvertible(let value as Double) where value.isFinite: line += value.description.utf8
        case .stringConvertible(let value): appendString(value.description, to: &line)
        case .array(let values):
            line.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                appendValue(value, to: &line)
            }
            line.append(UInt8(ascii: "]"))
        case .dictionary(let values):
            line.append(UInt8(ascii: "{"))
            for (index, key) in values.keys.sorted().enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                appendString(key, to: &line)
                line.append(UInt8(ascii: ":"))
                appendValue(values[key]!, to: &line)
            }
            line.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped; everything else as UTF-8.
    static func appendString(_ text: String, to line: inout [UInt8]) {
        line.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): line += #"\""#.utf8
            case UInt8(ascii: "\\"): line += #"\\"#.utf8
            case UInt8(ascii: "\n"): line += #"\n"#.utf8
            case UInt8(ascii: "\r"): line += #"\r"#.utf8
            case UInt8(ascii: "\t"): line += #"\t"#.utf8
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                line += #"\u00"#.utf8
                line.append(hex[Int(byte >> 4)])
                line.append(hex[Int(byte & 0xF)])
            default: line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }

    /// `2026-12-05T10:43:27.123Z`, from the real-time clock.
    static func appendTimestamp(to line: inout [UInt8]) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var value = value
            while divisor > 0 {
                line.append(UInt8(ascii: "0") + UInt8(value / divisor))
                value %= divisor
                divisor /= 10
            }
        }
        digits(Int(parts.tm_year) + 1900, 4); line.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2); line.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2); line.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2); line.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2); line.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2); line.append(UInt8(ascii: "."))
        digits(Int(now.tv_nsec) / 1_000_000, 3); line.append(UInt8(ascii: "Z"))
    }

    public static let writeToStandardError: @Sendable ([UInt8]) -> Void = { bytes in writeAll(bytes, to: 2) }
}

/// `write(2)` until every byte is out (or the descriptor fails: a log line is not worth stopping the server for).
private func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
