/// A JSON value as a policy document holds it — a bucket policy or a POST Object form's policy: members keep their
/// order and numbers keep their text (a condition value `10` compares as written, `512.0` can be told from `512`).
/// Parsed by hand rather than with JSONSerialization so that nesting is bounded before any recursion, invalid UTF-8 is
/// refused, and `true` never reads as `1`.
public indirect enum PolicyJSON: Equatable, Sendable {
    case object([Member])
    case array([PolicyJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    public struct Member: Equatable, Sendable {
        public var name: String
        public var value: PolicyJSON
    }

    public enum ParseError: Error, Equatable {
        case invalid
        case duplicateMember
    }

    /// What a document kind allows beyond RFC 8259.
    public struct Options: Sendable {
        /// A bucket policy refuses a member named twice; a POST policy lets the last one stand.
        public var allowsDuplicateMembers = false
        /// The `\$` and `\v` escapes S3's POST policy documentation lists.
        public var postPolicyEscapes = false

        public static let bucketPolicy = Options()
        public static let postPolicy = Options(allowsDuplicateMembers: true, postPolicyEscapes: true)
    }

    /// Deeper than any policy needs (Statement → Condition → operator → key → values is five); it keeps the
    /// recursion shallow whatever the input.
    static let maximumDepth = 32

    public static func parse(_ bytes: [UInt8], options: Options = .bucketPolicy) throws(ParseError) -> PolicyJSON {
        var parser = Parser(bytes: bytes, options: options)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw .invalid }
        return value
    }

    /// The size S3 limits: the document without the whitespace between tokens.
    static func normalizedSize(_ bytes: [UInt8]) -> Int {
        var size = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                size += 1
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if !isWhitespace(byte) {
                size += 1
                if byte == UInt8(ascii: "\"") { inString = true }
            }
        }
        return size
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private struct Parser {
        let bytes: [UInt8]
        let options: Options
        var index = 0

        mutating func skipWhitespace() {
            while index < bytes.count, PolicyJSON.isWhitespace(bytes[index]) { index += 1 }
        }

        mutating func value(depth: Int) throws(ParseError) -> PolicyJSON {
            guard index < bytes.count else { throw .invalid }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                guard depth < PolicyJSON.maximumDepth else { throw .invalid }
                return try object(depth: depth + 1)
            case UInt8(ascii: "["):
                guard depth < PolicyJSON.maximumDepth else { throw .invalid }
                return try array(depth: depth + 1)
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            default:
                return .number(try number())
            }
        }

        mutating func object(depth: Int) throws(ParseError) -> PolicyJSON {
            index += 1
            var members: [Member] = []
            var names = Set<String>()
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw .invalid }
                let name = try string()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw .invalid }
                index += 1
                skipWhitespace()
                let member = try value(depth: depth)
                guard names.insert(name).inserted || options.allowsDuplicateMembers else { throw .duplicateMember }
                members.append(Member(name: name, value: member))
                skipWhitespace()
                guard index < bytes.count else { throw .invalid }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                } else if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(members)
                } else {
                    throw .invalid
                }
            }
        }

        mutating func array(depth: Int) throws(ParseError) -> PolicyJSON {
            index += 1
            var items: [PolicyJSON] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth))
                skipWhitespace()
                guard index < bytes.count else { throw .invalid }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                } else if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(items)
                } else {
                    throw .invalid
                }
            }
        }

        mutating func literal(_ word: StaticString) throws(ParseError) {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw .invalid }
            let text = word.utf8Start
            for offset in 0..<count where bytes[index + offset] != text[offset] { throw .invalid }
            index += count
        }

        mutating func number() throws(ParseError) -> String {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw .invalid }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw .invalid }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                guard index < bytes.count, isDigit(bytes[index]) else { throw .invalid }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

        mutating func string() throws(ParseError) -> String {
            index += 1
            var out: [UInt8] = []
            while true {
                guard index < bytes.count else { throw .invalid }
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    // Raw bytes must be UTF-8; escapes below only ever append valid scalars.
                    guard let text = String(validating: out, as: UTF8.self) else { throw .invalid }
                    return text
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw .invalid }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"): out.append(contentsOf: try unicodeEscape())
                    case UInt8(ascii: "$") where options.postPolicyEscapes: out.append(escape)
                    case UInt8(ascii: "v") where options.postPolicyEscapes: out.append(0x0B)
                    default: throw .invalid
                    }
                case 0..<0x20:
                    throw .invalid
                default:
                    out.append(byte)
                }
            }
        }

        /// `\uXXXX`, or a surrogate pair of them; an unpaired surrogate is refused (RFC 8259 leaves it undefined).
        mutating func unicodeEscape() throws(ParseError) -> [UInt8] {
            let high = try hex4()
            var code = high
            if (0xD800...0xDBFF).contains(high) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw .invalid }
                index += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw .invalid }
                code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(high) {
                throw .invalid
            }
            guard let scalar = Unicode.Scalar(code) else { throw .invalid }
            return Array(String(Character(scalar)).utf8)
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw .invalid }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                index += 1
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: throw .invalid
                }
                value = value << 4 | digit
            }
            return value
        }
    }
}
