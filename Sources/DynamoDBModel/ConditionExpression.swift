import AWSJSON
import Foundation

/// A ConditionExpression or FilterExpression, parsed and checked, ready to evaluate against items.
public struct ConditionExpression: Sendable {
    indirect enum Node: Sendable {
        case compare(Operand, Comparator, Operand)
        case between(Operand, Operand, Operand)
        case within(Operand, [Operand])
        case and(Node, Node)
        case or(Node, Node)
        case not(Node)
        case attributeExists(DocumentPath)
        case attributeNotExists(DocumentPath)
        case attributeType(Operand, Operand)
        case beginsWith(Operand, Operand)
        case contains(Operand, Operand)
        /// Always true: the legacy `Expected` parameter with no conditions.
        case always
    }

    indirect enum Operand: Sendable {
        case path(DocumentPath)
        case value(AttributeValue)
        case size(Operand)
    }

    enum Comparator: String, Sendable {
        case equal = "=", notEqual = "<>", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    }

    let root: Node

    /// Top-level attribute names the expression reads (Query rejects key attributes in a FilterExpression).
    public let topLevelNames: Set<String>

    init(root: Node, topLevelNames: Set<String>) {
        self.root = root
        self.topLevelNames = topLevelNames
    }

    /// Parses `text` as the request's `parameter` (ConditionExpression, FilterExpression…), resolving and marking
    /// used the placeholders it refers to.
    public static func parse(_ text: String, _ attributes: inout ExpressionAttributes,
                             parameter: String = "ConditionExpression") throws(AWSJSONError) -> ConditionExpression {
        try ConditionParser.parse(text, &attributes, parameter: parameter)
    }

    /// Whether the item satisfies the condition; a missing item is evaluated as `[:]`.
    public func evaluate(_ item: Item) -> Bool {
        Self.evaluate(root, item)
    }

    static func evaluate(_ node: Node, _ item: Item) -> Bool {
        switch node {
        case .always:
            return true
        case .and(let a, let b):
            return evaluate(a, item) && evaluate(b, item)
        case .or(let a, let b):
            return evaluate(a, item) || evaluate(b, item)
        case .not(let a):
            return !evaluate(a, item)
        case .attributeExists(let path):
            return path.resolve(in: item) != nil
        case .attributeNotExists(let path):
            return path.resolve(in: item) == nil
        case .compare(let a, let comparator, let b):
            return compare(value(a, item), comparator, value(b, item))
        case .between(let a, let low, let high):
            guard let x = value(a, item), let lowValue = value(low, item), let highValue = value(high, item) else { return false }
            return compare(x, .greaterOrEqual, lowValue) && compare(x, .lessOrEqual, highValue)
        case .within(let a, let candidates):
            guard let x = value(a, item) else { return false }
            return candidates.contains { value($0, item) == x }
        case .attributeType(let a, let type):
            guard let x = value(a, item), case .string(let name)? = value(type, item) else { return false }
            return x.typeName == name
        case .beginsWith(let a, let prefix):
            switch (value(a, item), value(prefix, item)) {
            case (.string(let x)?, .string(let p)?): return x.utf8.starts(with: p.utf8)
            case (.binary(let x)?, .binary(let p)?): return x.starts(with: p)
            default: return false
            }
        case .contains(let a, let operand):
            guard let container = value(a, item), let element = value(operand, item) else { return false }
            return contains(container, element)
        }
    }

    /// Comparisons between values DynamoDB cannot order, or with a missing operand, are false; `<>` is their negation
    /// only in the equality sense (a missing attribute is "not equal" to any value).
    static func compare(_ a: AttributeValue?, _ comparator: Comparator, _ b: AttributeValue?) -> Bool {
        switch comparator {
        case .equal:
            guard let a, let b else { return false }
            return a == b
        case .notEqual:
            guard let a, let b else { return true }
            return a != b
        default:
            guard let a, let b, let order = AttributeValue.compare(a, b) else { return false }
            switch comparator {
            case .less: return order == .orderedAscending
            case .lessOrEqual: return order != .orderedDescending
            case .greater: return order == .orderedDescending
            default: return order != .orderedAscending
            }
        }
    }

    static func contains(_ container: AttributeValue, _ element: AttributeValue) -> Bool {
        switch (container, element) {
        case (.string(let text), .string(let part)):
            return part.isEmpty || text.utf8.count >= part.utf8.count && Array(text.utf8).firstRange(of: Array(part.utf8)) != nil
        case (.stringSet(let texts), .string(let text)): return texts.contains(text)
        case (.numberSet(let numbers), .number(let number)): return numbers.contains(number)
        case (.binarySet(let blobs), .binary(let blob)): return blobs.contains(blob)
        case (.list(let values), _): return values.contains(element)
        default: return false
        }
    }

    static func value(_ operand: Operand, _ item: Item) -> AttributeValue? {
        switch operand {
        case .path(let path): return path.resolve(in: item)
        case .value(let value): return value
        case .size(let inner):
            guard let value = value(inner, item), let size = sizeOf(value) else { return nil }
            return .number(DynamoNumber(size))
        }
    }

    /// `size()`: characters of a string, bytes of a binary, elements of a set, list or map; undefined otherwise.
    static func sizeOf(_ value: AttributeValue) -> Int? {
        switch value {
        case .string(let text): text.unicodeScalars.count
        case .binary(let bytes): bytes.count
        case .stringSet(let set): set.count
        case .numberSet(let set): set.count
        case .binarySet(let set): set.count
        case .list(let values): values.count
        case .map(let entries): entries.count
        default: nil
        }
    }
}
