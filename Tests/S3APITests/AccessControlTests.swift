import FrontDoors
import HTTPTypes
import LockstepCrypto
import LockstepTestSupport
import LockstepXML
@testable import S3API
import Store
import Testing

/// Accounts, bucket ownership, object ownership, ACLs and Block Public Access through the S3 front door, with the test
/// root (account 000000000000), alice and carol (account 111111111111) and bob (account 222222222222).
@Suite("Access control")
struct AccessControlTests {
    static let users = [
        UsersFile.User(name: "alice", accessKey: "alice-key", secretKey: "alice-secret", account: "111111111111"),
        UsersFile.User(name: "carol", accessKey: "carol-key", secretKey: "carol-secret", account: "111111111111"),
        UsersFile.User(name: "bob", accessKey: "bob-key", secretKey: "bob-secret", account: "222222222222"),
        UsersFile.User(name: "admin", accessKey: "admin-key", secretKey: "admin-secret", account: "111111111111", isRoot: true),
    ]
    static let alice = AuthStyle.credentials(accessKey: "alice-key", secretKey: "alice-secret")
    static let carol = AuthStyle.credentials(accessKey: "carol-key", secretKey: "carol-secret")
    static let bob = AuthStyle.credentials(accessKey: "bob-key", secretKey: "bob-secret")
    /// The root user of alice's account.
    static let aliceRoot = AuthStyle.credentials(accessKey: "admin-key", secretKey: "admin-secret")
    static let aliceAccount = Account(id: "111111111111")
    static let bobAccount = Account(id: "222222222222")

    func server(legacy: Bool = false) throws -> S3TestServer { try S3TestServer(users: Self.users, legacyBucketDefaults: legacy) }

    // MARK: Accounts and bucket ownership

    @Test func bucketsBelongToTheAccountThatCreatedThem() async throws {
        let s3 = try server()
        #expect(await s3.send(.put, "/alices", auth: Self.alice).status == 200)
        #expect(await s3.send(.put, "/bobs", auth: Self.bob).status == 200)
        await s3.createBucket("roots")
        func names(_ auth: AuthStyle) async -> [String] {
            (await s3.send(.get, "/", auth: auth).xml?.child("Buckets")?.all("Bucket").compactMap { $0.value("Name") }) ?? []
        }
        #expect(await names(Self.alice) == ["alices"])
        #expect(await names(Self.carol) == ["alices"])
        #expect(await names(Self.bob) == ["bobs"])
        #expect(await names(.signed) == ["roots"])
        let owner = await s3.send(.get, "/", auth: Self.bob).xml?.child("Owner")
        #expect(owner?.value("ID") == Self.bobAccount.canonicalUserId)
        #expect(owner?.value("ID")?.count == 64)
        #expect(owner?.value("DisplayName") == "account-222222222222")
        // Another account's name is taken; your own account's is yours (200 in us-east-1).
        expectWellFormedError(await s3.send(.put, "/alices", auth: Self.bob), code: "BucketAlreadyExists", status: 409, resource: "/alices")
        #expect(await s3.send(.put, "/alices", auth: Self.carol).status == 200)
        expectWellFormedError(await s3.send(.get, "/", auth: .anonymous), code: "AccessDenied", status: 403)
        expectWellFormedError(await s3.send(.put, "/anon-bucket", auth: .anonymous), code: "AccessDenied", status: 403)
    }

