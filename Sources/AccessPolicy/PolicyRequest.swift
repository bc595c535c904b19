/// Who is asking. A request without one is anonymous.
public struct PolicyPrincipal: Sendable, Hashable {
    /// The 12-digit account: `111111111111`.
    public var accountId: String
    /// `arn:aws:iam::111111111111:root`, or a user's `arn:aws:iam::111111111111:user/alice`.
    public var arn: String
    /// The user's name; nil for an account's root.
    public var userName: String?
    /// The account's canonical user id (64 hex digits), which `CanonicalUser` principals name.
    public var canonicalUserId: String

    public init(accountId: String, arn: String, userName: String?, canonicalUserId: String) {
        self.accountId = accountId
        self.arn = arn
        self.userName = userName
        self.canonicalUserId = canonicalUserId
    }

    /// An account's root.
    public static func root(accountId: String, canonicalUserId: String) -> PolicyPrincipal {
        PolicyPrincipal(
            accountId: accountId, arn: "arn:aws:iam::\(accountId):root", userName: nil,
            canonicalUserId: canonicalUserId)
    }

    /// A user of an account.
    public static func user(_ name: String, accountId: String, canonicalUserId: String) -> PolicyPrincipal {
        PolicyPrincipal(
            accountId: accountId, arn: "arn:aws:iam::\(accountId):user/\(name)", userName: name,
            canonicalUserId: canonicalUserId)
    }
}

/// One request as a bucket policy judges it.
public struct PolicyRequest: Sendable {
    /// nil: anonymous.
    public var principal: PolicyPrincipal?
    /// `s3:GetObject`; compared without regard to case.
    public var action: String
    /// `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/key`.
    public var resource: String
    public var context: ConditionContext

    public init(principal: PolicyPrincipal?, action: String, resource: String, context: ConditionContext = ConditionContext()) {
        self.principal = principal
        self.action = action
        self.resource = resource
        self.context = context
    }

    /// A key's values: the context's, else what IAM derives from the principal. `aws:userid` is `anonymous` and
    /// `aws:PrincipalType` `Anonymous` for an anonymous request, which has no `aws:username`, `aws:PrincipalArn` or
    /// `aws:PrincipalAccount`. A user's `aws:userid` is an IAM unique id Lockstep does not have, so it comes only
    /// from the context.
    func values(normalizedKey key: String) -> [String]? {
        if let values = context.values(normalizedKey: key) { return values }
        switch key {
        case "aws:username":
            return principal?.userName.map { [$0] }
        case "aws:principalaccount":
            return principal.map { [$0.accountId] }
        case "aws:principalarn":
            return principal.map { [$0.arn] }
        case "aws:userid":
            guard let principal else { return ["anonymous"] }
            return principal.userName == nil ? [principal.accountId] : nil
        case "aws:principaltype":
            guard let principal else { return ["Anonymous"] }
            return [principal.userName == nil ? "Account" : "User"]
        default:
            return nil
        }
    }
}

/// A bucket policy's answer: an explicit deny wins over any allow; neither is `notApplicable`, which leaves the
/// decision to the bucket's owner rules.
public enum PolicyEffect: Sendable, Equatable {
    case explicitDeny
    case allow
    case notApplicable
}
