import AWSJSON

/// ExpressionAttributeNames / ExpressionAttributeValues of one request, and which of them the request's expressions
/// used: DynamoDB rejects a request that defines a placeholder none of its expressions uses.
public struct ExpressionAttributes: Sendable {
    public var names: [String: String]?
    public var values: [String: AttributeValue]?
    public private(set) var usedNames: Set<String> = []
    public private(set) var usedValues: Set<String> = []

    public init(names: [String: String]?, values: [String: AttributeValue]?) {
        self.names = names
        self.values = values
    }

    /// Reads both members of a request with DynamoDB's checks of their keys and values.
    public static func from(_ request: JSONMembers) throws(AWSJSONError) -> ExpressionAttributes {
        var names: [String: String]?
        var values: [String: AttributeValue]?
        if let json = request.members["ExpressionAttributeNames"], json != .null {
            guard case .object(let entries) = json else { throw mapExpected(json) }
            if entries.isEmpty { throw .validation("ExpressionAttributeNames must not be empty") }
            var map: [String: String] = [:]
            for (key, entry) in entries.sorted(by: { $0.key < $1.key }) where entry != .null {
                guard isPlaceholder(key, "#") else {
                    throw .validation("ExpressionAttributeNames contains invalid key: Syntax error; key: \"\(key)\"")
                }
                let name = try AttributeValue.string(entry)
                if name.isEmpty { throw .validation("ExpressionAttributeNames contains invalid value: Empty attribute name for key \(key)") }
                map[key] = name
            }
            names = map
        }
        if let json = request.members["ExpressionAttributeValues"], json != .null {
            guard case .object(let entries) = json else { throw mapExpected(json) }
            if entries.isEmpty { throw .validation("ExpressionAttributeValues must not be empty") }
            let sorted = entries.sorted(by: { $0.key < $1.key }).filter { $0.value != .null }
            for (key, _) in sorted where !isPlaceholder(key, ":") {
                throw .validation("ExpressionAttributeValues contains invalid key: Syntax error; key: \"\(key)\"")
            }
            var map: [String: AttributeValue] = [:]
            for (key, entry) in sorted {
                do {
                    map[key] = try AttributeValue(json: entry)
                } catch where error.type == "ValidationException" {
                    throw .validation("ExpressionAttributeValues contains invalid value: \(error.message) for key \(key)")
                }
            }
            values = map
        }
        return ExpressionAttributes(names: names, values: values)
    }

    private static func mapExpected(_ json: JSONValue) -> AWSJSONError {
        if case .array = json { return .serialization("Start of list found where not expected") }
        return .serialization("Expected map or null")
    }

    static func isPlaceholder(_ key: String, _ sigil: Character) -> Bool {
        let bytes = Array(key.utf8)
        return key.first == sigil && bytes.count > 1 && bytes.dropFirst().allSatisfy(ExpressionLexer.isWordPart)
    }

    /// DynamoDB's checks that names and values come only with expressions. `given`: the expression parameters the
    /// request has; `valueExpressions`: those of the operation's expression parameters that can use values (all but
    /// ProjectionExpression), named in the message when none of them was given.
    public func checkSpecifiedWithExpressions(given: [String], valueExpressions: [String]) throws(AWSJSONError) {
        if names != nil, given.isEmpty {
            throw .validation("ExpressionAttributeNames can only be specified when using expressions")
        }
        if values != nil, !valueExpressions.isEmpty, !valueExpressions.contains(where: given.contains) {
            throw .validation("ExpressionAttributeValues can only be specified when using expressions: "
                              + valueExpressions.joined(separator: " and ") + (valueExpressions.count > 1 ? " are null" : " is null"))
        }
    }

    /// After all of a request's expressions were parsed: every defined placeholder must have been used.
    public func checkAllUsed() throws(AWSJSONError) {
        let unusedNames = (names?.keys).map { Set($0).subtracting(usedNames) } ?? []
        if !unusedNames.isEmpty {
            throw .validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {\(unusedNames.sorted().joined(separator: ", "))}")
        }
        let unusedValues = (values?.keys).map { Set($0).subtracting(usedValues) } ?? []
        if !unusedValues.isEmpty {
            throw .validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {\(unusedValues.sorted().joined(separator: ", "))}")
        }
    }

    /// The attribute name a `#name` placeholder stands for, or nil when it is not defined.
    mutating func resolveName(_ placeholder: String) -> String? {
        guard let name = names?[placeholder] else { return nil }
        usedNames.insert(placeholder)
        return name
    }

    mutating func resolveValue(_ placeholder: String) -> AttributeValue? {
        guard let value = values?[placeholder] else { return nil }
        usedValues.insert(placeholder)
        return value
    }
}
