/// S3 Block Public Access's "meaning of public" for a bucket policy: "Amazon S3 begins by assuming that the policy
/// is public", and a statement stays public unless it grants "only to fixed values (values that don't contain a
/// wildcard or an AWS Identity and Access Management Policy Variable)" of a principal or of one of the keys that pin
/// where a request comes from. So an Allow to `"*"`, `{"AWS": "*"}` or through `NotPrincipal` is public unless one
/// of its conditions fixes such a key; a Deny never grants anything.
enum PublicPolicy {
    /// Keys that confine a grant to fixed callers when compared with fixed values.
    static let confiningKeys: Set<String> = [
        "aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceowner", "aws:sourceaccount",
        "aws:principalaccount", "aws:principalarn", "aws:principalorgid", "aws:userid",
        "s3:dataaccesspointarn", "s3:dataaccesspointaccount",
    ]

    static func isPublic(_ statement: PolicyStatement) -> Bool {
        statement.allows && statement.principal.isWildcard && !statement.conditions.contains(where: confines)
    }

    /// Whether a condition holds every request to fixed values of a confining key. One a request without the key
    /// satisfies (`…IfExists`, `ForAllValues:`, a negated operator) confines nothing.
    static func confines(_ clause: ConditionClause) -> Bool {
        let condition = clause.condition
        guard !condition.ifExists, condition.qualifier != .forAllValues, !condition.comparison.isNegated else {
            return false
        }
        if clause.key == "aws:sourceip" {
            // CIDR blocks no broader than /8 (IPv4) or /32 (IPv6); `0.0.0.0/1` is as public as `*`.
            guard condition.comparison == .ipAddress, case .networks(let networks) = clause.values,
                  !networks.isEmpty
            else { return false }
            return networks.allSatisfy { $0.prefixLength >= ($0.isIPv4 ? 8 : 32) }
        }
        guard confiningKeys.contains(clause.key) else { return false }
        let templates: [PolicyTemplate]
        switch clause.values {
        case .strings(let values, _): templates = values
        case .patterns(let values, _): templates = values
        case .arns(let values, _): templates = values
        default: return false
        }
        return !templates.isEmpty && templates.allSatisfy(isFixed)
    }

    /// No wildcard and no policy variable, whichever Version the policy has.
    static func isFixed(_ value: PolicyTemplate) -> Bool {
        !value.source.isEmpty && !WildcardPattern.hasWildcard(value.source) && !value.source.contains("${")
    }
}