    @Test func anotherAccountIsDeniedEverythingWithoutAGrant() async throws {
        let s3 = try server()
        #expect(await s3.send(.put, "/private", auth: Self.alice).status == 200)
        #expect(await s3.send(.put, "/private/k", body: [1, 2, 3], auth: Self.alice).status == 200)
        // carol is in alice's account: she has its rights.
        #expect(await s3.send(.get, "/private/k", auth: Self.carol).body == [1, 2, 3])
        #expect(await s3.send(.put, "/private/c", body: [4], auth: Self.carol).status == 200)
        let requests: [(HTTPRequest.Method, String, String)] = [
            (.get, "/private/k", ""), (.head, "/private/k", ""), (.put, "/private/k", ""), (.delete, "/private/k", ""),
            (.get, "/private", ""), (.head, "/private", ""), (.get, "/private", "versions"), (.delete, "/private", ""),
            (.get, "/private", "acl"), (.get, "/private", "policy"), (.put, "/private", "versioning"), (.get, "/private/k", "tagging"),
            (.get, "/private", "publicAccessBlock"), (.get, "/private", "location"),
        ]
        for (method, path, query) in requests {
            for auth in [Self.bob, AuthStyle.anonymous] {
                let reply = await s3.send(method, path, query: query, auth: auth)
                #expect(reply.status == 403, "\(method) \(path)?\(query): \(reply.status)")
                if method != .head { #expect(reply.errorCode == "AccessDenied" && reply.xml?.value("Message") == "Access Denied") }
            }
        }
        // A bucket that does not exist is NoSuchBucket for everyone.
        expectWellFormedError(await s3.send(.get, "/nobody/k", auth: Self.bob), code: "NoSuchBucket", status: 404)
        expectWellFormedError(await s3.send(.get, "/nobody/k", auth: .anonymous), code: "NoSuchBucket", status: 404)
        #expect(await s3.send(.get, "/private/k", auth: Self.alice).body == [1, 2, 3])
    }

    @Test func copiesNeedReadAccessToTheSource() async throws {
        let s3 = try server()
        #expect(await s3.send(.put, "/alices", auth: Self.alice).status == 200)
        #expect(await s3.send(.put, "/alices/secret", body: [7], auth: Self.alice).status == 200)
        #expect(await s3.send(.put, "/bobs", auth: Self.bob).status == 200)
        let copy = await s3.send(.put, "/bobs/stolen", headers: [("x-amz-copy-source", "/alices/secret")], auth: Self.bob)
        expectWellFormedError(copy, code: "AccessDenied", status: 403)
        expectWellFormedError(await s3.send(.get, "/bobs/stolen", auth: Self.bob), code: "NoSuchKey", status: 404)
    }

    // MARK: Defaults

    @Test func newBucketsGetTodaysDefaults() async throws {
        let s3 = try server()
        await s3.createBucket("modern")
        #expect(await s3.send(.get, "/modern", query: "ownershipControls").xml?.child("Rule")?.value("ObjectOwnership") == "BucketOwnerEnforced")
        let block = await s3.send(.get, "/modern", query: "publicAccessBlock").xml
        for name in ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"] { #expect(block?.value(name) == "true") }
        // ACLs are disabled: only ACLs that give the bucket owner full control are accepted.
        expectWellFormedError(await s3.send(.put, "/modern", query: "acl", headers: [("x-amz-acl", "public-read")]),
                              code: "AccessControlListNotSupported", status: 400)
        expectWellFormedError(await s3.put("modern", "k", [1], headers: [("x-amz-acl", "public-read")]), code: "AccessControlListNotSupported", status: 400)
        #expect(await s3.put("modern", "k", [1], headers: [("x-amz-acl", "bucket-owner-full-control")]).status == 200)
        expectWellFormedError(await s3.send(.put, "/acl-bucket", headers: [("x-amz-acl", "public-read")]),
                              code: "InvalidBucketAclWithObjectOwnership", status: 400)
        let acl = await s3.send(.get, "/modern/k", query: "acl").xml
        #expect(acl?.child("Owner")?.value("ID") == Account.default.canonicalUserId)
        #expect(acl?.child("AccessControlList")?.all("Grant").map { $0.value("Permission") } == ["FULL_CONTROL"])
    }

    @Test func legacyDefaultsHaveNoBlockAndObjectWriter() async throws {
        let s3 = try server(legacy: true)
        await s3.createBucket("old")
        expectWellFormedError(await s3.send(.get, "/old", query: "ownershipControls"), code: "OwnershipControlsNotFoundError", status: 404)
        expectWellFormedError(await s3.send(.get, "/old", query: "publicAccessBlock"), code: "NoSuchPublicAccessBlockConfiguration", status: 404)
        // `x-amz-object-ownership` on CreateBucket still chooses.
        #expect(await s3.send(.put, "/chosen", headers: [("x-amz-object-ownership", "BucketOwnerPreferred")]).status == 200)
        #expect(await s3.send(.get, "/chosen", query: "ownershipControls").xml?.child("Rule")?.value("ObjectOwnership") == "BucketOwnerPreferred")
        expectWellFormedError(await s3.send(.put, "/bad", headers: [("x-amz-object-ownership", "Nobody")]), code: "InvalidArgument", status: 400)
    }

    // MARK: ACLs

    @Test func publicReadACLsAdmitAnonymousReadersUntilIgnored() async throws {
        let s3 = try server(legacy: true)
        await s3.createBucket("site")
        #expect(await s3.put("site", "index.html", Array("hi".utf8), headers: [("x-amz-acl", "public-read")]).status == 200)
        #expect(await s3.put("site", "private.html", Array("no".utf8)).status == 200)
        #expect(await s3.send(.get, "/site/index.html", auth: .anonymous).text == "hi")
        #expect(await s3.send(.get, "/site/index.html", auth: Self.bob).text == "hi")
        expectWellFormedError(await s3.send(.get, "/site/private.html", auth: .anonymous), code: "AccessDenied", status: 403)
        expectWellFormedError(await s3.send(.get, "/site", auth: .anonymous), code: "AccessDenied", status: 403)
        // Reading is not writing: public-read gives no WRITE.
        expectWellFormedError(await s3.send(.put, "/site/index.html", body: [0], auth: .anonymous), code: "AccessDenied", status: 403)
        // The bucket's ACL governs listing.
        #expect(await s3.send(.put, "/site", query: "acl", headers: [("x-amz-acl", "public-read")]).status == 200)
        #expect(await s3.send(.get, "/site", auth: .anonymous).xml?.all("Contents").count == 2)
        let acl = await s3.send(.get, "/site", query: "acl").xml?.child("AccessControlList")?.all("Grant")
        #expect(acl?.compactMap { $0.child("Grantee")?.value("URI") } == ["http://acs.amazonaws.com/groups/global/AllUsers"])
        // IgnorePublicAcls: the grants stay but count for nothing.
        let ignore = Array("<PublicAccessBlockConfiguration><IgnorePublicAcls>true</IgnorePublicAcls></PublicAccessBlockConfiguration>".utf8)
        #expect(await s3.send(.put, "/site", query: "publicAccessBlock", body: ignore).status == 200)
        expectWellFormedError(await s3.send(.get, "/site/index.html", auth: .anonymous), code: "AccessDenied", status: 403)
        expectWellFormedError(await s3.send(.get, "/site", auth: .anonymous), code: "AccessDenied", status: 403)
        // BlockPublicAcls: new public ACLs are refused; private ones are fine.
        let block = Array("<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls></PublicAccessBlockConfiguration>".utf8)
        #expect(await s3.send(.put, "/site", query: "publicAccessBlock", body: block).status == 200)
        expectWellFormedError(await s3.put("site", "new.html", [1], headers: [("x-amz-acl", "public-read")]), code: "AccessDenied", status: 403)
        expectWellFormedError(await s3.send(.put, "/site/private.html", query: "acl", headers: [("x-amz-acl", "authenticated-read")]),
                              code: "AccessDenied", status: 403)
        #expect(await s3.send(.put, "/site/private.html", query: "acl", headers: [("x-amz-acl", "private")]).status == 200)
        #expect(await s3.send(.delete, "/site", query: "publicAccessBlock").status == 204)
        #expect(await s3.send(.get, "/site/index.html", auth: .anonymous).text == "hi")
    }

    @Test func grantsByHeaderAndDocumentReachOtherAccounts() async throws {
        let s3 = try server(legacy: true)
        #expect(await s3.send(.put, "/shared", auth: Self.alice).status == 200)
        #expect(await s3.send(.put, "/shared/doc", body: [5], auth: Self.alice).status == 200)
        expectWellFormedError(await s3.send(.get, "/shared/doc", auth: Self.bob), code: "AccessDenied", status: 403)
        let grant = [("x-amz-grant-read", "id=\"\(Self.bobAccount.canonicalUserId)\"")]
        #expect(await s3.send(.put, "/shared/doc", query: "acl", headers: grant, auth: Self.alice).status == 200)
        #expect(await s3.send(.get, "/shared/doc", auth: Self.bob).body == [5])
        // READ on an object is not READ_ACP.
        expectWellFormedError(await s3.send(.get, "/shared/doc", query: "acl", auth: Self.bob), code: "AccessDenied", status: 403)
        // A document: bob may write into the bucket.
        let document = """
        <AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>\(Self.aliceAccount.canonicalUserId)</ID></Owner>
        <AccessControlList>
        <Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>\(Self.aliceAccount.canonicalUserId)</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>
        <Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>\(Self.bobAccount.canonicalUserId)</ID></Grantee><Permission>WRITE</Permission></Grant>
        </AccessControlList></AccessControlPolicy>
        """
        #expect(await s3.send(.put, "/shared", query: "acl", body: Array(document.utf8), auth: Self.alice).status == 200)
        let grants = await s3.send(.get, "/shared", query: "acl", auth: Self.alice).xml?.child("AccessControlList")?.all("Grant")
        #expect(grants?.map { $0.value("Permission") } == ["FULL_CONTROL", "WRITE"])
        #expect(grants?.last?.child("Grantee")?.value("DisplayName") == "account-222222222222")
        // Under ObjectWriter, bob owns what he writes; bucket-owner-full-control gives alice full control of it.
        #expect(await s3.send(.put, "/shared/bobs", headers: [("x-amz-acl", "bucket-owner-full-control")], body: [6], auth: Self.bob).status == 200)
        let objectACL = await s3.send(.get, "/shared/bobs", query: "acl", auth: Self.bob).xml
        #expect(objectACL?.child("Owner")?.value("ID") == Self.bobAccount.canonicalUserId)
        #expect(objectACL?.child("AccessControlList")?.all("Grant").compactMap { $0.child("Grantee")?.value("ID") }
                == [Self.bobAccount.canonicalUserId, Self.aliceAccount.canonicalUserId])
        #expect(await s3.send(.get, "/shared/bobs", auth: Self.alice).body == [6])
        // bob still cannot list (no READ on the bucket) or read alice's other objects.
        expectWellFormedError(await s3.send(.get, "/shared", auth: Self.bob), code: "AccessDenied", status: 403)
    }

