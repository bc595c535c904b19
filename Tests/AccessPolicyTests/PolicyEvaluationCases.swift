import AccessPolicy
import Testing

/// One row of the evaluation table: a policy on bucket `bkt`, one request, and the effect IAM gives it.
struct EvaluationCase: Sendable, CustomTestStringConvertible {
    var name: String
    var policy: String
    var principal: PolicyPrincipal?
    var action: String
    var resource: String
    var context: ConditionContext
    var expected: PolicyEffect

    var testDescription: String { name }
}

private typealias F = Fixtures

private func row(
    _ name: String, _ policy: String, _ principal: PolicyPrincipal?, _ action: String = "s3:GetObject",
    resource: String = F.object("k"), context: ConditionContext = [:], expected: PolicyEffect
) -> EvaluationCase {
    EvaluationCase(
        name: name, policy: policy, principal: principal, action: action, resource: resource, context: context,
        expected: expected)
}

/// An Allow of s3:GetObject on `bkt/*` to everyone, under one condition block.
private func conditioned(_ condition: String, effect: String = "Allow") -> String {
    F.document(F.statement(effect, condition: condition))
}

/// A Deny under `condition` beside an Allow of everything to everyone.
private func denyWhen(_ condition: String) -> String {
    F.document(
        F.statement("Deny", condition: condition),
        F.statement(action: #""s3:*""#, resource: #"["arn:aws:s3:::bkt","arn:aws:s3:::bkt/*"]"#))
}

private func principal(_ value: String) -> String { F.document(F.statement(principal: value)) }

private let allowEveryone = F.document(F.statement())

let principalCases: [EvaluationCase] = [
    row("star admits the anonymous", allowEveryone, F.anonymous, expected: .allow),
    row("star admits a user", allowEveryone, F.alice, expected: .allow),
    row("AWS star admits the anonymous", principal(#"{"AWS":"*"}"#), F.anonymous, expected: .allow),
    row("AWS star admits another account", principal(#"{"AWS":"*"}"#), F.bob, expected: .allow),
    row("account id admits its user", principal(#"{"AWS":"111111111111"}"#), F.alice, expected: .allow),
    row("account id admits its root", principal(#"{"AWS":"111111111111"}"#), F.root1, expected: .allow),
    row("account id refuses another account", principal(#"{"AWS":"111111111111"}"#), F.bob, expected: .notApplicable),
    row("account id refuses the anonymous", principal(#"{"AWS":"111111111111"}"#), F.anonymous, expected: .notApplicable),
    row("root ARN admits the account's user", principal(#"{"AWS":"arn:aws:iam::111111111111:root"}"#), F.alice, expected: .allow),
    row("root ARN admits the root", principal(#"{"AWS":"arn:aws:iam::111111111111:root"}"#), F.root1, expected: .allow),
    row("root ARN refuses another root", principal(#"{"AWS":"arn:aws:iam::111111111111:root"}"#), F.root2, expected: .notApplicable),
    row("user ARN admits the user", principal(#"{"AWS":"arn:aws:iam::111111111111:user/alice"}"#), F.alice, expected: .allow),
    row("user ARN refuses the account root", principal(#"{"AWS":"arn:aws:iam::111111111111:user/alice"}"#), F.root1, expected: .notApplicable),
    row("user ARN refuses another user", principal(#"{"AWS":"arn:aws:iam::111111111111:user/alice"}"#), F.carol, expected: .notApplicable),
    row("user ARN is account-specific", principal(#"{"AWS":"arn:aws:iam::222222222222:user/alice"}"#), F.alice, expected: .notApplicable),
    row("canonical id admits the account's user", principal(#"{"CanonicalUser":"\#(F.canonical1)"}"#), F.alice, expected: .allow),
    row("canonical id in upper case admits the root", principal(#"{"CanonicalUser":"\#(F.canonical1.uppercased())"}"#), F.root1, expected: .allow),
    row("canonical id refuses another account", principal(#"{"CanonicalUser":"\#(F.canonical1)"}"#), F.bob, expected: .notApplicable),
    row("canonical id refuses the anonymous", principal(#"{"CanonicalUser":"\#(F.canonical1)"}"#), F.anonymous, expected: .notApplicable),
    row("service principal never matches the anonymous", principal(#"{"Service":"cloudfront.amazonaws.com"}"#), F.anonymous, expected: .notApplicable),
    row("service principal never matches a user", principal(#"{"Service":["logging.s3.amazonaws.com"]}"#), F.alice, expected: .notApplicable),
    row("principal list admits its account", principal(#"{"AWS":["222222222222","arn:aws:iam::111111111111:user/alice"]}"#), F.bob, expected: .allow),
    row("principal list admits its user", principal(#"{"AWS":["222222222222","arn:aws:iam::111111111111:user/alice"]}"#), F.alice, expected: .allow),
    row("principal list refuses the rest", principal(#"{"AWS":["222222222222","arn:aws:iam::111111111111:user/alice"]}"#), F.root1, expected: .notApplicable),
    row("AWS and CanonicalUser together", principal(#"{"AWS":"111111111111","CanonicalUser":"\#(F.canonical2)"}"#), F.bob, expected: .allow),
    row("star inside an AWS list is everyone", principal(#"{"AWS":["111111111111","*"]}"#), F.anonymous, expected: .allow),
    row("NotPrincipal deny spares the named account", denyNotPrincipal(#"{"AWS":"111111111111"}"#), F.alice, expected: .allow),
    row("NotPrincipal deny hits other accounts", denyNotPrincipal(#"{"AWS":"111111111111"}"#), F.bob, expected: .explicitDeny),
    row("NotPrincipal deny hits the anonymous", denyNotPrincipal(#"{"AWS":"111111111111"}"#), F.anonymous, expected: .explicitDeny),
    row("NotPrincipal user spares that user", denyNotPrincipal(#"{"AWS":"arn:aws:iam::111111111111:user/alice"}"#), F.alice, expected: .allow),
    row("NotPrincipal user hits the root", denyNotPrincipal(#"{"AWS":"arn:aws:iam::111111111111:user/alice"}"#), F.root1, expected: .explicitDeny),
    row("allow NotPrincipal admits others", F.document(F.statement(principal: #"{"AWS":"111111111111"}"#, principalKey: "NotPrincipal")), F.bob, expected: .allow),
    row("allow NotPrincipal admits the anonymous", F.document(F.statement(principal: #"{"AWS":"111111111111"}"#, principalKey: "NotPrincipal")), F.anonymous, expected: .allow),
    row("allow NotPrincipal excludes the named", F.document(F.statement(principal: #"{"AWS":"111111111111"}"#, principalKey: "NotPrincipal")), F.alice, expected: .notApplicable),
    row("cross-account grant to an account", principal(#"{"AWS":"222222222222"}"#), F.bob, expected: .allow),
    row("cross-account grant does not reach the owner", principal(#"{"AWS":"222222222222"}"#), F.alice, expected: .notApplicable),
]

private func denyNotPrincipal(_ named: String) -> String {
    F.document(
        F.statement("Deny", principal: named, principalKey: "NotPrincipal"),
        F.statement())
}

private let everythingOnBucket = #"["arn:aws:s3:::bkt","arn:aws:s3:::bkt/*"]"#

let actionCases: [EvaluationCase] = [
    row("action in lower case", F.document(F.statement(action: #""s3:getobject""#)), F.alice, expected: .allow),
    row("action in upper case", F.document(F.statement(action: #""S3:GETOBJECT""#)), F.alice, expected: .allow),
    row("request action in mixed case", allowEveryone, F.alice, "S3:getObject", expected: .allow),
    row("Get* covers GetObjectTagging", F.document(F.statement(action: #""s3:Get*""#)), F.alice, "s3:GetObjectTagging", expected: .allow),
    row("Get* does not cover PutObject", F.document(F.statement(action: #""s3:Get*""#)), F.alice, "s3:PutObject", expected: .notApplicable),
    row("*Object covers DeleteObject", F.document(F.statement(action: #""s3:*Object""#)), F.alice, "s3:DeleteObject", expected: .allow),
    row("*Object does not cover DeleteObjectTagging", F.document(F.statement(action: #""s3:*Object""#)), F.alice, "s3:DeleteObjectTagging", expected: .notApplicable),
    row("question marks count characters", F.document(F.statement(action: #""s3:GetObject???????""#)), F.alice, "s3:GetObjectVersion", expected: .allow),
    row("one question mark is one character", F.document(F.statement(action: #""s3:GetObjectAc?""#)), F.alice, "s3:GetObjectAcl", expected: .allow),
    row("a question mark is not zero characters", F.document(F.statement(action: #""s3:GetObjectAc?""#)), F.alice, "s3:GetObjectAc", expected: .notApplicable),
    row("star action covers bucket actions", F.document(F.statement(action: #""*""#, resource: everythingOnBucket)), F.alice, "s3:PutBucketPolicy", resource: F.bucketArn, expected: .allow),
    row("s3:* covers ListBucket", F.document(F.statement(action: #""s3:*""#, resource: everythingOnBucket)), F.alice, "s3:ListBucket", resource: F.bucketArn, expected: .allow),
    row("action list covers its second", F.document(F.statement(action: #"["s3:GetObject","s3:PutObject"]"#)), F.alice, "s3:PutObject", expected: .allow),
    row("action list covers nothing else", F.document(F.statement(action: #"["s3:GetObject","s3:PutObject"]"#)), F.alice, "s3:DeleteObject", expected: .notApplicable),
    row("NotAction covers the rest", F.document(F.statement(action: #""s3:DeleteObject""#, actionKey: "NotAction")), F.alice, "s3:GetObject", expected: .allow),
    row("NotAction excludes its action", F.document(F.statement(action: #""s3:DeleteObject""#, actionKey: "NotAction")), F.alice, "s3:DeleteObject", expected: .notApplicable),
    row("NotAction pattern excludes its matches", F.document(F.statement(action: #""s3:Delete*""#, actionKey: "NotAction")), F.alice, "s3:DeleteObjectVersion", expected: .notApplicable),
    row("NotAction pattern covers others", F.document(F.statement(action: #""s3:Delete*""#, actionKey: "NotAction")), F.alice, "s3:PutObject", expected: .allow),
    row("deny with NotAction denies the rest", F.document(F.statement("Deny", action: #""s3:GetObject""#, actionKey: "NotAction"), F.statement(action: #""s3:*""#)), F.alice, "s3:PutObject", expected: .explicitDeny),
    row("deny with NotAction spares its action", F.document(F.statement("Deny", action: #""s3:GetObject""#, actionKey: "NotAction"), F.statement(action: #""s3:*""#)), F.alice, "s3:GetObject", expected: .allow),
    row("an action S3 lacks matches a wildcard", F.document(F.statement(action: #""s3:*""#)), F.alice, "s3:FrobObject", expected: .allow),
    row("an action S3 lacks matches no name", allowEveryone, F.alice, "s3:FrobObject", expected: .notApplicable),
    row("another service's action is not an s3 action", F.document(F.statement(action: #""s3:*""#)), F.alice, "sqs:SendMessage", expected: .notApplicable),
]

let resourceCases: [EvaluationCase] = [
    row("bucket/* covers nested keys", allowEveryone, F.alice, resource: F.object("a/b/c"), expected: .allow),
    row("bucket/* does not cover the bucket", F.document(F.statement(action: #""s3:*""#)), F.alice, "s3:ListBucket", resource: F.bucketArn, expected: .notApplicable),
    row("prefix pattern", F.document(F.statement(resource: #""arn:aws:s3:::bkt/photos/*""#)), F.alice, resource: F.object("photos/x.jpg"), expected: .allow),
    row("resources compare case", F.document(F.statement(resource: #""arn:aws:s3:::bkt/photos/*""#)), F.alice, resource: F.object("Photos/x.jpg"), expected: .notApplicable),
    row("prefix without its slash", F.document(F.statement(resource: #""arn:aws:s3:::bkt/photos/*""#)), F.alice, resource: F.object("photos"), expected: .notApplicable),
    row("suffix pattern", F.document(F.statement(resource: #""arn:aws:s3:::bkt/*.jpg""#)), F.alice, resource: F.object("a/b.jpg"), expected: .allow),
    row("suffix pattern refuses another suffix", F.document(F.statement(resource: #""arn:aws:s3:::bkt/*.jpg""#)), F.alice, resource: F.object("a/b.jpeg"), expected: .notApplicable),
    row("question mark in a resource", F.document(F.statement(resource: #""arn:aws:s3:::bkt/file?.txt""#)), F.alice, resource: F.object("file1.txt"), expected: .allow),
    row("question mark is exactly one", F.document(F.statement(resource: #""arn:aws:s3:::bkt/file?.txt""#)), F.alice, resource: F.object("file12.txt"), expected: .notApplicable),
    row("question mark is one character, not one byte", F.document(F.statement(resource: #""arn:aws:s3:::bkt/file?.txt""#)), F.alice, resource: F.object("fileé.txt"), expected: .allow),
    row("IAM's */test/* example: 1///test///object.jpg", F.document(F.statement(resource: #""arn:aws:s3:::bkt/*/test/*""#)), F.alice, resource: F.object("1///test///object.jpg"), expected: .allow),
    row("IAM's */test/* example: /test/object.jpg", F.document(F.statement(resource: #""arn:aws:s3:::bkt/*/test/*""#)), F.alice, resource: F.object("/test/object.jpg"), expected: .allow),
    row("IAM's */test/* example: 1/test/", F.document(F.statement(resource: #""arn:aws:s3:::bkt/*/test/*""#)), F.alice, resource: F.object("1/test/"), expected: .allow),
    row("IAM's */test/* example: 1-test/object.jpg", F.document(F.statement(resource: #""arn:aws:s3:::bkt/*/test/*""#)), F.alice, resource: F.object("1-test/object.jpg"), expected: .notApplicable),
    row("IAM's */test/* example: test/object.jpg", F.document(F.statement(resource: #""arn:aws:s3:::bkt/*/test/*""#)), F.alice, resource: F.object("test/object.jpg"), expected: .notApplicable),
    row("IAM's */test/* example: 1/2/test.jpg", F.document(F.statement(resource: #""arn:aws:s3:::bkt/*/test/*""#)), F.alice, resource: F.object("1/2/test.jpg"), expected: .notApplicable),
    row("bucket ARN covers ListBucket", F.document(F.statement(action: #""s3:ListBucket""#, resource: #""arn:aws:s3:::bkt""#)), F.alice, "s3:ListBucket", resource: F.bucketArn, expected: .allow),
    row("bucket ARN covers a bucket subresource", F.document(F.statement(action: #""s3:GetBucketPolicy""#, resource: #""arn:aws:s3:::bkt""#)), F.alice, "s3:GetBucketPolicy", resource: F.bucketArn, expected: .allow),
    row("bucket ARN covers no object", F.document(F.statement(action: #""s3:*""#, resource: #""arn:aws:s3:::bkt""#)), F.alice, "s3:GetObject", resource: F.object("k"), expected: .notApplicable),
    row("resource list covers objects", F.document(F.statement(action: #""s3:*""#, resource: everythingOnBucket)), F.alice, resource: F.object("k"), expected: .allow),
    row("NotResource covers the rest", F.document(F.statement(resource: #""arn:aws:s3:::bkt/private/*""#, resourceKey: "NotResource")), F.alice, resource: F.object("public/x"), expected: .allow),
    row("NotResource excludes its match", F.document(F.statement(resource: #""arn:aws:s3:::bkt/private/*""#, resourceKey: "NotResource")), F.alice, resource: F.object("private/x"), expected: .notApplicable),
    row("deny with NotResource denies outside", F.document(F.statement("Deny", resource: #""arn:aws:s3:::bkt/public/*""#, resourceKey: "NotResource"), F.statement()), F.alice, resource: F.object("private/x"), expected: .explicitDeny),
    row("deny with NotResource spares inside", F.document(F.statement("Deny", resource: #""arn:aws:s3:::bkt/public/*""#, resourceKey: "NotResource"), F.statement()), F.alice, resource: F.object("public/x"), expected: .allow),
    row("exact object", F.document(F.statement(resource: #""arn:aws:s3:::bkt/exact.txt""#)), F.alice, resource: F.object("exact.txt"), expected: .allow),
    row("exact object is not a prefix", F.document(F.statement(resource: #""arn:aws:s3:::bkt/exact.txt""#)), F.alice, resource: F.object("exact.txt2"), expected: .notApplicable),
    row("another bucket's object", allowEveryone, F.alice, resource: "arn:aws:s3:::other/k", expected: .notApplicable),
    row("a bucket whose name extends this one", allowEveryone, F.alice, resource: "arn:aws:s3:::bktx/k", expected: .notApplicable),
]

let combinationCases: [EvaluationCase] = [
    row("deny of one user beats allow to all", F.document(F.statement(), F.statement("Deny", principal: #"{"AWS":"arn:aws:iam::111111111111:user/alice"}"#)), F.alice, expected: .explicitDeny),
    row("deny of one user spares the others", F.document(F.statement(), F.statement("Deny", principal: #"{"AWS":"arn:aws:iam::111111111111:user/alice"}"#)), F.bob, expected: .allow),
    row("deny before allow still wins", F.document(F.statement("Deny"), F.statement()), F.root1, expected: .explicitDeny),
    row("a deny alone denies", F.document(F.statement("Deny")), F.alice, expected: .explicitDeny),
    row("a deny that does not apply", F.document(F.statement("Deny", action: #""s3:PutObject""#), F.statement()), F.alice, expected: .allow),
    row("nothing applies", F.document(F.statement(action: #""s3:PutObject""#), F.statement(principal: #"{"AWS":"222222222222"}"#)), F.alice, expected: .notApplicable),
    row("one of several allows", F.document(F.statement(action: #""s3:PutObject""#), F.statement(action: #""s3:GetObject""#)), F.alice, expected: .allow),
    row("a deny of another action leaves the allow", F.document(F.statement(action: #""s3:*""#), F.statement("Deny", action: #""s3:DeleteObject""#)), F.alice, "s3:GetObject", expected: .allow),
    row("a deny of that action", F.document(F.statement(action: #""s3:*""#), F.statement("Deny", action: #""s3:DeleteObject""#)), F.alice, "s3:DeleteObject", expected: .explicitDeny),
    row("cross-account list granted", F.document(F.statement(principal: #"{"AWS":"222222222222"}"#, action: #""s3:ListBucket""#, resource: #""arn:aws:s3:::bkt""#)), F.bob, "s3:ListBucket", resource: F.bucketArn, expected: .allow),
    row("cross-account grant says nothing of the owner", F.document(F.statement(principal: #"{"AWS":"222222222222"}"#, action: #""s3:ListBucket""#, resource: #""arn:aws:s3:::bkt""#)), F.alice, "s3:ListBucket", resource: F.bucketArn, expected: .notApplicable),
    row("deny outside the owner's account", denyWhen(#"{"StringNotEquals":{"aws:PrincipalAccount":"111111111111"}}"#), F.bob, expected: .explicitDeny),
    row("deny outside the owner's account spares it", denyWhen(#"{"StringNotEquals":{"aws:PrincipalAccount":"111111111111"}}"#), F.alice, expected: .allow),
    row("deny outside the owner's account hits the anonymous", denyWhen(#"{"StringNotEquals":{"aws:PrincipalAccount":"111111111111"}}"#), F.anonymous, expected: .explicitDeny),
]

private let acl = #"{"StringEquals":{"s3:x-amz-acl":"public-read"}}"#

let stringConditionCases: [EvaluationCase] = [
    row("StringEquals matches", conditioned(acl), F.alice, context: ["s3:x-amz-acl": ["public-read"]], expected: .allow),
    row("StringEquals other value", conditioned(acl), F.alice, context: ["s3:x-amz-acl": ["private"]], expected: .notApplicable),
    row("StringEquals key absent", conditioned(acl), F.alice, expected: .notApplicable),
    row("condition key names ignore case", conditioned(acl), F.alice, context: ["S3:X-AMZ-ACL": ["public-read"]], expected: .allow),
    row("StringEquals value list", conditioned(#"{"StringEquals":{"s3:x-amz-acl":["private","public-read"]}}"#), F.alice, context: ["s3:x-amz-acl": ["public-read"]], expected: .allow),
    row("StringEquals compares case", conditioned(acl), F.alice, context: ["s3:x-amz-acl": ["Public-Read"]], expected: .notApplicable),
    row("StringNotEquals other value", conditioned(#"{"StringNotEquals":{"s3:x-amz-acl":"public-read"}}"#), F.alice, context: ["s3:x-amz-acl": ["private"]], expected: .allow),
    row("StringNotEquals same value", conditioned(#"{"StringNotEquals":{"s3:x-amz-acl":"public-read"}}"#), F.alice, context: ["s3:x-amz-acl": ["public-read"]], expected: .notApplicable),
    row("StringNotEquals key absent", conditioned(#"{"StringNotEquals":{"s3:x-amz-acl":"public-read"}}"#), F.alice, expected: .allow),
    row("StringNotEquals is a NOR of its values", conditioned(#"{"StringNotEquals":{"s3:x-amz-acl":["private","public-read"]}}"#), F.alice, context: ["s3:x-amz-acl": ["public-read"]], expected: .notApplicable),
    row("StringEqualsIgnoreCase", conditioned(#"{"StringEqualsIgnoreCase":{"s3:x-amz-acl":"PUBLIC-read"}}"#), F.alice, context: ["s3:x-amz-acl": ["public-READ"]], expected: .allow),
    row("StringEqualsIgnoreCase other value", conditioned(#"{"StringEqualsIgnoreCase":{"s3:x-amz-acl":"PUBLIC-read"}}"#), F.alice, context: ["s3:x-amz-acl": ["private"]], expected: .notApplicable),
    row("StringNotEqualsIgnoreCase same value", conditioned(#"{"StringNotEqualsIgnoreCase":{"s3:x-amz-acl":"public-read"}}"#), F.alice, context: ["s3:x-amz-acl": ["PUBLIC-READ"]], expected: .notApplicable),
    row("StringNotEqualsIgnoreCase other value", conditioned(#"{"StringNotEqualsIgnoreCase":{"s3:x-amz-acl":"public-read"}}"#), F.alice, context: ["s3:x-amz-acl": ["private"]], expected: .allow),
    row("StringLike prefix", conditioned(#"{"StringLike":{"s3:prefix":"home/*"}}"#), F.alice, context: ["s3:prefix": ["home/alice"]], expected: .allow),
    row("StringLike prefix refused", conditioned(#"{"StringLike":{"s3:prefix":"home/*"}}"#), F.alice, context: ["s3:prefix": ["other/"]], expected: .notApplicable),
    row("StringLike question mark", conditioned(#"{"StringLike":{"s3:prefix":"doc?"}}"#), F.alice, context: ["s3:prefix": ["doc1"]], expected: .allow),
    row("StringLike question mark is one", conditioned(#"{"StringLike":{"s3:prefix":"doc?"}}"#), F.alice, context: ["s3:prefix": ["doc12"]], expected: .notApplicable),
    row("StringLike compares case", conditioned(#"{"StringLike":{"s3:prefix":"home/*"}}"#), F.alice, context: ["s3:prefix": ["HOME/x"]], expected: .notApplicable),
    row("StringNotLike match", conditioned(#"{"StringNotLike":{"s3:prefix":"home/*"}}"#), F.alice, context: ["s3:prefix": ["home/x"]], expected: .notApplicable),
    row("StringNotLike no match", conditioned(#"{"StringNotLike":{"s3:prefix":"home/*"}}"#), F.alice, context: ["s3:prefix": ["other"]], expected: .allow),
    row("StringNotLike key absent", conditioned(#"{"StringNotLike":{"s3:prefix":"home/*"}}"#), F.alice, expected: .allow),
    row("StringLike key absent", conditioned(#"{"StringLike":{"s3:prefix":"home/*"}}"#), F.alice, expected: .notApplicable),
    row("tag key after the slash keeps its case", conditioned(#"{"StringEquals":{"s3:ExistingObjectTag/Team":"blue"}}"#), F.alice, context: ["s3:existingobjecttag/Team": ["blue"]], expected: .allow),
    row("tag key of another case is another key", conditioned(#"{"StringEquals":{"s3:ExistingObjectTag/Team":"blue"}}"#), F.alice, context: ["s3:ExistingObjectTag/team": ["blue"]], expected: .notApplicable),
    row("BinaryEquals", conditioned(#"{"BinaryEquals":{"aws:ExampleBinary":"QmluYXJ5"}}"#), F.alice, context: ["aws:ExampleBinary": ["QmluYXJ5"]], expected: .allow),
    row("BinaryEquals other value", conditioned(#"{"BinaryEquals":{"aws:ExampleBinary":"QmluYXJ5"}}"#), F.alice, context: ["aws:ExampleBinary": ["QmluYXJ6"]], expected: .notApplicable),
]

private let maxKeys = "s3:max-keys"

let numericConditionCases: [EvaluationCase] = [
    row("NumericLessThan below", conditioned(#"{"NumericLessThan":{"s3:max-keys":"10"}}"#), F.alice, context: [maxKeys: ["5"]], expected: .allow),
    row("NumericLessThan equal", conditioned(#"{"NumericLessThan":{"s3:max-keys":"10"}}"#), F.alice, context: [maxKeys: ["10"]], expected: .notApplicable),
    row("NumericLessThanEquals equal", conditioned(#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#), F.alice, context: [maxKeys: ["10"]], expected: .allow),
    row("NumericLessThanEquals above", conditioned(#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#), F.alice, context: [maxKeys: ["11"]], expected: .notApplicable),
    row("NumericGreaterThan above", conditioned(#"{"NumericGreaterThan":{"s3:max-keys":"10"}}"#), F.alice, context: [maxKeys: ["11"]], expected: .allow),
    row("NumericGreaterThan equal", conditioned(#"{"NumericGreaterThan":{"s3:max-keys":"10"}}"#), F.alice, context: [maxKeys: ["10"]], expected: .notApplicable),
    row("NumericGreaterThanEquals equal", conditioned(#"{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}"#), F.alice, context: [maxKeys: ["10"]], expected: .allow),
    row("NumericGreaterThanEquals below", conditioned(#"{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}"#), F.alice, context: [maxKeys: ["9.5"]], expected: .notApplicable),
    row("NumericEquals compares numbers, not text", conditioned(#"{"NumericEquals":{"s3:max-keys":"10"}}"#), F.alice, context: [maxKeys: ["10.0"]], expected: .allow),
    row("NumericEquals other number", conditioned(#"{"NumericEquals":{"s3:max-keys":"10"}}"#), F.alice, context: [maxKeys: ["11"]], expected: .notApplicable),
    row("NumericNotEquals other number", conditioned(#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#), F.alice, context: [maxKeys: ["11"]], expected: .allow),
    row("NumericNotEquals same number", conditioned(#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#), F.alice, context: [maxKeys: ["10"]], expected: .notApplicable),
    row("unquoted number in the policy", conditioned(#"{"NumericEquals":{"s3:max-keys":10}}"#), F.alice, context: [maxKeys: ["10"]], expected: .allow),
    row("negative and decimal numbers", conditioned(#"{"NumericLessThan":{"s3:max-keys":-1.5}}"#), F.alice, context: [maxKeys: ["-2"]], expected: .allow),
    row("a request value that is not a number", conditioned(#"{"NumericLessThan":{"s3:max-keys":"10"}}"#), F.alice, context: [maxKeys: ["abc"]], expected: .notApplicable),
    row("hex is not a number", conditioned(#"{"NumericEquals":{"s3:max-keys":"16"}}"#), F.alice, context: [maxKeys: ["0x10"]], expected: .notApplicable),
    row("a policy value that is not a number matches nothing", conditioned(#"{"NumericNotEquals":{"s3:max-keys":"abc"}}"#), F.alice, context: [maxKeys: ["5"]], expected: .allow),
    row("Numeric key absent", conditioned(#"{"NumericLessThan":{"s3:max-keys":"10"}}"#), F.alice, expected: .notApplicable),
    row("NumericNotEquals key absent", conditioned(#"{"NumericNotEquals":{"s3:max-keys":"10"}}"#), F.alice, expected: .allow),
]

private let now = "aws:CurrentTime"

let dateConditionCases: [EvaluationCase] = [
    row("DateGreaterThan after", conditioned(#"{"DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#), F.alice, context: [now: ["2024-06-01T00:00:00Z"]], expected: .allow),
    row("DateGreaterThan before", conditioned(#"{"DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#), F.alice, context: [now: ["2023-06-01T00:00:00Z"]], expected: .notApplicable),
    row("DateLessThan a date alone", conditioned(#"{"DateLessThan":{"aws:CurrentTime":"2024-01-01"}}"#), F.alice, context: [now: ["2023-12-31T23:59:59Z"]], expected: .allow),
    row("DateEquals ISO against epoch", conditioned(#"{"DateEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#), F.alice, context: [now: ["1704067200"]], expected: .allow),
    row("DateEquals across offsets", conditioned(#"{"DateEquals":{"aws:CurrentTime":"2024-01-01T02:00:00+02:00"}}"#), F.alice, context: [now: ["2024-01-01T00:00:00Z"]], expected: .allow),
    row("DateNotEquals across offsets", conditioned(#"{"DateNotEquals":{"aws:CurrentTime":"2024-01-01T02:00:00+02:00"}}"#), F.alice, context: [now: ["2024-01-01T00:00:00Z"]], expected: .notApplicable),
    row("DateNotEquals other instant", conditioned(#"{"DateNotEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#), F.alice, context: [now: ["2024-01-01T00:00:01Z"]], expected: .allow),
    row("DateLessThanEquals epoch in the policy", conditioned(#"{"DateLessThanEquals":{"aws:EpochTime":1704067200}}"#), F.alice, context: ["aws:EpochTime": ["2024-01-01T00:00:00.000Z"]], expected: .allow),
    row("DateGreaterThanEquals same instant", conditioned(#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}"#), F.alice, context: [now: ["2024-01-01T00:00:00Z"]], expected: .allow),
    row("DateGreaterThanEquals fractional seconds", conditioned(#"{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-01-01T00:00:00.5Z"}}"#), F.alice, context: [now: ["2024-01-01T00:00:00.25Z"]], expected: .notApplicable),
    row("an invalid request date", conditioned(#"{"DateLessThan":{"aws:CurrentTime":"2024-01-01"}}"#), F.alice, context: [now: ["2023-02-30"]], expected: .notApplicable),
    row("Date key absent", conditioned(#"{"DateLessThan":{"aws:CurrentTime":"2024-01-01"}}"#), F.alice, expected: .notApplicable),
]

let boolAndIPCases: [EvaluationCase] = [
    row("Bool true", conditioned(#"{"Bool":{"aws:SecureTransport":"true"}}"#), F.alice, context: ["aws:SecureTransport": ["true"]], expected: .allow),
    row("Bool false", conditioned(#"{"Bool":{"aws:SecureTransport":"true"}}"#), F.alice, context: ["aws:SecureTransport": ["false"]], expected: .notApplicable),
    row("Bool unquoted and any case", conditioned(#"{"Bool":{"aws:SecureTransport":true}}"#), F.alice, context: ["aws:SecureTransport": ["TRUE"]], expected: .allow),
    row("deny plain HTTP", denyWhen(#"{"Bool":{"aws:SecureTransport":"false"}}"#), F.alice, context: ["aws:SecureTransport": ["false"]], expected: .explicitDeny),
    row("deny plain HTTP spares HTTPS", denyWhen(#"{"Bool":{"aws:SecureTransport":"false"}}"#), F.alice, context: ["aws:SecureTransport": ["true"]], expected: .allow),
    row("Bool key absent", conditioned(#"{"Bool":{"aws:SecureTransport":"true"}}"#), F.alice, expected: .notApplicable),
    row("IpAddress inside", conditioned(#"{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#), F.anonymous, context: ["aws:SourceIp": ["192.0.2.55"]], expected: .allow),
    row("IpAddress outside", conditioned(#"{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#), F.anonymous, context: ["aws:SourceIp": ["192.0.3.1"]], expected: .notApplicable),
    row("IpAddress without a prefix is /32", conditioned(#"{"IpAddress":{"aws:SourceIp":"192.0.2.10"}}"#), F.anonymous, context: ["aws:SourceIp": ["192.0.2.10"]], expected: .allow),
    row("IpAddress /32 refuses the neighbour", conditioned(#"{"IpAddress":{"aws:SourceIp":"192.0.2.10"}}"#), F.anonymous, context: ["aws:SourceIp": ["192.0.2.11"]], expected: .notApplicable),
    row("IpAddress odd prefix", conditioned(#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/9"}}"#), F.anonymous, context: ["aws:SourceIp": ["10.127.255.255"]], expected: .allow),
    row("IpAddress odd prefix outside", conditioned(#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/9"}}"#), F.anonymous, context: ["aws:SourceIp": ["10.128.0.0"]], expected: .notApplicable),
    row("NotIpAddress outside", conditioned(#"{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#), F.anonymous, context: ["aws:SourceIp": ["198.51.100.1"]], expected: .allow),
    row("NotIpAddress inside", conditioned(#"{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#), F.anonymous, context: ["aws:SourceIp": ["192.0.2.5"]], expected: .notApplicable),
    row("IPv6 block", conditioned(#"{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#), F.anonymous, context: ["aws:SourceIp": ["2001:db8:1234::1"]], expected: .allow),
    row("IPv6 block outside", conditioned(#"{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#), F.anonymous, context: ["aws:SourceIp": ["2001:db9::1"]], expected: .notApplicable),
    row("IPv4-mapped IPv6 request", conditioned(#"{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#), F.anonymous, context: ["aws:SourceIp": ["::ffff:192.0.2.9"]], expected: .allow),
    row("IPv4 and IPv6 blocks together", conditioned(#"{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","2001:db8::/32"]}}"#), F.anonymous, context: ["aws:SourceIp": ["2001:db8::7"]], expected: .allow),
    row("NotIpAddress key absent", conditioned(#"{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#), F.anonymous, expected: .allow),
    row("a request address that does not parse", conditioned(#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#), F.anonymous, context: ["aws:SourceIp": ["garbage"]], expected: .notApplicable),
]

let arnAndNullCases: [EvaluationCase] = [
    row("ArnEquals", conditioned(#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111111111111:topic"}}"#), F.alice, context: ["aws:SourceArn": ["arn:aws:sns:us-east-1:111111111111:topic"]], expected: .allow),
    row("ArnLike by parts", conditioned(#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:*"}}"#), F.alice, context: ["aws:SourceArn": ["arn:aws:sns:eu-west-1:111111111111:t"]], expected: .allow),
    row("ArnLike another account", conditioned(#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:*"}}"#), F.alice, context: ["aws:SourceArn": ["arn:aws:sns:eu-west-1:222222222222:t"]], expected: .notApplicable),
    row("a star stays inside its part", conditioned(#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:t"}}"#), F.alice, context: ["aws:SourceArn": ["arn:aws:sns:a:b:111111111111:t"]], expected: .notApplicable),
    row("ArnNotLike another account", conditioned(#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:111111111111:*"}}"#), F.alice, context: ["aws:SourceArn": ["arn:aws:sns:eu-west-1:222222222222:t"]], expected: .allow),
    row("ArnNotEquals same ARN", conditioned(#"{"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111111111111:topic"}}"#), F.alice, context: ["aws:SourceArn": ["arn:aws:sns:us-east-1:111111111111:topic"]], expected: .notApplicable),
    row("ArnLike an S3 ARN", conditioned(#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::logs-*"}}"#), F.alice, context: ["aws:SourceArn": ["arn:aws:s3:::logs-2024"]], expected: .allow),
    row("ArnEquals compares case", conditioned(#"{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111111111111:topic"}}"#), F.alice, context: ["aws:SourceArn": ["arn:aws:SNS:us-east-1:111111111111:topic"]], expected: .notApplicable),
    row("ArnLike a value that is no ARN", conditioned(#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}"#), F.alice, context: ["aws:SourceArn": ["topic"]], expected: .notApplicable),
    row("ArnNotLike key absent", conditioned(#"{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}"#), F.alice, expected: .allow),
    row("Null true: key absent", denyWhen(#"{"Null":{"s3:x-amz-server-side-encryption":"true"}}"#), F.alice, expected: .explicitDeny),
    row("Null true: key present", denyWhen(#"{"Null":{"s3:x-amz-server-side-encryption":"true"}}"#), F.alice, context: ["s3:x-amz-server-side-encryption": ["AES256"]], expected: .allow),
    row("Null false: key present", conditioned(#"{"Null":{"s3:x-amz-server-side-encryption":false}}"#), F.alice, context: ["s3:x-amz-server-side-encryption": ["AES256"]], expected: .allow),
    row("Null false: key absent", conditioned(#"{"Null":{"s3:x-amz-server-side-encryption":"false"}}"#), F.alice, expected: .notApplicable),
    row("an empty value list is absent", conditioned(#"{"Null":{"s3:RequestObjectTagKeys":"true"}}"#), F.alice, context: ["s3:RequestObjectTagKeys": []], expected: .allow),
]

private let tagKeys = "s3:RequestObjectTagKeys"

let qualifierCases: [EvaluationCase] = [
    row("IfExists: key absent", conditioned(#"{"StringEqualsIfExists":{"s3:x-amz-acl":"private"}}"#), F.alice, expected: .allow),
    row("IfExists: key matches", conditioned(#"{"StringEqualsIfExists":{"s3:x-amz-acl":"private"}}"#), F.alice, context: ["s3:x-amz-acl": ["private"]], expected: .allow),
    row("IfExists: key differs", conditioned(#"{"StringEqualsIfExists":{"s3:x-amz-acl":"private"}}"#), F.alice, context: ["s3:x-amz-acl": ["public-read"]], expected: .notApplicable),
    row("NumericLessThanIfExists: key absent", conditioned(#"{"NumericLessThanIfExists":{"s3:max-keys":"10"}}"#), F.alice, expected: .allow),
    row("StringNotEqualsIfExists: key equal", conditioned(#"{"StringNotEqualsIfExists":{"s3:x-amz-acl":"private"}}"#), F.alice, context: ["s3:x-amz-acl": ["private"]], expected: .notApplicable),
    row("IpAddressIfExists: key absent", conditioned(#"{"IpAddressIfExists":{"aws:SourceIp":"192.0.2.0/24"}}"#), F.alice, expected: .allow),
    row("ForAnyValue: one matches", conditioned(#"{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}}"#), F.alice, context: [tagKeys: ["team", "x"]], expected: .allow),
    row("ForAnyValue: none matches", conditioned(#"{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}}"#), F.alice, context: [tagKeys: ["x", "y"]], expected: .notApplicable),
    row("ForAnyValue: key absent", conditioned(#"{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}}"#), F.alice, expected: .notApplicable),
    row("ForAllValues: all match", conditioned(#"{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}}"#), F.alice, context: [tagKeys: ["team", "env"]], expected: .allow),
    row("ForAllValues: one does not", conditioned(#"{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}}"#), F.alice, context: [tagKeys: ["team", "x"]], expected: .notApplicable),
    row("ForAllValues: key absent", conditioned(#"{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}}"#), F.alice, expected: .allow),
    row("ForAllValues with StringLike", conditioned(#"{"ForAllValues:StringLike":{"s3:RequestObjectTagKeys":"team*"}}"#), F.alice, context: [tagKeys: ["team1", "team2"]], expected: .allow),
    row("ForAnyValue:StringNotEquals: one differs", conditioned(#"{"ForAnyValue:StringNotEquals":{"s3:RequestObjectTagKeys":"team"}}"#), F.alice, context: [tagKeys: ["team", "x"]], expected: .allow),
    row("ForAnyValue:StringNotEquals: none differs", conditioned(#"{"ForAnyValue:StringNotEquals":{"s3:RequestObjectTagKeys":"team"}}"#), F.alice, context: [tagKeys: ["team"]], expected: .notApplicable),
    row("ForAllValues:StringNotEquals: none forbidden", conditioned(#"{"ForAllValues:StringNotEquals":{"s3:RequestObjectTagKeys":"secret"}}"#), F.alice, context: [tagKeys: ["a", "b"]], expected: .allow),
    row("ForAllValues:StringNotEquals: one forbidden", conditioned(#"{"ForAllValues:StringNotEquals":{"s3:RequestObjectTagKeys":"secret"}}"#), F.alice, context: [tagKeys: ["a", "secret"]], expected: .notApplicable),
    row("ForAnyValue IfExists: key absent", conditioned(#"{"ForAnyValue:StringEqualsIfExists":{"s3:RequestObjectTagKeys":"team"}}"#), F.alice, expected: .allow),
    row("operators AND together", conditioned(#"{"StringEquals":{"s3:x-amz-acl":"private"},"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#), F.alice, context: ["s3:x-amz-acl": ["private"], "aws:SourceIp": ["192.0.2.1"]], expected: .allow),
    row("operators AND: one fails", conditioned(#"{"StringEquals":{"s3:x-amz-acl":"private"},"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#), F.alice, context: ["s3:x-amz-acl": ["private"], "aws:SourceIp": ["203.0.113.1"]], expected: .notApplicable),
    row("keys under one operator AND together", conditioned(#"{"StringEquals":{"s3:x-amz-acl":"private","s3:x-amz-storage-class":"STANDARD"}}"#), F.alice, context: ["s3:x-amz-acl": ["private"], "s3:x-amz-storage-class": ["GLACIER"]], expected: .notApplicable),
    row("keys under one operator: both hold", conditioned(#"{"StringEquals":{"s3:x-amz-acl":"private","s3:x-amz-storage-class":"STANDARD"}}"#), F.alice, context: ["s3:x-amz-acl": ["private"], "s3:x-amz-storage-class": ["STANDARD"]], expected: .allow),
]

private let homeResource = #""arn:aws:s3:::bkt/home/${aws:username}/*""#

let variableCases: [EvaluationCase] = [
    row("username in a resource", F.document(F.statement(resource: homeResource)), F.alice, resource: F.object("home/alice/x"), expected: .allow),
    row("username in a resource: another home", F.document(F.statement(resource: homeResource)), F.alice, resource: F.object("home/bob/x"), expected: .notApplicable),
    row("username in a resource: the anonymous has none", F.document(F.statement(resource: homeResource)), F.anonymous, resource: F.object("home//x"), expected: .notApplicable),
    row("username in a resource: a root has none", F.document(F.statement(resource: homeResource)), F.root1, resource: F.object("home/root/x"), expected: .notApplicable),
    row("2008-10-17 takes variables literally", F.document(F.statement(resource: homeResource), version: "2008-10-17"), F.alice, resource: F.object("home/alice/x"), expected: .notApplicable),
    row("2008-10-17 literal text matches itself", F.document(F.statement(resource: homeResource), version: "2008-10-17"), F.alice, resource: F.object("home/${aws:username}/x"), expected: .allow),
    row("no Version takes variables literally", F.document(F.statement(resource: homeResource), version: nil), F.alice, resource: F.object("home/alice/x"), expected: .notApplicable),
    row("PrincipalAccount in a resource", F.document(F.statement(resource: #""arn:aws:s3:::bkt/${aws:PrincipalAccount}/*""#)), F.bob, resource: F.object("222222222222/x"), expected: .allow),
    row("a variable's value is never a wildcard", F.document(F.statement(resource: homeResource)), F.alice, resource: F.object("home/alice/x"), context: ["aws:username": ["*"]], expected: .notApplicable),
    row("a variable's value matches literally", F.document(F.statement(resource: homeResource)), F.alice, resource: F.object("home/*/x"), context: ["aws:username": ["*"]], expected: .allow),
    row("escape ${*} is a literal star", F.document(F.statement(resource: #""arn:aws:s3:::bkt/star${*}""#)), F.alice, resource: F.object("star*"), expected: .allow),
    row("escape ${*} is not a wildcard", F.document(F.statement(resource: #""arn:aws:s3:::bkt/star${*}""#)), F.alice, resource: F.object("starX"), expected: .notApplicable),
    row("escapes ${?} and ${$}", F.document(F.statement(resource: #""arn:aws:s3:::bkt/q${?}${$}""#)), F.alice, resource: F.object("q?$"), expected: .allow),
    row("variable in StringLike", conditioned(#"{"StringLike":{"s3:prefix":"${aws:username}/*"}}"#), F.alice, context: ["s3:prefix": ["alice/docs"]], expected: .allow),
    row("variable in StringLike: another user", conditioned(#"{"StringLike":{"s3:prefix":"${aws:username}/*"}}"#), F.bob, context: ["s3:prefix": ["alice/docs"]], expected: .notApplicable),
    row("variable with no value: StringEquals fails", conditioned(#"{"StringEquals":{"s3:prefix":"${aws:username}"}}"#), F.anonymous, context: ["s3:prefix": [""]], expected: .notApplicable),
    row("variable with no value: StringNotEquals holds", conditioned(#"{"StringNotEquals":{"s3:prefix":"${aws:username}"}}"#), F.anonymous, context: ["s3:prefix": ["x"]], expected: .allow),
    row("a variable's default", F.document(F.statement(resource: #""arn:aws:s3:::bkt/home/${aws:username, 'guest'}/*""#)), F.anonymous, resource: F.object("home/guest/x"), expected: .allow),
    row("a root's userid is its account", F.document(F.statement(resource: #""arn:aws:s3:::bkt/${aws:userid}/*""#)), F.root1, resource: F.object("111111111111/x"), expected: .allow),
    row("the anonymous userid", conditioned(#"{"StringEquals":{"aws:userid":"anonymous"}}"#), F.anonymous, expected: .allow),
    row("context overrides a derived key", conditioned(#"{"StringEquals":{"aws:userid":"AIDAEXAMPLE"}}"#), F.alice, context: ["aws:userid": ["AIDAEXAMPLE"]], expected: .allow),
    row("a variable key names ignore case", F.document(F.statement(resource: #""arn:aws:s3:::bkt/home/${AWS:UserName}/*""#)), F.alice, resource: F.object("home/alice/x"), expected: .allow),
]

let evaluationCases: [EvaluationCase] =
    principalCases + actionCases + resourceCases + combinationCases + stringConditionCases + numericConditionCases
    + dateConditionCases + boolAndIPCases + arnAndNullCases + qualifierCases + variableCases

@Suite struct PolicyEvaluationTests {
    @Test func tableIsLargeAndNamesAreUnique() {
        #expect(evaluationCases.count >= 150)
        #expect(Set(evaluationCases.map(\.name)).count == evaluationCases.count)
    }

    @Test(arguments: evaluationCases)
    func evaluates(_ row: EvaluationCase) throws {
        let policy = try Fixtures.policy(row.policy)
        let request = PolicyRequest(principal: row.principal, action: row.action, resource: row.resource, context: row.context)
        #expect(policy.evaluate(request) == row.expected)
    }
}
