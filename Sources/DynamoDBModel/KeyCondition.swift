import AWSJSON
import Foundation

/// The sort key part of a Query's key condition.
public enum KeyRangeCondition: Sendable {
    case equal(AttributeValue)
    case less(AttributeValue)
    case lessOrEqual(AttributeValue)
    case greater(AttributeValue)
    case greaterOrEqual(AttributeValue)
    case between(AttributeValue, AttributeValue)
    case beginsWith(AttributeValue)

    public func matches(_ value: AttributeValue) -> Bool {
        func order(_ bound: AttributeValue) -> ComparisonResult? { AttributeValue.compare(value, bound) }
        switch self {
        case .equal(let bound): return order(bound) == .orderedSame
        case .less(let bound): return order(bound) == .orderedAscending
        case .lessOrEqual(let bound): return order(bound).map { $0 != .orderedDescending } ?? false
        case .greater(let bound): return order(bound) == .orderedDescending
        case .greaterOrEqual(let bound): return order(bound).map { $0 != .orderedAscending } ?? false
        case .between(let low, let high):
            guard let lower = order(low), let upper = order(high) else { return false }
            return lower != .orderedAscending && upper != .orderedDescending
        case .beginsWith(let prefix):
            switch (value, prefix) {
            case (.string(let text), .string(let start)): return text.utf8.starts(with: start.utf8)
            case (.binary(let bytes), .binary(let start)): return bytes.starts(with: start)
            default: return false
            }
        }
    }
}

/// A Query's key condition: the partition key's value and an optional condition on the sort key.
public struct KeyCondition: Sendable {
    public var hashValue: AttributeValue
    public var range: KeyRangeCondition?

    public init(hashValue: AttributeValue, range: KeyRangeCondition? = nil) {
        self.hashValue = hashValue
        self.range = range
    }

    /// One attribute's condition in the legacy vocabulary (EQ, LT, BETWEEN, BEGINS_WITH…), which both forms reduce to.
    struct Extracted {
        var comparisonOperator: String
        var values: [AttributeValue]
    }

    /// KeyConditionExpression: `#h = :h [AND <sort key condition>]`, operands in either order, with DynamoDB's
    /// messages for what a key condition cannot contain and for conditions that do not fit the schema.
    public static func parse(_ text: String, _ attributes: inout ExpressionAttributes, schema: KeySchema) throws(AWSJSONError) -> KeyCondition {
        let condition = try ConditionParser.parse(text, &attributes, parameter: "KeyConditionExpression")
        var conditions: [(String, Extracted)] = []
        try extract(condition.root, into: &conditions)
        return try build(conditions, schema: schema)
    }

    /// The legacy `KeyConditions` parameter: attribute names to ComparisonOperator and AttributeValueList.
    public static func legacy(_ json: JSONValue, schema: KeySchema) throws(AWSJSONError) -> KeyCondition {
        let conditions = try LegacyConditions.conditions(json, member: "keyConditions")
        guard conditions.count == 1 || conditions.count == 2 else { throw .validation("Conditions can be of length 1 or 2 only") }
        return try build(conditions.map { ($0.name, Extracted(comparisonOperator: $0.comparisonOperator, values: $0.values)) }, schema: schema)
    }