    /// Under ObjectWriter an object another account wrote is its own: the bucket's owner reads it only once granted.
    @Test func objectsAnotherAccountOwnsFollowTheirOwnACL() async throws {
        let s3 = try server(legacy: true)
        #expect(await s3.send(.put, "/writer", auth: Self.alice).status == 200)
        let write = [("x-amz-grant-write", "id=\"\(Self.bobAccount.canonicalUserId)\""),
                     ("x-amz-grant-full-control", "id=\"\(Self.aliceAccount.canonicalUserId)\"")]
        #expect(await s3.send(.put, "/writer", query: "acl", headers: write, auth: Self.alice).status == 200)
        #expect(await s3.send(.put, "/writer/bobs", body: [8], auth: Self.bob).status == 200)
        expectWellFormedError(await s3.send(.get, "/writer/bobs", auth: Self.alice), code: "AccessDenied", status: 403)
        expectWellFormedError(await s3.send(.get, "/writer/bobs", auth: Self.carol), code: "AccessDenied", status: 403)
        expectWellFormedError(await s3.send(.get, "/writer/bobs", query: "acl", auth: Self.alice), code: "AccessDenied", status: 403)
        #expect(await s3.send(.get, "/writer/bobs", auth: Self.bob).body == [8])
        let grant = [("x-amz-grant-read", "id=\"\(Self.aliceAccount.canonicalUserId)\"")]
        #expect(await s3.send(.put, "/writer/bobs", query: "acl", headers: grant, auth: Self.bob).status == 200)
        #expect(await s3.send(.get, "/writer/bobs", auth: Self.carol).body == [8])
        // The bucket's owner may still delete it (WRITE on the bucket is the owner's).
        #expect(await s3.send(.delete, "/writer/bobs", auth: Self.alice).status == 204)
    }

