import Foundation
import LockstepCrypto

/// A JSON value with its exact type kept, so a number sent where a string belongs is a SerializationException as at
/// AWS, not silently converted.
enum JSONValue: Codable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Epoch seconds with the millisecond fraction, as AWS JSON timestamps are.
    static func timestamp(_ millis: Int64) -> JSONValue {
        millis % 1000 == 0 ? .int(millis / 1000) : .double(Double(millis) / 1000)
    }

    var bytes: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data("{}".utf8))
    }
}

/// The members of one KMS request, read with AWS's checks: a missing required member or one out of its bounds is a
/// ValidationException, a member of the wrong JSON type a SerializationException.
struct KMSRequest {
    let members: [String: JSONValue]

    /// An empty body counts as `{}`; anything but a JSON object is a SerializationException.
    init(body: [UInt8]) throws(KMSError) {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            members = [:]
            return
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) else {
            throw KMSError.serialization("The request body is not valid JSON.")
        }
        guard case .object(let members) = value else {
            throw KMSError.serialization("Start of structure or map found where not expected.")
        }
        self.members = members
    }

    private func value(_ name: String) -> JSONValue? {
        guard let value = members[name], value != .null else { return nil }
        return value
    }

    func string(_ name: String, required: Bool = false, length: ClosedRange<Int>? = nil, pattern: String? = nil) throws(KMSError) -> String? {
        guard let value = value(name) else {
            if required { throw KMSError.missing(name) }
            return nil
        }
        guard case .string(let text) = value else { throw KMSError.wrongType(name, "a string") }
        if let length {
            if text.count < length.lowerBound {
                throw KMSError.constraint(name, text, "Member must have length greater than or equal to \(length.lowerBound)")
            }
            if text.count > length.upperBound {
                throw KMSError.constraint(name, text, "Member must have length less than or equal to \(length.upperBound)")
            }
        }
        if let pattern, text.range(of: pattern, options: .regularExpression) == nil {
            throw KMSError.constraint(name, text, "Member must satisfy regular expression pattern: \(pattern)")
        }
        return text
    }

    /// A string that must be one of `allowed` (AWS's enum check).
    func enumeration(_ name: String, _ allowed: [String]) throws(KMSError) -> String? {
        guard let text = try string(name) else { return nil }
        guard allowed.contains(text) else {
            throw KMSError.constraint(name, text, "Member must satisfy enum value set: [\(allowed.joined(separator: ", "))]")
        }
        return text
    }

    func int(_ name: String, range: ClosedRange<Int>? = nil) throws(KMSError) -> Int? {
        guard let value = value(name) else { return nil }
        let number: Int
        switch value {
        case .int(let n) where n >= Int64(Int32.min) && n <= Int64(Int32.max): number = Int(n)
        case .double(let d) where d == d.rounded() && abs(d) <= Double(Int32.max): number = Int(d)
        default: throw KMSError.wrongType(name, "an integer")
        }
        if let range {
            if number < range.lowerBound {
                throw KMSError.constraint(name, String(number), "Member must have value greater than or equal to \(range.lowerBound)")
            }
            if number > range.upperBound {
                throw KMSError.constraint(name, String(number), "Member must have value less than or equal to \(range.upperBound)")
            }
        }
        return number
    }

    func bool(_ name: String) throws(KMSError) -> Bool? {
        guard let value = value(name) else { return nil }
        guard case .bool(let flag) = value else { throw KMSError.wrongType(name, "a boolean") }
        return flag
    }

    /// A base64 blob member, checked for length after decoding.
    func blob(_ name: String, required: Bool = false, length: ClosedRange<Int>) throws(KMSError) -> [UInt8]? {
        guard let value = value(name) else {
            if required { throw KMSError.missing(name) }
            return nil
        }
        guard case .string(let text) = value else { throw KMSError.wrongType(name, "a base64 string") }
        guard let bytes = Base64.decode(text) else { throw KMSError.serialization("Invalid base64 in \(name).") }
        if bytes.count < length.lowerBound {
            throw KMSError.constraint(name, "java.nio.HeapByteBuffer", "Member must have length greater than or equal to \(length.lowerBound)")
        }
        if bytes.count > length.upperBound {
            throw KMSError.constraint(name, "java.nio.HeapByteBuffer", "Member must have length less than or equal to \(length.upperBound)")
        }
        return bytes
    }

    func stringMap(_ name: String) throws(KMSError) -> [String: String]? {
        guard let value = value(name) else { return nil }
        guard case .object(let entries) = value else { throw KMSError.wrongType(name, "an object") }
        var map: [String: String] = [:]
        for (key, entry) in entries {
            guard case .string(let text) = entry else { throw KMSError.wrongType(name, "an object of strings") }
            map[key] = text
        }
        return map
    }

    func objects(_ name: String) throws(KMSError) -> [KMSRequest]? {
        guard let value = value(name) else { return nil }
        guard case .array(let items) = value else { throw KMSError.wrongType(name, "a list") }
        var result: [KMSRequest] = []
        for item in items {
            guard case .object(let members) = item else { throw KMSError.wrongType(name, "a list of objects") }
            result.append(KMSRequest(members: members))
        }
        return result
    }

    private init(members: [String: JSONValue]) { self.members = members }
}

/// Opaque list markers: base64 of the last item's sort key, so a page boundary survives deletions in between.
enum KMSMarker {
    static func make(_ position: String) -> String { Base64.encode(Array(position.utf8)) }

    static func position(_ marker: String?) throws(KMSError) -> String? {
        guard let marker else { return nil }
        guard let bytes = Base64.decode(marker), let text = String(validating: bytes, as: UTF8.self) else {
            throw KMSError("InvalidMarkerException", "The marker \(marker) is not valid.")
        }
        return text
    }

    /// One page of `items` (already in marker order) after `marker`, with the next marker when more remain.
    static func page<T>(_ items: [T], marker: String?, limit: Int, position: (T) -> String) throws(KMSError) -> (items: [T], next: String?) {
        var rest = items[...]
        if let after = try Self.position(marker) { rest = rest.drop { position($0) <= after } }
        let page = Array(rest.prefix(limit))
        let next = rest.count > limit ? page.last.map { make(position($0)) } : nil
        return (page, next)
    }

    /// `Truncated` always, `NextMarker` only when there is a next page.
    static func fields(next: String?) -> [String: JSONValue] {
        var fields: [String: JSONValue] = ["Truncated": .bool(next != nil)]
        if let next { fields["NextMarker"] = .string(next) }
        return fields
    }
}
