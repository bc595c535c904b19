/// A statement's `Principal` (or `NotPrincipal`): who it names. An account, by its id or its root's ARN, stands for
/// every principal of that account: "the account ARN and the shortened account ID behave the same way. Both
/// delegate permissions to the account", and Lockstep has no identity policies to delegate to, so an account's users
/// hold their account's rights. `Service` and `Federated` principals are accepted but never match a user's request.
struct PrincipalMatcher: Sendable, Equatable {
    /// `"*"` or `{"AWS": "*"}`: everyone, the anonymous included.
    var everyone = false
    var accounts: Set<String> = []
    /// Users, roles and sessions, by exact ARN.
    var arns: Set<String> = []
    /// Lower-cased canonical user ids.
    var canonicalUsers: Set<String> = []
    /// `NotPrincipal`: the statement applies to every principal not named.
    var negated = false

    /// Whether the statement applies to this principal (nil: anonymous).
    func applies(to principal: PolicyPrincipal?) -> Bool {
        names(principal) != negated
    }

    private func names(_ principal: PolicyPrincipal?) -> Bool {
        if everyone { return true }
        guard let principal else { return false }
        if accounts.contains(principal.accountId) || arns.contains(principal.arn) { return true }
        return !canonicalUsers.isEmpty && canonicalUsers.contains(ConditionContext.lowercaseASCII(principal.canonicalUserId))
    }

    /// Whether this is a grant to everyone, for "the meaning of public": `"*"`, `{"AWS": "*"}`, or any
    /// `NotPrincipal` (which names everyone but a few).
    var isWildcard: Bool { everyone || negated }

    /// Parses `Principal`/`NotPrincipal`. Only `"*"` may be a bare string; a map's values are a string or a list of
    /// them. "You cannot use a wildcard to match part of a principal name or ARN."
    init(_ value: PolicyJSON, negated: Bool) throws(MalformedPolicy) {
        self.negated = negated
        switch value {
        case .string("*"):
            everyone = true
            return
        case .object(let members) where !members.isEmpty:
            for member in members {
                let listed = try Self.strings(member.value)
                switch member.name {
                case "AWS":
                    for name in listed { try addAWS(name) }
                case "CanonicalUser":
                    for id in listed {
                        guard id.utf8.count == 64, id.utf8.allSatisfy(Self.isHexDigit) else { throw .principal }
                        canonicalUsers.insert(ConditionContext.lowercaseASCII(id))
                    }
                case "Service", "Federated":
                    guard listed.allSatisfy({ !$0.isEmpty && !WildcardPattern.hasWildcard($0) }) else {
                        throw .principal
                    }
                default:
                    throw .principal
                }
            }
        case .string, .array, .number, .bool, .null:
            throw .syntax
        case .object:
            throw .principal
        }
    }

    private static func strings(_ value: PolicyJSON) throws(MalformedPolicy) -> [String] {
        switch value {
        case .string(let text):
            return [text]
        case .array(let items) where !items.isEmpty:
            var texts: [String] = []
            for item in items {
                guard case .string(let text) = item else { throw .principal }
                texts.append(text)
            }
            return texts
        default:
            throw .principal
        }
    }

    private mutating func addAWS(_ name: String) throws(MalformedPolicy) {
        if name == "*" {
            everyone = true
        } else if Self.isAccountId(name) {
            accounts.insert(name)
        } else if let account = Self.rootAccount(name) {
            accounts.insert(account)
        } else if Self.isIdentityArn(name) {
            arns.insert(name)
        } else {
            throw .principal
        }
    }

    static func isAccountId(_ text: String) -> Bool {
        text.utf8.count == 12 && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }

    /// `arn:aws:iam::111111111111:root` → `111111111111`.
    private static func rootAccount(_ arn: String) -> String? {
        guard arn.hasPrefix("arn:aws:iam::"), arn.hasSuffix(":root") else { return nil }
        let account = String(arn.dropFirst("arn:aws:iam::".count).dropLast(":root".count))
        return isAccountId(account) ? account : nil
    }

    /// An IAM user or role (`arn:aws:iam::<account>:user/<path/>name`, `…:role/…`) or an STS session
    /// (`arn:aws:sts::<account>:assumed-role/<role>/<session>`, `…:federated-user/<name>`).
    private static func isIdentityArn(_ arn: String) -> Bool {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[1] == "aws", parts[3].isEmpty, isAccountId(String(parts[4]))
        else { return false }
        let resource = parts[5]
        let types: [Substring] = parts[2] == "iam" ? ["user/", "role/"]
            : parts[2] == "sts" ? ["assumed-role/", "federated-user/"] : []
        guard let type = types.first(where: { resource.hasPrefix($0) }) else { return false }
        let name = resource.dropFirst(type.count)
        return !name.isEmpty && !name.hasSuffix("/") && name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "="), UInt8(ascii: ","),
                 UInt8(ascii: "."), UInt8(ascii: "@"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "/"):
                true
            default:
                false
            }
        }
    }
}