    @Test func bucketOwnerPreferredTakesObjectsWrittenWithFullControl() async throws {
        let s3 = try server(legacy: true)
        #expect(await s3.send(.put, "/pref", headers: [("x-amz-object-ownership", "BucketOwnerPreferred")], auth: Self.alice).status == 200)
        let document = """
        <AccessControlPolicy><AccessControlList>
        <Grant><Grantee><ID>\(Self.aliceAccount.canonicalUserId)</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant>
        <Grant><Grantee><ID>\(Self.bobAccount.canonicalUserId)</ID></Grantee><Permission>WRITE</Permission></Grant>
        </AccessControlList></AccessControlPolicy>
        """
        #expect(await s3.send(.put, "/pref", query: "acl", body: Array(document.utf8), auth: Self.alice).status == 200)
        #expect(await s3.send(.put, "/pref/given", headers: [("x-amz-acl", "bucket-owner-full-control")], body: [1], auth: Self.bob).status == 200)
        #expect(await s3.send(.put, "/pref/kept", body: [2], auth: Self.bob).status == 200)
        #expect(await s3.send(.get, "/pref/given", query: "acl", auth: Self.alice).xml?.child("Owner")?.value("ID") == Self.aliceAccount.canonicalUserId)
        #expect(await s3.send(.get, "/pref/kept", query: "acl", auth: Self.bob).xml?.child("Owner")?.value("ID") == Self.bobAccount.canonicalUserId)
        // Turning ACLs off while the bucket ACL still grants another account is refused.
        let enforced = Array("<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>".utf8)
        expectWellFormedError(await s3.send(.put, "/pref", query: "ownershipControls", body: enforced, auth: Self.alice),
                              code: "InvalidBucketAclWithObjectOwnership", status: 400)
        #expect(await s3.send(.put, "/pref", query: "acl", headers: [("x-amz-acl", "private")], auth: Self.alice).status == 200)
        #expect(await s3.send(.put, "/pref", query: "ownershipControls", body: enforced, auth: Self.alice).status == 200)
        #expect(await s3.send(.delete, "/pref", query: "ownershipControls", auth: Self.alice).status == 204)
        expectWellFormedError(await s3.send(.get, "/pref", query: "ownershipControls", auth: Self.alice), code: "OwnershipControlsNotFoundError", status: 404)
    }

