/// One statement of a bucket policy, compiled: who it applies to, which actions and resources, under which
/// conditions, and whether it allows or denies.
struct PolicyStatement: Sendable {
    let sid: String?
    let allows: Bool
    let principal: PrincipalMatcher
    let actions: ActionMatcher
    let resources: ResourceMatcher
    let conditions: [ConditionClause]

    /// Whether the statement applies to the request; `action` is its catalog index (nil for a name S3 does not
    /// define) and `lowercasedAction`/`resource` its UTF-8, prepared once per request.
    func applies(
        to request: PolicyRequest, action: Int?, lowercasedAction: [UInt8], resource: [UInt8]
    ) -> Bool {
        principal.applies(to: request.principal)
            && actions.names(action, lowercasedAction)
            && resources.names(resource, request)
            && conditions.allSatisfy { $0.holds(for: request) }
    }

    /// Reads one element of `Statement`. Faults are reported in the order S3 checks them: unknown members first,
    /// then Effect, Principal, Action, Resource, Condition, and whether the actions apply to the resources.
    init(_ value: PolicyJSON, bucket: String, variablesEnabled: Bool) throws(MalformedPolicy) {
        guard case .object(let members) = value else { throw .syntax }
        var sid: String?
        var effect: PolicyJSON?
        var principal: (PolicyJSON, negated: Bool)?
        var action: (PolicyJSON, negated: Bool)?
        var resource: (PolicyJSON, negated: Bool)?
        var condition: PolicyJSON?
        for member in members {
            switch member.name {
            case "Sid":
                guard case .string(let text) = member.value else { throw .syntax }
                sid = text
            case "Effect":
                effect = member.value
            case "Principal", "NotPrincipal":
                guard principal == nil else { throw .syntax }
                principal = (member.value, member.name == "NotPrincipal")
            case "Action", "NotAction":
                guard action == nil else { throw .syntax }
                action = (member.value, member.name == "NotAction")
            case "Resource", "NotResource":
                guard resource == nil else { throw .syntax }
                resource = (member.value, member.name == "NotResource")
            case "Condition":
                condition = member.value
            default:
                throw .unknownField(member.name)
            }
        }
        self.sid = sid
        switch effect {
        case nil: throw .missingEffect
        case .string("Allow"): allows = true
        case .string("Deny"): allows = false
        case .string(let other): throw .effect(other)
        default: throw .syntax
        }
        guard let principal else { throw .missingPrincipal }
        self.principal = try PrincipalMatcher(principal.0, negated: principal.negated)
        guard let action else { throw .missingAction }
        actions = try ActionMatcher(action.0, negated: action.negated)
        guard let resource else { throw .missingResource }
        resources = try ResourceMatcher(
            resource.0, negated: resource.negated, bucket: bucket, variablesEnabled: variablesEnabled)
        conditions = try condition.map { value throws(MalformedPolicy) in
            try Self.conditions(value, variablesEnabled: variablesEnabled)
        } ?? []
        if !actions.negated, !resources.negated, !actions.applies(to: resources.kinds) {
            throw .notApplicable
        }
    }

    /// `{"Operator": {"key": value | [values]}}`; values may be strings, numbers or booleans ("quotation marks are
    /// optional for numeric and Boolean values").
    private static func conditions(_ value: PolicyJSON, variablesEnabled: Bool) throws(MalformedPolicy) -> [ConditionClause] {
        guard case .object(let operators) = value else { throw .syntax }
        var clauses: [ConditionClause] = []
        for entry in operators {
            guard let condition = ConditionOperator(entry.name) else { throw .conditionType(entry.name) }
            guard case .object(let keys) = entry.value else { throw .syntax }
            for key in keys {
                guard !key.name.isEmpty else { throw .syntax }
                let raw: [String]
                switch key.value {
                case .array(let items):
                    raw = try items.map { item throws(MalformedPolicy) in try scalarText(item) }
                default:
                    raw = [try scalarText(key.value)]
                }
                clauses.append(try ConditionClause(
                    condition: condition, key: key.name, raw: raw, variablesEnabled: variablesEnabled))
            }
        }
        return clauses
    }

    private static func scalarText(_ value: PolicyJSON) throws(MalformedPolicy) -> String {
        switch value {
        case .string(let text): text
        case .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        default: throw .syntax
        }
    }

