import AWSJSON

/// What an expression's checks found, one message per kind of error. DynamoDB reports one error per request, the first
/// in its own order of kinds (each checker's `Kind`), whatever order the checks ran in.
struct ExpressionErrors<Kind: Hashable & Comparable> {
    /// `Invalid ConditionExpression: ` and the like.
    let prefix: String
    private var messages: [Kind: String] = [:]

    init(prefix: String) { self.prefix = prefix }

    mutating func record(_ kind: Kind, _ message: String) {
        if messages[kind] == nil { messages[kind] = message }
    }

    func throwFirst() throws(AWSJSONError) {
        if let first = messages.min(by: { $0.key < $1.key }) { throw .validation(prefix + first.value) }
    }
}

extension ExpressionAttributes {
    /// A document path with its `#name` placeholders resolved (and marked used). A bare name that is a reserved word
    /// is recorded as `reserved`; an undefined placeholder as `undefined`, and then there is no path.
    mutating func resolvePath<Kind>(_ elements: [ConditionParser.RawElement], errors: inout ExpressionErrors<Kind>,
                                    reserved: Kind, undefined: Kind) -> DocumentPath? {
        var resolved: [DocumentPath.Element] = []
        var failed = false
        for element in elements {
            switch element {
            case .name(let name):
                if ReservedWords.contains(name) { errors.record(reserved, "Attribute name is a reserved keyword; reserved keyword: \(name)") }
                resolved.append(.name(name))
            case .placeholder(let placeholder):
                if let name = resolveName(placeholder) {
                    resolved.append(.name(name))
                } else {
                    errors.record(undefined, "An expression attribute name used in the document path is not defined; attribute name: \(placeholder)")
                    failed = true
                }
            case .index(let index):
                resolved.append(.index(index))
            }
        }
        return failed ? nil : DocumentPath(elements: resolved)
    }

    /// A `:value` placeholder's value (marked used), or nil with the error recorded as `undefined`.
    mutating func resolveValue<Kind>(_ placeholder: String, errors: inout ExpressionErrors<Kind>, undefined: Kind) -> AttributeValue? {
        guard let value = resolveValue(placeholder) else {
            errors.record(undefined, "An expression attribute value used in expression is not defined; attribute value: \(placeholder)")
            return nil
        }
        return value
    }
}
