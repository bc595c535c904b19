import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LockstepCrypto
import LockstepTestSupport
import LockstepXML
import NIOCore
import Testing

extension ServerFixture {
    /// One signed request through a HummingbirdTesting client (`Host: localhost`, as that client sends it).
    func send(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, query: String = "",
              headers: [(String, String)] = [], body: [UInt8] = [], auth: AuthStyle = .signed,
              signingService: String = "s3") async throws -> TestResponse {
        let fields = signedHeaders(method, path, query: query, headers: headers, body: body, auth: auth, signingService: signingService)
        return try await client.execute(uri: query.isEmpty ? path : path + "?" + query, method: method, headers: fields,
                                        body: body.isEmpty ? nil : ByteBuffer(bytes: body))
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var xml: XMLNode? { try? XMLParser.parse(Array(body.readableBytesView)) }
}

@Suite("Server layer")
struct ServerLayerTests {
    @Test func eachProtocolReachesItsFrontDoor() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            let body = Array("{}".utf8)
            let kmsHeaders = [("X-Amz-Target", "TrentService.ListKeys"), ("Content-Type", "application/x-amz-json-1.1")]
            let kms = try await fixture.send(client, .post, "/", headers: kmsHeaders, body: body, signingService: "kms")
            #expect(kms.status == .ok, "\(kms.text)")
            #expect(kms.headers[.contentType] == "application/x-amz-json-1.1")
            #expect(kms.text.contains("\"Keys\""))

            let dynamoHeaders = [("X-Amz-Target", "DynamoDB_20120810.ListTables"), ("Content-Type", "application/x-amz-json-1.0")]
            let dynamo = try await fixture.send(client, .post, "/", headers: dynamoHeaders, body: body, signingService: "dynamodb")
            #expect(dynamo.status == .ok, "\(dynamo.text)")
            #expect(dynamo.headers[.contentType] == "application/x-amz-json-1.0")
            #expect(dynamo.text == #"{"TableNames":[]}"#)

            // A JSON target no service here serves stays with S3, which answers in its own XML.
            let other = try await fixture.send(client, .post, "/", headers: [("X-Amz-Target", "SimpleWorkflowService.ListDomains")], body: body)
            #expect(other.headers[.contentType] == "application/xml")

