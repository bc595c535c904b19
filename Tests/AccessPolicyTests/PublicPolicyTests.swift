import AccessPolicy
import Testing

private typealias F = Fixtures

struct PublicCase: Sendable, CustomTestStringConvertible {
    var name: String
    var policy: String
    var isPublic: Bool
    var testDescription: String { name }
}

private func publicWhen(_ name: String, _ condition: String?, principal: String = #""*""#, _ isPublic: Bool) -> PublicCase {
    PublicCase(name: name, policy: F.document(F.statement(principal: principal, condition: condition)), isPublic: isPublic)
}

let publicCases: [PublicCase] = [
    publicWhen("everyone, unconditioned", nil, true),
    publicWhen("AWS star", nil, principal: #"{"AWS":"*"}"#, true),
    publicWhen("star among accounts", nil, principal: #"{"AWS":["111111111111","*"]}"#, true),
    publicWhen("a fixed account", nil, principal: #"{"AWS":"111111111111"}"#, false),
    publicWhen("a fixed user", nil, principal: #"{"AWS":"arn:aws:iam::111111111111:user/alice"}"#, false),
    publicWhen("a canonical user", nil, principal: #"{"CanonicalUser":"\#(F.canonical1)"}"#, false),
    publicWhen("a service", nil, principal: #"{"Service":"logging.s3.amazonaws.com"}"#, false),
    publicWhen("a /24 source", #"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, false),
    publicWhen("a /8 source", #"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, false),
    publicWhen("a /7 source", #"{"IpAddress":{"aws:SourceIp":"10.0.0.0/7"}}"#, true),
    publicWhen("0.0.0.0/1", #"{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}"#, true),
    publicWhen("one broad block among narrow ones", #"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","0.0.0.0/0"]}}"#, true),
    publicWhen("an IPv6 /32", #"{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}"#, false),
    publicWhen("an IPv6 /16", #"{"IpAddress":{"aws:SourceIp":"2001::/16"}}"#, true),
    publicWhen("NotIpAddress confines nothing", #"{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, true),
    publicWhen("IpAddressIfExists confines nothing", #"{"IpAddressIfExists":{"aws:SourceIp":"203.0.113.0/24"}}"#, true),
    publicWhen("a fixed source account", #"{"StringEquals":{"aws:SourceAccount":"111111111111"}}"#, false),
    publicWhen("a fixed source ARN", #"{"ArnEquals":{"aws:SourceArn":"arn:aws:cloudfront::111111111111:distribution/E1"}}"#, false),
    publicWhen("a source ARN with a wildcard", #"{"ArnLike":{"aws:SourceArn":"arn:aws:cloudfront::111111111111:distribution/*"}}"#, true),
    publicWhen("a fixed VPC endpoint", #"{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}"#, false),
    publicWhen("a fixed VPC", #"{"StringEquals":{"aws:SourceVpc":"vpc-111bbb22"}}"#, false),
    publicWhen("a fixed organization", #"{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}"#, false),
    publicWhen("a fixed principal account", #"{"StringEquals":{"aws:PrincipalAccount":"111111111111"}}"#, false),
    publicWhen("a fixed principal ARN", #"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111111111111:user/alice"}}"#, false),
    publicWhen("a fixed user id", #"{"StringEquals":{"aws:userid":"AIDAEXAMPLE"}}"#, false),
    publicWhen("a role session pattern of user id", #"{"StringLike":{"aws:userid":"AROLEID:*"}}"#, true),
    publicWhen("a policy variable is not fixed", #"{"StringEquals":{"aws:SourceAccount":"${aws:PrincipalAccount}"}}"#, true),
    publicWhen("a negated operator confines nothing", #"{"StringNotEquals":{"aws:SourceAccount":"111111111111"}}"#, true),
    publicWhen("IfExists confines nothing", #"{"StringEqualsIfExists":{"aws:SourceAccount":"111111111111"}}"#, true),
    publicWhen("ForAllValues confines nothing", #"{"ForAllValues:StringEquals":{"aws:SourceAccount":"111111111111"}}"#, true),
    publicWhen("a key that pins nothing", #"{"StringEquals":{"aws:Referer":"https://example.com/"}}"#, true),
    publicWhen("secure transport pins nothing", #"{"Bool":{"aws:SecureTransport":"true"}}"#, true),
    publicWhen("a fixed access point", #"{"StringEquals":{"s3:DataAccessPointAccount":"111111111111"}}"#, false),
    publicWhen("one confining condition among others", #"{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:SourceAccount":"111111111111"}}"#, false),
    PublicCase(name: "a deny to everyone grants nothing", policy: F.document(F.statement("Deny")), isPublic: false),
    PublicCase(
        name: "NotPrincipal allow is public",
        policy: F.document(F.statement(principal: #"{"AWS":"111111111111"}"#, principalKey: "NotPrincipal")), isPublic: true),
    PublicCase(
        name: "NotPrincipal deny is not",
        policy: F.document(F.statement("Deny", principal: #"{"AWS":"111111111111"}"#, principalKey: "NotPrincipal")), isPublic: false),
    PublicCase(
        name: "one public statement makes the policy public",
        policy: F.document(F.statement(principal: #"{"AWS":"111111111111"}"#), F.statement()), isPublic: true),
]

@Suite struct PublicPolicyTests {
    @Test(arguments: publicCases)
    func judges(_ row: PublicCase) throws {
        #expect(try F.policy(row.policy).isPublic == row.isPublic)
    }

    @Test func namesThePublicStatements() throws {
        let policy = try F.policy(F.document(
            F.statement(principal: #"{"AWS":"111111111111"}"#),
            #"{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}"#))
        #expect(policy.publicStatements.map(\.index) == [1])
        #expect(policy.publicStatements.map(\.sid) == ["Open"])
    }
}
