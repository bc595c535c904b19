import Foundation
import LockstepTestSupport
import LockstepXML
import Store
import Testing

@Suite("Listing")
struct ListingTests {
    static let keys = ["a/1", "a/2", "a/b/3", "b", "c/1", "c/2", "d", "e/x/y"]

    func server(keys: [String] = ListingTests.keys) async throws -> S3TestServer {
        let s3 = try S3TestServer()
        await s3.createBucket("lst")
        for key in keys { #expect(await s3.put("lst", key, Array(key.utf8)).status == 200) }
        return s3
    }

    // MARK: ListObjects (v1)

    @Test func v1ListsEverythingWithOwner() async throws {
        let s3 = try await server()
        let reply = await s3.send(.get, "/lst")
        #expect(reply.status == 200)
        let root = try #require(reply.xml)
        #expect(root.name == "ListBucketResult")
        #expect(root.value("Name") == "lst")
        #expect(root.value("Marker") == "")
        #expect(root.value("MaxKeys") == "1000")
        #expect(root.value("IsTruncated") == "false")
        #expect(root.texts("Contents", "Key") == Self.keys)
        let first = try #require(root.all("Contents").first)
        #expect(first.value("ETag") == quoted(md5Hex(Array("a/1".utf8))))
        #expect(first.value("Size") == "3")
        #expect(first.value("StorageClass") == "STANDARD")
        #expect(first.value("LastModified") == "2025-03-01T12:00:00.000Z", "S3 lists whole seconds, matching Last-Modified")
        #expect(first.at("Owner", "ID") != nil, "ListObjects v1 always includes the owner")
        #expect(root.child("NextMarker") == nil)
    }

    @Test func v1MarkerWithoutDelimiter() async throws {
        let s3 = try await server()
        let page = await s3.send(.get, "/lst", query: "max-keys=3")
        let root = try #require(page.xml)
        #expect(root.texts("Contents", "Key") == ["a/1", "a/2", "a/b/3"])
        #expect(root.value("IsTruncated") == "true")
        #expect(root.child("NextMarker") == nil, "NextMarker is only returned with a delimiter")

        let next = await s3.send(.get, "/lst", query: "max-keys=3&marker=" + q("a/b/3"))
        #expect(next.xml?.value("Marker") == "a/b/3")
        #expect(next.xml?.texts("Contents", "Key") == ["b", "c/1", "c/2"])
    }

    @Test func v1DelimiterPagesWithNextMarker() async throws {
        let s3 = try await server()
        var seenKeys: [String] = []
        var seenPrefixes: [String] = []
        var markers: [String] = []
        var marker: String?
        for _ in 0..<10 {
            var query = "delimiter=%2F&max-keys=2"
            if let marker { query += "&marker=" + q(marker) }
            let reply = await s3.send(.get, "/lst", query: query)
            let root = try #require(reply.xml)
            #expect(root.value("Delimiter") == "/")
            seenKeys += root.texts("Contents", "Key")
            seenPrefixes += root.all("CommonPrefixes").compactMap { $0.value("Prefix") }
            guard root.value("IsTruncated") == "true" else { break }
            let next = try #require(root.value("NextMarker"), "truncated v1 listing with a delimiter must carry NextMarker")
            markers.append(next)
            marker = next
        }
        #expect(seenKeys == ["b", "d"])
        #expect(seenPrefixes == ["a/", "c/", "e/"])
        #expect(markers == ["b", "d"], "NextMarker is the last key or common prefix of the page")
    }

    @Test func v1MarkerThatIsACommonPrefixSkipsIt() async throws {
        let s3 = try await server()
        let page1 = await s3.send(.get, "/lst", query: "delimiter=%2F&max-keys=1")
        #expect(page1.xml?.all("CommonPrefixes").compactMap { $0.value("Prefix") } == ["a/"])
        #expect(page1.xml?.value("NextMarker") == "a/")
        let page2 = await s3.send(.get, "/lst", query: "delimiter=%2F&max-keys=1&marker=a%2F")
        #expect(page2.xml?.texts("Contents", "Key") == ["b"])
        #expect(page2.xml?.child("CommonPrefixes") == nil)
    }

    // MARK: ListObjectsV2

    @Test func v2PrefixAndDelimiter() async throws {
        let s3 = try await server()
        let reply = await s3.listV2("lst", "prefix=a%2F&delimiter=%2F")
        let root = try #require(reply.xml)
        #expect(root.value("Prefix") == "a/")
        #expect(root.texts("Contents", "Key") == ["a/1", "a/2"])
        #expect(root.all("CommonPrefixes").compactMap { $0.value("Prefix") } == ["a/b/"])
        #expect(root.value("KeyCount") == "3")
        #expect(root.all("Contents").first?.child("Owner") == nil, "no owner unless fetch-owner=true")

        let top = await s3.listV2("lst", "delimiter=%2F")
        #expect(top.xml?.texts("Contents", "Key") == ["b", "d"])
        #expect(top.xml?.all("CommonPrefixes").compactMap { $0.value("Prefix") } == ["a/", "c/", "e/"])
        #expect(top.xml?.value("KeyCount") == "5")
    }

    @Test func v2MultiCharacterDelimiter() async throws {
        let s3 = try await server(keys: ["x--1", "x--2", "y", "z--a--b"])
        let reply = await s3.listV2("lst", "delimiter=--")
        #expect(reply.xml?.texts("Contents", "Key") == ["y"])
        #expect(reply.xml?.all("CommonPrefixes").compactMap { $0.value("Prefix") } == ["x--", "z--"])
    }

    @Test func v2FetchOwner() async throws {
        let s3 = try await server()
        let reply = await s3.listV2("lst", "fetch-owner=true&max-keys=1")
        #expect(reply.xml?.all("Contents").first?.at("Owner", "ID") != nil)
        #expect(reply.xml?.all("Contents").first?.at("Owner", "DisplayName") != nil)
    }

    @Test func v2MaxKeysZero() async throws {
        let s3 = try await server()
        let reply = await s3.listV2("lst", "max-keys=0")
        #expect(reply.status == 200)
        let root = try #require(reply.xml)
        #expect(root.value("MaxKeys") == "0")
        #expect(root.value("KeyCount") == "0")
        #expect(root.child("Contents") == nil)
        #expect(root.child("CommonPrefixes") == nil)
    }

    @Test(arguments: ["-1", "abc"])
    func v2BadMaxKeys(_ value: String) async throws {
        let s3 = try await server()
        expectWellFormedError(await s3.listV2("lst", "max-keys=" + value), code: "InvalidArgument", status: 400)
    }

    @Test func v2ContinuationTokenWalksEverything() async throws {
        let s3 = try await server()
        var keys: [String] = []
        var prefixes: [String] = []
        var token: String?
        var pages = 0
        repeat {
            var query = "max-keys=2&delimiter=%2F"
            if let token { query += "&continuation-token=" + q(token) }
            let reply = await s3.listV2("lst", query)
            let root = try #require(reply.xml)
            if let token { #expect(root.value("ContinuationToken") == token) }
            #expect(Int(root.value("KeyCount") ?? "") ?? -1 <= 2)
            keys += root.texts("Contents", "Key")
            prefixes += root.all("CommonPrefixes").compactMap { $0.value("Prefix") }
            token = root.value("NextContinuationToken")
            #expect((root.value("IsTruncated") == "true") == (token != nil))
            pages += 1
        } while token != nil && pages < 20
        #expect(keys == ["b", "d"])
        #expect(prefixes == ["a/", "c/", "e/"])
        #expect(pages == 3)
    }

    @Test func v2StartAfter() async throws {
        let s3 = try await server()
        let reply = await s3.listV2("lst", "start-after=" + q("c/1"))
        #expect(reply.xml?.value("StartAfter") == "c/1")
        #expect(reply.xml?.texts("Contents", "Key") == ["c/2", "d", "e/x/y"])
        // Between keys, and before the prefix.
        #expect(await s3.listV2("lst", "start-after=bz").xml?.texts("Contents", "Key") == ["c/1", "c/2", "d", "e/x/y"])
        #expect(await s3.listV2("lst", "prefix=c%2F&start-after=a").xml?.texts("Contents", "Key") == ["c/1", "c/2"])
    }

    @Test func v2ContinuationTokenWinsOverStartAfter() async throws {
        let s3 = try await server()
        let page = await s3.listV2("lst", "max-keys=2")
        let token = try #require(page.xml?.value("NextContinuationToken"))
        let next = await s3.listV2("lst", "max-keys=2&start-after=d&continuation-token=" + q(token))
        #expect(next.xml?.texts("Contents", "Key") == ["a/b/3", "b"])
    }

    @Test func v2GarbageContinuationToken() async throws {
        let s3 = try await server()
        expectWellFormedError(await s3.listV2("lst", "continuation-token=%21%21"), code: "InvalidArgument", status: 400)
    }

    @Test func v2MoreThan1000Keys() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("many")
        // Written through the store directly: 1001 HTTP round trips would only add time.
        var expected: [String] = []
        for i in 0..<1001 {
            let key = "k" + String(i).leftPadded4()
            expected.append(key)
            try await s3.store.putObject(bucket: "many", key: key, NewObject(etag: md5Hex([1]), metadata: ObjectMetadata(), body: try await s3.store.stage(bytes: [1])))
        }
        let page1 = await s3.listV2("many", "max-keys=5000")
        let root1 = try #require(page1.xml)
        #expect(root1.all("Contents").count == 1000, "never more than 1000 keys per page")
        #expect(root1.value("IsTruncated") == "true")
        let token = try #require(root1.value("NextContinuationToken"))
        let page2 = await s3.listV2("many", "continuation-token=" + q(token))
        #expect(page2.xml?.texts("Contents", "Key") == ["k1000"])
        #expect(page2.xml?.value("IsTruncated") == "false")
        let defaultPage = await s3.listV2("many")
        #expect(defaultPage.xml?.all("Contents").count == 1000)
        #expect(defaultPage.xml?.value("MaxKeys") == "1000")
    }

    @Test func v2EncodingTypeURL() async throws {
        let keys = ["dir one/a+b", "dir one/ctrl\u{1}char", "dir one/é", "plain"]
        let s3 = try await server(keys: keys)
        let reply = await s3.listV2("lst", "encoding-type=url&prefix=" + q("dir one/") + "&start-after=" + q("dir one/a"))
        #expect(reply.status == 200, "\(reply.text)")
        let root = try #require(reply.xml, "the encoded listing must be parseable XML")
        #expect(root.value("EncodingType") == "url")
        let encoded = root.texts("Contents", "Key")
        #expect(encoded.map(formDecode) == ["dir one/a+b", "dir one/ctrl\u{1}char", "dir one/é"])
        for key in encoded {
            #expect(key.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "encoded key \(key) must be plain ASCII")
            #expect(!key.contains(" "))
        }
        #expect(root.value("Prefix").map(formDecode) == "dir one/")
        #expect(root.value("Prefix") != "dir one/", "the prefix is encoded too")
        #expect(root.value("StartAfter").map(formDecode) == "dir one/a")

        let delimited = await s3.listV2("lst", "encoding-type=url&delimiter=" + q(" "))
        #expect(delimited.xml?.all("CommonPrefixes").compactMap { $0.value("Prefix") }.map(formDecode) == ["dir "])
        #expect(delimited.xml?.value("Delimiter").map(formDecode) == " ")
    }

    @Test func v2RejectsUnknownEncodingType() async throws {
        let s3 = try await server()
        expectWellFormedError(await s3.listV2("lst", "encoding-type=base64"), code: "InvalidArgument", status: 400)
    }

    @Test func keysAreListedInUTF8ByteOrder() async throws {
        // UTF-16 order would put the emoji (a surrogate pair) before U+FF5A; UTF-8 order puts it last.
        let keys = ["ｚ", "😀", "é", "Z", "a", "z", "~", "\u{7F}", "e\u{301}", "ab", "a b", "a-b", "a/b"]
        let s3 = try await server(keys: keys)
        // Compared as bytes: Swift string equality would treat "é" and "e\u{301}" as the same key.
        let expected = keys.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
        let reply = await s3.listV2("lst")
        #expect(reply.xml?.texts("Contents", "Key").map { Array($0.utf8) } == expected)

        // Paging one key at a time follows the same order.
        var paged: [String] = []
        var token: String?
        repeat {
            let reply = await s3.listV2("lst", "max-keys=1" + (token.map { "&continuation-token=" + q($0) } ?? ""))
            paged += reply.xml?.texts("Contents", "Key") ?? []
            token = reply.xml?.value("NextContinuationToken")
        } while token != nil && paged.count < 50
        #expect(paged.map { Array($0.utf8) } == expected)

        let v1 = await s3.send(.get, "/lst")
        #expect(v1.xml?.texts("Contents", "Key").map { Array($0.utf8) } == expected)
    }

    @Test func listingHidesDeleteMarkersAndNoncurrentVersions() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("lst")
        await s3.setVersioning("lst", "Enabled")
        #expect(await s3.put("lst", "gone", [1]).status == 200)
        #expect(await s3.put("lst", "kept", [1]).status == 200)
        #expect(await s3.put("lst", "kept", [2, 2]).status == 200)
        #expect(await s3.delete("lst", "gone").status == 204)
        let reply = await s3.listV2("lst")
        #expect(reply.xml?.texts("Contents", "Key") == ["kept"])
        #expect(reply.xml?.all("Contents").first?.value("Size") == "2")
    }

    @Test func emptyBucketListing() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("lst")
        let reply = await s3.listV2("lst")
        #expect(reply.status == 200)
        #expect(reply.xml?.value("KeyCount") == "0")
        #expect(reply.xml?.value("IsTruncated") == "false")
        #expect(reply.xml?.child("Contents") == nil)
    }

    @Test func invalidListType() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("lst")
        expectWellFormedError(await s3.send(.get, "/lst", query: "list-type=3"), code: "InvalidArgument", status: 400)
    }
}

extension String {
    func leftPadded4() -> String { String(repeating: "0", count: max(0, 4 - count)) + self }
}
