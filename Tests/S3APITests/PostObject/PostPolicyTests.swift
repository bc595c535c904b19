import Foundation
import Testing
@testable import S3API

@Suite("POST Object: the policy")
struct PostPolicyTests {
    /// 2015-12-29T00:00:00Z
    static let now: Int64 = 1_451_347_200_000

    static func policy(_ json: String) throws(PostObjectError) -> PostPolicy {
        try PostPolicy(base64: Data(json.utf8).base64EncodedString())
    }

    static func policy(conditions: String, expiration: String = "2015-12-30T12:00:00.000Z") throws -> PostPolicy {
        try policy("{\"expiration\": \"\(expiration)\", \"conditions\": [\(conditions)]}")
    }

    static func form(_ fields: [(String, String)], filename: String? = "photo.jpg") -> PostForm {
        PostForm(fields: fields.map { PostForm.Field(name: $0.0, value: $0.1) }, filename: filename)
    }

    /// The signed example of S3's "Browser-Based Upload using HTTP POST (Using AWS Signature Version 4)", byte for
    /// byte, against the form it comes with.
    @Test func awsSignatureVersion4Example() throws {
        let base64 = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
        let policy = try PostPolicy(base64: base64)
        #expect(policy.expiration == 1_451_476_800_000)
        #expect(policy.conditions.count == 11)
        let form = Self.form([
            ("key", "user/user1/${filename}"), ("acl", "public-read"),
            ("success_action_redirect", "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"),
            ("Content-Type", "image/jpeg"), ("x-amz-meta-uuid", "14365123651274"),
            ("x-amz-server-side-encryption", "AES256"),
            ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"),
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Date", "20151229T000000Z"), ("x-amz-meta-tag", ""),
            ("Policy", base64), ("X-Amz-Signature", "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"),
        ])
        try policy.check(form, bucket: "sigv4examplebucket", nowMillis: Self.now)
        #expect(throws: PostObjectError.policyConditionFailed("[\"eq\", \"$bucket\", \"sigv4examplebucket\"]")) {
            try policy.check(form, bucket: "otherbucket", nowMillis: Self.now)
        }
        #expect(throws: PostObjectError.policyExpired) {
            try policy.check(form, bucket: "sigv4examplebucket", nowMillis: 1_451_476_800_001)
        }
        // The last instant is still within the policy.
        try policy.check(form, bucket: "sigv4examplebucket", nowMillis: 1_451_476_800_000)
    }

    // MARK: The document

    @Test(arguments: [
        ("not base64!", PostObjectError.policyInvalidBase64),
        ("e30", .policyMissingExpiration),  // "{}" without its padding
        ("eyJleHBpcmF0aW9uIjogIjIwMTUtMTItMzBUMTI6MDA6MDBaIiwKImNvbmRpdGlvbnMiOiBbXX0=\n", nil),  // a line break is forgiven
        ("bm90IGpzb24=", .policyInvalidJSON),  // "not json"
        ("", .policyInvalidJSON),
    ] as [(String, PostObjectError?)])
    func base64(_ text: String, _ error: PostObjectError?) {
        if let error {
            #expect(throws: error) { try PostPolicy(base64: text) }
        } else {
            #expect(throws: Never.self) { try PostPolicy(base64: text) }
        }
    }

    @Test(arguments: [
        ("[]", PostObjectError.policyInvalidJSON),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": [],}", .policyInvalidJSON),  // trailing comma
        ("{\"conditions\": []}", .policyMissingExpiration),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\"}", .policyMissingConditions),
        ("{\"EXPIRATION\": \"2015-12-30T12:00:00Z\", \"conditions\": []}", .policyUnexpectedMember("expiration")),
        ("{\"Version\": \"2012-10-17\", \"Statement\": []}", .policyUnexpectedMember("Version")),
        ("{\"expiration\": \"2011-09-13T07:52:58+02:00\", \"conditions\": []}", .policyInvalidExpiration("2011-09-13T07:52:58+02:00")),
        ("{\"expiration\": \"2015-10-17 03:15:59 UTC\", \"conditions\": []}", .policyInvalidExpiration("2015-10-17 03:15:59 UTC")),
        ("{\"expiration\": \"2015-02-29T00:00:00Z\", \"conditions\": []}", .policyInvalidExpiration("2015-02-29T00:00:00Z")),
        ("{\"expiration\": 1451476800, \"conditions\": []}", .policyInvalidExpiration("1451476800")),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": {}}", .policyConditionsNotList),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": [\"acl\"]}", .policyConditionNotListOrObject),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": [{}]}", .policySimpleConditionArity),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": [{\"bucket\": \"b\", \"acl\": \"private\"}]}", .policySimpleConditionArity),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": [{\"Content-Length\": 6199034}]}", .policySimpleConditionNotString),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": [{\"success_action_redirect\": null}]}", .policyInvalidJSON),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": [[]]}", .policyMissingOperation),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": [[\"contains\", \"$key\", \"a\"]]}", .policyUnknownOperation("contains")),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": [[\"eq\", \"$key\"]]}", .policyWrongArgumentCount("eq")),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": [[\"content-length-range\", 0]]}", .policyWrongArgumentCount("content-length-range")),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": [[\"content-length-range\", 0, 512.0]]}", .policyInvalidJSON),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": [[\"content-length-range\", 0, true]]}", .policyInvalidJSON),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": [[\"eq\", \"$key\", [\"a\"]]]}", .policyInvalidJSON),
        ("{\"expiration\": \"2015-12-30T12:00:00Z\", \"conditions\": [[1, \"$key\", \"a\"]]}", .policyInvalidJSON),
    ])
    func invalidDocuments(_ json: String, _ error: PostObjectError) {
        #expect(throws: error) { try Self.policy(json) }
    }

    @Test func documentMessagesAreS3s() {
        #expect(PostObjectError.policyInvalidJSON.message == "Invalid Policy: Invalid JSON.")
        #expect(PostObjectError.policyInvalidJSON.code == "InvalidPolicyDocument")
        #expect(PostObjectError.policyInvalidJSON.status == 400)
        #expect(PostObjectError.policyUnexpectedMember("Statement").message == "Invalid Policy: Unexpected: 'statement'")
        #expect(PostObjectError.policySimpleConditionArity.message
            == "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
    }

    @Test(arguments: [
        ("2015-12-30T12:00:00.000Z", 1_451_476_800_000),
        ("2015-12-30T12:00:00Z", 1_451_476_800_000),
        ("2015-12-30T12:00:00.5Z", 1_451_476_800_500),
        ("2015-12-30T12:00:00.123456Z", 1_451_476_800_123),
        ("1970-01-01T00:00:00Z", 0),
        ("2000-02-29T23:59:59.999Z", 951_868_799_999),
    ] as [(String, Int64)])
    func expirationIsUTC(_ text: String, _ millis: Int64) {
        #expect(PostPolicy.parseExpiration(text) == millis)
    }

    @Test(arguments: ["2015-12-30T12:00:00", "2015-12-30t12:00:00z", "2015-13-01T00:00:00Z", "2015-12-30T24:00:00Z",
                      "2015-12-30T12:00:00.Z", "15-12-30T12:00:00Z", "2015-12-30T12:00:00+00:00"])
    func expirationFormsS3Refuses(_ text: String) {
        #expect(PostPolicy.parseExpiration(text) == nil)
    }

    /// JSON escapes, including the `\$` S3's documentation lists; `\\$` stays a backslash and a dollar.
    @Test func escapes() throws {
        let policy = try Self.policy(conditions: #"["eq", "$key", "\$a\u00e9\ud83d\ude00\\$b\n"]"#)
        try policy.check(Self.form([("key", "$aé😀\\$b\n")]), bucket: "b", nowMillis: Self.now)
    }

    // MARK: Conditions

    @Test func exactMatch() throws {
        let policy = try Self.policy(conditions: #"{"acl": "public-read"}, ["eq", "$key", "user/x"]"#)
        try policy.check(Self.form([("acl", "public-read"), ("key", "user/x")]), bucket: "b", nowMillis: Self.now)
        #expect(throws: PostObjectError.policyConditionFailed(#"["eq", "$acl", "public-read"]"#)) {
            try policy.check(Self.form([("acl", "private"), ("key", "user/x")]), bucket: "b", nowMillis: Self.now)
        }
        #expect(throws: PostObjectError.policyConditionFailed(#"["eq", "$key", "user/x"]"#)) {
            try policy.check(Self.form([("acl", "public-read"), ("key", "user/y")]), bucket: "b", nowMillis: Self.now)
        }
        #expect(PostObjectError.policyConditionFailed(#"["eq", "$key", "user/x"]"#).message
            == #"Invalid according to Policy: Policy Condition failed: ["eq", "$key", "user/x"]"#)
        #expect(PostObjectError.policyConditionFailed("").status == 403)
    }

    /// Values compare case-sensitively; names do not, and the message keeps the policy's spelling.
    @Test func namesIgnoreCaseValuesDoNot() throws {
        let policy = try Self.policy(conditions: #"["eq", "$Success_Action_REDIRECT", "http://a.test/ok"], {"KEY": "k"}"#)
        try policy.check(Self.form([("success_action_redirect", "http://a.test/ok"), ("Key", "k")]), bucket: "b", nowMillis: Self.now)
        #expect(throws: PostObjectError.policyConditionFailed(#"["eq", "$Success_Action_REDIRECT", "http://a.test/ok"]"#)) {
            try policy.check(Self.form([("success_action_redirect", "HTTP://a.test/ok"), ("key", "k")]), bucket: "b", nowMillis: Self.now)
        }
    }

    @Test func quotesAreEscapedInTheMessage() throws {
        let policy = try Self.policy(conditions: #"["eq", "$Content-Disposition", "filename=\"test.png\""], {"key": "k"}"#)
        #expect(throws: PostObjectError.policyConditionFailed(#"["eq", "$Content-Disposition", "filename=\"test.png\""]"#)) {
            try policy.check(Self.form([("key", "k"), ("Content-Disposition", "inline")]), bucket: "b", nowMillis: Self.now)
        }
    }

    @Test func startsWith() throws {
        let policy = try Self.policy(conditions: #"["starts-with", "$key", "user/eric/"]"#)
        try policy.check(Self.form([("key", "user/eric/${filename}")]), bucket: "b", nowMillis: Self.now)
        #expect(throws: PostObjectError.policyConditionFailed(#"["starts-with", "$key", "user/eric/"]"#)) {
            try policy.check(Self.form([("key", "user/Eric/a")]), bucket: "b", nowMillis: Self.now)
        }
    }

    /// An empty prefix allows any value, but not a missing field.
    @Test func startsWithEmptyMatchesAnythingPresent() throws {
        let policy = try Self.policy(conditions: #"{"key": "k"}, ["starts-with", "$Content-Type", ""]"#)
        try policy.check(Self.form([("key", "k"), ("content-type", "")]), bucket: "b", nowMillis: Self.now)
        try policy.check(Self.form([("key", "k"), ("content-type", "anything/at-all")]), bucket: "b", nowMillis: Self.now)
        #expect(throws: PostObjectError.policyConditionFailed(#"["starts-with", "$Content-Type", ""]"#)) {
            try policy.check(Self.form([("key", "k")]), bucket: "b", nowMillis: Self.now)
        }
    }

    /// A Content-Type with commas is a list; each member must match. Other fields are plain strings.
    @Test func contentTypeListsForStartsWith() throws {
        let policy = try Self.policy(conditions: #"{"key": "k"}, ["starts-with", "$Content-Type", "image/"], ["starts-with", "$x-amz-meta-tag", "a,"]"#)
        try policy.check(Self.form([("key", "k"), ("Content-Type", "image/jpg,image/png,image/gif"), ("x-amz-meta-tag", "a,b")]),
                         bucket: "b", nowMillis: Self.now)
        #expect(throws: PostObjectError.policyConditionFailed(#"["starts-with", "$Content-Type", "image/"]"#)) {
            try policy.check(Self.form([("key", "k"), ("Content-Type", "image/jpg,text/plain"), ("x-amz-meta-tag", "a,b")]),
                             bucket: "b", nowMillis: Self.now)
        }
    }

    /// `$bucket` is the bucket posted to, even when the form says otherwise.
    @Test func bucketIsTheBucketPostedTo() throws {
        let policy = try Self.policy(conditions: #"{"bucket": "photos"}, {"key": "k"}"#)
        try policy.check(Self.form([("key", "k")]), bucket: "photos", nowMillis: Self.now)
        try policy.check(Self.form([("key", "k"), ("bucket", "photos")]), bucket: "photos", nowMillis: Self.now)
        #expect(throws: PostObjectError.policyConditionFailed(#"["eq", "$bucket", "photos"]"#)) {
            try policy.check(Self.form([("key", "k"), ("bucket", "photos")]), bucket: "other", nowMillis: Self.now)
        }
    }

    /// A reference without `$` is read, then fails.
    @Test func referenceWithoutDollarFails() throws {
        let policy = try Self.policy(conditions: #"["eq", "key", "k"]"#)
        #expect(throws: PostObjectError.policyConditionFailed(#"["eq", "key", "k"]"#)) {
            try policy.check(Self.form([("key", "k")]), bucket: "b", nowMillis: Self.now)
        }
    }

    /// Every field but the signature, the policy, the file and `x-ignore-*` must be named by a condition.
    @Test func extraInputFields() throws {
        let policy = try Self.policy(conditions: #"["starts-with", "$key", ""]"#)
        try policy.check(Self.form([("key", "k"), ("Policy", "…"), ("X-Amz-Signature", "s"), ("x-ignore-tracker", "1"),
                                    ("AWSAccessKeyId", "AK"), ("signature", "s")]),
                         bucket: "b", nowMillis: Self.now)
        #expect(throws: PostObjectError.extraInputFields(["StorageClass"])) {
            try policy.check(Self.form([("key", "k"), ("StorageClass", "STANDARD")]), bucket: "b", nowMillis: Self.now)
        }
        #expect(throws: PostObjectError.extraInputFields(["x-amz-meta-a", "bucket"])) {
            try policy.check(Self.form([("key", "k"), ("x-amz-meta-a", "1"), ("bucket", "b")]), bucket: "b", nowMillis: Self.now)
        }
        #expect(PostObjectError.extraInputFields(["x-amz-meta-foo"]).message
            == "Invalid according to Policy: Extra input fields: x-amz-meta-foo")
    }

    /// A length range names no field.
    @Test func lengthRangeDoesNotCoverAField() throws {
        let policy = try Self.policy(conditions: #"{"key": "k"}, ["content-length-range", 0, 10]"#)
        #expect(throws: PostObjectError.extraInputFields(["content-length-range"])) {
            try policy.check(Self.form([("key", "k"), ("content-length-range", "5")]), bucket: "b", nowMillis: Self.now)
        }
    }

    @Test func expiredBeforeConditions() throws {
        let policy = try Self.policy(conditions: #"{"key": "k"}"#, expiration: "2015-12-28T00:00:00Z")
        #expect(throws: PostObjectError.policyExpired) {
            try policy.check(Self.form([("key", "wrong")]), bucket: "b", nowMillis: Self.now)
        }
        #expect(PostObjectError.policyExpired.message == "Invalid according to Policy: Policy expired.")
    }

    /// `${filename}` is expanded before matching, in every field.
    @Test func conditionsSeeExpandedFields() throws {
        let policy = try Self.policy(conditions: #"{"key": "user/photo.jpg"}, {"x-amz-meta-name": "photo.jpg"}"#)
        try policy.check(Self.form([("key", "user/${filename}"), ("x-amz-meta-name", "${filename}")]), bucket: "b", nowMillis: Self.now)
        #expect(throws: PostObjectError.policyConditionFailed(#"["eq", "$key", "user/photo.jpg"]"#)) {
            try policy.check(Self.form([("key", "user/${filename}"), ("x-amz-meta-name", "${filename}")], filename: "x.png"),
                             bucket: "b", nowMillis: Self.now)
        }
    }

    @Test func duplicateFieldsMatchJoinedByCommas() throws {
        let policy = try Self.policy(conditions: #"{"key": "k"}, {"x-amz-meta-tag": "Ninja,Stallman"}"#)
        try policy.check(Self.form([("key", "k"), ("x-amz-meta-tag", "Ninja"), ("x-amz-meta-tag", "Stallman")]),
                         bucket: "b", nowMillis: Self.now)
    }

    // MARK: content-length-range

    @Test func lengthRange() throws {
        let policy = try Self.policy(conditions: #"["content-length-range", 5, 10]"#)
        for size: Int64 in [5, 7, 10] { try policy.checkLength(size) }
        #expect(throws: PostObjectError.entityTooLarge(proposed: 12, maximum: 10)) { try policy.checkLength(12) }
        #expect(throws: PostObjectError.entityTooSmall(proposed: 1, minimum: 5)) { try policy.checkLength(1) }
        #expect(policy.maxContentLength == 10)
        let large = PostObjectError.entityTooLarge(proposed: 12, maximum: 10)
        #expect(large.message == "Your proposed upload exceeds the maximum allowed size")
        #expect(large.details.map { "\($0.0)=\($0.1)" } == ["ProposedSize=12", "MaxSizeAllowed=10"])
        let small = PostObjectError.entityTooSmall(proposed: 1, minimum: 5)
        #expect(small.message == "Your proposed upload is smaller than the minimum allowed size")
        #expect(small.details.map { "\($0.0)=\($0.1)" } == ["ProposedSize=1", "MinSizeAllowed=5"])
        #expect(small.status == 400 && small.code == "EntityTooSmall")
    }

    @Test func lengthRangeAsStrings() throws {
        let policy = try Self.policy(conditions: #"["content-length-range", "5", "10"]"#)
        try policy.check(Self.form([]), bucket: "b", nowMillis: Self.now)
        try policy.checkLength(10)
        #expect(throws: PostObjectError.entityTooLarge(proposed: 11, maximum: 10)) { try policy.checkLength(11) }
    }

    /// A bound that is a string but not a number passes the document and fails as a condition.
    @Test func lengthRangeWithWordsFailsTheCondition() throws {
        let policy = try Self.policy(conditions: #"["content-length-range", "test", "10"]"#)
        #expect(throws: PostObjectError.policyConditionFailed(#"["content-length-range", "test", "10"]"#)) {
            try policy.check(Self.form([]), bucket: "b", nowMillis: Self.now)
        }
    }

    @Test func everyRangeApplies() throws {
        let policy = try Self.policy(conditions: #"["content-length-range", 0, 100], ["content-length-range", 10, 50]"#)
        try policy.checkLength(20)
        #expect(throws: PostObjectError.entityTooLarge(proposed: 60, maximum: 50)) { try policy.checkLength(60) }
        #expect(throws: PostObjectError.entityTooSmall(proposed: 5, minimum: 10)) { try policy.checkLength(5) }
        #expect(policy.maxContentLength == 50)
    }

    @Test func operatorsIgnoreCase() throws {
        let policy = try Self.policy(conditions: #"["StArTs-WiTh", "$KeY", "foo"], ["EQ", "$acl", "private"]"#)
        try policy.check(Self.form([("kEy", "foo.txt"), ("aCl", "private")]), bucket: "b", nowMillis: Self.now)
    }
}