            let buckets = try await fixture.send(client, .get, "/")
            #expect(buckets.status == .ok)
            #expect(buckets.xml?.name == "ListAllMyBucketsResult")
        }
    }

    @Test func lockstepEndpointsAnswerBeforeAnyFrontDoor() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.router) { client in
            for path in ["/_lockstep/health", "/_lockstep/ready"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok)
                #expect(response.text == "{\"status\":\"ok\"}\n")
                #expect(response.headers[.contentType] == "application/json")
            }
            // Unknown endpoints under the prefix are Lockstep's 404s, never S3 requests for a bucket named `_lockstep`.
            let unknown = try await client.execute(uri: "/_lockstep/nope", method: .get)
            #expect(unknown.status == .notFound)
            #expect(unknown.headers[.contentType] != "application/xml")
        }
    }

    /// HTTPTypes moves `Host` into the request's authority; SigV4 and virtual-hosted addressing need it back.
    @Test func hostComesBackFromTheAuthority() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.live) { client in
            #expect(try await fixture.send(client, .put, "/vhost").status == .ok)
            #expect(try await fixture.send(client, .put, "/vhost/a.txt", body: [1, 2, 3]).status == .ok)
            let port = try #require(client.port)
            let connection = try RawConnection(port: port)
            try await connection.send(fixture.rawHead(.get, "/", query: "list-type=2", host: "vhost.localhost:\(port)"))
            let listing = try await connection.readResponse()
            #expect(listing.status == 200, "\(String(decoding: listing.body, as: UTF8.self))")
            let root = try #require(try? XMLParser.parse(listing.body))
            #expect(root.value("Name") == "vhost")
            #expect(root.texts("Contents", "Key") == ["a.txt"])
        }
    }

    /// What goes on the wire: the object's length on HEAD, none on 204 and 304, the exact length otherwise.
    @Test func contentLengthFollowsTheBody() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.live) { client in
            let created = try await fixture.send(client, .put, "/lengths")
            #expect(created.headers[.contentLength] == "0", "an empty 200 says so")
            let object = testBytes(1000)
            #expect(try await fixture.send(client, .put, "/lengths/k", body: object).status == .ok)

            let head = try await fixture.send(client, .head, "/lengths/k")
            #expect(head.status == .ok)
            #expect(head.headers[.contentLength] == "1000", "HEAD keeps the object's length")
            #expect(head.body.readableBytes == 0)

            let get = try await fixture.send(client, .get, "/lengths/k")
            #expect(get.headers[.contentLength] == "1000")
            #expect(Array(get.body.readableBytesView) == object)

            let etag = try #require(get.headers[.eTag])
            let notModified = try await fixture.send(client, .get, "/lengths/k", headers: [("If-None-Match", etag)])
            #expect(notModified.status == .notModified)
            #expect(notModified.headers[.contentLength] == nil, "304 has no body to measure")

            let deleted = try await fixture.send(client, .delete, "/lengths/k")
            #expect(deleted.status == .noContent)
            #expect(deleted.headers[.contentLength] == nil, "204 has no body to measure")

            let missing = try await fixture.send(client, .get, "/lengths/k")
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentLength] == String(missing.body.readableBytes))
        }
    }

    /// Bodies larger than one read chunk stream in both directions, with the exact declared length.
    @Test func largeBodiesStream() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.live) { client in
            #expect(try await fixture.send(client, .put, "/big").status == .ok)
            let object = testBytes(3 << 20 + 17, seed: 9)
            let put = try await fixture.send(client, .put, "/big/k", body: object)
            #expect(put.status == .ok, "\(put.text)")
            let get = try await fixture.send(client, .get, "/big/k")
            #expect(get.status == .ok)
            #expect(get.headers[.contentLength] == String(object.count))
            #expect(Array(get.body.readableBytesView) == object)
            let range = try await fixture.send(client, .get, "/big/k", headers: [("Range", "bytes=1048570-2097160")])
            #expect(range.status == .partialContent)
            #expect(Array(range.body.readableBytesView) == Array(object[1_048_570...2_097_160]))
        }
    }

    /// A body that ends early or breaks its framing is the client's error (400, logged at debug), never a 500 that an
    /// SDK would retry; a transfer coding S3 does not take is NotImplemented.
    @Test func brokenBodiesAreClientErrors() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.live) { client in
            #expect(try await fixture.send(client, .put, "/framing").status == .ok)
            let port = try #require(client.port)
            let host = "localhost:\(port)"
            let contentMD5 = Base64.encode(Digest.md5([UInt8]()))
            
            let badChunk = try RawConnection(port: port)
            try await badChunk.send(fixture.rawHead(.post, "/framing", query: "delete",
                                                    headers: [("Transfer-Encoding", "chunked"), ("Content-MD5", contentMD5)],
                                                    payload: .unsigned, host: host))
            try await badChunk.send(Array("zz\r\nabc\r\n0\r\n\r\n".utf8))
            let badChunkReply = try await badChunk.readResponse()
            #expect(badChunkReply.status == 400)
            #expect(String(decoding: badChunkReply.body, as: UTF8.self).contains("<Code>IncompleteBody</Code>"))

            let hangUp = try RawConnection(port: port)
            try await hangUp.send(fixture.rawHead(.post, "/framing", query: "delete",
                                                  headers: [("Content-Length", "100"), ("Content-MD5", contentMD5)],
                                                  payload: .unsigned, host: host))
            try await hangUp.send(Array("<Delete>".utf8))
            hangUp.finishSending()
            let hangUpReply = try await hangUp.readResponse()
            #expect(hangUpReply.status == 400)
            #expect(String(decoding: hangUpReply.body, as: UTF8.self).contains("<Code>IncompleteBody</Code>"))

            let gzip = try RawConnection(port: port)
            try await gzip.send(fixture.rawHead(.put, "/framing/k", headers: [("Transfer-Encoding", "gzip, chunked")], payload: .unsigned, host: host))
            try await gzip.send(Array("3\r\nabc\r\n0\r\n\r\n".utf8))
            let gzipReply = try await gzip.readResponse()
            #expect(gzipReply.status == 501)
            #expect(String(decoding: gzipReply.body, as: UTF8.self).contains("<Header>Transfer-Encoding</Header>"))
        }
    }

    /// The request line and headers are bounded (80 KiB in all, 1,000 fields): past either the parser answers 400 and
    /// closes, and the server goes on serving.
    @Test func requestHeadsPastTheLimitsAreRefused() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.live) { client in
            let port = try #require(client.port)
            func answer(_ head: String) async throws -> (status: Int, connection: RawConnection) {
                let connection = try RawConnection(port: port)
                try await connection.send(Array(head.utf8))
                return (try await connection.readResponse().status, connection)
            }
            let fields = { (n: Int) in (0..<n).map { "X-Field-\($0): v\r\n" }.joined() }
            let big = { (n: Int) in String(repeating: "a", count: n) }
            // Within the limits the request reaches S3 (which refuses it for want of a signature).
            #expect(try await answer("GET / HTTP/1.1\r\nHost: x\r\n\(fields(999))\r\n").status == 403)
            #expect(try await answer("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(big(80_000))\r\n\r\n").status == 403)
            for head in ["GET / HTTP/1.1\r\nHost: x\r\n\(fields(1_000))\r\n",
                         "GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(big(82_000))\r\n\r\n",
                         "GET /\(big(82_000)) HTTP/1.1\r\nHost: x\r\n\r\n"] {
                let refused = try await answer(head)
                #expect(refused.status == 400)
                #expect(try await refused.connection.isClosedByServer())
            }
            #expect(try await fixture.send(client, .get, "/").status == .ok)
        }
    }

    /// `100 Continue` goes out only once the request is authenticated and the front door reads the body; a refused
    /// upload gets its final answer at once, and the connection is closed because the client still holds the body.
    @Test func continueOnlyAfterTheRequestIsAccepted() async throws {
        let fixture = try ServerFixture()
        try await fixture.application().test(.live) { client in
            #expect(try await fixture.send(client, .put, "/expect").status == .ok)
            #expect(try await fixture.send(client, .put, "/expect/taken", body: [1]).status == .ok)
            let port = try #require(client.port)
            let host = "localhost:\(port)"
            let body = testBytes(5000)
            let expect = [("Expect", "100-continue")]

            // Accepted: 100 first, then the body, then the answer; the connection stays open.
            let accepted = try RawConnection(port: port)
            try await accepted.send(fixture.rawHead(.put, "/expect/new", headers: expect, body: body, host: host))
            #expect(try await accepted.readResponse().status == 100)
            try await accepted.send(body)
            #expect(try await accepted.readResponse().status == 200)
            try await accepted.send(fixture.rawHead(.get, "/expect/new", host: host))
            let get = try await accepted.readResponse()
            #expect(get.status == 200)
            #expect(get.body == body)

            // Not authenticated: 403 without a 100, and the connection is closed.
            let anonymous = try RawConnection(port: port)
            try await anonymous.send(fixture.rawHead(.put, "/expect/anon", headers: expect, body: body, auth: .anonymous, host: host))
            let denied = try await anonymous.readResponse()
            #expect(denied.status == 403)
            #expect(denied.header("Connection") == "close")
            #expect(try await anonymous.isClosedByServer())

            // Authenticated, but the condition fails before the body is needed: 412 without a 100.
            let conditional = try RawConnection(port: port)
            try await conditional.send(fixture.rawHead(.put, "/expect/taken", headers: expect + [("If-None-Match", "*")], body: body, host: host))
            let refused = try await conditional.readResponse()
            #expect(refused.status == 412)
            #expect(try await conditional.isClosedByServer())
            #expect(try await fixture.send(client, .get, "/expect/taken").body.readableBytes == 1, "nothing was overwritten")
        }
    }
}