    @Test func malformedACLsGetAWSErrors() async throws {
        let s3 = try server(legacy: true)
        await s3.createBucket("acls")
        #expect(await s3.put("acls", "k", [1]).status == 200)
        let cases: [([(String, String)], [UInt8], String, Int)] = [
            ([("x-amz-acl", "world-readable")], [], "InvalidArgument", 400),
            ([("x-amz-acl", "private"), ("x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"")], [], "InvalidRequest", 400),
            ([("x-amz-grant-read", "emailAddress=\"someone@example.com\"")], [], "UnresolvableGrantByEmailAddress", 400),
            ([("x-amz-grant-read", "id=\"not-an-id\"")], [], "InvalidArgument", 400),
            ([("x-amz-grant-read", "uri=\"http://acs.amazonaws.com/groups/global/Everyone\"")], [], "InvalidArgument", 400),
            ([], Array("<AccessControlPolicy><Nothing/></AccessControlPolicy>".utf8), "MalformedACLError", 400),
            ([], Array("<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>\(Account.default.canonicalUserId)</ID></Grantee><Permission>ALL</Permission></Grant></AccessControlList></AccessControlPolicy>".utf8), "MalformedACLError", 400),
            ([], Array("not xml".utf8), "MalformedXML", 400),
            ([], [], "MissingSecurityHeader", 400),
            ([("x-amz-acl", "private")], Array("<AccessControlPolicy/>".utf8), "UnexpectedContent", 400),
        ]
        for (headers, body, code, status) in cases {
            expectWellFormedError(await s3.send(.put, "/acls/k", query: "acl", headers: headers, body: body), code: code, status: status)
            expectWellFormedError(await s3.send(.put, "/acls", query: "acl", headers: headers, body: body), code: code, status: status)
        }
    }

    // MARK: Block Public Access documents

    @Test func publicAccessBlockDocuments() async throws {
        let s3 = try server(legacy: true)
        await s3.createBucket("pab")
        let partial = Array("<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><BlockPublicPolicy>true</BlockPublicPolicy></PublicAccessBlockConfiguration>".utf8)
        #expect(await s3.send(.put, "/pab", query: "publicAccessBlock", body: partial).status == 200)
        let read = await s3.send(.get, "/pab", query: "publicAccessBlock").xml
        #expect(read?.value("BlockPublicPolicy") == "true" && read?.value("BlockPublicAcls") == "false" && read?.value("RestrictPublicBuckets") == "false")
        expectWellFormedError(await s3.send(.put, "/pab", query: "publicAccessBlock", body: Array("<Other/>".utf8)), code: "MalformedXML", status: 400)
        expectWellFormedError(await s3.send(.put, "/pab", query: "publicAccessBlock",
                                            body: Array("<PublicAccessBlockConfiguration><BlockPublicAcls>yes</BlockPublicAcls></PublicAccessBlockConfiguration>".utf8)),
                              code: "MalformedXML", status: 400)
        #expect(await s3.send(.delete, "/pab", query: "publicAccessBlock").status == 204)
        expectWellFormedError(await s3.send(.get, "/pab", query: "publicAccessBlock"), code: "NoSuchPublicAccessBlockConfiguration", status: 404)
        let ownership = Array("<OwnershipControls><Rule><ObjectOwnership>Anyone</ObjectOwnership></Rule></OwnershipControls>".utf8)
        expectWellFormedError(await s3.send(.put, "/pab", query: "ownershipControls", body: ownership), code: "MalformedXML", status: 400)
    }

    // MARK: CORS

    static let corsRules = Array("""
    <CORSConfiguration>
     <CORSRule><AllowedOrigin>http://www.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>GET</AllowedMethod>
      <AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>
     <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
    </CORSConfiguration>
    """.utf8)

    @Test func corsConfigurationPreflightAndActualRequests() async throws {
        let s3 = try server()
        await s3.createBucket("web")
        #expect(await s3.put("web", "k", Array("v".utf8)).status == 200)
        expectWellFormedError(await s3.send(.get, "/web", query: "cors"), code: "NoSuchCORSConfiguration", status: 404)
        let preflightHeaders = [("Origin", "http://www.example.com"), ("Access-Control-Request-Method", "PUT"),
                                ("Access-Control-Request-Headers", "Content-Type, X-Amz-Date")]
        let notEnabled = await s3.send(.options, "/web/k", headers: preflightHeaders, auth: .anonymous)
        expectWellFormedError(notEnabled, code: "AccessForbidden", status: 403)
        #expect(notEnabled.xml?.value("Message") == "CORSResponse: CORS is not enabled for this bucket.")
        let md5 = [("Content-MD5", Base64.encode(Digest.md5(Self.corsRules)))]
        #expect(await s3.send(.put, "/web", query: "cors", headers: md5, body: Self.corsRules).status == 200)
        #expect(await s3.send(.get, "/web", query: "cors").xml?.all("CORSRule").count == 2)
        let allowed = await s3.send(.options, "/web/k", headers: preflightHeaders, auth: .anonymous)
        #expect(allowed.status == 200)
        #expect(allowed.header("Access-Control-Allow-Origin") == "http://www.example.com")
        #expect(allowed.header("Access-Control-Allow-Methods") == "PUT, GET")
        #expect(allowed.header("Access-Control-Allow-Headers") == "content-type, x-amz-date")
        #expect(allowed.header("Access-Control-Max-Age") == "3000")
        #expect(allowed.header("Access-Control-Expose-Headers") == "ETag")
        #expect(allowed.header("Vary") == "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
        let refused = await s3.send(.options, "/web/k", headers: [("Origin", "http://evil.example"), ("Access-Control-Request-Method", "PUT")],
                                    auth: .anonymous)
        expectWellFormedError(refused, code: "AccessForbidden", status: 403)
        #expect(refused.xml?.value("ResourceType") == "OBJECT" && refused.xml?.value("Method") == "PUT")
        expectWellFormedError(await s3.send(.options, "/web/k", headers: [("Access-Control-Request-Method", "PUT")], auth: .anonymous),
                              code: "BadRequest", status: 400)
        // Actual requests: the matching rule's headers, on errors too; nothing for an origin no rule admits.
        let get = await s3.send(.get, "/web/k", headers: [("Origin", "http://anywhere.example")])
        #expect(get.text == "v" && get.header("Access-Control-Allow-Origin") == "*")
        let denied = await s3.send(.get, "/web/k", headers: [("Origin", "http://www.example.com")], auth: .anonymous)
        #expect(denied.status == 403 && denied.header("Access-Control-Allow-Origin") == "http://www.example.com")
        #expect(await s3.send(.delete, "/web/k", headers: [("Origin", "http://other.example")]).header("Access-Control-Allow-Origin") == nil)
        // Bad configurations.
        let badMethod = Array("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>".utf8)
        let refusedConfig = await s3.send(.put, "/web", query: "cors", headers: [("Content-MD5", Base64.encode(Digest.md5(badMethod)))], body: badMethod)
        expectWellFormedError(refusedConfig, code: "InvalidRequest", status: 400)
        #expect(refusedConfig.xml?.value("Message") == "Found unsupported HTTP method in CORS config. Unsupported method is PATCH")
        #expect(await s3.send(.delete, "/web", query: "cors").status == 204)
        expectWellFormedError(await s3.send(.get, "/web", query: "cors"), code: "NoSuchCORSConfiguration", status: 404)
        let gone = await s3.send(.options, "/nowhere", headers: preflightHeaders, auth: .anonymous)
        expectWellFormedError(gone, code: "AccessForbidden", status: 403)
    }
}
