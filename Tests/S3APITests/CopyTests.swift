import Foundation
import LockstepCrypto
import LockstepTestSupport
import SigV4
import Testing

@Suite("Copy")
struct CopyTests {
    static let body = Array("copy me please".utf8)

    func server() async throws -> S3TestServer {
        let s3 = try S3TestServer()
        await s3.createBucket("cpy")
        let put = await s3.put("cpy", "src", Self.body, headers: [("Content-Type", "text/x-source"), ("x-amz-meta-origin", "source"),
                                                                   ("x-amz-tagging", "t1=v1&t2=v2"), ("Cache-Control", "no-cache")])
        #expect(put.status == 200)
        s3.clock.advance(seconds: 3600)
        return s3
    }

    func copy(_ s3: S3TestServer, to key: String, bucket: String = "cpy", source: String = "cpy/src",
              headers: [(String, String)] = []) async -> Reply {
        await s3.send(.put, S3TestServer.path(bucket, key), headers: [("x-amz-copy-source", source)] + headers)
    }

    @Test func copyDirectiveKeepsMetadataAndTags() async throws {
        let s3 = try await server()
        let reply = await copy(s3, to: "dst", headers: [("x-amz-meta-ignored", "x"), ("Content-Type", "ignored/type")])
        #expect(reply.status == 200, "\(reply.text)")
        let root = try #require(reply.xml)
        #expect(root.name == "CopyObjectResult")
        #expect(root.value("ETag") == quoted(md5Hex(Self.body)))
        #expect(root.value("LastModified") == "2025-03-01T13:00:00.000Z")

        let get = await s3.get("cpy", "dst")
        #expect(get.body == Self.body)
        #expect(get.header("Content-Type") == "text/x-source")
        #expect(get.header("Cache-Control") == "no-cache")
        #expect(get.header("x-amz-meta-origin") == "source")
        #expect(get.header("x-amz-meta-ignored") == nil, "with COPY, request metadata is ignored")
        #expect(get.header("x-amz-tagging-count") == "2")
        #expect(get.header("Last-Modified") == "Sat, 01 Mar 2025 13:00:00 GMT")
    }

    @Test func replaceDirectiveTakesRequestMetadata() async throws {
        let s3 = try await server()
        let reply = await copy(s3, to: "dst", headers: [("x-amz-metadata-directive", "REPLACE"), ("x-amz-meta-fresh", "yes"),
                                                        ("Content-Type", "application/new")])
        #expect(reply.status == 200, "\(reply.text)")
        let get = await s3.get("cpy", "dst")
        #expect(get.body == Self.body)
        #expect(get.header("Content-Type") == "application/new")
        #expect(get.header("x-amz-meta-fresh") == "yes")
        #expect(get.header("x-amz-meta-origin") == nil)
        #expect(get.header("Cache-Control") == nil)
        #expect(get.header("x-amz-tagging-count") == "2", "tags follow the tagging directive, not the metadata directive")
    }

    @Test func taggingDirective() async throws {
        let s3 = try await server()
        #expect(await copy(s3, to: "copied-tags").status == 200)
        let copied = await s3.get("cpy", "copied-tags", query: "tagging")
        #expect(copied.xml?.at("TagSet")?.texts("Tag", "Key") == ["t1", "t2"])

        #expect(await copy(s3, to: "replaced-tags", headers: [("x-amz-tagging-directive", "REPLACE"), ("x-amz-tagging", "n=1")]).status == 200)
        let replaced = await s3.get("cpy", "replaced-tags", query: "tagging")
        #expect(replaced.xml?.at("TagSet")?.texts("Tag", "Key") == ["n"])
        #expect(replaced.xml?.at("TagSet")?.texts("Tag", "Value") == ["1"])

        #expect(await copy(s3, to: "no-tags", headers: [("x-amz-tagging-directive", "REPLACE")]).status == 200)
        #expect(await s3.get("cpy", "no-tags", query: "tagging").xml?.at("TagSet")?.child("Tag") == nil)

        expectWellFormedError(await copy(s3, to: "x", headers: [("x-amz-tagging-directive", "MERGE")]), code: "InvalidArgument", status: 400)
        expectWellFormedError(await copy(s3, to: "x", headers: [("x-amz-metadata-directive", "MERGE")]), code: "InvalidArgument", status: 400)
    }

