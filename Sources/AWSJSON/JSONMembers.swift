import Foundation
import LockstepCrypto
import Synchronization

/// The members of one AWS JSON request (or of a nested object), read with AWS's checks: a missing required member or one out of its bounds is a
/// ValidationException, a member of the wrong JSON type a SerializationException.
public struct JSONMembers: Sendable {
    public let members: [String: JSONValue]

    /// An empty body counts as `{}`; anything but a JSON object is a SerializationException.
    public init(body: [UInt8]) throws(AWSJSONError) {
        if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            members = [:]
            return
        }
        guard let value = try? JSONValue.parse(body) else {
            throw AWSJSONError.serialization("The request body is not valid JSON.")
        }
        guard case .object(let members) = value else {
            throw AWSJSONError.serialization("Start of structure or map found where not expected.")
        }
        self.members = members
    }

    private func value(_ name: String) -> JSONValue? {
        guard let value = members[name], value != .null else { return nil }
        return value
    }

    public func string(_ name: String, required: Bool = false, length: ClosedRange<Int>? = nil, pattern: String? = nil) throws(AWSJSONError) -> String? {
        guard let value = value(name) else {
            if required { throw AWSJSONError.missing(name) }
            return nil
        }
        guard case .string(let text) = value else { throw AWSJSONError.wrongType(name, "a string") }
        if let length {
            if text.count < length.lowerBound {
                throw AWSJSONError.constraint(name, text, "Member must have length greater than or equal to \(length.lowerBound)")
            }
            if text.count > length.upperBound {
                throw AWSJSONError.constraint(name, text, "Member must have length less than or equal to \(length.upperBound)")
            }
        }
        if let pattern, !Self.matches(text, pattern) {
            throw AWSJSONError.constraint(name, text, "Member must satisfy regular expression pattern: \(pattern)")
        }
        return text
    }

    /// A string that must be one of `allowed` (AWS's enum check).
    public func enumeration(_ name: String, _ allowed: [String]) throws(AWSJSONError) -> String? {
        guard let text = try string(name) else { return nil }
        guard allowed.contains(text) else {
            throw AWSJSONError.constraint(name, text, "Member must satisfy enum value set: [\(allowed.joined(separator: ", "))]")
        }
        return text
    }

    public func int(_ name: String, range: ClosedRange<Int>? = nil) throws(AWSJSONError) -> Int? {
        guard let value = value(name) else { return nil }
        let number: Int
        switch value {
        case .int(let n) where n >= Int64(Int32.min) && n <= Int64(Int32.max): number = Int(n)
        case .double(let d) where d == d.rounded() && abs(d) <= Double(Int32.max): number = Int(d)
        default: throw AWSJSONError.wrongType(name, "an integer")
        }
        if let range {
            if number < range.lowerBound {
                throw AWSJSONError.constraint(name, String(number), "Member must have value greater than or equal to \(range.lowerBound)")
            }
            if number > range.upperBound {
                throw AWSJSONError.constraint(name, String(number), "Member must have value less than or equal to \(range.upperBound)")
            }
        }
        return number
    }

    public func bool(_ name: String) throws(AWSJSONError) -> Bool? {
        guard let value = value(name) else { return nil }
        guard case .bool(let flag) = value else { throw AWSJSONError.wrongType(name, "a boolean") }
        return flag
    }

    /// A base64 blob member, checked for length after decoding.
    public func blob(_ name: String, required: Bool = false, length: ClosedRange<Int>) throws(AWSJSONError) -> [UInt8]? {
        guard let value = value(name) else {
            if required { throw AWSJSONError.missing(name) }
            return nil
        }
        guard case .string(let text) = value else { throw AWSJSONError.wrongType(name, "a base64 string") }
        guard let bytes = Base64.decode(text) else { throw AWSJSONError.serialization("Invalid base64 in \(name).") }
        if bytes.count < length.lowerBound {
            throw AWSJSONError.constraint(name, "java.nio.HeapByteBuffer", "Member must have length greater than or equal to \(length.lowerBound)")
        }
        if bytes.count > length.upperBound {
            throw AWSJSONError.constraint(name, "java.nio.HeapByteBuffer", "Member must have length less than or equal to \(length.upperBound)")
        }
        return bytes
    }

    public func stringMap(_ name: String) throws(AWSJSONError) -> [String: String]? {
        guard let value = value(name) else { return nil }
        guard case .object(let entries) = value else { throw AWSJSONError.wrongType(name, "an object") }
        var map: [String: String] = [:]
        for (key, entry) in entries {
            guard case .string(let text) = entry else { throw AWSJSONError.wrongType(name, "an object of strings") }
            map[key] = text
        }
        return map
    }

    public func objects(_ name: String) throws(AWSJSONError) -> [JSONMembers]? {
        guard let value = value(name) else { return nil }
        guard case .array(let items) = value else { throw AWSJSONError.wrongType(name, "a list") }
        var result: [JSONMembers] = []
        for item in items {
            guard case .object(let members) = item else { throw AWSJSONError.wrongType(name, "a list of objects") }
            result.append(JSONMembers(members: members))
        }
        return result
    }

    /// Compiled patterns, kept: compiling one for every request was 8 % of a DynamoDB request's CPU.
    private static let patterns = Mutex<[String: NSRegularExpression]>([:])

    static func matches(_ text: String, _ pattern: String) -> Bool {
        let compiled = patterns.withLock { cache -> NSRegularExpression? in
            if let known = cache[pattern] { return known }
            let made = try? NSRegularExpression(pattern: pattern)
            cache[pattern] = made
            return made
        }
        guard let compiled else { return false }
        return compiled.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// A nested structure member.
    public func object(_ name: String, required: Bool = false) throws(AWSJSONError) -> JSONMembers? {
        guard let value = value(name) else {
            if required { throw AWSJSONError.missing(name) }
            return nil
        }
        guard case .object(let members) = value else { throw AWSJSONError.wrongType(name, "an object") }
        return JSONMembers(members: members)
    }

    /// A list of strings.
    public func strings(_ name: String) throws(AWSJSONError) -> [String]? {
        guard let value = value(name) else { return nil }
        guard case .array(let items) = value else { throw AWSJSONError.wrongType(name, "a list") }
        var result: [String] = []
        for item in items {
            guard case .string(let text) = item else { throw AWSJSONError.wrongType(name, "a list of strings") }
            result.append(text)
        }
        return result
    }

    /// The member's raw JSON, null as absent.
    public subscript(name: String) -> JSONValue? { value(name) }

    public init(members: [String: JSONValue]) { self.members = members }
}

