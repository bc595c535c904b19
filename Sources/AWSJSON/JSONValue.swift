import Foundation
import LockstepCrypto

/// A JSON value with its exact type kept, so a number sent where a string belongs is a SerializationException as at
/// AWS, not silently converted.
///
/// Parsed with Foundation's `JSONSerialization` and written by `bytes`: decoding through `Codable` had to probe each
/// value's type by failing decodes, which was 12 % of a DynamoDB request's CPU (docs/benchmarks.md).
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public struct ParseError: Error {}

    /// A whole JSON document (any value at the top, as `JSONSerialization` with fragments allowed reads it).
    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> JSONValue {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else { throw ParseError() }
        return try value(of: object)
    }

    private static func value(of object: Any) throws(ParseError) -> JSONValue {
        // Containers and strings first: asking whether a Swift dictionary is an NSNumber bridges it to Objective-C.
        switch object {
        case let text as String:
            return .string(text)
        case let members as [String: Any]:
            var values: [String: JSONValue] = [:]
            values.reserveCapacity(members.count)
            for (key, member) in members { values[key] = try value(of: member) }
            return .object(values)
        case let items as [Any]:
            var values: [JSONValue] = []
            values.reserveCapacity(items.count)
            for item in items { values.append(try value(of: item)) }
            return .array(values)
        case is NSNull:
            return .null
        case let number as NSNumber:
            // Booleans are NSNumbers too; their Objective-C type is `c` (char), which no JSON number is parsed as.
            switch String(cString: number.objCType) {
            case "c": return .bool(number.boolValue)
            case "d", "f": return .double(number.doubleValue)
            case "Q" where number.uint64Value > UInt64(Int64.max): return .double(number.doubleValue)
            default: return .int(number.int64Value)
            }
        default:
            throw ParseError()
        }
    }

    /// Epoch seconds with the millisecond fraction, as AWS JSON timestamps are.
    public static func timestamp(_ millis: Int64) -> JSONValue {
        millis % 1000 == 0 ? .int(millis / 1000) : .double(Double(millis) / 1000)
    }

    /// Compact JSON with object keys sorted, so equal values are equal bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out)
        return out
    }

    private func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .int(let number): out += Array(String(number).utf8)
        case .double(let number):
            // Integral values as integers, as JSONEncoder writes them; JSON has no infinities or NaN.
            if number.isFinite, number == number.rounded(), abs(number) < 1e15 {
                out += Array(String(Int64(number)).utf8)
            } else {
                out += Array((number.isFinite ? "\(number)" : "null").utf8)
            }
        case .string(let text): Self.writeString(text, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string: quotes, backslashes and control characters escaped, everything else as UTF-8.
    private static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x00..<0x20:
                out += Array("\\u00".utf8)
                out += Array([byte].hexString.utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
