import Foundation
import HTTPTypes
import LockstepCrypto
import LockstepTestSupport
import Testing

/// Bad input must always end in a 4xx S3 error document: never a 5xx, a crash or a hang. Deterministic mutation
/// fuzzing of every XML request body and of the headers the server parses itself.
@Suite("Malformed input")
struct MalformedInputTests {
    /// A small deterministic generator (SplitMix64), so a failure reproduces.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    }

    /// Truncations, byte flips, insertions of XML-significant bytes, and splices of a valid document.
    static func mutations(of valid: [UInt8], count: Int, seed: UInt64) -> [[UInt8]] {
        var g = Generator(state: seed)
        let specials = Array("<>/&;\"'=!?[]-\u{0}\u{FF}".utf8) + [0xC3, 0x28, 0xE2, 0x82]
        var out: [[UInt8]] = [[], [0], Array("<".utf8), Array("<?xml version=\"1.0\"?>".utf8)]
        while out.count < count {
            var doc = valid
            switch g.below(4) {
            case 0: doc = Array(doc.prefix(g.below(doc.count)))
            case 1:
                for _ in 0...g.below(4) where !doc.isEmpty { doc[g.below(doc.count)] ^= UInt8(truncatingIfNeeded: 1 << g.below(8)) }
            case 2:
                for _ in 0...g.below(4) { doc.insert(specials[g.below(specials.count)], at: g.below(doc.count + 1)) }
            default:
                let a = g.below(doc.count), b = g.below(doc.count)
                doc = Array(doc[..<min(a, b)]) + Array(doc[max(a, b)...]) + Array(doc[min(a, b)..<max(a, b)])
            }
            out.append(doc)
        }
        return out
    }

    static let hostile: [[UInt8]] = [
        // Entity expansion and external entities: refused because the document has a DOCTYPE.
        Array("""
        <?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><Tagging><TagSet><Tag><Key>&c;</Key><Value>v</Value></Tag></TagSet></Tagging>
        """.utf8),
        Array("""
        <?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><Tagging><TagSet><Tag><Key>&x;</Key><Value>v</Value></Tag></TagSet></Tagging>
        """.utf8),
        // Very deep nesting.
        Array((String(repeating: "<a>", count: 5000) + String(repeating: "</a>", count: 5000)).utf8),
    ]

    func expectClientError(_ reply: Reply, _ context: String) {
        #expect((400..<500).contains(reply.status), "\(context): status \(reply.status) body \(reply.text)")
        #expect(reply.errorCode != nil, "\(context): no S3 error code in \(reply.text)")
    }

    @Test func xmlBodiesNeverCauseServerErrors() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("fuzz")
        #expect(await s3.put("fuzz", "k", [1]).status == 200)
        let create = await s3.send(.post, S3TestServer.path("fuzz", "mp"), query: "uploads")
        let uploadId = try #require(create.xml?.value("UploadId"))
        let part = await s3.send(.put, S3TestServer.path("fuzz", "mp"), query: "partNumber=1&uploadId=\(uploadId)", body: [1, 2, 3])
        let etag = try #require(part.header("ETag"))

