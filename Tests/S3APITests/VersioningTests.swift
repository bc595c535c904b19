import Foundation
import LockstepTestSupport
import Testing

@Suite("Versioning")
struct VersioningTests {
    @Test func enabledKeepsEveryVersion() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("ver")
        await s3.setVersioning("ver", "Enabled")
        let v1 = try #require(await s3.put("ver", "k", [1]).header("x-amz-version-id"))
        let v2 = try #require(await s3.put("ver", "k", [2, 2]).header("x-amz-version-id"))
        #expect(v1 != v2)
        #expect(v1 != "null")

        let latest = await s3.get("ver", "k")
        #expect(latest.body == [2, 2])
        #expect(latest.header("x-amz-version-id") == v2)
        let old = await s3.get("ver", "k", query: "versionId=" + v1)
        #expect(old.body == [1])
        #expect(old.header("x-amz-version-id") == v1)
        #expect(await s3.head("ver", "k", query: "versionId=" + v1).header("Content-Length") == "1")

        let missing = await s3.get("ver", "k", query: "versionId=" + String(repeating: "A", count: 32))
        expectWellFormedError(missing, code: "NoSuchVersion", status: 404)
    }

    @Test func deleteCreatesAMarker() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("ver")
        await s3.setVersioning("ver", "Enabled")
        let v1 = await s3.put("ver", "k", [1]).header("x-amz-version-id")!
        s3.clock.advance(seconds: 10)

        let deleted = await s3.delete("ver", "k")
        #expect(deleted.status == 204)
        #expect(deleted.header("x-amz-delete-marker") == "true")
        let markerId = try #require(deleted.header("x-amz-version-id"))
        #expect(markerId != v1)

        let get = await s3.get("ver", "k")
        expectWellFormedError(get, code: "NoSuchKey", status: 404)
        #expect(get.header("x-amz-delete-marker") == "true")
        #expect(get.header("x-amz-version-id") == markerId)
        let head = await s3.head("ver", "k")
        #expect(head.status == 404)
        #expect(head.header("x-amz-delete-marker") == "true")

        // The old version is still there.
        #expect(await s3.get("ver", "k", query: "versionId=" + v1).body == [1])
    }

    @Test func getOfADeleteMarkerVersionIsMethodNotAllowed() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("ver")
        await s3.setVersioning("ver", "Enabled")
        #expect(await s3.put("ver", "k", [1]).status == 200)
        s3.clock.advance(seconds: 10)
        let markerId = await s3.delete("ver", "k").header("x-amz-version-id")!

        let get = await s3.get("ver", "k", query: "versionId=" + markerId)
        expectWellFormedError(get, code: "MethodNotAllowed", status: 405)
        #expect(get.header("x-amz-delete-marker") == "true")
        #expect(get.header("x-amz-version-id") == markerId)
        #expect(get.header("Last-Modified") == httpDate(millis: ManualClock.start, offsetSeconds: 10))

        let head = await s3.head("ver", "k", query: "versionId=" + markerId)
        #expect(head.status == 405)
        #expect(head.body.isEmpty)
        #expect(head.header("x-amz-delete-marker") == "true")
    }

    @Test func deletingTheMarkerRestoresTheObject() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("ver")
        await s3.setVersioning("ver", "Enabled")
        #expect(await s3.put("ver", "k", [1]).status == 200)
        let markerId = await s3.delete("ver", "k").header("x-amz-version-id")!
        let removed = await s3.delete("ver", "k", query: "versionId=" + markerId)
        #expect(removed.status == 204)
        #expect(removed.header("x-amz-delete-marker") == "true")
        #expect(removed.header("x-amz-version-id") == markerId)
        #expect(await s3.get("ver", "k").body == [1])
    }

    @Test func deletingASpecificVersionPromotesThePrevious() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("ver")
        await s3.setVersioning("ver", "Enabled")
        let v1 = await s3.put("ver", "k", [1]).header("x-amz-version-id")!
        let v2 = await s3.put("ver", "k", [2]).header("x-amz-version-id")!
        let reply = await s3.delete("ver", "k", query: "versionId=" + v2)
        #expect(reply.status == 204)
        #expect(reply.header("x-amz-version-id") == v2)
        #expect(reply.header("x-amz-delete-marker") == nil)
        let get = await s3.get("ver", "k")
        #expect(get.body == [1])
        #expect(get.header("x-amz-version-id") == v1)
        expectWellFormedError(await s3.get("ver", "k", query: "versionId=" + v2), code: "NoSuchVersion", status: 404)
    }

    @Test func listObjectVersions() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("ver")
        await s3.setVersioning("ver", "Enabled")
        let a1 = await s3.put("ver", "a", [1]).header("x-amz-version-id")!
        let a2 = await s3.put("ver", "a", [2, 2]).header("x-amz-version-id")!
        let b1 = await s3.put("ver", "b", [3]).header("x-amz-version-id")!
        let bMarker = await s3.delete("ver", "b").header("x-amz-version-id")!

        let reply = await s3.send(.get, "/ver", query: "versions")
        #expect(reply.status == 200)
        let root = try #require(reply.xml)
        #expect(root.name == "ListVersionsResult")
        let versions = root.all("Version")
        #expect(versions.compactMap { $0.value("VersionId") } == [a2, a1, b1], "keys in order, newest version first")
        #expect(versions.compactMap { $0.value("IsLatest") } == ["true", "false", "false"])
        #expect(versions.compactMap { $0.value("Size") } == ["2", "1", "1"])
        #expect(versions.first?.value("ETag") == quoted(md5Hex([2, 2])))
        let markers = root.all("DeleteMarker")
        #expect(markers.compactMap { $0.value("VersionId") } == [bMarker])
        #expect(markers.first?.value("Key") == "b")
        #expect(markers.first?.value("IsLatest") == "true")
        #expect(markers.first?.child("Size") == nil)

        // Paging one entry at a time visits every version exactly once.
        var seen: [String] = []
        var keyMarker: String?
        var versionMarker: String?
        for _ in 0..<10 {
            var query = "versions&max-keys=1"
            if let keyMarker { query += "&key-marker=" + q(keyMarker) }
            if let versionMarker { query += "&version-id-marker=" + q(versionMarker) }
            let page = await s3.send(.get, "/ver", query: query)
            let pageRoot = try #require(page.xml)
            seen += (pageRoot.all("Version") + pageRoot.all("DeleteMarker")).compactMap { $0.value("VersionId") }
            guard pageRoot.value("IsTruncated") == "true" else { break }
            keyMarker = pageRoot.value("NextKeyMarker")
            versionMarker = pageRoot.value("NextVersionIdMarker")
        }
        #expect(seen == [a2, a1, bMarker, b1])

        let prefixed = await s3.send(.get, "/ver", query: "versions&prefix=b")
        #expect(prefixed.xml?.all("Version").compactMap { $0.value("VersionId") } == [b1])
    }

    @Test func listObjectVersionsWithDelimiter() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("ver")
        await s3.setVersioning("ver", "Enabled")
        for key in ["a/1", "a/2", "b", "c/1"] {
            #expect(await s3.put("ver", key, [1]).status == 200)
            #expect(await s3.put("ver", key, [2]).status == 200)
        }
        let all = await s3.send(.get, "/ver", query: "versions&delimiter=%2F")
        #expect(all.xml?.all("CommonPrefixes").compactMap { $0.value("Prefix") } == ["a/", "c/"])
        #expect(all.xml?.all("Version").compactMap { $0.value("Key") } == ["b", "b"])

        var prefixes: [String] = []
        var keys: [String] = []
        var keyMarker: String?
        var versionMarker: String?
        for _ in 0..<10 {
            var query = "versions&delimiter=%2F&max-keys=1"
            if let keyMarker { query += "&key-marker=" + q(keyMarker) }
            if let versionMarker { query += "&version-id-marker=" + q(versionMarker) }
            let page = await s3.send(.get, "/ver", query: query)
            let root = try #require(page.xml)
            prefixes += root.all("CommonPrefixes").compactMap { $0.value("Prefix") }
            keys += root.all("Version").compactMap { $0.value("Key") }
            guard root.value("IsTruncated") == "true" else { break }
            keyMarker = root.value("NextKeyMarker")
            versionMarker = root.value("NextVersionIdMarker")
        }
        #expect(prefixes == ["a/", "c/"])
        #expect(keys == ["b", "b"])
    }

    @Test func versionIdMarkerWithoutKeyMarkerIsInvalid() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("ver")
        expectWellFormedError(await s3.send(.get, "/ver", query: "versions&version-id-marker=null"), code: "InvalidArgument", status: 400)
    }

    @Test func suspendedWritesNullVersions() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("ver")
        await s3.setVersioning("ver", "Enabled")
        let v1 = await s3.put("ver", "k", [1]).header("x-amz-version-id")!
        await s3.setVersioning("ver", "Suspended")
        #expect(await s3.put("ver", "k", [2]).status == 200)
        #expect(await s3.put("ver", "k", [3]).status == 200)

        let list = await s3.send(.get, "/ver", query: "versions")
        let ids = list.xml?.all("Version").compactMap { $0.value("VersionId") }
        #expect(ids == ["null", v1], "a second null version replaces the first")
        #expect(await s3.get("ver", "k").body == [3])
        #expect(await s3.get("ver", "k", query: "versionId=null").body == [3])
        #expect(await s3.get("ver", "k", query: "versionId=" + v1).body == [1])

        let deleted = await s3.delete("ver", "k")
        #expect(deleted.header("x-amz-delete-marker") == "true")
        #expect(deleted.header("x-amz-version-id") == "null")
        let after = await s3.send(.get, "/ver", query: "versions")
        #expect(after.xml?.all("DeleteMarker").compactMap { $0.value("VersionId") } == ["null"])
        #expect(after.xml?.all("Version").compactMap { $0.value("VersionId") } == [v1], "the null delete marker replaced the null version")
    }

    @Test func nullVersionFromBeforeVersioningSurvives() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("ver")
        #expect(await s3.put("ver", "k", [0]).status == 200)
        await s3.setVersioning("ver", "Enabled")
        let v1 = await s3.put("ver", "k", [1]).header("x-amz-version-id")!
        let list = await s3.send(.get, "/ver", query: "versions")
        #expect(list.xml?.all("Version").compactMap { $0.value("VersionId") } == [v1, "null"])
        #expect(await s3.get("ver", "k", query: "versionId=null").body == [0])
    }
}
