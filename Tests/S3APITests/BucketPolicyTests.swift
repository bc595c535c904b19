import FrontDoors
import LockstepCrypto
import LockstepTestSupport
import LockstepXML
@testable import S3API
import Store
import Testing

/// Bucket policies through the S3 front door: the policies people put on state buckets, cross-account and anonymous
/// access, explicit denies, Block Public Access, and the documents' errors.
@Suite("Bucket policies")
struct BucketPolicyTests {
    typealias T = AccessControlTests

    func server(legacy: Bool = false) throws -> S3TestServer { try S3TestServer(users: T.users, legacyBucketDefaults: legacy) }

    func putPolicy(_ s3: S3TestServer, _ bucket: String, _ json: String, auth: AuthStyle = .signed) async -> Reply {
        await s3.send(.put, "/\(bucket)", query: "policy", body: Array(json.utf8), auth: auth)
    }

    static func statement(_ effect: String = "Allow", principal: String = #""*""#, action: String, resource: String,
                          condition: String? = nil) -> String {
        #"{"Effect":"\#(effect)","Principal":\#(principal),"Action":\#(action),"Resource":\#(resource)"#
            + (condition.map { #","Condition":\#($0)"# } ?? "") + "}"
    }

    static func policy(_ statements: String...) -> String {
        #"{"Version":"2012-10-17","Statement":[\#(statements.joined(separator: ","))]}"#
    }

    @Test func aSecondTeamGetsReadOnlyAccess() async throws {
        let s3 = try server()
        #expect(await s3.send(.put, "/state", auth: T.alice).status == 200)
        #expect(await s3.send(.put, "/state/env/prod.tfstate", body: [1], auth: T.alice).status == 200)
        let readOnly = Self.policy(
            Self.statement(principal: #"{"AWS":"arn:aws:iam::222222222222:root"}"#, action: #""s3:ListBucket""#, resource: #""arn:aws:s3:::state""#),
            Self.statement(principal: #"{"AWS":"222222222222"}"#, action: #"["s3:GetObject","s3:GetObjectVersion"]"#, resource: #""arn:aws:s3:::state/*""#))
        #expect(await putPolicy(s3, "state", readOnly, auth: T.alice).status == 204)
        #expect(await s3.send(.get, "/state", query: "policy", auth: T.alice).text == readOnly)
        #expect(await s3.send(.get, "/state/env/prod.tfstate", auth: T.bob).body == [1])
        #expect(await s3.send(.get, "/state", query: "list-type=2", auth: T.bob).xml?.all("Contents").count == 1)
        expectWellFormedError(await s3.send(.put, "/state/env/prod.tfstate", body: [2], auth: T.bob), code: "AccessDenied", status: 403)
        expectWellFormedError(await s3.send(.delete, "/state/env/prod.tfstate", auth: T.bob), code: "AccessDenied", status: 403)
        expectWellFormedError(await s3.send(.get, "/state", query: "versions", auth: T.bob), code: "AccessDenied", status: 403)
        expectWellFormedError(await s3.send(.get, "/state", query: "policy", auth: T.bob), code: "AccessDenied", status: 403)
        // Nobody else, and not anonymous.
        expectWellFormedError(await s3.send(.get, "/state/env/prod.tfstate", auth: .anonymous), code: "AccessDenied", status: 403)
        #expect(await s3.send(.get, "/state", query: "policyStatus", auth: T.alice).xml?.value("IsPublic") == "false")
    }

    @Test func tlsOnlyDeniesPlainHTTPButTheRootCanStillUndoIt() async throws {
        let s3 = try server()
        await s3.createBucket("tls")
        let tlsOnly = Self.policy(Self.statement("Deny", action: #""s3:*""#, resource: #"["arn:aws:s3:::tls","arn:aws:s3:::tls/*"]"#,
                                                 condition: #"{"Bool":{"aws:SecureTransport":"false"}}"#))
        #expect(await putPolicy(s3, "tls", tlsOnly).status == 204)
        let denied = await s3.put("tls", "k", [1])
        expectWellFormedError(denied, code: "AccessDenied", status: 403)
        #expect(denied.xml?.value("Message") == #"User: arn:aws:iam::000000000000:root is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::tls/k" with an explicit deny in a resource-based policy"#)
        expectWellFormedError(await s3.send(.get, "/tls"), code: "AccessDenied", status: 403)
        // The bucket owner's root may always read and remove the policy.
        #expect(await s3.send(.get, "/tls", query: "policy").text == tlsOnly)
        #expect(await s3.send(.delete, "/tls", query: "policy").status == 204)
        #expect(await s3.put("tls", "k", [1]).status == 200)
        expectWellFormedError(await s3.send(.get, "/tls", query: "policy"), code: "NoSuchBucketPolicy", status: 404)
    }

    /// Only the owning account's root escapes a policy that denies everyone; its IAM users are bound by it.
    @Test func aDenyAllPolicyBindsUsersButNotTheAccountsRoot() async throws {
        let s3 = try server()
        #expect(await s3.send(.put, "/locked", auth: T.alice).status == 200)
        let denyAll = Self.policy(Self.statement("Deny", action: #""s3:*""#, resource: #"["arn:aws:s3:::locked","arn:aws:s3:::locked/*"]"#))
        #expect(await putPolicy(s3, "locked", denyAll, auth: T.alice).status == 204)
        for auth in [T.alice, T.carol] {
            expectWellFormedError(await s3.send(.delete, "/locked", query: "policy", auth: auth), code: "AccessDenied", status: 403)
            expectWellFormedError(await s3.send(.get, "/locked", auth: auth), code: "AccessDenied", status: 403)
        }
        expectWellFormedError(await s3.send(.get, "/locked", auth: T.aliceRoot), code: "AccessDenied", status: 403)
        #expect(await s3.send(.get, "/locked", query: "policy", auth: T.aliceRoot).text == denyAll)
        #expect(await s3.send(.delete, "/locked", query: "policy", auth: T.aliceRoot).status == 204)
        #expect(await s3.send(.get, "/locked", auth: T.carol).status == 200)
        // Another account's root is not this bucket's owner.
        #expect(await putPolicy(s3, "locked", denyAll, auth: T.alice).status == 204)
        expectWellFormedError(await s3.send(.delete, "/locked", query: "policy"), code: "AccessDenied", status: 403)
    }

    /// Only the bucket owner's account manages its policy: another account the policy allows it gets 405, one it does not
    /// allow 403.
    @Test func anotherAccountCannotManageThePolicy() async throws {
        let s3 = try server()
        #expect(await s3.send(.put, "/managed", auth: T.alice).status == 200)
        let grant = Self.policy(Self.statement(principal: #"{"AWS":"222222222222"}"#,
                                               action: #"["s3:GetBucketPolicy","s3:PutBucketPolicy","s3:DeleteBucketPolicy"]"#,
                                               resource: #""arn:aws:s3:::managed""#))
        #expect(await putPolicy(s3, "managed", grant, auth: T.alice).status == 204)
        expectWellFormedError(await s3.send(.get, "/managed", query: "policy", auth: T.bob), code: "MethodNotAllowed", status: 405)
        expectWellFormedError(await s3.send(.delete, "/managed", query: "policy", auth: T.bob), code: "MethodNotAllowed", status: 405)
        expectWellFormedError(await putPolicy(s3, "managed", grant, auth: T.bob), code: "MethodNotAllowed", status: 405)
        expectWellFormedError(await s3.send(.get, "/managed", query: "policy"), code: "AccessDenied", status: 403)
        #expect(await s3.send(.get, "/managed", query: "policy", auth: T.carol).text == grant)
    }

    @Test func kmsOnlyAndNoStateDeletes() async throws {
        let s3 = try server()
        #expect(await s3.send(.put, "/guarded", auth: T.alice).status == 200)
        let policy = Self.policy(
            Self.statement("Deny", action: #""s3:PutObject""#, resource: #""arn:aws:s3:::guarded/*""#,
                           condition: #"{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}"#),
            Self.statement("Deny", action: #"["s3:DeleteObject","s3:DeleteObjectVersion"]"#, resource: #""arn:aws:s3:::guarded/*.tfstate""#))
        #expect(await putPolicy(s3, "guarded", policy, auth: T.alice).status == 204)
        // carol is in alice's account: the denies bind her too.
        expectWellFormedError(await s3.send(.put, "/guarded/a.tfstate", body: [1], auth: T.carol), code: "AccessDenied", status: 403)
        let kms = [("x-amz-server-side-encryption", "aws:kms")]
        #expect(await s3.send(.put, "/guarded/a.tfstate", headers: kms, body: [1], auth: T.carol).status == 200)
        #expect(await s3.send(.put, "/guarded/notes.txt", headers: kms, body: [1], auth: T.carol).status == 200)
        let delete = await s3.send(.delete, "/guarded/a.tfstate", auth: T.carol)
        expectWellFormedError(delete, code: "AccessDenied", status: 403)
        #expect(delete.xml?.value("Message")?.hasPrefix("User: arn:aws:iam::111111111111:user/carol is not authorized to perform: s3:DeleteObject") == true)
        #expect(await s3.send(.delete, "/guarded/notes.txt", auth: T.carol).status == 204)
        // DeleteObjects decides key by key.
        let batch = Array("<Delete><Object><Key>a.tfstate</Key></Object><Object><Key>other</Key></Object></Delete>".utf8)
        let reply = await s3.send(.post, "/guarded", query: "delete", headers: [("Content-MD5", Base64.encode(Digest.md5(batch)))],
                                  body: batch, auth: T.alice)
        #expect(reply.xml?.all("Error").map { $0.value("Code") } == ["AccessDenied"])
        #expect(reply.xml?.all("Deleted").map { $0.value("Key") } == ["other"])
        #expect(await s3.send(.get, "/guarded/a.tfstate", auth: T.alice).status == 200)
    }

    @Test func publicPoliciesAreBlockedByDefaultAndRestrictedOnRequest() async throws {
        let s3 = try server()
        await s3.createBucket("www")
        #expect(await s3.put("www", "index.html", Array("hello".utf8)).status == 200)
        let publicRead = Self.policy(Self.statement(action: #""s3:GetObject""#, resource: #""arn:aws:s3:::www/*""#))
        let blocked = await putPolicy(s3, "www", publicRead)
        expectWellFormedError(blocked, code: "AccessDenied", status: 403)
        #expect(blocked.xml?.value("Message") == #"User: arn:aws:iam::000000000000:root is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::www" because public policies are blocked by the BlockPublicPolicy block public access setting."#)
        #expect(await s3.send(.delete, "/www", query: "publicAccessBlock").status == 204)
        #expect(await putPolicy(s3, "www", publicRead).status == 204)
        #expect(await s3.send(.get, "/www", query: "policyStatus").xml?.value("IsPublic") == "true")
        #expect(await s3.send(.get, "/www/index.html", auth: .anonymous).text == "hello")
        #expect(await s3.send(.get, "/www/index.html", auth: T.bob).text == "hello")
        expectWellFormedError(await s3.send(.get, "/www", auth: .anonymous), code: "AccessDenied", status: 403)
        // RestrictPublicBuckets: a public policy then admits only the owner's account.
        let restrict = Array("<PublicAccessBlockConfiguration><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>".utf8)
        #expect(await s3.send(.put, "/www", query: "publicAccessBlock", body: restrict).status == 200)
        expectWellFormedError(await s3.send(.get, "/www/index.html", auth: .anonymous), code: "AccessDenied", status: 403)
        expectWellFormedError(await s3.send(.get, "/www/index.html", auth: T.bob), code: "AccessDenied", status: 403)
        #expect(await s3.send(.get, "/www/index.html").text == "hello")
    }

    @Test func policyVariablesGiveEachUserAHome() async throws {
        let s3 = try server()
        #expect(await s3.send(.put, "/homes", auth: T.bob).status == 200)
        let homes = Self.policy(Self.statement(principal: #"{"AWS":"arn:aws:iam::111111111111:root"}"#, action: #"["s3:GetObject","s3:PutObject"]"#,
                                               resource: #""arn:aws:s3:::homes/home/${aws:username}/*""#))
        #expect(await putPolicy(s3, "homes", homes, auth: T.bob).status == 204)
        #expect(await s3.send(.put, "/homes/home/alice/notes", body: [1], auth: T.alice).status == 200)
        expectWellFormedError(await s3.send(.put, "/homes/home/carol/notes", body: [1], auth: T.alice), code: "AccessDenied", status: 403)
        #expect(await s3.send(.put, "/homes/home/carol/notes", body: [2], auth: T.carol).status == 200)
        expectWellFormedError(await s3.send(.get, "/homes/home/alice/notes", auth: T.carol), code: "AccessDenied", status: 403)
    }

    @Test func conditionsOnListingsAndCopies() async throws {
        let s3 = try server()
        #expect(await s3.send(.put, "/src", auth: T.alice).status == 200)
        #expect(await s3.send(.put, "/src/public/a", body: [1], auth: T.alice).status == 200)
        #expect(await s3.send(.put, "/src/private/b", body: [2], auth: T.alice).status == 200)
        let policy = Self.policy(
            Self.statement(principal: #"{"AWS":"222222222222"}"#, action: #""s3:ListBucket""#, resource: #""arn:aws:s3:::src""#,
                           condition: #"{"StringLike":{"s3:prefix":"public/*"}}"#),
            Self.statement(principal: #"{"AWS":"222222222222"}"#, action: #""s3:GetObject""#, resource: #""arn:aws:s3:::src/public/*""#))
        #expect(await putPolicy(s3, "src", policy, auth: T.alice).status == 204)
        #expect(await s3.send(.get, "/src", query: "prefix=public/", auth: T.bob).xml?.all("Contents").count == 1)
        expectWellFormedError(await s3.send(.get, "/src", query: "prefix=private/", auth: T.bob), code: "AccessDenied", status: 403)
        expectWellFormedError(await s3.send(.get, "/src", auth: T.bob), code: "AccessDenied", status: 403)
        #expect(await s3.send(.put, "/dst", auth: T.bob).status == 200)
        #expect(await s3.send(.put, "/dst/copy", headers: [("x-amz-copy-source", "/src/public/a")], auth: T.bob).status == 200)
        expectWellFormedError(await s3.send(.put, "/dst/copy2", headers: [("x-amz-copy-source", "/src/private/b")], auth: T.bob),
                              code: "AccessDenied", status: 403)
    }

    @Test func malformedPoliciesAreRefusedWithS3sMessages() async throws {
        let s3 = try server()
        await s3.createBucket("pol")
        let cases: [(String, String)] = [
            ("not json", "Policies must be valid JSON and the first byte must be '{'"),
            (Self.policy(Self.statement(action: #""s3:GetObjekt""#, resource: #""arn:aws:s3:::pol/*""#)), "Policy has invalid action"),
            (Self.policy(Self.statement(action: #""s3:GetObject""#, resource: #""arn:aws:s3:::other/*""#)), "Policy has invalid resource"),
            (Self.policy(Self.statement(action: #""s3:GetObject""#, resource: #""arn:aws:s3:::pol/*""#,
                                        condition: #"{"StringEqualz":{"aws:username":"x"}}"#)), "Invalid Condition type : StringEqualz"),
            (Self.policy(Self.statement(action: #""s3:GetObject""#, resource: #""arn:aws:s3:::pol""#)), "Action does not apply to any resource(s) in statement"),
            (#"{"Version":"2012-10-17"}"#, "Missing required field Statement"),
        ]
        for (document, message) in cases {
            let reply = await putPolicy(s3, "pol", document)
            expectWellFormedError(reply, code: "MalformedPolicy", status: 400)
            #expect(reply.xml?.value("Message") == message, "\(document)")
        }
        // Deep nesting and invalid UTF-8 are refused, never crash.
        let deep = "{\"Statement\":" + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000) + "}"
        expectWellFormedError(await putPolicy(s3, "pol", deep), code: "MalformedPolicy", status: 400)
        expectWellFormedError(await s3.send(.put, "/pol", query: "policy", body: [0x7B, 0xFF, 0xFE, 0x7D]), code: "MalformedPolicy", status: 400)
        expectWellFormedError(await s3.send(.get, "/pol", query: "policy"), code: "NoSuchBucketPolicy", status: 404)
        expectWellFormedError(await s3.send(.get, "/pol", query: "policyStatus"), code: "NoSuchBucketPolicy", status: 404)
    }
}