    /// An element's strings: one string or a non-empty list of them.
    static func strings(_ value: PolicyJSON, empty: MalformedPolicy) throws(MalformedPolicy) -> [String] {
        switch value {
        case .string(let text):
            return [text]
        case .array(let items):
            guard !items.isEmpty else { throw empty }
            var texts: [String] = []
            for item in items {
                guard case .string(let text) = item else { throw .syntax }
                texts.append(text)
            }
            return texts
        default:
            throw .syntax
        }
    }
}

/// `Action`/`NotAction`: S3 actions or patterns of them, compared without regard to case. Each must name at least
/// one action S3 defines; the actions a statement covers are kept as a bit set over the catalog, so matching a
/// request is one lookup.
struct ActionMatcher: Sendable {
    let negated: Bool
    private let patterns: [WildcardPattern]
    /// For each pattern, the catalog actions it names.
    private let named: [[Int]]
    private let covered: [UInt64]

    init(_ value: PolicyJSON, negated: Bool) throws(MalformedPolicy) {
        self.negated = negated
        var patterns: [WildcardPattern] = []
        var named: [[Int]] = []
        var covered = [UInt64](repeating: 0, count: (S3Actions.lowercasedNames.count + 63) / 64)
        for text in try PolicyStatement.strings(value, empty: .action) {
            var lower = ConditionContext.lowercaseASCII(text)
            if lower == "*" { lower = "s3:*" }
            guard lower.hasPrefix("s3:") else { throw .action }
            let pattern = WildcardPattern(lower)
            let indexes = S3Actions.lowercasedNames.indices.filter { pattern.matches(S3Actions.lowercasedNames[$0]) }
            guard !indexes.isEmpty else { throw .action }
            for index in indexes { covered[index >> 6] |= 1 << UInt64(index & 63) }
            patterns.append(pattern)
            named.append(indexes)
        }
        self.patterns = patterns
        self.named = named
        self.covered = covered
    }

    func names(_ index: Int?, _ lowercasedAction: [UInt8]) -> Bool {
        let hit: Bool
        if let index {
            hit = covered[index >> 6] & (1 << UInt64(index & 63)) != 0
        } else {
            hit = patterns.contains { $0.matches(lowercasedAction) }
        }
        return hit != negated
    }

    /// Whether every action entry names some action that applies to one of these kinds of resource.
    func applies(to kinds: Set<S3ActionKind>) -> Bool {
        named.allSatisfy { indexes in indexes.contains { kinds.contains(S3Actions.catalog[$0].kind) } }
    }
}

/// `Resource`/`NotResource`: ARNs of this bucket or of objects in it, compared exactly, with wildcards and (under
/// Version 2012-10-17) policy variables. S3 refuses a resource outside the policy's own bucket, `*` included.
struct ResourceMatcher: Sendable {
    let negated: Bool
    private let templates: [PolicyTemplate]
    /// Compiled once for templates without variables.
    private let patterns: [WildcardPattern?]
    let kinds: Set<S3ActionKind>

    static let arnPrefix = "arn:aws:s3:::"

    init(_ value: PolicyJSON, negated: Bool, bucket: String, variablesEnabled: Bool) throws(MalformedPolicy) {
        self.negated = negated
        var templates: [PolicyTemplate] = []
        var kinds = Set<S3ActionKind>()
        for text in try PolicyStatement.strings(value, empty: .resource) {
            guard text.hasPrefix(Self.arnPrefix) else { throw .resource }
            let rest = text.utf8.dropFirst(Self.arnPrefix.utf8.count)
            let bucketPart = rest.split(separator: UInt8(ascii: "/"), maxSplits: 1, omittingEmptySubsequences: false)[0]
            guard bucketPart.elementsEqual(bucket.utf8) else { throw .resource }
            kinds.insert(bucketPart.count == rest.count ? .bucket : .object)
            templates.append(PolicyTemplate(text, variablesEnabled: variablesEnabled))
        }
        self.templates = templates
        patterns = templates.map { $0.hasVariables ? nil : $0.staticPattern }
        self.kinds = kinds
    }

    func names(_ resource: [UInt8], _ request: PolicyRequest) -> Bool {
        var hit = false
        for (template, pattern) in zip(templates, patterns) {
            if (pattern ?? template.pattern(for: request))?.matches(resource) == true {
                hit = true
                break
            }
        }
        return hit != negated
    }
}