    @Test func copyOntoItselfNeedsAChange() async throws {
        let s3 = try await server()
        let same = await copy(s3, to: "src")
        expectWellFormedError(same, code: "InvalidRequest", status: 400, resource: "/cpy/src")

        let replaced = await copy(s3, to: "src", headers: [("x-amz-metadata-directive", "REPLACE"), ("x-amz-meta-v", "2")])
        #expect(replaced.status == 200, "\(replaced.text)")
        let get = await s3.get("cpy", "src")
        #expect(get.body == Self.body)
        #expect(get.header("x-amz-meta-v") == "2")

        let storageClass = await copy(s3, to: "src", headers: [("x-amz-storage-class", "STANDARD_IA")])
        #expect(storageClass.status == 200)
        #expect(await s3.head("cpy", "src").header("x-amz-storage-class") == "STANDARD_IA")
    }

    @Test func copySourcePreconditions() async throws {
        let s3 = try await server()
        let etag = quoted(md5Hex(Self.body))
        let lastModified = httpDate(millis: ManualClock.start)
        let before = httpDate(millis: ManualClock.start, offsetSeconds: -60)
        let after = httpDate(millis: ManualClock.start, offsetSeconds: 60)

        let failing: [(String, String)] = [
            ("x-amz-copy-source-if-match", "\"other\""),
            ("x-amz-copy-source-if-none-match", etag),
            ("x-amz-copy-source-if-unmodified-since", before),
            ("x-amz-copy-source-if-modified-since", after),
            ("x-amz-copy-source-if-modified-since", lastModified),
        ]
        for (i, header) in failing.enumerated() {
            let reply = await copy(s3, to: "dst\(i)", headers: [header])
            expectWellFormedError(reply, code: "PreconditionFailed", status: 412)
            #expect(await s3.head("cpy", "dst\(i)").status == 404, "\(header.0) failed: nothing copied")
        }

        let passing: [(String, String)] = [
            ("x-amz-copy-source-if-match", etag),
            ("x-amz-copy-source-if-none-match", "\"other\""),
            ("x-amz-copy-source-if-unmodified-since", after),
            ("x-amz-copy-source-if-unmodified-since", lastModified),
            ("x-amz-copy-source-if-modified-since", before),
        ]
        for (i, header) in passing.enumerated() {
            let reply = await copy(s3, to: "ok\(i)", headers: [header])
            #expect(reply.status == 200, "\(header.0): \(reply.text)")
        }

        // AWS: if-match true + if-unmodified-since false → copies.
        #expect(await copy(s3, to: "both1", headers: [("x-amz-copy-source-if-match", etag), ("x-amz-copy-source-if-unmodified-since", before)]).status == 200)
        // AWS: if-none-match false + if-modified-since true → 412.
        let both2 = await copy(s3, to: "both2", headers: [("x-amz-copy-source-if-none-match", etag), ("x-amz-copy-source-if-modified-since", before)])
        #expect(both2.status == 412)
    }

