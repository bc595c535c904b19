import AWSJSON
import LockstepCrypto

/// Reading and writing attribute values in DynamoDB's JSON (`{"S": "x"}`, `{"N": "12.5"}`, `{"B": "<base64>"}` …),
/// with DynamoDB's checks and messages: shapes that are not JSON of the right kind are SerializationExceptions (the
/// messages of its JSON reader), values JSON allows but DynamoDB does not are ValidationExceptions.
extension AttributeValue {
    /// Levels of nesting DynamoDB stores: a top-level value is level 1, so 31 map or list wrappings at most.
    public static let maxNestingLevels = 32

    static let typeKeys = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"]

    public init(json: JSONValue) throws(AWSJSONError) {
        self = try Self.decode(json, level: 1)
    }

    static func decode(_ json: JSONValue, level: Int) throws(AWSJSONError) -> AttributeValue {
        guard case .object(let members) = json else { throw structureExpected(json) }
        // Unknown members and nulls are dropped by DynamoDB's reader before validation, as if not sent.
        let present = typeKeys.filter { members[$0] != nil && members[$0] != .null }
        guard let first = present.first else {
            throw .validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        }
        // Every present member is read (and may fail) before the count is checked, as DynamoDB does.
        var value: AttributeValue?
        for key in present {
            let decoded = try decodeMember(key, members[key]!, level: level)
            if key == first { value = decoded }
        }
        if present.count > 1 {
            throw .validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
        }
        return value!
    }

    private static func decodeMember(_ key: String, _ json: JSONValue, level: Int) throws(AWSJSONError) -> AttributeValue {
        switch key {
        case "S":
            return .string(try string(json))
        case "N":
            return .number(try DynamoNumber.parse(try string(json)))
        case "B":
            return .binary(try blob(json))
        case "BOOL":
            return .bool(try boolean(json))
        case "NULL":
            guard try boolean(json) else {
                throw .validation("One or more parameter values were invalid: Null attribute value types must have the value of true")
            }
            return .null
        case "SS":
            let texts = try list(json) { (element) throws(AWSJSONError) -> String in
                guard element != .null else {
                    throw .validation("One or more parameter values were invalid: An string set may not have a null string as a member")
                }
                return try string(element)
            }
            guard !texts.isEmpty else { throw .validation("One or more parameter values were invalid: An string set  may not be empty") }
            if Set(texts).count != texts.count {
                throw .validation("One or more parameter values were invalid: Input collection [\(texts.joined(separator: ", "))] contains duplicates.")
            }
            return .stringSet(texts)
        case "NS":
            let numbers = try list(json) { (element) throws(AWSJSONError) -> DynamoNumber in
                guard element != .null else { throw .validation("The parameter cannot be converted to a numeric value") }
                return try DynamoNumber.parse(try string(element))
            }
            guard !numbers.isEmpty else { throw .validation("One or more parameter values were invalid: An number set  may not be empty") }
            if Set(numbers).count != numbers.count { throw .validation("Input collection contains duplicates") }
            return .numberSet(numbers)
        case "BS":
            var texts: [String] = []
            let blobs = try list(json) { (element) throws(AWSJSONError) -> [UInt8] in
                guard element != .null else {
                    throw .validation("One or more parameter values were invalid: Binary sets may not contain null or empty values")
                }
                if case .string(let text) = element { texts.append(text) }
                return try blob(element)
            }
            guard !blobs.isEmpty else { throw .validation("One or more parameter values were invalid: Binary sets should not be empty") }
            if Set(blobs).count != blobs.count {
                throw .validation("One or more parameter values were invalid: Input collection [\(texts.joined(separator: ", "))]of type BS contains duplicates.")
            }
            return .binarySet(blobs)
        case "L":
            guard level < maxNestingLevels || isEmptyCollection(json) else { throw nestingTooDeep }
            return .list(try list(json) { (element) throws(AWSJSONError) -> AttributeValue in
                try decode(element, level: level + 1)
            })
        default: // "M"
            guard level < maxNestingLevels || isEmptyCollection(json) else { throw nestingTooDeep }
            switch json {
            case .object(let entries):
                var map: [String: AttributeValue] = [:]
                for (name, element) in entries { map[name] = try decode(element, level: level + 1) }
                return .map(map)
            case .array: throw .serialization("Start of list found where not expected")
            default: throw .serialization("Expected map or null")
            }
        }
    }

    private static var nestingTooDeep: AWSJSONError {
        .validation("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit")
    }