        let targets: [(name: String, method: HTTPMethodName, path: String, query: String, valid: String)] = [
            ("PutBucketTagging", .put, "/fuzz", "tagging", "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>"),
            ("PutObjectTagging", .put, "/fuzz/k", "tagging", "<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>"),
            ("PutBucketVersioning", .put, "/fuzz", "versioning", "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"),
            ("DeleteObjects", .post, "/fuzz", "delete", "<Delete><Quiet>true</Quiet><Object><Key>zz</Key></Object></Delete>"),
            ("CompleteMultipartUpload", .post, "/fuzz/mp", "uploadId=\(uploadId)",
             "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\(etag)</ETag></Part></CompleteMultipartUpload>"),
            ("CreateBucket", .put, "/fuzz-new", "", "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"),
        ]
        for (index, target) in targets.enumerated() {
            let bodies = Self.mutations(of: Array(target.valid.utf8), count: 60, seed: UInt64(index + 1)) + Self.hostile
            for body in bodies {
                let reply = await s3.send(target.method.value, target.path, query: target.query,
                                          headers: [("Content-MD5", md5Base64(body))], body: body)
                if (200..<300).contains(reply.status) {
                    // A mutation can still be a valid document; undo what it did where it matters.
                    if target.name == "CreateBucket" { _ = await s3.send(.delete, "/fuzz-new") }
                    continue
                }
                expectClientError(reply, "\(target.name) with \(body.count)-byte body \(String(decoding: body.prefix(80), as: UTF8.self))")
            }
        }
        // The server still works, and the upload is still completable or already completed.
        #expect(await s3.get("fuzz", "k").status == 200)
    }

    @Test func garbledHeadersAreClientErrors() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("fuzz")
        #expect(await s3.put("fuzz", "k", Array(repeating: 7, count: 100)).status == 200)
        var g = Generator(state: 99)
        // Only bytes HTTP allows in a field value: anything else is refused by the HTTP parser before S3 sees it.
        let alphabet = Array("bytes=-,0123456789 *\"\\;abc\t:/+".utf8)
        for _ in 0..<200 {
            let length = g.below(24)
            let noise = String(decoding: (0..<length).map { _ in alphabet[g.below(alphabet.count)] }, as: UTF8.self)
            for name in ["Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "x-amz-checksum-mode"] {
                let reply = await s3.get("fuzz", "k", headers: [(name, noise)])
                #expect([200, 206, 304, 412, 416].contains(reply.status), "\(name): [\(noise)] → \(reply.status) \(reply.errorCode ?? "") \(reply.errorField("CanonicalRequest") ?? "")")
            }
            for name in ["Content-MD5", "x-amz-checksum-crc32", "x-amz-checksum-sha256", "x-amz-tagging", "x-amz-storage-class",
                         "x-amz-sdk-checksum-algorithm", "x-amz-meta-\(length)"] {
                let reply = await s3.put("fuzz", "w", [1, 2, 3], headers: [(name, noise)])
                if reply.status != 200 { expectClientError(reply, "\(name): \(noise)") }
            }
        }
    }
}

extension MalformedInputTests {
    /// Counts and markers from the query or headers are validated before any handler uses them: out-of-range values are
    /// 400 InvalidArgument (a negative `x-amz-max-parts` on a multipart object used to stop the process).
    @Test func countsAndMarkersOutOfRangeAreInvalidArgument() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("counts")
        let uploadId = try await s3.createUpload("counts", "mp")
        let etag = try #require(await s3.uploadPart("counts", "mp", uploadId, 1, [1, 2, 3]).header("ETag"))
        #expect(await s3.completeUpload("counts", "mp", uploadId, [CompletedPart(number: 1, etag: etag)]).status == 200)
        for value in ["-1", "x", "99999999999999999999"] {
            for header in ["x-amz-max-parts", "x-amz-part-number-marker"] {
                let reply = await s3.send(.get, "/counts/mp", query: "attributes",
                                          headers: [("x-amz-object-attributes", "ObjectParts"), (header, value)])
                expectWellFormedError(reply, code: "InvalidArgument", status: 400)
                #expect(reply.errorField("ArgumentName") == header)
            }
            for parameter in ["max-keys", "max-uploads"] {
                let query = parameter == "max-uploads" ? "uploads&max-uploads=" + value : "max-keys=" + value
                expectWellFormedError(await s3.send(.get, "/counts", query: query), code: "InvalidArgument", status: 400)
            }
            let second = try await s3.createUpload("counts", "mp2")
            for parameter in ["max-parts", "part-number-marker"] {
                let reply = await s3.listParts("counts", "mp2", second, extra: parameter + "=" + value)
                expectWellFormedError(reply, code: "InvalidArgument", status: 400)
                #expect(reply.errorField("ArgumentName") == parameter)
            }
        }
        // In range, the page is as asked.
        let attributes = await s3.send(.get, "/counts/mp", query: "attributes",
                                       headers: [("x-amz-object-attributes", "ObjectParts"), ("x-amz-max-parts", "0")])
        #expect(attributes.status == 200)
        #expect(attributes.xml?.at("ObjectParts", "MaxParts")?.text == "0")
    }
}

