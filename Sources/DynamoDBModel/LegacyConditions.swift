import AWSJSON

/// The parameters older SDKs send instead of expressions (`Expected`, `QueryFilter`, `ScanFilter`, `KeyConditions`,
/// `AttributeUpdates`), turned into the same parsed forms as expressions, with DynamoDB's validation messages.
public enum LegacyConditions {
    static let comparisonOperators = ["IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT", "NOT_NULL", "NE", "LE", "BEGINS_WITH", "GE", "CONTAINS"]

    /// One attribute's condition: its name, operator and operands.
    struct Condition {
        var name: String
        var comparisonOperator: String
        var values: [AttributeValue]
    }

    /// `Expected` (and `ConditionalOperator` AND/OR) as a condition: `{"attr": {"Exists": false}}`,
    /// `{"Value": …[, "Exists": true]}` or `{"ComparisonOperator": "EQ", "AttributeValueList": […]}` per attribute.
    public static func expected(_ json: JSONValue, conditionalOperator: String?) throws(AWSJSONError) -> ConditionExpression {
        let entries = try object(json)
        var nodes: [ConditionExpression.Node] = []
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) where entry != .null {
            let members = try object(entry)
            let present = { (key: String) -> Bool in members[key] != nil && members[key] != .null }
            let path = DocumentPath(elements: [.name(name)])
            if present("AttributeValueList"), present("Value") {
                throw invalid("Value and AttributeValueList cannot be used together for Attribute: \(name)")
            }
            if present("ComparisonOperator") {
                if present("Exists") { throw invalid("Exists and ComparisonOperator cannot be used together for Attribute: \(name)") }
                let comparisonOperator = try enumeration(members["ComparisonOperator"]!, at: "expected.\(name).member.comparisonOperator")
                if comparisonOperator != "NULL", comparisonOperator != "NOT_NULL", !present("AttributeValueList"), !present("Value") {
                    throw invalid("Value or AttributeValueList must be used with ComparisonOperator: \(comparisonOperator) for Attribute: \(name)")
                }
                let values: [AttributeValue]
                if present("Value") {
                    values = [try AttributeValue(json: members["Value"]!)]
                } else {
                    values = try valueList(members["AttributeValueList"])
                }
                try checkArguments(comparisonOperator, values, expected: true)
                nodes.append(node(path, comparisonOperator, values))
            } else if present("AttributeValueList") {
                throw invalid("AttributeValueList can only be used with a ComparisonOperator for Attribute: \(name)")
            } else {
                var exists: Bool?
                if let flag = members["Exists"], flag != .null { exists = try AttributeValue.boolean(flag) }
                if exists ?? true {
                    guard present("Value") else {
                        throw invalid("Value must be provided when Exists is \(exists.map { String($0) } ?? "null") for Attribute: \(name)")
                    }
                    nodes.append(.compare(.path(path), .equal, .value(try AttributeValue(json: members["Value"]!))))
                } else {
                    if present("Value") { throw invalid("Value cannot be used when Exists is false for Attribute: \(name)") }
                    nodes.append(.attributeNotExists(path))
                }
            }
        }
        return try combine(nodes, conditionalOperator)
    }

    /// `QueryFilter` / `ScanFilter`: attribute names to ComparisonOperator and AttributeValueList. `parameter` is the
    /// member's name as DynamoDB spells it in messages (`QueryFilter`).
    public static func filter(_ json: JSONValue, conditionalOperator: String?, parameter: String) throws(AWSJSONError) -> ConditionExpression {
        let member = parameter.prefix(1).lowercased() + parameter.dropFirst()
        let nodes = try conditions(json, member: member).map { node(DocumentPath(elements: [.name($0.name)]), $0.comparisonOperator, $0.values) }
        return try combine(nodes, conditionalOperator)
    }

    /// Reads and checks a map of legacy conditions (filters and KeyConditions).
    static func conditions(_ json: JSONValue, member: String) throws(AWSJSONError) -> [Condition] {
        var result: [Condition] = []
        for (name, entry) in try object(json).sorted(by: { $0.key < $1.key }) where entry != .null {
            let members = try object(entry)
            guard let operatorJSON = members["ComparisonOperator"], operatorJSON != .null else {
                throw .validation("1 validation error detected: Value null at '\(member).\(name).member.comparisonOperator' failed to satisfy constraint: Member must not be null")
            }
            let comparisonOperator = try enumeration(operatorJSON, at: "\(member).\(name).member.comparisonOperator")
            let values = try valueList(members["AttributeValueList"])
            try checkArguments(comparisonOperator, values)
            result.append(Condition(name: name, comparisonOperator: comparisonOperator, values: values))
        }
        return result
    }

    /// Operand count, a single type among the operands, the types each operator takes, and BETWEEN's order.
    static func checkArguments(_ comparisonOperator: String, _ values: [AttributeValue], expected: Bool = false) throws(AWSJSONError) {
        let counts: [String: ClosedRange<Int>] = [
            "NULL": 0...0, "NOT_NULL": 0...0, "EQ": 1...1, "NE": 1...1, "LE": 1...1, "LT": 1...1, "GE": 1...1, "GT": 1...1,
            "CONTAINS": 1...1, "NOT_CONTAINS": 1...1, "BEGINS_WITH": 1...1, "IN": 1...Int.max, "BETWEEN": 2...2,
        ]
        if let range = counts[comparisonOperator], !range.contains(values.count) {
            throw invalid("Invalid number of argument(s) for the \(comparisonOperator) ComparisonOperator")
        }
        if let first = values.first, values.contains(where: { $0.typeName != first.typeName }) {
            throw invalid("AttributeValues inside AttributeValueList must be of same type")
        }
        let types: [String: Set<String>] = [
            "EQ": ["S", "N", "B", "SS", "NS", "BS"], "NE": ["S", "N", "B", "SS", "NS", "BS"],
            "LE": ["S", "N", "B"], "LT": ["S", "N", "B"], "GE": ["S", "N", "B"], "GT": ["S", "N", "B"],
            "CONTAINS": ["S", "N", "B"], "NOT_CONTAINS": ["S", "N", "B"], "BEGINS_WITH": ["S", "B"], "IN": ["S", "N", "B"], "BETWEEN": ["S", "N", "B"],
        ]
        // Expected's EQ and NE also compare documents and the other types, as expressions do.
        if !(expected && (comparisonOperator == "EQ" || comparisonOperator == "NE")), let allowed = types[comparisonOperator] {
            for value in values where !allowed.contains(value.typeName) {
                throw invalid("ComparisonOperator \(comparisonOperator) is not valid for \(value.typeName) AttributeValue type")
            }
        }
        if comparisonOperator == "BETWEEN", AttributeValue.compare(values[0], values[1]) == .orderedDescending {
            throw .validation("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound")
        }
    }

    /// The condition a legacy operator expresses on one attribute.
    static func node(_ path: DocumentPath, _ comparisonOperator: String, _ values: [AttributeValue]) -> ConditionExpression.Node {
        let attribute = ConditionExpression.Operand.path(path)
        let operands = values.map { ConditionExpression.Operand.value($0) }
        switch comparisonOperator {
        case "EQ": return .compare(attribute, .equal, operands[0])
        case "NE": return .compare(attribute, .notEqual, operands[0])
        case "LT": return .compare(attribute, .less, operands[0])
        case "LE": return .compare(attribute, .lessOrEqual, operands[0])
        case "GT": return .compare(attribute, .greater, operands[0])
        case "GE": return .compare(attribute, .greaterOrEqual, operands[0])
        case "NULL": return .attributeNotExists(path)
        case "NOT_NULL": return .attributeExists(path)
        case "CONTAINS": return .contains(attribute, operands[0])
        // A missing attribute contains nothing, but does not match NOT_CONTAINS either.
        case "NOT_CONTAINS": return .and(.attributeExists(path), .not(.contains(attribute, operands[0])))
        case "BEGINS_WITH": return .beginsWith(attribute, operands[0])
        case "IN": return .within(attribute, operands)
        default: return .between(attribute, operands[0], operands[1])
        }
    }

    static func combine(_ nodes: [ConditionExpression.Node], _ conditionalOperator: String?) throws(AWSJSONError) -> ConditionExpression {
        let useOr: Bool
        switch conditionalOperator {
        case nil, "AND": useOr = false
        case "OR": useOr = true
        case let other?:
            throw .validation("1 validation error detected: Value '\(other)' at 'conditionalOperator' failed to satisfy constraint: "
                              + "Member must satisfy enum value set: [OR, AND]")
        }
        guard var root = nodes.first else { return ConditionExpression(root: .always, topLevelNames: []) }
        for node in nodes.dropFirst() { root = useOr ? .or(root, node) : .and(root, node) }
        return ConditionExpression(root: root, topLevelNames: [])
    }

    /// Legacy `AttributeUpdates` of UpdateItem: `{"attr": {"Action": "PUT" | "ADD" | "DELETE", "Value": …}}`.
    public static func attributeUpdates(_ json: JSONValue) throws(AWSJSONError) -> UpdateExpression {
        var actions: [UpdateExpression.Action] = []
        for (name, entry) in try object(json).sorted(by: { $0.key < $1.key }) where entry != .null {
            let members = try object(entry)
            let path = DocumentPath(elements: [.name(name)])
            var action = "PUT"
            if let actionJSON = members["Action"], actionJSON != .null {
                action = try AttributeValue.string(actionJSON)
                guard ["ADD", "PUT", "DELETE"].contains(action) else {
                    throw .validation("1 validation error detected: Value '\(action)' at 'attributeUpdates.\(name).member.action' failed to satisfy "
                                      + "constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]")
                }
            }
            var value: AttributeValue?
            if let valueJSON = members["Value"], valueJSON != .null { value = try AttributeValue(json: valueJSON) }
            guard let value else {
                guard action == "DELETE" else { throw invalid("Only DELETE action is allowed when no attribute value is specified") }
                actions.append(.remove(path))
                continue
            }
            switch action {
            case "PUT":
                actions.append(.set(path, .operand(.value(value))))
            case "DELETE":
                guard ["SS", "NS", "BS"].contains(value.typeName) else {
                    throw invalid("DELETE action with value is not supported for the type \(value.typeName)")
                }
                actions.append(.delete(path, value))
            default:
                guard ["L", "SS", "NS", "BS", "N"].contains(value.typeName) else {
                    throw invalid("ADD action is not supported for the type \(value.typeName)")
                }
                actions.append(.add(path, value))
            }
        }
        return UpdateExpression(actions: actions, legacy: true)
    }

    // MARK: - Reading

    static func invalid(_ why: String) -> AWSJSONError {
        .validation("One or more parameter values were invalid: \(why)")
    }

    static func object(_ json: JSONValue) throws(AWSJSONError) -> [String: JSONValue] {
        switch json {
        case .object(let members): return members
        case .array: throw .serialization("Start of list found where not expected")
        default: throw .serialization("Expected map or null")
        }
    }

    static func valueList(_ json: JSONValue?) throws(AWSJSONError) -> [AttributeValue] {
        guard let json, json != .null else { return [] }
        return try AttributeValue.list(json) { (element) throws(AWSJSONError) -> AttributeValue in try AttributeValue(json: element) }
    }

    static func enumeration(_ json: JSONValue, at location: String) throws(AWSJSONError) -> String {
        let text = try AttributeValue.string(json)
        guard comparisonOperators.contains(text) else {
            throw .validation("1 validation error detected: Value '\(text)' at '\(location)' failed to satisfy constraint: "
                              + "Member must satisfy enum value set: [\(comparisonOperators.joined(separator: ", "))]")
        }
        return text
    }
}
