/// A condition operator as a policy names it: the comparison, `…IfExists`, and a `ForAnyValue:` or `ForAllValues:`
/// qualifier for multi-valued keys. Names are case-sensitive; S3 refuses any other spelling with
/// "Invalid Condition type : <name>".
struct ConditionOperator: Sendable, Equatable {
    enum Comparison: String, Sendable, CaseIterable {
        case stringEquals = "StringEquals"
        case stringNotEquals = "StringNotEquals"
        case stringEqualsIgnoreCase = "StringEqualsIgnoreCase"
        case stringNotEqualsIgnoreCase = "StringNotEqualsIgnoreCase"
        case stringLike = "StringLike"
        case stringNotLike = "StringNotLike"
        case numericEquals = "NumericEquals"
        case numericNotEquals = "NumericNotEquals"
        case numericLessThan = "NumericLessThan"
        case numericLessThanEquals = "NumericLessThanEquals"
        case numericGreaterThan = "NumericGreaterThan"
        case numericGreaterThanEquals = "NumericGreaterThanEquals"
        case dateEquals = "DateEquals"
        case dateNotEquals = "DateNotEquals"
        case dateLessThan = "DateLessThan"
        case dateLessThanEquals = "DateLessThanEquals"
        case dateGreaterThan = "DateGreaterThan"
        case dateGreaterThanEquals = "DateGreaterThanEquals"
        case bool = "Bool"
        case binaryEquals = "BinaryEquals"
        case ipAddress = "IpAddress"
        case notIpAddress = "NotIpAddress"
        case arnEquals = "ArnEquals"
        case arnLike = "ArnLike"
        case arnNotEquals = "ArnNotEquals"
        case arnNotLike = "ArnNotLike"
        case null = "Null"

        /// The negated operators: true when no policy value matches, and true for a key the request lacks.
        var isNegated: Bool {
            switch self {
            case .stringNotEquals, .stringNotEqualsIgnoreCase, .stringNotLike, .numericNotEquals, .dateNotEquals,
                 .notIpAddress, .arnNotEquals, .arnNotLike:
                true
            default:
                false
            }
        }
    }

    enum Qualifier: Sendable, Equatable {
        case single
        case forAnyValue
        case forAllValues
    }

    let name: String
    let comparison: Comparison
    let ifExists: Bool
    let qualifier: Qualifier

    init?(_ name: String) {
        var rest = Substring(name)
        if rest.hasPrefix("ForAnyValue:") {
            qualifier = .forAnyValue
            rest = rest.dropFirst("ForAnyValue:".count)
        } else if rest.hasPrefix("ForAllValues:") {
            qualifier = .forAllValues
            rest = rest.dropFirst("ForAllValues:".count)
        } else {
            qualifier = .single
        }
        if rest.hasSuffix("IfExists") {
            ifExists = true
            rest = rest.dropLast("IfExists".count)
        } else {
            ifExists = false
        }
        // `Null` takes neither a qualifier nor `IfExists`: it asks only whether the key is there.
        guard let comparison = Comparison(rawValue: String(rest)),
              comparison != .null || (!ifExists && qualifier == .single)
        else { return nil }
        self.name = name
        self.comparison = comparison
    }
}

/// One key under one operator, its values compiled for that operator's comparison.
struct ConditionClause: Sendable {
    let condition: ConditionOperator
    /// In ConditionContext's normal form.
    let key: String
    let values: Values

    enum Values: Sendable {
        /// StringEquals, StringNotEquals, their IgnoreCase forms (lower-cased here when static), BinaryEquals.
        case strings([PolicyTemplate], ignoringCase: Bool)
        /// StringLike, StringNotLike.
        case patterns([PolicyTemplate], [WildcardPattern?])
        /// The Arn operators: each of the six colon-separated parts matched on its own.
        case arns([PolicyTemplate], [ArnPattern?])
        /// Numeric and date operators; nil for a policy value that does not parse, which matches nothing.
        case numbers([Double?])
        case bools([String])
        case networks([IPNetwork])
        /// Null: whether each value asks for the key to be absent (`true`), present (`false`), or neither.
        case null([Bool?])
    }

