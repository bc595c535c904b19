import AWSJSON

/// The types a key attribute can have.
public enum ScalarAttributeType: String, Sendable, Codable {
    case string = "S", number = "N", binary = "B"
}

public struct KeyAttribute: Sendable, Equatable, Codable {
    public var name: String
    public var type: ScalarAttributeType

    public init(name: String, type: ScalarAttributeType) {
        self.name = name
        self.type = type
    }

    func matches(_ value: AttributeValue) -> Bool {
        switch (type, value) {
        case (.string, .string), (.number, .number), (.binary, .binary): true
        default: false
        }
    }
}

/// A table's (or index's) primary key: the partition (hash) attribute and the optional sort (range) attribute.
public struct KeySchema: Sendable, Equatable, Codable {
    public var hash: KeyAttribute
    public var range: KeyAttribute?

    public init(hash: KeyAttribute, range: KeyAttribute? = nil) {
        self.hash = hash
        self.range = range
    }

    public var attributes: [KeyAttribute] { [hash] + (range.map { [$0] } ?? []) }

    public var names: Set<String> { Set(attributes.map(\.name)) }

    /// DynamoDB's limits on key values: 2048 bytes for a partition key, 1024 for a sort key.
    public static let maxHashKeyBytes = 2048
    public static let maxRangeKeyBytes = 1024

    /// A `Key` parameter: exactly the key attributes, of the schema's types.
    public func validateKey(_ key: Item) throws(AWSJSONError) {
        guard key.count == attributes.count else { throw Self.keyMismatch }
        for attribute in attributes {
            guard let value = key[attribute.name], attribute.matches(value) else { throw Self.keyMismatch }
        }
        try checkKeyValues(key)
    }

    /// An `Item` parameter: it must hold the key attributes with the schema's types; other attributes are free.
    public func validateItemKey(_ item: Item) throws(AWSJSONError) {
        for attribute in attributes {
            guard let value = item[attribute.name] else {
                throw .validation("One or more parameter values were invalid: Missing the key \(attribute.name) in the item")
            }
            guard attribute.matches(value) else {
                throw .validation("One or more parameter values were invalid: Type mismatch for key \(attribute.name) expected: "
                                  + "\(attribute.type.rawValue) actual: \(value.typeName)")
            }
        }
        try checkKeyValues(item)
    }

    /// Key values may not be empty and must fit DynamoDB's key size limits.
    private func checkKeyValues(_ item: Item) throws(AWSJSONError) {
        for (index, attribute) in attributes.enumerated() {
            let length: Int
            switch item[attribute.name] {
            case .string(let text): length = text.utf8.count
            case .binary(let bytes): length = bytes.count
            default: continue
            }
            if length == 0 {
                throw .validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
                                  + "empty \(attribute.type == .string ? "string" : "binary") value. Key: \(attribute.name)")
            }
            if index == 0, length > Self.maxHashKeyBytes {
                throw .validation("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
            }
            if index == 1, length > Self.maxRangeKeyBytes {
                throw .validation("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
            }
        }
    }

    /// Just the key attributes of an item.
    public func key(of item: Item) -> Item {
        var key: Item = [:]
        for attribute in attributes { key[attribute.name] = item[attribute.name] }
        return key
    }

    static var keyMismatch: AWSJSONError { .validation("The provided key element does not match the schema") }
}
