import Foundation
import LockstepTestSupport
import LockstepXML
import Testing

@Suite("Buckets")
struct BucketTests {
    @Test func createHeadDeleteBucket() async throws {
        let s3 = try S3TestServer()
        let created = await s3.send(.put, "/alpha")
        #expect(created.status == 200)
        #expect(created.header("Location") == "/alpha")

        let head = await s3.send(.head, "/alpha")
        #expect(head.status == 200)
        #expect(head.header("x-amz-bucket-region") == "us-east-1")
        #expect(head.body.isEmpty)

        let deleted = await s3.send(.delete, "/alpha")
        #expect(deleted.status == 204)

        let headAgain = await s3.send(.head, "/alpha")
        #expect(headAgain.status == 404)
        #expect(headAgain.body.isEmpty, "HEAD errors carry no body")
        #expect(headAgain.header("x-amz-request-id") != nil)
    }

    @Test(arguments: ["ab", "Upper-case", "under_score", "-leading", "trailing-", "two..dots", "dot.-dash", "192.168.1.1",
                      "xn--punycode", "bucket-s3alias", String(repeating: "a", count: 64)])
    func invalidBucketNames(_ name: String) async throws {
        let s3 = try S3TestServer()
        let reply = await s3.send(.put, "/" + q(name))
        expectWellFormedError(reply, code: "InvalidBucketName", status: 400)
        #expect(reply.errorField("BucketName") == name)
        let list = await s3.send(.get, "/")
        #expect(list.xml?.at("Buckets")?.all("Bucket").isEmpty == true, "nothing was created")
    }

    @Test(arguments: ["abc", "a.b-c", "my-bucket-123", String(repeating: "a", count: 63)])
    func validBucketNames(_ name: String) async throws {
        let s3 = try S3TestServer()
        let reply = await s3.send(.put, "/" + name)
        #expect(reply.status == 200, "\(reply.text)")
    }

