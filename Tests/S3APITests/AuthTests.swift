import Foundation
import FrontDoors
import HTTPDates
import HTTPTypes
import LockstepCrypto
import LockstepTestSupport
import S3API
import SigV4
import Testing

@Suite("Auth and errors")
struct AuthTests {
    func server() async throws -> S3TestServer {
        let s3 = try S3TestServer()
        await s3.createBucket("auth")
        #expect(await s3.put("auth", "k", [1, 2, 3]).status == 200)
        return s3
    }

    @Test func anonymousRequestsAreAccessDenied() async throws {
        let s3 = try await server()
        expectWellFormedError(await s3.send(.get, "/auth/k", auth: .anonymous), code: "AccessDenied", status: 403, resource: "/auth/k")
        expectWellFormedError(await s3.send(.get, "/", auth: .anonymous), code: "AccessDenied", status: 403, resource: "/")
        expectWellFormedError(await s3.send(.put, "/auth/new", body: [1], auth: .anonymous), code: "AccessDenied", status: 403)
        #expect(await s3.get("auth", "new").status == 404)
        let head = await s3.send(.head, "/auth/k", auth: .anonymous)
        #expect(head.status == 403)
        #expect(head.body.isEmpty)
    }

    @Test func wrongSecretIsSignatureDoesNotMatchWithDiagnostics() async throws {
        let s3 = try await server()
        let reply = await s3.send(.get, "/auth/k", query: "versionId=null", auth: .credentials(accessKey: testAccessKey, secretKey: "wrong"))
        expectWellFormedError(reply, code: "SignatureDoesNotMatch", status: 403, resource: "/auth/k")

        // The server's strings are those of a correct client: same canonical request and string to sign.
        let request = SignableRequest(method: "GET", rawPath: "/auth/k", rawQuery: "versionId=null", headers: [("Host", testHost)])
        let expected = SigV4Signer(accessKey: testAccessKey, secretKey: testSecretKey).sign(request, date: s3.clock.date)
        #expect(reply.errorField("StringToSign") == expected.stringToSign)
        #expect(reply.errorField("CanonicalRequest") == expected.canonicalRequest)
        #expect(reply.errorField("CanonicalRequest")?.hasPrefix("GET\n/auth/k\nversionId=null\n") == true)
    }

    @Test func unknownAccessKeyIsInvalidAccessKeyId() async throws {
        let s3 = try await server()
        let reply = await s3.send(.get, "/auth/k", auth: .credentials(accessKey: "NOBODY", secretKey: testSecretKey))
        expectWellFormedError(reply, code: "InvalidAccessKeyId", status: 403)
    }

    @Test func signatureForAnotherServiceIsMalformed() async throws {
        let s3 = try await server()
        let reply = await s3.send(.get, "/auth/k", signingService: "kms")
        expectWellFormedError(reply, code: "AuthorizationHeaderMalformed", status: 400)
        #expect(reply.errorField("Message")?.contains("Credential should be scoped to correct service: 's3'") == true)
        // Presigned URLs too, and any service name.
        expectWellFormedError(await s3.send(.get, "/auth/k", auth: .presigned(expires: 60, age: 0), signingService: "dynamodb"),
                              code: "AuthorizationHeaderMalformed", status: 400)
    }

    @Test(arguments: [-16.0 * 60, 16.0 * 60, -86400])
    func skewedClockIsRequestTimeTooSkewed(_ offset: Double) async throws {
        let s3 = try await server()
        let reply = await s3.send(.get, "/auth/k", auth: .skewed(seconds: offset))
        expectWellFormedError(reply, code: "RequestTimeTooSkewed", status: 403)
        #expect(reply.errorField("ServerTime") == "2025-03-01T12:00:00Z")
        #expect(reply.errorField("RequestTime") != nil)
        #expect(reply.errorField("MaxAllowedSkewMilliseconds") == "900000")
    }

    @Test(arguments: [-14.0 * 60, 14.0 * 60])
    func smallSkewIsTolerated(_ offset: Double) async throws {
        let s3 = try await server()
        #expect(await s3.send(.get, "/auth/k", auth: .skewed(seconds: offset)).status == 200)
    }