    @Test func copyAcrossBucketsWithEncodedKey() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("from")
        await s3.createBucket("into")
        let key = "dir/näme with+plus%.txt"
        #expect(await s3.put("from", key, [4, 2]).status == 200)
        let reply = await s3.send(.put, "/into/copy", headers: [("x-amz-copy-source", "/from/" + sigV4URIEncode(key, encodeSlash: false))])
        #expect(reply.status == 200, "\(reply.text)")
        #expect(await s3.get("into", "copy").body == [4, 2])
    }

    @Test func copyErrors() async throws {
        let s3 = try await server()
        expectWellFormedError(await copy(s3, to: "d", source: "cpy/missing"), code: "NoSuchKey", status: 404)
        expectWellFormedError(await copy(s3, to: "d", source: "nobucket/src"), code: "NoSuchBucket", status: 404)
        expectWellFormedError(await copy(s3, to: "d", bucket: "nobucket"), code: "NoSuchBucket", status: 404)
        expectWellFormedError(await copy(s3, to: "d", source: "just-a-bucket"), code: "InvalidArgument", status: 400)
        expectWellFormedError(await copy(s3, to: String(repeating: "k", count: 1025)), code: "KeyTooLongError", status: 400)
    }

    /// The error names what is missing: the source, not the destination the request addresses.
    @Test func missingSourceIsNamedInTheError() async throws {
        let s3 = try await server()
        let missingKey = await copy(s3, to: "dest", source: "cpy/missing%20source")
        expectWellFormedError(missingKey, code: "NoSuchKey", status: 404, resource: "/cpy/dest")
        #expect(missingKey.errorField("Key") == "missing source")
        let missingBucket = await copy(s3, to: "dest", source: "nobucket/src")
        #expect(missingBucket.errorField("BucketName") == "nobucket")
        let absentId = String(repeating: "B", count: 32)
        let missingVersion = await copy(s3, to: "dest", source: "cpy/src?versionId=" + absentId)
        expectWellFormedError(missingVersion, code: "NoSuchVersion", status: 404)
        #expect(missingVersion.errorField("Key") == "src")
        #expect(missingVersion.errorField("VersionId") == absentId)
    }

    @Test func copyOfLargeAndMultipartObjects() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("cpy")
        let large = testBytes(200 * 1024, seed: 21)
        #expect(await s3.put("cpy", "large", large).status == 200)
        let copied = await s3.send(.put, "/cpy/large-copy", headers: [("x-amz-copy-source", "cpy/large")])
        #expect(copied.xml?.value("ETag") == quoted(md5Hex(large)))
        #expect(await s3.get("cpy", "large-copy").body == large)

        let id = try await s3.createUpload("cpy", "multi")
        let e1 = await s3.uploadPart("cpy", "multi", id, 1, bigPartA).header("ETag")!
        let e2 = await s3.uploadPart("cpy", "multi", id, 2, [1, 2, 3]).header("ETag")!
        #expect(await s3.completeUpload("cpy", "multi", id, [CompletedPart(number: 1, etag: e1), CompletedPart(number: 2, etag: e2)]).status == 200)
        let multiCopy = await s3.send(.put, "/cpy/multi-copy", headers: [("x-amz-copy-source", "cpy/multi")])
        #expect(multiCopy.status == 200)
        #expect(await s3.get("cpy", "multi-copy").body == bigPartA + [1, 2, 3])
    }

    @Test func copyCarriesChecksum() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("cpy")
        let body = testBytes(500)
        #expect(await s3.put("cpy", "s", body, headers: [("x-amz-checksum-sha256", ChecksumComputer.base64(.sha256, body))]).status == 200)
        let reply = await s3.send(.put, "/cpy/d", headers: [("x-amz-copy-source", "cpy/s")])
        #expect(reply.xml?.value("ChecksumSHA256") == ChecksumComputer.base64(.sha256, body))
        let head = await s3.head("cpy", "d", headers: [("x-amz-checksum-mode", "ENABLED")])
        #expect(head.header("x-amz-checksum-sha256") == ChecksumComputer.base64(.sha256, body))
    }

    @Test func copyFromVersionedSource() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("cpy")
        await s3.setVersioning("cpy", "Enabled")
        let v1 = await s3.put("cpy", "s", [1]).header("x-amz-version-id")!
        let v2 = await s3.put("cpy", "s", [2]).header("x-amz-version-id")!
        let latest = await s3.send(.put, "/cpy/d1", headers: [("x-amz-copy-source", "cpy/s")])
        #expect(latest.header("x-amz-copy-source-version-id") == v2)
        #expect(latest.header("x-amz-version-id") != nil)
        let old = await s3.send(.put, "/cpy/d2", headers: [("x-amz-copy-source", "cpy/s?versionId=" + v1)])
        #expect(old.status == 200, "\(old.text)")
        #expect(old.header("x-amz-copy-source-version-id") == v1)
        #expect(await s3.get("cpy", "d2").body == [1])

        let marker = await s3.delete("cpy", "s").header("x-amz-version-id")!
        expectWellFormedError(await s3.send(.put, "/cpy/d3", headers: [("x-amz-copy-source", "cpy/s")]), code: "NoSuchKey", status: 404)
        expectWellFormedError(await s3.send(.put, "/cpy/d3", headers: [("x-amz-copy-source", "cpy/s?versionId=" + marker)]),
                              code: "InvalidRequest", status: 400)
    }

    /// The documented way to restore a previous version: copy it onto its own key.
    @Test func copyingAnOlderVersionOntoItsOwnKeyRestoresIt() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("cpy")
        await s3.setVersioning("cpy", "Enabled")
        let v1 = await s3.put("cpy", "doc", [1]).header("x-amz-version-id")!
        #expect(await s3.put("cpy", "doc", [2]).status == 200)
        let reply = await s3.send(.put, "/cpy/doc", headers: [("x-amz-copy-source", "cpy/doc?versionId=" + v1)])
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.header("x-amz-copy-source-version-id") == v1)
        let get = await s3.get("cpy", "doc")
        #expect(get.body == [1])
        #expect(get.header("x-amz-version-id") != v1, "the restored copy is a new version")
        let versions = await s3.send(.get, "/cpy", query: "versions")
        #expect(versions.xml?.all("Version").count == 3)
    }
}
