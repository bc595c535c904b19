/// A string of a policy that may hold policy variables: `${aws:username}`, `${aws:PrincipalAccount}`, any
/// single-valued key, with an optional default (`${aws:username, 'nobody'}`), and the escapes `${*}`, `${?}` and
/// `${$}` for the literal characters. Variables are read only under Version `2012-10-17`; under `2008-10-17` (and
/// without a Version, which means 2008-10-17) the text is taken as written, as IAM does.
struct PolicyTemplate: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        /// Policy text, whose `*` and `?` are wildcards where the comparison has them.
        case text(String)
        /// An escape's character, never a wildcard.
        case literal(String)
        /// A key (in normal form) and its default.
        case variable(key: String, defaultValue: String?)
    }

    /// The text as written in the policy.
    let source: String
    let parts: [Part]
    let hasVariables: Bool

    init(_ text: String, variablesEnabled: Bool) {
        source = text
        guard variablesEnabled, text.contains("${") else {
            parts = [.text(text)]
            hasVariables = false
            return
        }
        var parts: [Part] = []
        var pending = ""
        var rest = Substring(text)
        while let open = rest.firstRange(of: "${") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}"),
                  let part = Self.part(rest[open.upperBound..<close])
            else {
                pending += rest[..<open.upperBound]
                rest = rest[open.upperBound...]
                continue
            }
            pending += rest[..<open.lowerBound]
            if !pending.isEmpty { parts.append(.text(pending)) }
            pending = ""
            parts.append(part)
            rest = rest[rest.index(after: close)...]
        }
        pending += rest
        if !pending.isEmpty { parts.append(.text(pending)) }
        self.parts = parts
        hasVariables = parts.contains { if case .variable = $0 { true } else { false } }
    }

    /// What is between `${` and `}`, or nil when it is not a variable (the text then stays as written).
    private static func part(_ inner: Substring) -> Part? {
        switch inner {
        case "*", "?", "$": return .literal(String(inner))
        default: break
        }
        var key = inner
        var defaultValue: String?
        if let comma = inner.firstIndex(of: ",") {
            key = inner[..<comma]
            let given = inner[inner.index(after: comma)...].trimmingSpaces()
            guard given.count >= 2, given.first == "'", given.last == "'" else { return nil }
            defaultValue = String(given.dropFirst().dropLast())
        }
        let name = key.trimmingSpaces()
        let allowed = name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "-"),
                 UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "@"), UInt8(ascii: "+"), UInt8(ascii: "="):
                true
            default:
                false
            }
        }
        guard !name.isEmpty, allowed, name.contains(":") else { return nil }
        return .variable(key: ConditionContext.normalize(String(name)), defaultValue: defaultValue)
    }

    /// A variable's value: the key's single value, else its default. A key with several values is no value, as
    /// variables take single-valued keys only.
    private static func value(of key: String, defaultValue: String?, in request: PolicyRequest) -> String? {
        if let values = request.values(normalizedKey: key), values.count == 1 { return values[0] }
        return defaultValue
    }

    /// The text with variables replaced and escapes resolved; nil when a variable has no value, which makes the
    /// string match nothing ("a policy variable with no value ... will not match").
    func string(for request: PolicyRequest) -> String? {
        var result = ""
        for part in parts {
            switch part {
            case .text(let text), .literal(let text):
                result += text
            case .variable(let key, let defaultValue):
                guard let value = Self.value(of: key, defaultValue: defaultValue, in: request) else { return nil }
                result += value
            }
        }
        return result
    }

    /// The text as written, escapes resolved, for a template without variables.
    var staticString: String {
        parts.reduce(into: "") { result, part in
            switch part {
            case .text(let text), .literal(let text): result += text
            case .variable: break
            }
        }
    }

    /// The wildcard pattern, for a template without variables.
    var staticPattern: WildcardPattern {
        WildcardPattern(tokens: tokens { _, _ in nil } ?? [])
    }

    /// The wildcard pattern with variables replaced (their values never wildcards); nil when one has no value.
    func pattern(for request: PolicyRequest) -> WildcardPattern? {
        tokens { key, defaultValue in Self.value(of: key, defaultValue: defaultValue, in: request) }
            .map(WildcardPattern.init(tokens:))
    }

    private func tokens(_ value: (String, String?) -> String?) -> [WildcardPattern.Token]? {
        var tokens: [WildcardPattern.Token] = []
        for part in parts {
            switch part {
            case .text(let text):
                var run: [UInt8] = []
                for byte in text.utf8 {
                    if byte == UInt8(ascii: "*") || byte == UInt8(ascii: "?") {
                        if !run.isEmpty { tokens.append(.text(run)) }
                        run.removeAll(keepingCapacity: true)
                        tokens.append(byte == UInt8(ascii: "*") ? .star : .anyCharacter)
                    } else {
                        run.append(byte)
                    }
                }
                if !run.isEmpty { tokens.append(.text(run)) }
            case .literal(let text):
                tokens.append(.text(Array(text.utf8)))
            case .variable(let key, let defaultValue):
                guard let resolved = value(key, defaultValue) else { return nil }
                tokens.append(.text(Array(resolved.utf8)))
            }
        }
        return tokens
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