    @Test func presignedURLs() async throws {
        let s3 = try await server()
        let valid = await s3.send(.get, "/auth/k", auth: .presigned(expires: 300, age: 10))
        #expect(valid.status == 200, "\(valid.text)")
        #expect(valid.body == [1, 2, 3])

        let expired = await s3.send(.get, "/auth/k", auth: .presigned(expires: 300, age: 301))
        expectWellFormedError(expired, code: "AccessDenied", status: 403, resource: "/auth/k")
        #expect(expired.errorField("Message") == "Request has expired")
        #expect(expired.errorField("Expires") != nil)
        #expect(expired.errorField("ServerTime") != nil)

        let put = await s3.send(.put, "/auth/presigned-put", body: [7, 7], auth: .presigned(expires: 60, age: 0))
        #expect(put.status == 200, "\(put.text)")
        #expect(await s3.get("auth", "presigned-put").body == [7, 7])
    }

    @Test func presignedURLWithResponseOverrides() async throws {
        let s3 = try await server()
        let query = "response-content-disposition=" + q("attachment; filename=\"r.bin\"") + "&response-content-type=" + q("application/x-r")
        let reply = await s3.send(.get, "/auth/k", query: query, auth: .presigned(expires: 60, age: 0))
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.header("Content-Disposition") == "attachment; filename=\"r.bin\"")
        #expect(reply.header("Content-Type") == "application/x-r")
    }

    @Test func presignedExpiryOverSevenDaysIsRejected() async throws {
        let s3 = try await server()
        let reply = await s3.send(.get, "/auth/k", auth: .presigned(expires: 604_801, age: 0))
        expectWellFormedError(reply, code: "AuthorizationQueryParametersError", status: 400)
    }

    @Test func presignedFromTheFutureIsRejected() async throws {
        let s3 = try await server()
        let reply = await s3.send(.get, "/auth/k", auth: .presigned(expires: 3600, age: -3600))
        expectWellFormedError(reply, code: "AccessDenied", status: 403)
    }

    /// Sends `method path` signed as given, then with `added` headers that the signature does not cover.
    func sendWithUnsignedHeaders(_ s3: S3TestServer, _ method: HTTPRequest.Method, _ path: String, signed: [(String, String)] = [],
                                 added: [(String, String)], body: [UInt8] = [], auth: AuthStyle = .signed) async -> Reply {
        let (request, wire) = s3.signer.sign(method, path, headers: signed, body: body, auth: auth, date: s3.clock.date)
        var fields = HTTPFields()
        for (name, value) in request.headers + added.map({ (name: $0.0, value: $0.1) }) {
            fields.append(HTTPField(name: HTTPField.Name(name)!, value: value))
        }
        let target = request.rawQuery.isEmpty ? request.rawPath : request.rawPath + "?" + request.rawQuery
        return await s3.collect(await s3.service.handle(APIRequest(method: method, target: target, headers: fields, body: .bytes(wire))))
    }

    /// An `x-amz-*` header outside the signature could have been added or swapped on the way: S3 refuses the request
    /// rather than honour it (a swapped copy source used to copy another object; unsigned metadata used to be stored).
    @Test func unsignedAmzHeadersAreRefused() async throws {
        let s3 = try await server()
        #expect(await s3.put("auth", "secret", Array("secret".utf8)).status == 200)
        let copy = await sendWithUnsignedHeaders(s3, .put, "/auth/copy", added: [("x-amz-copy-source", "/auth/secret")])
        expectWellFormedError(copy, code: "AccessDenied", status: 403)
        #expect(copy.errorField("Message") == "There were headers present in the request which were not signed")
        #expect(copy.errorField("HeadersNotSigned") == "x-amz-copy-source")
        for header in [("x-amz-meta-owner", "mallory"), ("x-amz-tagging", "a=b"), ("x-amz-storage-class", "GLACIER"),
                       ("x-amz-server-side-encryption", "aws:kms")] {
            let put = await sendWithUnsignedHeaders(s3, .put, "/auth/k2", added: [header], body: [1])
            expectWellFormedError(put, code: "AccessDenied", status: 403)
            #expect(put.errorField("HeadersNotSigned") == header.0)
        }
        let presigned = await sendWithUnsignedHeaders(s3, .get, "/auth/k", added: [("x-amz-checksum-mode", "ENABLED")],
                                                      auth: .presigned(expires: 60, age: 0))
        expectWellFormedError(presigned, code: "AccessDenied", status: 403)
        #expect(await s3.get("auth", "copy").status == 404, "nothing was copied")
        // The same headers, signed, are fine; headers outside x-amz-* need no signature.
        let signed = await sendWithUnsignedHeaders(s3, .put, "/auth/k3", signed: [("x-amz-meta-owner", "alice")],
                                                   added: [("Cache-Control", "no-cache")], body: [1])
        #expect(signed.status == 200)
    }

    @Test func presignedWithTamperedSignature() async throws {
        let s3 = try await server()
        let signer = SigV4Signer(accessKey: testAccessKey, secretKey: testSecretKey)
        let signed = signer.presign(SignableRequest(method: "GET", rawPath: "/auth/k", rawQuery: "", headers: [("Host", testHost)]),
                                    date: s3.clock.date, expires: 60)
        // Point the URL at another key: the signature no longer matches.
        var fields = HTTPFields()
        fields.append(HTTPField(name: .init("Host")!, value: testHost))
        let response = await s3.service.handle(APIRequest(method: .get, target: "/auth/other?" + signed.request.rawQuery, headers: fields))
        let reply = await s3.collect(response)
        expectWellFormedError(reply, code: "SignatureDoesNotMatch", status: 403)
    }

    @Test func payloadHashMismatchIsRejectedAndNothingStored() async throws {
        let s3 = try await server()
        let reply = await s3.send(.put, "/auth/hashed", body: Array("payload".utf8), payload: .wrongSHA256)
        expectWellFormedError(reply, code: "XAmzContentSHA256Mismatch", status: 400)
        #expect(await s3.get("auth", "hashed").status == 404)

        let big = testBytes(100 * 1024)
        let bigReply = await s3.send(.put, "/auth/hashed-big", body: big, payload: .wrongSHA256)
        expectWellFormedError(bigReply, code: "XAmzContentSHA256Mismatch", status: 400)
        #expect(await s3.get("auth", "hashed-big").status == 404)
    }

    @Test func unsignedPayload() async throws {
        let s3 = try await server()
        let body = testBytes(70_000, seed: 8)
        let reply = await s3.send(.put, "/auth/unsigned", body: body, payload: .unsigned)
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.header("ETag") == quoted(md5Hex(body)))
        #expect(await s3.get("auth", "unsigned").body == body)
    }

    @Test(arguments: [8192, 64 * 1024])
    func streamingSignedPayload(_ chunkSize: Int) async throws {
        let s3 = try await server()
        let body = testBytes(100_000, seed: 13)
        let reply = await s3.send(.put, "/auth/streamed", headers: [("Content-Type", "text/streamed")], body: body,
                                  payload: .streamingSigned(chunkSize: chunkSize), transferChunk: 1_000)
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.header("ETag") == quoted(md5Hex(body)))
        let get = await s3.get("auth", "streamed")
        #expect(get.body == body)
        #expect(get.header("Content-Encoding") == nil, "aws-chunked is transfer framing, not stored")
        #expect(get.header("Content-Type") == "text/streamed")
    }

    @Test func streamingSignedKeepsOtherContentEncodings() async throws {
        let s3 = try await server()
        let body = testBytes(10_000)
        let reply = await s3.send(.put, "/auth/gz", headers: [("Content-Encoding", "aws-chunked,gzip")], body: body,
                                  payload: .streamingSigned(chunkSize: 8192))
        #expect(reply.status == 200, "\(reply.text)")
        #expect(await s3.head("auth", "gz").header("Content-Encoding") == "gzip")
    }

    @Test func streamingSignedSmallBody() async throws {
        let s3 = try await server()
        let reply = await s3.send(.put, "/auth/tiny", body: [42], payload: .streamingSigned(chunkSize: 8192))
        #expect(reply.status == 200, "\(reply.text)")
        #expect(await s3.get("auth", "tiny").body == [42])
        let empty = await s3.send(.put, "/auth/nothing", body: [], payload: .streamingSigned(chunkSize: 8192))
        #expect(empty.status == 200, "\(empty.text)")
        #expect(await s3.head("auth", "nothing").header("Content-Length") == "0")
    }

    @Test(arguments: [1_000, 100_000])
    func tamperedChunkIsSignatureDoesNotMatchAndNothingStored(_ size: Int) async throws {
        let s3 = try await server()
        let body = testBytes(size, seed: 14)
        let reply = await s3.send(.put, "/auth/tampered", body: body, payload: .streamingSignedTampered(chunkSize: 8192, tamperAt: 5))
        expectWellFormedError(reply, code: "SignatureDoesNotMatch", status: 403)
        #expect(await s3.get("auth", "tampered").status == 404)
    }

    @Test func smallSignedChunksAreInvalidChunkSize() async throws {
        let s3 = try await server()
        let reply = await s3.send(.put, "/auth/small-chunks", body: testBytes(3000), payload: .streamingSigned(chunkSize: 1000))
        #expect(reply.errorCode == "InvalidChunkSizeError", "\(reply.text)")
        #expect(reply.status == 400 || reply.status == 403)
        #expect(await s3.get("auth", "small-chunks").status == 404)
    }

    @Test func decodedLengthMismatchIsIncompleteBody() async throws {
        let s3 = try await server()
        let reply = await s3.send(.put, "/auth/short", body: testBytes(9000), payload: .streamingSigned(chunkSize: 8192), declaredLength: 9001)
        expectWellFormedError(reply, code: "IncompleteBody", status: 400)
        #expect(await s3.get("auth", "short").status == 404)
    }

    @Test func streamingWithoutDecodedLengthIsMissingContentLength() async throws {
        let s3 = try await server()
        let signer = SigV4Signer(accessKey: testAccessKey, secretKey: testSecretKey)
        let body = AWSChunkedEncoder.encode([1, 2, 3], chunkSize: 8192, signing: .unsigned, trailers: [])
        let request = SignableRequest(method: "PUT", rawPath: "/auth/nolen", rawQuery: "",
                                      headers: [("Host", testHost), ("Content-Encoding", "aws-chunked"), ("Content-Length", String(body.count))])
        let signed = signer.sign(request, date: s3.clock.date, payloadHash: PayloadMode.streamingUnsignedTrailerPayload)
        var fields = HTTPFields()
        for (name, value) in signed.request.headers { fields.append(HTTPField(name: .init(name)!, value: value)) }
        let reply = await s3.collect(await s3.service.handle(APIRequest(method: .put, target: "/auth/nolen", headers: fields, body: .bytes(body))))
        expectWellFormedError(reply, code: "MissingContentLength", status: 411)
        #expect(await s3.get("auth", "nolen").status == 404)
    }

    @Test func missingContentSHA256IsInvalidRequest() async throws {
        let s3 = try await server()
        let signer = SigV4Signer(accessKey: testAccessKey, secretKey: testSecretKey)
        let signed = signer.sign(SignableRequest(method: "GET", rawPath: "/auth/k", rawQuery: "", headers: [("Host", testHost)]),
                                 date: s3.clock.date, contentSHA256Header: false)
        var fields = HTTPFields()
        for (name, value) in signed.request.headers { fields.append(HTTPField(name: .init(name)!, value: value)) }
        let reply = await s3.collect(await s3.service.handle(APIRequest(method: .get, target: "/auth/k", headers: fields)))
        expectWellFormedError(reply, code: "InvalidRequest", status: 400)
    }

    /// Signature Version 2 is verified (SigV4Tests/SignatureV2Tests.swift has AWS's examples): a wrong one is
    /// SignatureDoesNotMatch with the string to sign, one without a date AccessDenied.
    @Test func sigV2IsVerified() async throws {
        let s3 = try await server()
        var fields = HTTPFields()
        fields.append(HTTPField(name: .init("Host")!, value: testHost))
        fields.append(HTTPField(name: .authorization, value: "AWS \(testAccessKey):c2lnbmF0dXJl"))
        let undated = await s3.collect(await s3.service.handle(APIRequest(method: .get, target: "/auth/k", headers: fields)))
        expectWellFormedError(undated, code: "AccessDenied", status: 403)
        fields.append(HTTPField(name: .date, value: HTTPDate.format(s3.clock.nowMillis())))
        let forged = await s3.collect(await s3.service.handle(APIRequest(method: .get, target: "/auth/k", headers: fields)))
        expectWellFormedError(forged, code: "SignatureDoesNotMatch", status: 403)
        #expect(forged.xml?.value("StringToSign") == "GET\n\n\n\(HTTPDate.format(s3.clock.nowMillis()))\n/auth/k")
    }

    @Test func everyErrorHasRequestIdsAndResource() async throws {
        let s3 = try await server()
        let cases: [(Reply, String, Int, String)] = [
            (await s3.get("auth", "missing"), "NoSuchKey", 404, "/auth/missing"),
            (await s3.get("nobucket", "x"), "NoSuchBucket", 404, "/nobucket/x"),
            (await s3.send(.put, "/BadName"), "InvalidBucketName", 400, "/BadName"),
            (await s3.send(.post, "/auth/k"), "MethodNotAllowed", 405, "/auth/k"),
            (await s3.send(.get, "/auth/k", query: "torrent"), "NotImplemented", 501, "/auth/k"),
            (await s3.send(.get, "/auth/k", auth: .anonymous), "AccessDenied", 403, "/auth/k"),
        ]
        var ids = Set<String>()
        for (reply, code, status, resource) in cases {
            expectWellFormedError(reply, code: code, status: status, resource: resource)
            if let id = reply.header("x-amz-request-id") { ids.insert(id) }
        }
        #expect(ids.count == cases.count, "request ids are unique")
    }

    @Test func successfulResponsesCarryRequestIds() async throws {
        let s3 = try await server()
        let reply = await s3.get("auth", "k")
        #expect(reply.header("x-amz-request-id")?.isEmpty == false)
        #expect(reply.header("x-amz-id-2")?.isEmpty == false)
        #expect(reply.header("Date") == "Sat, 01 Mar 2025 12:00:00 GMT")
    }

    /// AWS names the missing bucket, key or upload in its own element.
    @Test func errorsNameTheMissingResource() async throws {
        let s3 = try await server()
        let getKey = await s3.get("auth", "missing")
        #expect(getKey.errorCode == "NoSuchKey")
        #expect(getKey.errorField("Key") == "missing", "\(getKey.text)")

        let putNoBucket = await s3.put("nobucket", "k", [1])
        #expect(putNoBucket.errorCode == "NoSuchBucket")
        #expect(putNoBucket.errorField("BucketName") == "nobucket", "\(putNoBucket.text)")

        let deleteNoBucket = await s3.send(.delete, "/nobucket")
        #expect(deleteNoBucket.errorCode == "NoSuchBucket")
        #expect(deleteNoBucket.errorField("BucketName") == "nobucket", "\(deleteNoBucket.text)")

        let listNoBucket = await s3.listV2("nobucket")
        #expect(listNoBucket.errorField("BucketName") == "nobucket", "\(listNoBucket.text)")

        let noUpload = await s3.send(.get, "/auth/k", query: "uploadId=nope")
        #expect(noUpload.errorCode == "NoSuchUpload")
        #expect(noUpload.errorField("UploadId") == "nope", "\(noUpload.text)")
    }

    @Test func errorKeyResourceIsDecoded() async throws {
        let s3 = try await server()
        let reply = await s3.get("auth", "dir/with space")
        expectWellFormedError(reply, code: "NoSuchKey", status: 404, resource: "/auth/dir/with space")
    }
}