    /// In us-east-1 re-creating your own bucket succeeds and changes nothing (S3's legacy behaviour); elsewhere it is
    /// `BucketAlreadyOwnedByYou`.
    @Test func createExistingBucket() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("owned")
        #expect(await s3.send(.put, "/owned", query: "versioning", body: Array("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>".utf8)).status == 200)
        let again = await s3.send(.put, "/owned")
        #expect(again.status == 200)
        #expect(await s3.send(.get, "/owned", query: "versioning").xml?.value("Status") == "Enabled")
        let constraint = Array("<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>".utf8)
        #expect(await s3.send(.put, "/owned-eu", body: constraint).status == 200)
        expectWellFormedError(await s3.send(.put, "/owned-eu", body: constraint), code: "BucketAlreadyOwnedByYou", status: 409, resource: "/owned-eu")
    }

    @Test func deleteNonEmptyBucketIsBucketNotEmpty() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("full")
        #expect(await s3.put("full", "k", [1, 2, 3]).status == 200)
        let reply = await s3.send(.delete, "/full")
        expectWellFormedError(reply, code: "BucketNotEmpty", status: 409, resource: "/full")
        #expect(await s3.send(.head, "/full").status == 200, "bucket still exists")

        #expect(await s3.delete("full", "k").status == 204)
        #expect(await s3.send(.delete, "/full").status == 204)
    }

    @Test func deleteBucketWithOnlyDeleteMarkersIsNotEmpty() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("markers")
        await s3.setVersioning("markers", "Enabled")
        #expect(await s3.put("markers", "k", [1]).status == 200)
        #expect(await s3.delete("markers", "k").status == 204)
        let reply = await s3.send(.delete, "/markers")
        expectWellFormedError(reply, code: "BucketNotEmpty", status: 409)
    }

    @Test func missingBucketIsNoSuchBucket() async throws {
        let s3 = try S3TestServer()
        expectWellFormedError(await s3.send(.delete, "/nobucket"), code: "NoSuchBucket", status: 404, resource: "/nobucket")
        expectWellFormedError(await s3.listV2("nobucket"), code: "NoSuchBucket", status: 404, resource: "/nobucket")
        expectWellFormedError(await s3.put("nobucket", "k", [1]), code: "NoSuchBucket", status: 404, resource: "/nobucket/k")
        expectWellFormedError(await s3.get("nobucket", "k"), code: "NoSuchBucket", status: 404)
        expectWellFormedError(await s3.send(.get, "/nobucket", query: "location"), code: "NoSuchBucket", status: 404)
        let head = await s3.send(.head, "/nobucket")
        #expect(head.status == 404)
    }

    @Test func listBucketsSortedWithOwner() async throws {
        let s3 = try S3TestServer()
        for name in ["charlie", "alpha", "bravo"] { await s3.createBucket(name) }
        let reply = await s3.send(.get, "/")
        #expect(reply.status == 200)
        let root = try #require(reply.xml)
        #expect(root.name == "ListAllMyBucketsResult")
        #expect(root.at("Buckets")?.texts("Bucket", "Name") == ["alpha", "bravo", "charlie"])
        #expect(root.at("Owner", "ID") != nil)
        #expect(root.child("ContinuationToken") == nil)
        let created = root.at("Buckets")?.all("Bucket").first?.value("CreationDate")
        #expect(created == "2025-03-01T12:00:00.000Z")
    }

    @Test func listBucketsPrefixMaxBucketsAndContinuation() async throws {
        let s3 = try S3TestServer()
        for name in ["app-1", "app-2", "app-3", "app-4", "app-5", "other"] { await s3.createBucket(name) }

        let prefixed = await s3.send(.get, "/", query: "prefix=app-")
        #expect(prefixed.xml?.at("Buckets")?.texts("Bucket", "Name") == ["app-1", "app-2", "app-3", "app-4", "app-5"])
        #expect(prefixed.xml?.value("Prefix") == "app-")

        var names: [String] = []
        var token: String?
        var pages = 0
        repeat {
            var query = "max-buckets=2&prefix=app-"
            if let token { query += "&continuation-token=" + q(token) }
            let page = await s3.send(.get, "/", query: query)
            #expect(page.status == 200, "\(page.text)")
            let root = try #require(page.xml)
            let pageNames = root.at("Buckets")?.texts("Bucket", "Name") ?? []
            #expect(pageNames.count <= 2)
            names += pageNames
            token = root.value("ContinuationToken")
            pages += 1
        } while token != nil && pages < 10
        #expect(names == ["app-1", "app-2", "app-3", "app-4", "app-5"])
        #expect(pages == 3)

        let exact = await s3.send(.get, "/", query: "max-buckets=6")
        #expect(exact.xml?.at("Buckets")?.all("Bucket").count == 6)
        #expect(exact.xml?.child("ContinuationToken") == nil, "no token when nothing is left")
    }

    @Test(arguments: ["0", "10001", "abc", "-1"])
    func listBucketsRejectsBadMaxBuckets(_ value: String) async throws {
        let s3 = try S3TestServer()
        expectWellFormedError(await s3.send(.get, "/", query: "max-buckets=" + value), code: "InvalidArgument", status: 400)
    }

    @Test func listBucketsRejectsGarbageContinuationToken() async throws {
        let s3 = try S3TestServer()
        expectWellFormedError(await s3.send(.get, "/", query: "continuation-token=%25%25%25"), code: "InvalidArgument", status: 400)
    }

    @Test func getBucketLocationUSEast1IsEmpty() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("loc")
        let reply = await s3.send(.get, "/loc", query: "location")
        #expect(reply.status == 200)
        let root = try #require(reply.xml)
        #expect(root.name == "LocationConstraint")
        #expect(root.text == "")
    }

    @Test func getBucketLocationWithConstraint() async throws {
        let s3 = try S3TestServer()
        let body = Array("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>".utf8)
        await s3.createBucket("euro", body: body)
        let reply = await s3.send(.get, "/euro", query: "location")
        #expect(reply.xml?.name == "LocationConstraint")
        #expect(reply.xml?.text == "eu-west-1")
        #expect(await s3.send(.head, "/euro").header("x-amz-bucket-region") == "eu-west-1")
    }

    @Test func usEast1IsNeverAnExplicitLocationConstraint() async throws {
        let s3 = try S3TestServer()
        let body = Array("<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>".utf8)
        expectWellFormedError(await s3.send(.put, "/east", body: body), code: "InvalidLocationConstraint", status: 400)
        #expect(await s3.send(.head, "/east").status == 404)
    }

    @Test func createBucketWithMalformedConfiguration() async throws {
        let s3 = try S3TestServer()
        let reply = await s3.send(.put, "/broken", body: Array("<CreateBucketConfiguration><Loc".utf8))
        expectWellFormedError(reply, code: "MalformedXML", status: 400)
        #expect(await s3.send(.head, "/broken").status == 404)
    }

    @Test func bucketTaggingLifecycle() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("tagged")
        let none = await s3.send(.get, "/tagged", query: "tagging")
        expectWellFormedError(none, code: "NoSuchTagSet", status: 404)

        let body = Array("<Tagging><TagSet><Tag><Key>env</Key><Value>prod</Value></Tag><Tag><Key>team</Key><Value>a &amp; b</Value></Tag></TagSet></Tagging>".utf8)
        let put = await s3.send(.put, "/tagged", query: "tagging", headers: [("Content-MD5", md5Base64(body))], body: body)
        #expect(put.status == 204, "\(put.text)")

        let got = await s3.send(.get, "/tagged", query: "tagging")
        #expect(got.status == 200)
        let tags = got.xml?.at("TagSet")?.all("Tag") ?? []
        #expect(tags.map { $0.value("Key") ?? "" } == ["env", "team"])
        #expect(tags.map { $0.value("Value") ?? "" } == ["prod", "a & b"])

        #expect(await s3.send(.delete, "/tagged", query: "tagging").status == 204)
        expectWellFormedError(await s3.send(.get, "/tagged", query: "tagging"), code: "NoSuchTagSet", status: 404)
    }

    @Test func bucketTaggingRejectsDuplicateKeys() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("dupes")
        let body = Array("<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>".utf8)
        expectWellFormedError(await s3.send(.put, "/dupes", query: "tagging", body: body), code: "InvalidTag", status: 400)
        expectWellFormedError(await s3.send(.get, "/dupes", query: "tagging"), code: "NoSuchTagSet", status: 404)
    }

    @Test func bucketVersioningConfiguration() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("ver")
        let initial = await s3.send(.get, "/ver", query: "versioning")
        #expect(initial.xml?.name == "VersioningConfiguration")
        #expect(initial.xml?.child("Status") == nil, "never-versioned buckets report no Status")

        await s3.setVersioning("ver", "Enabled")
        #expect(await s3.send(.get, "/ver", query: "versioning").xml?.value("Status") == "Enabled")
        await s3.setVersioning("ver", "Suspended")
        #expect(await s3.send(.get, "/ver", query: "versioning").xml?.value("Status") == "Suspended")

        let bad = Array("<VersioningConfiguration><Status>Disabled</Status></VersioningConfiguration>".utf8)
        expectWellFormedError(await s3.send(.put, "/ver", query: "versioning", body: bad), code: "MalformedXML", status: 400)
    }

    @Test func unsupportedSubresourcesAreNotImplemented() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("sub")
        expectWellFormedError(await s3.send(.get, "/sub", query: "website"), code: "NotImplemented", status: 501)
        expectWellFormedError(await s3.send(.get, "/sub", query: "notification"), code: "NotImplemented", status: 501)
    }

    @Test func virtualHostedAddressing() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("vhost")
        #expect(await s3.put("vhost", "dir/file", [9, 8, 7]).status == 200)
        let reply = await s3.send(.get, "/dir/file", host: "vhost.localhost:9000")
        #expect(reply.status == 200)
        #expect(reply.body == [9, 8, 7])
        let listing = await s3.send(.get, "/", query: "list-type=2", host: "vhost.localhost:9000")
        #expect(listing.xml?.name == "ListBucketResult")
        #expect(listing.xml?.texts("Contents", "Key") == ["dir/file"])
    }
}
