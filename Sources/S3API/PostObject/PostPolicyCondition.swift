import AccessPolicy
/// One entry of a POST policy's `conditions`, as S3 reads it: `{"field": "value"}` or `["eq", "$field", "value"]`,
/// `["starts-with", "$field", "prefix"]`, `["content-length-range", min, max]`.
struct PostPolicyCondition: Sendable {
    enum Test: Sendable {
        case equals(String)
        case startsWith(String)
        /// Bounds the policy wrote as numbers or numeric strings; nil for a string that is not a number, which S3
        /// lets through the document and fails as the condition.
        case lengthRange(min: Int64?, max: Int64?)
    }

    var test: Test
    /// The field it tests, lowercased, without its `$`; nil when the reference has no `$` — S3 parses such a
    /// condition and then fails it.
    var field: String?
    /// The condition as S3 prints it when it fails: `["eq", "$key", "x"]`, a simple condition in that form too.
    var rendered: String

    /// S3's `InvalidPolicyDocument` for an entry that is not a condition.
    init(_ json: PolicyJSON) throws(PostObjectError) {
        switch json {
        case .object(let members):
            guard members.count == 1 else { throw .policySimpleConditionArity }
            let (name, value) = (members[0].name, members[0].value)
            switch value {
            case .string(let expected):
                test = .equals(expected)
                field = name.lowercased()
                rendered = "[\"eq\", \(PolicyJSON.quoted("$" + name)), \(PolicyJSON.quoted(expected))]"
            case .null:
                throw .policyInvalidJSON
            default:
                throw .policySimpleConditionNotString
            }
        case .array(let items):
            guard let first = items.first else { throw .policyMissingOperation }
            guard case .string(let operation) = first else { throw .policyInvalidJSON }
            rendered = "[" + items.map(\.rendered).joined(separator: ", ") + "]"
            switch operation.lowercased() {
            case "eq", "starts-with":
                guard items.count == 3 else { throw .policyWrongArgumentCount(operation) }
                guard case .string(let reference) = items[1] else { throw .policyInvalidJSON }
                let operand: String
                switch items[2] {
                case .string(let s): operand = s
                case .number(let n): operand = n
                default: throw .policyInvalidJSON
                }
                field = reference.hasPrefix("$") && reference.count > 1 ? String(reference.dropFirst()).lowercased() : nil
                test = operation.lowercased() == "eq" ? .equals(operand) : .startsWith(operand)
            case "content-length-range":
                guard items.count == 3 else { throw .policyWrongArgumentCount(operation) }
                field = nil
                test = .lengthRange(min: try Self.bound(items[1]), max: try Self.bound(items[2]))
            default:
                throw .policyUnknownOperation(operation)
            }
        default:
            throw .policyConditionNotListOrObject
        }
    }

    /// An integer, or a string holding one. A fraction or an exponent is "Invalid JSON." to S3 (`512.0` is refused).
    private static func bound(_ json: PolicyJSON) throws(PostObjectError) -> Int64? {
        switch json {
        case .number(let text):
            guard let value = Int64(text) else { throw .policyInvalidJSON }
            return value
        case .string(let text):
            return Int64(text)
        default:
            throw .policyInvalidJSON
        }
    }

    /// Whether `value` (nil: the form lacks the field) passes; `lengthRange` passes here when its bounds are numbers
    /// and is checked against the file's size later.
    func passes(_ value: String?) -> Bool {
        switch test {
        case .lengthRange(let min, let max):
            return min != nil && max != nil
        case .equals(let expected):
            guard field != nil, let value else { return false }
            return value == expected
        case .startsWith(let prefix):
            guard let field, let value else { return false }
            // S3 reads a Content-Type with commas as a list, every member of which must match.
            if field == "content-type", value.contains(",") {
                return value.split(separator: ",", omittingEmptySubsequences: false).allSatisfy {
                    $0.trimmingSpaces.hasPrefix(prefix)
                }
            }
            return value.hasPrefix(prefix)
        }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return s
    }
}