    private static func isEmptyCollection(_ json: JSONValue) -> Bool {
        switch json {
        case .array(let elements): elements.isEmpty
        case .object(let entries): entries.isEmpty
        default: false
        }
    }

    // MARK: - DynamoDB's JSON reader messages

    static func structureExpected(_ json: JSONValue) -> AWSJSONError {
        if case .array = json { return .serialization("Start of list found where not expected") }
        return .serialization("Expected null")
    }

    static func string(_ json: JSONValue) throws(AWSJSONError) -> String {
        switch json {
        case .string(let text): return text
        case .bool: throw .serialization("class java.lang.Boolean can not be converted to an String")
        case .int, .double: throw .serialization("class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String")
        case .object: throw .serialization("Start of structure or map found where not expected.")
        case .array: throw .serialization("Start of list found where not expected")
        case .null: throw .serialization("Expected null")
        }
    }

    /// DynamoDB's reader takes "true"/"1"/"yes" and their opposites, in any case, for a boolean.
    static func boolean(_ json: JSONValue) throws(AWSJSONError) -> Bool {
        switch json {
        case .bool(let flag): return flag
        case .string(let text):
            switch text.uppercased() {
            case "TRUE", "1", "YES": return true
            case "FALSE", "0", "NO": return false
            default: throw .serialization("'\(text.uppercased())' can not be converted to an Boolean")
            }
        case .int, .double: throw .serialization("class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an Boolean")
        case .object: throw .serialization("Start of structure or map found where not expected.")
        case .array: throw .serialization("Start of list found where not expected")
        case .null: throw .serialization("Expected null")
        }
    }

    static func blob(_ json: JSONValue) throws(AWSJSONError) -> [UInt8] {
        let text: String
        switch json {
        case .string(let value): text = value
        case .bool: throw .serialization("class java.lang.Boolean can not be converted to a Blob")
        case .int, .double: throw .serialization("class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob")
        case .object: throw .serialization("Start of structure or map found where not expected.")
        case .array: throw .serialization("Start of list found where not expected")
        case .null: throw .serialization("Expected null")
        }
        let characters = Array(text.utf8)
        if characters.count % 4 != 0 {
            throw .serialization("'\(text)' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: \(characters.count)")
        }
        for (index, character) in characters.enumerated() {
            let isAlphabet = (character >= 65 && character <= 90) || (character >= 97 && character <= 122)
                || (character >= 48 && character <= 57) || character == 43 || character == 47
            let misplacedPad = character == 61 && index + 1 < characters.count && characters[index + 1] != 61
            if !(isAlphabet || character == 61) || misplacedPad {
                let shown = misplacedPad ? "=" : String(decoding: [character], as: UTF8.self)
                throw .serialization("'\(text)' can not be converted to a Blob: Invalid Base64 character: '\(shown)'")
            }
        }
        guard let bytes = Base64.decode(text), Base64.encode(bytes) == text else {
            throw .serialization("'\(text)' can not be converted to a Blob: Invalid last non-pad Base64 character dectected")
        }
        return bytes
    }

    static func list<Element>(_ json: JSONValue, _ element: (JSONValue) throws(AWSJSONError) -> Element) throws(AWSJSONError) -> [Element] {
        switch json {
        case .array(let elements):
            var result: [Element] = []
            result.reserveCapacity(elements.count)
            for item in elements { result.append(try element(item)) }
            return result
        case .object: throw .serialization("Start of structure or map found where not expected.")
        default: throw .serialization("Expected list or null")
        }
    }

    // MARK: - Writing

    /// `{"S": "…"}` and so on; numbers in their normalized text, binaries in base64.
    public var json: JSONValue {
        switch self {
        case .string(let text): .object(["S": .string(text)])
        case .number(let number): .object(["N": .string(number.description)])
        case .binary(let bytes): .object(["B": .string(Base64.encode(bytes))])
        case .bool(let flag): .object(["BOOL": .bool(flag)])
        case .null: .object(["NULL": .bool(true)])
        case .map(let entries): .object(["M": .object(entries.mapValues(\.json))])
        case .list(let elements): .object(["L": .array(elements.map(\.json))])
        case .stringSet(let texts): .object(["SS": .array(texts.map { .string($0) })])
        case .numberSet(let numbers): .object(["NS": .array(numbers.map { .string($0.description) })])
        case .binarySet(let blobs): .object(["BS": .array(blobs.map { .string(Base64.encode($0)) })])
        }
    }
}