extension MalformedInputTests {
    /// A key is never altered: percent-encodings that do not decode to UTF-8 (a stray byte, an overlong form, a
    /// surrogate) are refused with InvalidURI, so two different keys can never land on one object.
    /// Each XML request body has a ceiling (docs/reliability.md); past it the answer is MaxMessageLengthExceeded,
    /// whether the length is declared up front or only found while the body streams in.
    @Test func xmlBodiesPastTheirLimitAreMaxMessageLengthExceeded() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("limits")
        func padded(_ open: String, _ close: String, to size: Int) -> [UInt8] {
            Array(open.utf8) + [UInt8](repeating: 0x20, count: size - open.utf8.count - close.utf8.count) + Array(close.utf8)
        }
        let cases: [(method: HTTPRequest.Method, path: String, query: String, limit: Int, open: String, close: String)] = [
            (.put, "/limits-new", "", 64 << 10, "<CreateBucketConfiguration>", "</CreateBucketConfiguration>"),
            (.put, "/limits", "tagging", 1 << 20, "<Tagging><TagSet>", "</TagSet></Tagging>"),
            (.post, "/limits", "delete", 2 << 20, "<Delete>", "</Delete>"),
        ]
        for c in cases {
            let over = padded(c.open, c.close, to: c.limit + 1)
            let md5 = [("Content-MD5", Base64.encode(Digest.md5(over)))]
            for payload in [PayloadStyle.sha256, .streamingSigned(chunkSize: 64 << 10)] {
                let reply = await s3.send(c.method, c.path, query: c.query, headers: md5, body: over, payload: payload)
                expectWellFormedError(reply, code: "MaxMessageLengthExceeded", status: 400)
            }
            // At the limit the size is fine and the document itself is judged.
            let at = padded(c.open, c.close, to: c.limit)
            let reply = await s3.send(c.method, c.path, query: c.query, headers: [("Content-MD5", Base64.encode(Digest.md5(at)))], body: at)
            #expect(!reply.text.contains("MaxMessageLengthExceeded"), "\(c.path)?\(c.query): \(reply.text)")
        }
    }

    @Test func keysThatAreNotUTF8AreRefusedNotRewritten() async throws {
        let s3 = try S3TestServer()
        await s3.createBucket("utf")
        for raw in ["k%FF", "k%FE", "k%C0%AF", "k%ED%A0%80", "k%F8%88%80%80%80", "%80"] {
            let put = await s3.send(.put, "/utf/" + raw, body: [1])
            expectWellFormedError(put, code: "InvalidURI", status: 400)
            expectWellFormedError(await s3.send(.get, "/utf/" + raw), code: "InvalidURI", status: 400)
            let copy = await s3.send(.put, "/utf/dest", headers: [("x-amz-copy-source", "/utf/" + raw)])
            expectWellFormedError(copy, code: "InvalidArgument", status: 400)
        }
        expectWellFormedError(await s3.send(.put, "/b%FF"), code: "InvalidURI", status: 400)
        #expect(await s3.listV2("utf").xml?.all("Contents").isEmpty == true, "nothing was stored")
        // Real UTF-8, also with NUL and other control characters, is stored exactly.
        #expect(await s3.send(.put, "/utf/%E2%82%AC%F0%9F%98%80", body: [2]).status == 200)
        #expect(await s3.send(.put, "/utf/nul%00one%01", body: [3]).status == 200)
        #expect(await s3.get("utf", "€😀").body == [2])
        #expect(await s3.get("utf", "nul\u{0}one\u{1}").body == [3])
    }
}

/// The HTTP methods the fuzz targets use (kept apart so the table above reads plainly).
enum HTTPMethodName {
    case put, post
    var value: HTTPRequest.Method { self == .put ? .put : .post }
}
