import Foundation

/// One DynamoDB attribute value. Sets keep the order they were given in (DynamoDB does not promise one, and clients
/// compare sets unordered), but compare equal whatever their order.
public indirect enum AttributeValue: Sendable, Equatable {
    case string(String)                 // S
    case number(DynamoNumber)           // N
    case binary([UInt8])                // B
    case bool(Bool)                     // BOOL
    case null                           // NULL
    case map([String: AttributeValue])  // M
    case list([AttributeValue])         // L
    case stringSet([String])            // SS
    case numberSet([DynamoNumber])      // NS
    case binarySet([[UInt8]])           // BS

    /// The type's name as DynamoDB spells it in JSON and in messages.
    public var typeName: String {
        switch self {
        case .string: "S"
        case .number: "N"
        case .binary: "B"
        case .bool: "BOOL"
        case .null: "NULL"
        case .map: "M"
        case .list: "L"
        case .stringSet: "SS"
        case .numberSet: "NS"
        case .binarySet: "BS"
        }
    }

    public static func == (a: AttributeValue, b: AttributeValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.binary(let x), .binary(let y)): x == y
        case (.bool(let x), .bool(let y)): x == y
        case (.null, .null): true
        case (.map(let x), .map(let y)): x == y
        case (.list(let x), .list(let y)): x == y
        case (.stringSet(let x), .stringSet(let y)): x.count == y.count && Set(x) == Set(y)
        case (.numberSet(let x), .numberSet(let y)): x.count == y.count && Set(x) == Set(y)
        case (.binarySet(let x), .binarySet(let y)): x.count == y.count && Set(x) == Set(y)
        default: false
        }
    }

    /// DynamoDB's ordering, defined only between two S (by UTF-8 bytes), two N (numerically) or two B (by bytes);
    /// nil for any other pair, where conditions such as `<` are simply false.
    public static func compare(_ a: AttributeValue, _ b: AttributeValue) -> ComparisonResult? {
        switch (a, b) {
        case (.string(let x), .string(let y)): order(Array(x.utf8), Array(y.utf8))
        case (.binary(let x), .binary(let y)): order(x, y)
        case (.number(let x), .number(let y)): x < y ? .orderedAscending : (x == y ? .orderedSame : .orderedDescending)
        default: nil
        }
    }

    static func order(_ x: [UInt8], _ y: [UInt8]) -> ComparisonResult {
        for (p, q) in zip(x, y) where p != q { return p < q ? .orderedAscending : .orderedDescending }
        if x.count == y.count { return .orderedSame }
        return x.count < y.count ? .orderedAscending : .orderedDescending
    }

    /// For S, N and B, the bytes whose memcmp order is DynamoDB's key order; nil for types that cannot be keys.
    public var keyBytes: [UInt8]? {
        switch self {
        case .string(let text): Array(text.utf8)
        case .binary(let bytes): bytes
        case .number(let number): number.sortKeyBytes
        default: nil
        }
    }

    /// The value's share of DynamoDB's item size (the attribute's name is counted by the caller): strings by UTF-8
    /// bytes, numbers by significant digits, BOOL and NULL one byte, lists and maps three bytes plus one per element,
    /// and a map element's name.
    public var size: Int {
        switch self {
        case .string(let text): text.utf8.count
        case .number(let number): number.size
        case .binary(let bytes): bytes.count
        case .bool, .null: 1
        case .map(let entries): 3 + entries.reduce(0) { $0 + 1 + $1.key.utf8.count + $1.value.size }
        case .list(let elements): 3 + elements.reduce(0) { $0 + 1 + $1.size }
        case .stringSet(let texts): texts.reduce(0) { $0 + $1.utf8.count }
        case .numberSet(let numbers): numbers.reduce(0) { $0 + $1.size }
        case .binarySet(let blobs): blobs.reduce(0) { $0 + $1.count }
        }
    }
}

/// One item (or key): attribute names to values.
public typealias Item = [String: AttributeValue]
