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