    /// Compiles one key's values; `raw` are the strings as written (numbers and booleans as their JSON text).
    init(condition: ConditionOperator, key: String, raw: [String], variablesEnabled: Bool) throws(MalformedPolicy) {
        self.condition = condition
        self.key = ConditionContext.normalize(key)
        func templates() -> [PolicyTemplate] { raw.map { PolicyTemplate($0, variablesEnabled: variablesEnabled) } }
        switch condition.comparison {
        case .stringEquals, .stringNotEquals, .binaryEquals:
            values = .strings(templates(), ignoringCase: false)
        case .stringEqualsIgnoreCase, .stringNotEqualsIgnoreCase:
            values = .strings(templates(), ignoringCase: true)
        case .stringLike, .stringNotLike:
            let compiled = templates()
            values = .patterns(compiled, compiled.map { $0.hasVariables ? nil : $0.staticPattern })
        case .arnEquals, .arnLike, .arnNotEquals, .arnNotLike:
            let compiled = templates()
            values = .arns(compiled, compiled.map { $0.hasVariables ? nil : ArnPattern($0.staticString) })
        case .numericEquals, .numericNotEquals, .numericLessThan, .numericLessThanEquals, .numericGreaterThan,
             .numericGreaterThanEquals:
            values = .numbers(raw.map(ConditionValues.number))
        case .dateEquals, .dateNotEquals, .dateLessThan, .dateLessThanEquals, .dateGreaterThan,
             .dateGreaterThanEquals:
            values = .numbers(raw.map(ConditionValues.date))
        case .bool:
            values = .bools(raw.map { ConditionContext.lowercaseASCII($0) })
        case .ipAddress, .notIpAddress:
            var networks: [IPNetwork] = []
            for text in raw {
                guard let network = IPNetwork(text) else { throw .ipAddress }
                networks.append(network)
            }
            values = .networks(networks)
        case .null:
            values = .null(raw.map { text in
                switch ConditionContext.lowercaseASCII(text) {
                case "true": true
                case "false": false
                default: nil
                }
            })
        }
    }

    /// IAM's rules: a missing key fails a positive operator and passes a negated one; `…IfExists` passes it;
    /// `ForAllValues` passes it (and an empty set), `ForAnyValue` fails it. Several values of one key OR together.
    func holds(for request: PolicyRequest) -> Bool {
        let present = request.values(normalizedKey: key)
        if case .null(let expectations) = values {
            return expectations.contains { $0 == (present == nil) }
        }
        let negated = condition.comparison.isNegated
        switch condition.qualifier {
        case .single:
            guard let present else { return condition.ifExists || negated }
            let matched = present.contains { matchesAny($0, request) }
            return negated ? !matched : matched
        case .forAnyValue:
            guard let present else { return condition.ifExists }
            return present.contains { matchesAny($0, request) != negated }
        case .forAllValues:
            guard let present else { return true }
            return present.allSatisfy { matchesAny($0, request) != negated }
        }
    }

    /// Whether one request value matches any policy value, under the positive form of the comparison.
    private func matchesAny(_ value: String, _ request: PolicyRequest) -> Bool {
        switch values {
        case .strings(let templates, let ignoringCase):
            let candidate = ignoringCase ? value.lowercased() : value
            return templates.contains { template in
                guard let text = template.hasVariables ? template.string(for: request) : template.staticString else {
                    return false
                }
                return (ignoringCase ? text.lowercased() : text) == candidate
            }
        case .patterns(let templates, let patterns):
            let bytes = Array(value.utf8)
            return zip(templates, patterns).contains { template, pattern in
                (pattern ?? template.pattern(for: request))?.matches(bytes) ?? false
            }
        case .arns(let templates, let patterns):
            return zip(templates, patterns).contains { template, pattern in
                (pattern ?? template.string(for: request).map(ArnPattern.init))?.matches(value) ?? false
            }
        case .numbers(let limits):
            let parse = isDate ? ConditionValues.date : ConditionValues.number
            guard let number = parse(value) else { return false }
            return limits.contains { limit in limit.map { compare(number, $0) } ?? false }
        case .bools(let expected):
            return expected.contains(ConditionContext.lowercaseASCII(value))
        case .networks(let networks):
            guard let address = IPNetwork(value) else { return false }
            return networks.contains { $0.contains(address) }
        case .null:
            return false
        }
    }

    private var isDate: Bool {
        switch condition.comparison {
        case .dateEquals, .dateNotEquals, .dateLessThan, .dateLessThanEquals, .dateGreaterThan, .dateGreaterThanEquals:
            true
        default:
            false
        }
    }

    /// `request <op> policy` for the numeric and date comparisons (negated ones compare as their positive form).
    private func compare(_ requestValue: Double, _ policyValue: Double) -> Bool {
        switch condition.comparison {
        case .numericLessThan, .dateLessThan: requestValue < policyValue
        case .numericLessThanEquals, .dateLessThanEquals: requestValue <= policyValue
        case .numericGreaterThan, .dateGreaterThan: requestValue > policyValue
        case .numericGreaterThanEquals, .dateGreaterThanEquals: requestValue >= policyValue
        default: requestValue == policyValue
        }
    }
}

/// An ARN pattern for ArnEquals and ArnLike: "each of the six colon-delimited components of the ARN is checked
/// separately and each can include multi-character match wildcards (*) or single-character match wildcards (?)".
/// A value with fewer parts (`*`) is matched whole.
struct ArnPattern: Sendable {
    private let parts: [WildcardPattern]

    init(_ text: String) {
        let split = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        parts = split.count == 6 ? split.map { WildcardPattern(String($0)) } : [WildcardPattern(text)]
    }

    func matches(_ value: String) -> Bool {
        if parts.count == 1 { return parts[0].matches(value) }
        let split = value.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard split.count == 6 else { return false }
        return zip(parts, split).allSatisfy { pattern, part in pattern.matches(String(part)) }
    }
}
