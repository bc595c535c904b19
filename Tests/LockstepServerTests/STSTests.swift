import Foundation
import FrontDoors
import HTTPTypes
import HummingbirdTesting
import LockstepTestSupport
import Testing

/// STS on Lockstep's port: GetCallerIdentity in the query protocol, STS's error XML for every refusal, and routing that
/// leaves S3 alone.
@Suite("STS")
struct STSTests {
    let form = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
    let identityBody = Array("Action=GetCallerIdentity&Version=2011-06-15".utf8)

    @Test func getCallerIdentityNamesTheAccountsRoot() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let reply = try await fixture.send(client, .post, "/", headers: form, body: identityBody, signingService: "sts")
            #expect(reply.status == .ok)
            let result = reply.xml?.child("GetCallerIdentityResult")
            #expect(reply.xml?.name == "GetCallerIdentityResponse")
            #expect(result?.value("Account") == "000000000000")
            #expect(result?.value("Arn") == "arn:aws:iam::000000000000:root")
            #expect(result?.value("UserId") == "000000000000")
            #expect(reply.xml?.child("ResponseMetadata")?.value("RequestId")?.isEmpty == false)

            // The same action in the query string of a GET (what presigned identity requests use).
            let get = try await fixture.send(client, .get, "/", query: "Action=GetCallerIdentity&Version=2011-06-15", signingService: "sts")
            #expect(get.xml?.child("GetCallerIdentityResult")?.value("Account") == "000000000000")
        }
    }

    /// A users-file user is reported as the IAM user it is, in its own account (and so by IAM's GetUser).
    @Test func getCallerIdentityNamesAUser() async throws {
        let fixture = try ServerFixture(users: [UsersFile.User(name: "alice", accessKey: "alice-key", secretKey: "alice-secret", account: "111111111111")])
        let alice = AuthStyle.credentials(accessKey: "alice-key", secretKey: "alice-secret")
        try await fixture.application().test(.router) { client in
            let reply = try await fixture.send(client, .post, "/", headers: form, body: identityBody, auth: alice, signingService: "sts")
            let result = reply.xml?.child("GetCallerIdentityResult")
            #expect(result?.value("Account") == "111111111111")
            #expect(result?.value("Arn") == "arn:aws:iam::111111111111:user/alice")
            #expect(result?.value("UserId")?.hasPrefix("AIDA") == true)
            let user = try await fixture.send(client, .post, "/", headers: form, body: Array("Action=GetUser&Version=2010-05-08".utf8), auth: alice,
                                              signingService: "iam")
            #expect(user.xml?.child("GetUserResult")?.child("User")?.value("UserName") == "alice")
            #expect(user.xml?.child("GetUserResult")?.child("User")?.value("Arn") == "arn:aws:iam::111111111111:user/alice")
        }
    }

    @Test func refusalsAreSTSErrors() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let forged = try await fixture.send(client, .post, "/", headers: form, body: identityBody,
                                                auth: .credentials(accessKey: testAccessKey, secretKey: "wrong"), signingService: "sts")
            #expect(forged.status == .forbidden)
            #expect(forged.xml?.name == "ErrorResponse")
            #expect(forged.xml?.child("Error")?.value("Code") == "SignatureDoesNotMatch")
            #expect(forged.xml?.child("Error")?.value("Type") == "Sender")

            let unknown = try await fixture.send(client, .post, "/", headers: form, body: identityBody,
                                                 auth: .credentials(accessKey: "AKIDUNKNOWN", secretKey: "x"), signingService: "sts")
            #expect(unknown.status == .forbidden)
            #expect(unknown.xml?.child("Error")?.value("Code") == "InvalidClientTokenId")

            var unsignedHeaders = HTTPFields()
            unsignedHeaders[.contentType] = "application/x-www-form-urlencoded"
            let unsigned = try await client.execute(uri: "/", method: .post, headers: unsignedHeaders, body: .init(bytes: identityBody))
            #expect(unsigned.status == .forbidden)
            #expect(unsigned.xml?.child("Error")?.value("Code") == "MissingAuthenticationToken")

            let other = try await fixture.send(client, .post, "/", headers: form, body: Array("Action=AssumeRole&Version=2011-06-15".utf8),
                                               signingService: "sts")
            #expect(other.status == .badRequest)
            #expect(other.xml?.child("Error")?.value("Code") == "InvalidAction")

            let noVersion = try await fixture.send(client, .post, "/", headers: form, body: Array("Action=GetCallerIdentity".utf8),
                                                   signingService: "sts")
            #expect(noVersion.status == .badRequest)

            // S3 on the same port is untouched: a signed S3 GET / is still ListBuckets.
            let buckets = try await fixture.send(client, .get, "/")
            #expect(buckets.xml?.name == "ListAllMyBucketsResult")
        }
    }
}

extension STSTests {
    /// Terraform ≤ 1.5 asks IAM for the caller before STS when it looks up the account id.
    @Test func iamGetUserAnswersTheCaller() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let reply = try await fixture.send(client, .post, "/", headers: form, body: Array("Action=GetUser&Version=2010-05-08".utf8),
                                               signingService: "iam")
            #expect(reply.status == .ok)
            let user = reply.xml?.child("GetUserResult")?.child("User")
            #expect(user?.value("Arn") == "arn:aws:iam::000000000000:root")
            #expect(user?.value("UserId") == "000000000000")
            let other = try await fixture.send(client, .post, "/", headers: form, body: Array("Action=ListRoles&Version=2010-05-08".utf8),
                                               signingService: "iam")
            #expect(other.status == .badRequest)
            #expect(other.xml?.child("Error")?.value("Code") == "InvalidAction")
        }
    }
}