    private static func extract(_ node: ConditionExpression.Node, into conditions: inout [(String, Extracted)]) throws(AWSJSONError) {
        typealias Operand = ConditionExpression.Operand
        let operatorName: String
        let operands: [Operand]
        switch node {
        case .and(let a, let b):
            try extract(a, into: &conditions)
            try extract(b, into: &conditions)
            return
        case .or: throw invalidOperator("OR")
        case .not: throw invalidOperator("NOT")
        case .within: throw invalidOperator("IN")
        case .attributeExists: throw invalidOperator("attribute_exists")
        case .attributeNotExists: throw invalidOperator("attribute_not_exists")
        case .attributeType: throw invalidOperator("attribute_type")
        case .contains: throw invalidOperator("contains")
        case .always: return
        case .compare(let a, let comparator, let b):
            if comparator == .notEqual { throw invalidOperator("<>") }
            operatorName = comparator.rawValue
            operands = [a, b]
        case .between(let a, let low, let high):
            operatorName = "BETWEEN"
            operands = [a, low, high]
        case .beginsWith(let a, let prefix):
            operatorName = "begins_with"
            operands = [a, prefix]
        }
        var keyName: String?
        var values: [AttributeValue] = []
        var flipped = false
        for operand in operands {
            switch operand {
            case .path(let path):
                if keyName != nil { throw invalidCondition("Multiple attribute names used in one condition") }
                if path.elements.count > 1 { throw .validation("KeyConditionExpressions cannot have conditions on nested attributes") }
                keyName = path.topLevelName
            case .value(let value):
                if keyName == nil {
                    if operatorName == "BETWEEN" || operatorName == "begins_with" {
                        throw invalidCondition("\(operatorName) operator must have the key attribute as its first operand")
                    }
                    flipped = true
                }
                values.append(value)
            case .size:
                throw .validation("KeyConditionExpressions cannot contain nested operations")
            }
        }
        guard let keyName else { throw invalidCondition("No key attribute specified") }
        if conditions.contains(where: { $0.0 == keyName }) {
            throw .validation("KeyConditionExpressions must only contain one condition per key")
        }
        let legacyOperators = ["=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE", "BETWEEN": "BETWEEN", "begins_with": "BEGINS_WITH"]
        let mirrored = ["LT": "GT", "LE": "GE", "GT": "LT", "GE": "LE"]
        var comparisonOperator = legacyOperators[operatorName]!
        if flipped { comparisonOperator = mirrored[comparisonOperator] ?? comparisonOperator }
        try LegacyConditions.checkArguments(comparisonOperator, values)
        conditions.append((keyName, Extracted(comparisonOperator: comparisonOperator, values: values)))
    }

    private static func invalidOperator(_ name: String) -> AWSJSONError {
        .validation("Invalid operator used in KeyConditionExpression: \(name)")
    }

    private static func invalidCondition(_ why: String) -> AWSJSONError {
        .validation("Invalid condition in KeyConditionExpression: \(why)")
    }

    /// DynamoDB's checks of the conditions against the key schema, key by key, partition key first.
    private static func build(_ conditions: [(String, Extracted)], schema: KeySchema) throws(AWSJSONError) -> KeyCondition {
        let byName = Dictionary(conditions, uniquingKeysWith: { first, _ in first })
        var hashValue: AttributeValue?
        var range: KeyRangeCondition?
        for (index, attribute) in schema.attributes.enumerated() {
            let isHash = index == 0
            if isHash, schema.range == nil, conditions.count > 1 {
                throw .validation("Query key condition not supported")
            }
            guard let condition = byName[attribute.name] else {
                if isHash || conditions.count > 1 {
                    throw .validation("Query condition missed key schema element: \(attribute.name)")
                }
                continue
            }
            if ["NULL", "NOT_NULL", "NE", "CONTAINS", "NOT_CONTAINS", "IN"].contains(condition.comparisonOperator) {
                throw .validation("Attempted conditional constraint is not an indexable operation")
            }
            if condition.values.contains(where: { !attribute.matches($0) }) {
                throw .validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
            }
            if isHash {
                guard condition.comparisonOperator == "EQ" else { throw .validation("Query key condition not supported") }
                hashValue = condition.values[0]
            } else {
                range = rangeCondition(condition)
            }
        }
        return KeyCondition(hashValue: hashValue!, range: range)
    }

    private static func rangeCondition(_ condition: Extracted) -> KeyRangeCondition {
        let values = condition.values
        switch condition.comparisonOperator {
        case "LT": return .less(values[0])
        case "LE": return .lessOrEqual(values[0])
        case "GT": return .greater(values[0])
        case "GE": return .greaterOrEqual(values[0])
        case "BETWEEN": return .between(values[0], values[1])
        case "BEGINS_WITH": return .beginsWith(values[0])
        default: return .equal(values[0])
        }
    }
}
