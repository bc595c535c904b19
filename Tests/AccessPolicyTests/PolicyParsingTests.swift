@testable import AccessPolicy
import Testing

private typealias F = Fixtures

/// A document S3 refuses, and the message it refuses it with.
struct ParseErrorCase: Sendable, CustomTestStringConvertible {
    var name: String
    var json: [UInt8]
    var message: String
    var testDescription: String { name }
}

private func refused(_ name: String, _ json: String, _ message: String) -> ParseErrorCase {
    ParseErrorCase(name: name, json: Array(json.utf8), message: message)
}

private func statementRefused(_ name: String, _ statement: String, _ message: String) -> ParseErrorCase {
    refused(name, F.document(statement), message)
}

private let firstByte = "Policies must be valid JSON and the first byte must be '{'"
private let invalidJSON = "This policy contains invalid Json"
private let syntax = "Invalid policy syntax."
private let principal = "Invalid principal in policy"
private let action = "Policy has invalid action"
private let resource = "Policy has invalid resource"
private let notApplicable = "Action does not apply to any resource(s) in statement"

let parseErrorCases: [ParseErrorCase] = [
    refused("empty body", "", firstByte),
    refused("leading space", " {}", firstByte),
    refused("an array", "[]", firstByte),
    refused("plain text", "invalid json", firstByte),
    refused("a byte order mark", "\u{FEFF}{}", firstByte),
    refused("unterminated object", "{", invalidJSON),
    refused("trailing garbage", #"{"Statement":[]} x"#, invalidJSON),
    refused("trailing comma", #"{"Statement":[],}"#, invalidJSON),
    refused("single quotes", "{'Statement':[]}", invalidJSON),
    refused("raw control character in a string", "{\"Id\":\"a\u{01}b\"}", invalidJSON),
    refused("unpaired surrogate escape", #"{"Id":"\ud800"}"#, invalidJSON),
    refused("leading zero number", #"{"Id":01}"#, invalidJSON),
    refused("empty object", "{}", "Missing required field Statement"),
    refused("empty statement list", #"{"Version":"2012-10-17","Statement":[]}"#, "Could not parse the policy: Statement is empty!"),
    refused("unknown version", #"{"Version":"2012-10-18","Statement":[]}"#, "The policy must contain a valid version string"),
    refused("version of the wrong type", #"{"Version":2012,"Statement":[]}"#, "The policy must contain a valid version string"),
    refused("unknown top-level field", #"{"Statement":[],"Foo":1}"#, "Unknown field Foo"),
    refused("misspelt Statement", #"{"Statements":[]}"#, "Unknown field Statements"),
    refused("Id of the wrong type", #"{"Id":1,"Statement":[]}"#, syntax),
    refused("Statement of the wrong type", #"{"Statement":"x"}"#, syntax),
    refused("duplicate member", #"{"Statement":[],"Statement":[]}"#, syntax),
    refused("statement not an object", #"{"Statement":["x"]}"#, syntax),
    statementRefused("lower-case condition member", #"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*","condition":{}}"#, "Unknown field condition"),
    statementRefused("missing Effect", #"{"Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}"#, "Missing required field Effect"),
    statementRefused("Effect in lower case", F.statement("allow"), "Invalid effect: allow"),
    statementRefused("Effect of the wrong type", #"{"Effect":true,"Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}"#, syntax),
    statementRefused("Sid of the wrong type", #"{"Sid":1,"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}"#, syntax),
    statementRefused("missing Principal", #"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}"#, "Missing required field Principal"),
    statementRefused("Principal as a root ARN string", F.statement(principal: #""arn:aws:iam::111111111111:root""#), syntax),
    statementRefused("Principal as a list", F.statement(principal: #"["*"]"#), syntax),
    statementRefused("Principal and NotPrincipal", #"{"Effect":"Deny","Principal":"*","NotPrincipal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::bkt/*"}"#, syntax),
    statementRefused("AWS principal that is no account", F.statement(principal: #"{"AWS":"alice"}"#), principal),
    statementRefused("AWS principal account too short", F.statement(principal: #"{"AWS":"11111111111"}"#), principal),
    statementRefused("wildcard inside a principal ARN", F.statement(principal: #"{"AWS":"arn:aws:iam::111111111111:user/*"}"#), principal),
    statementRefused("principal ARN of another service", F.statement(principal: #"{"AWS":"arn:aws:s3:::bkt"}"#), principal),
    statementRefused("canonical id too short", F.statement(principal: #"{"CanonicalUser":"abc"}"#), principal),
    statementRefused("canonical id not hex", F.statement(principal: #"{"CanonicalUser":"\#(String(repeating: "z", count: 64))"}"#), principal),
    statementRefused("unknown principal type", F.statement(principal: #"{"Group":"x"}"#), principal),
    statementRefused("empty principal map", F.statement(principal: "{}"), principal),
    statementRefused("empty principal list", F.statement(principal: #"{"AWS":[]}"#), principal),
    statementRefused("principal value of the wrong type", F.statement(principal: #"{"AWS":1}"#), principal),
    statementRefused("service principal star", F.statement(principal: #"{"Service":"*"}"#), principal),
    statementRefused("missing Action", #"{"Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::bkt/*"}"#, "Missing required field Action"),
    statementRefused("action of another service", F.statement(action: #""iam:PassRole""#), action),
    statementRefused("action S3 does not define", F.statement(action: #""s3:GetObjects""#), action),
    statementRefused("an action name people guess", F.statement(action: #""s3:PutObjectLockConfiguration""#), action),
    statementRefused("a wildcard naming no action", F.statement(action: #""s3:Frob*""#), action),
    statementRefused("an action without a service", F.statement(action: #""GetObject""#), action),
    statementRefused("an empty action list", F.statement(action: "[]"), action),
    statementRefused("Action null", F.statement(action: "null"), syntax),
    statementRefused("Action list holding a number", F.statement(action: "[1]"), syntax),
    statementRefused("missing Resource", #"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}"#, "Missing required field Resource"),
    statementRefused("Resource star", F.statement(resource: #""*""#), resource),
    statementRefused("Resource of every bucket", F.statement(resource: #""arn:aws:s3:::*""#), resource),
    statementRefused("Resource of another bucket", F.statement(resource: #""arn:aws:s3:::other/*""#), resource),
    statementRefused("Resource of a bucket extending this one", F.statement(resource: #""arn:aws:s3:::bkt2/*""#), resource),
    statementRefused("Resource without the ARN", F.statement(resource: #""bkt/*""#), resource),
    statementRefused("Resource of another partition", F.statement(resource: #""arn:aws-cn:s3:::bkt/*""#), resource),
    statementRefused("one bad resource in a list", F.statement(resource: #"["arn:aws:s3:::bkt/*","arn:aws:s3:::other/*"]"#), resource),
    statementRefused("an object action on the bucket", F.statement(resource: #""arn:aws:s3:::bkt""#), notApplicable),
    statementRefused("a bucket action on objects", F.statement(action: #""s3:ListBucket""#), notApplicable),
    statementRefused("an account action on the bucket", F.statement(action: #""s3:ListAllMyBuckets""#, resource: #""arn:aws:s3:::bkt""#), notApplicable),
    statementRefused("a list where one action fits no resource", F.statement(action: #"["s3:GetObject","s3:ListBucket"]"#), notApplicable),
    statementRefused("object actions by pattern on the bucket", F.statement(action: #""s3:*Object""#, resource: #""arn:aws:s3:::bkt""#), notApplicable),
    statementRefused("misspelt operator", F.statement(condition: #"{"StringEqual":{"s3:prefix":"a"}}"#), "Invalid Condition type : StringEqual"),
    statementRefused("operator in lower case", F.statement(condition: #"{"stringequals":{"s3:prefix":"a"}}"#), "Invalid Condition type : stringequals"),
    statementRefused("Null with IfExists", F.statement(condition: #"{"NullIfExists":{"s3:prefix":"true"}}"#), "Invalid Condition type : NullIfExists"),
    statementRefused("unknown set qualifier", F.statement(condition: #"{"ForSomeValues:StringEquals":{"s3:prefix":"a"}}"#), "Invalid Condition type : ForSomeValues:StringEquals"),
    statementRefused("invalid IPv4 address", F.statement(condition: #"{"IpAddress":{"aws:SourceIp":"300.1.1.1"}}"#), "Invalid IP address in Conditions"),
    statementRefused("prefix too long", F.statement(condition: #"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/33"}}"#), "Invalid IP address in Conditions"),
    statementRefused("not an address", F.statement(condition: #"{"IpAddressIfExists":{"aws:SourceIp":"localhost"}}"#), "Invalid IP address in Conditions"),
    statementRefused("Condition not an object", F.statement(condition: #""x""#), syntax),
    statementRefused("operator body not an object", F.statement(condition: #"{"StringEquals":"x"}"#), syntax),
    statementRefused("condition value an object", F.statement(condition: #"{"StringEquals":{"s3:prefix":{"a":1}}}"#), syntax),
    statementRefused("condition value null", F.statement(condition: #"{"StringEquals":{"s3:prefix":null}}"#), syntax),
]

@Suite struct PolicyParsingTests {
    @Test(arguments: parseErrorCases)
    func refuses(_ row: ParseErrorCase) {
        #expect(throws: MalformedPolicy(row.message)) {
            try BucketPolicy(json: row.json, bucket: "bkt")
        }
    }

    @Test func refusesInvalidUTF8() {
        var bytes = Array(#"{"Id":"x","Statement":[]}"#.utf8)
        bytes[7] = 0xFF
        #expect(throws: MalformedPolicy(invalidJSON)) { try BucketPolicy(json: bytes, bucket: "bkt") }
    }

    @Test func acceptsWhatS3Accepts() throws {
        let documents = [
            F.document(F.statement()),
            F.document(F.statement(), version: "2008-10-17"),
            F.document(F.statement(), version: nil),
            #"{"Id":"x","Statement":\#(F.statement())}"#,
            F.document(F.statement(action: #""s3:*""#)),
            F.document(F.statement(action: #""s3:Get*""#, resource: #""arn:aws:s3:::bkt""#)),
            F.document(F.statement(action: #"["s3:GetObject","s3:ListBucket"]"#, resource: #"["arn:aws:s3:::bkt","arn:aws:s3:::bkt/*"]"#)),
            F.document(F.statement(action: #""s3:ListAllMyBuckets""#, actionKey: "NotAction", resource: #""arn:aws:s3:::bkt""#)),
            F.document(F.statement(resource: #""arn:aws:s3:::bkt""#, resourceKey: "NotResource")),
            F.document(F.statement(principal: #"{"AWS":"arn:aws:sts::111111111111:assumed-role/r/s"}"#)),
            F.document(F.statement(principal: #"{"AWS":"arn:aws:iam::111111111111:user/path/to/alice"}"#)),
            F.document(F.statement(condition: #"{"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true}}"#)),
            F.document(F.statement(condition: #"{"NumericEquals":{"s3:max-keys":"not a number"}}"#)),
            F.document(F.statement(condition: #"{"IpAddress":{"aws:SourceIp":["2001:db8::/32","::1","::ffff:1.2.3.4/128"]}}"#)),
            F.document(F.statement(condition: #"{"StringEquals":{"s3:prefix":[]}}"#)),
            "{\n  \"Statement\" : [ \(F.statement()) ]\n}\n",
        ]
        for document in documents {
            let policy = try F.policy(document)
            #expect(policy.text == document)
        }
    }

    @Test func versionDecidesVariables() throws {
        #expect(try F.policy(F.document(F.statement())).usesPolicyVariables)
        #expect(try !F.policy(F.document(F.statement(), version: "2008-10-17")).usesPolicyVariables)
        #expect(try !F.policy(F.document(F.statement(), version: nil)).usesPolicyVariables)
    }

    @Test func sizeIsCountedWithoutWhitespace() throws {
        let statement = F.statement()
        // A document just under the limit once whitespace is gone, padded far past it with spaces.
        var statements: [String] = []
        while (statements + [statement]).joined(separator: ",").utf8.count + 60 < BucketPolicy.maximumSize {
            statements.append(statement)
        }
        let compact = F.document(statements.joined(separator: ","))
        #expect(compact.utf8.count <= BucketPolicy.maximumSize)
        let padded = compact.split(separator: ",", omittingEmptySubsequences: false).joined(separator: ",        ")
        #expect(padded.utf8.count > BucketPolicy.maximumSize)
        _ = try F.policy(padded)

        let tooLarge = F.document((statements + [statement, statement]).joined(separator: ","))
        #expect(throws: MalformedPolicy("Normalized policy document exceeds the maximum allowed size of 20480 bytes")) {
            try F.policy(tooLarge)
        }
        // Whitespace inside strings counts.
        let spacedSid = #"{"Sid":"\#(String(repeating: " ", count: 21_000))","Statement":[]}"#
        #expect(throws: MalformedPolicy("Normalized policy document exceeds the maximum allowed size of 20480 bytes")) {
            try F.policy(spacedSid)
        }
    }

    @Test func deepNestingIsRefusedNotRecursed() {
        for opener in ["[", "{\"a\":"] {
            let depth = opener == "[" ? 5000 : 3000
            let body = "{\"Id\":" + String(repeating: opener, count: depth) + "1"
            #expect(throws: MalformedPolicy(invalidJSON)) { try F.policy(body) }
        }
        // Deep but balanced nesting inside a condition value is refused as JSON, before S3's own checks.
        let nested = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: MalformedPolicy(invalidJSON)) {
            try F.policy(F.document(F.statement(condition: #"{"StringEquals":{"s3:prefix":\#(nested)}}"#)))
        }
    }

    @Test func mutatedDocumentsNeverCrash() {
        // Every single-byte change of a rich policy either parses or is refused with one of S3's messages.
        let document = Array(F.document(
            F.statement(principal: #"{"AWS":["111111111111","arn:aws:iam::222222222222:user/bob"]}"#,
                        condition: #"{"StringLike":{"s3:prefix":"${aws:username}/*"},"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}"#),
            F.statement("Deny", action: #"["s3:DeleteObject","s3:PutObject"]"#)).utf8)
        let replacements: [UInt8] = [0x00, 0x22, 0x2A, 0x2C, 0x3A, 0x5B, 0x5D, 0x7B, 0x7D, 0x5C, 0xC3, 0xFF]
        var refusals = 0
        for index in document.indices {
            for replacement in replacements where document[index] != replacement {
                var mutated = document
                mutated[index] = replacement
                if (try? BucketPolicy(json: mutated, bucket: "bkt")) == nil { refusals += 1 }
            }
        }
        #expect(refusals > document.count)
    }

    @Test func jsonKeepsNumbersAndBooleansApart() throws {
        #expect(try PolicyJSON.parse(Array(#"[true,1,"1",1.50,-0,null]"#.utf8))
            == .array([.bool(true), .number("1"), .string("1"), .number("1.50"), .number("-0"), .null]))
        #expect(try PolicyJSON.parse(Array(#""\u00e9\ud83d\ude00\n""#.utf8)) == .string("é😀\n"))
    }
}

@Suite struct S3ActionsTests {
    @Test func catalogHasNoDuplicates() {
        #expect(S3Actions.all.count == S3Actions.catalog.count)
        #expect(S3Actions.all.count > 150)
    }

    @Test func namesCompareWithoutCase() {
        #expect(S3Actions.isValid("s3:GetObject"))
        #expect(S3Actions.isValid("S3:GETOBJECT"))
        #expect(S3Actions.all.contains("s3:putbucketpolicy"))
        #expect(!S3Actions.isValid("s3:PutObjectLockConfiguration"))
        #expect(!S3Actions.isValid("s3:*"))
        #expect(!S3Actions.isValid("GetObject"))
    }

    @Test func kinds() {
        #expect(S3Actions.kind(of: "s3:GetObject") == .object)
        #expect(S3Actions.kind(of: "s3:AbortMultipartUpload") == .object)
        #expect(S3Actions.kind(of: "s3:ListMultipartUploadParts") == .object)
        #expect(S3Actions.kind(of: "s3:ListBucket") == .bucket)
        #expect(S3Actions.kind(of: "s3:ListBucketMultipartUploads") == .bucket)
        #expect(S3Actions.kind(of: "s3:PutBucketPolicy") == .bucket)
        #expect(S3Actions.kind(of: "s3:GetBucketObjectLockConfiguration") == .bucket)
        #expect(S3Actions.kind(of: "s3:ListAllMyBuckets") == .other)
        #expect(S3Actions.kind(of: "s3:CreateJob") == .other)
        #expect(S3Actions.kind(of: "s3:Nope") == nil)
    }
}

@Suite struct TwentyStatementTests {
    /// The 20-statement policy the benchmark measures (docs/benchmarks.md): conditions, a policy variable and a deny,
    /// with the one statement that matches allowing.
    @Test func twentyStatementsDecide() throws {
        var statements: [String] = []
        for index in 0..<19 {
            statements.append(F.statement(
                principal: #"{"AWS":["333333333333","222222222222"]}"#,
                action: #"["s3:Get*","s3:Put*"]"#,
                resource: #""arn:aws:s3:::bkt/home/${aws:username}/\#(index)/*""#,
                condition: #"{"StringLike":{"s3:prefix":"p\#(index)*"},"IpAddress":{"aws:SourceIp":"10.\#(index).0.0/16"}}"#))
        }
        statements.append(F.statement("Deny", condition: #"{"Bool":{"aws:SecureTransport":"false"}}"#))
        let policy = try F.policy(F.document(statements.joined(separator: ",")))
        let request = PolicyRequest(
            principal: F.bob, action: "s3:GetObject", resource: F.object("home/bob/3/file"),
            context: ["aws:SourceIp": ["10.3.1.1"], "s3:prefix": ["p3x"], "aws:SecureTransport": ["true"]])
        #expect(policy.evaluate(request) == .allow)
        var elsewhere = request
        elsewhere.context["aws:SourceIp"] = ["10.4.1.1"]
        #expect(policy.evaluate(elsewhere) == .notApplicable)
        var plain = request
        plain.context["aws:SecureTransport"] = ["false"]
        #expect(policy.evaluate(plain) == .explicitDeny)
    }
}
