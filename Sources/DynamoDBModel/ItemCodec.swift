import AWSJSON
import Foundation

/// Items in request JSON, in responses, in DynamoDB's size accounting, and as stored bytes.
public enum ItemCodec {
    /// The largest item DynamoDB stores (400 KB); callers compare `size(_:)` against it.
    public static let maxItemSize = 409_600

    /// An `Item`, `Key`, `ExclusiveStartKey`… member: a JSON object of attribute names to attribute values.
    public static func item(_ json: JSONValue?, member: String) throws(AWSJSONError) -> Item {
        guard let json, json != .null else { throw AWSJSONError.missing(member) }
        switch json {
        case .object(let entries):
            var item: Item = [:]
            for (name, value) in entries {
                // DynamoDB's reader drops null entries before validating, so they are as if not sent.
                if value == .null { continue }
                guard !name.isEmpty else { throw .validation("Empty attribute name") }
                guard name.utf8.count <= 65535 else { throw .validation("Attribute name is too large, must be less than 65536 bytes") }
                item[name] = try AttributeValue(json: value)
            }
            return item
        case .array: throw .serialization("Start of list found where not expected")
        default: throw .serialization("Expected map or null")
        }
    }

    public static func json(_ item: Item) -> JSONValue {
        .object(item.mapValues(\.json))
    }

    /// DynamoDB's item size: each attribute's name in UTF-8 bytes plus its value's size.
    public static func size(_ item: Item) -> Int {
        item.reduce(0) { $0 + $1.key.utf8.count + $1.value.size }
    }

    /// Compact, deterministic bytes for storage: the item's JSON with sorted keys.
    public static func encode(_ item: Item) -> [UInt8] {
        json(item).bytes
    }

    public static func decode(_ bytes: [UInt8]) throws -> Item {
        let value = try JSONValue.parse(bytes)
        return try item(value, member: "Item")
    }
}
