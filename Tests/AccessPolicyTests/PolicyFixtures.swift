import AccessPolicy

/// The principals and documents the tests share: two accounts, a user in each, and the anonymous.
enum Fixtures {
    static let bucket = "bkt"
    static let canonical1 = String(repeating: "a1", count: 32)
    static let canonical2 = String(repeating: "b2", count: 32)
    static let root1 = PolicyPrincipal.root(accountId: "111111111111", canonicalUserId: canonical1)
    static let alice = PolicyPrincipal.user("alice", accountId: "111111111111", canonicalUserId: canonical1)
    static let carol = PolicyPrincipal.user("carol", accountId: "111111111111", canonicalUserId: canonical1)
    static let root2 = PolicyPrincipal.root(accountId: "222222222222", canonicalUserId: canonical2)
    static let bob = PolicyPrincipal.user("bob", accountId: "222222222222", canonicalUserId: canonical2)
    static let anonymous: PolicyPrincipal? = nil

    /// One statement's JSON.
    static func statement(
        _ effect: String = "Allow", principal: String = #""*""#, principalKey: String = "Principal",
        action: String = #""s3:GetObject""#, actionKey: String = "Action",
        resource: String = #""arn:aws:s3:::bkt/*""#, resourceKey: String = "Resource", condition: String? = nil
    ) -> String {
        var members = [
            #""Effect":"\#(effect)""#, #""\#(principalKey)":\#(principal)"#, #""\#(actionKey)":\#(action)"#,
            #""\#(resourceKey)":\#(resource)"#,
        ]
        if let condition { members.append(#""Condition":\#(condition)"#) }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// A document of statements under a Version (nil: none).
    static func document(_ statements: String..., version: String? = "2012-10-17") -> String {
        let head = version.map { #""Version":"\#($0)","# } ?? ""
        return "{" + head + #""Statement":["# + statements.joined(separator: ",") + "]}"
    }

    static func policy(_ json: String, bucket: String = bucket) throws(MalformedPolicy) -> BucketPolicy {
        try BucketPolicy(json: Array(json.utf8), bucket: bucket)
    }

    static func object(_ key: String) -> String { "arn:aws:s3:::bkt/" + key }
    static let bucketArn = "arn:aws:s3:::bkt"
}
