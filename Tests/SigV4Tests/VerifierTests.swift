import Foundation
import LockstepCrypto
import Testing
@testable import SigV4

/// Error paths and edge cases of `SigV4Verifier`, on top of the S3 GET object example
/// (signature f0e8bdb8…, 20130524T000000Z).
@Suite("Verifier")
struct VerifierTests {
    static let verifier = SigV4Verifier(credentials: s3DocCredentials)
    static let signer = SigV4Signer(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let goodAuthorization = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    static let getCanonicalRequest = "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
        + "x-amz-content-sha256:\(emptySHA256Hex)\nx-amz-date:20130524T000000Z\n\n"
        + "host;range;x-amz-content-sha256;x-amz-date\n\(emptySHA256Hex)"

    static func getObject(authorization: String? = goodAuthorization, date: String? = "20130524T000000Z",
                          contentSHA256: String? = emptySHA256Hex) -> SignableRequest {
        var headers: [(name: String, value: String)] = [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")]
        if let contentSHA256 { headers.append(("x-amz-content-sha256", contentSHA256)) }
        if let date { headers.append(("x-amz-date", date)) }
        if let authorization { headers.append(("Authorization", authorization)) }
        return SignableRequest(method: "GET", rawPath: "/test.txt", rawQuery: "", headers: headers)
    }

    @Test func acceptsTheExample() throws {
        let verified = try Self.verifier.verify(Self.getObject(), service: "s3", now: s3DocTime)
        #expect(verified.accessKey == "AKIAIOSFODNN7EXAMPLE")
        #expect(verified.signedHeaders == ["host", "range", "x-amz-content-sha256", "x-amz-date"])
        #expect(verified.signingKey == signingKey(secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", date: "20130524",
                                                  region: "us-east-1", service: "s3"))
        #expect(verified.makeChunkedDecoder() == nil)
    }

    /// Each front door verifies for its own service: a signature scoped to another is refused before anything else.
    @Test func credentialScopedToAnotherServiceIsRefused() {
        let signed = Self.signer.sign(Self.getObject(authorization: nil), date: s3DocTime, payloadHash: emptySHA256Hex).request
        #expect(verifyError(Self.verifier, signed, service: "kms", now: s3DocTime) == .wrongService(expected: "kms", scoped: "s3"))
        let presigned = Self.signer.presign(Self.getObject(authorization: nil), date: s3DocTime, expires: 60).request
        #expect(verifyError(Self.verifier, presigned, service: "kms", now: s3DocTime) == .wrongService(expected: "kms", scoped: "s3"))
        #expect(verifyError(Self.verifier, signed, service: "s3", now: s3DocTime) == nil)
    }

    @Test func missingOrForeignAuthentication() {
        #expect(verifyError(Self.verifier, Self.getObject(authorization: nil), now: s3DocTime) == .missingAuthentication)
        #expect(verifyError(Self.verifier, Self.getObject(authorization: " "), now: s3DocTime) == .missingAuthentication)
        #expect(verifyError(Self.verifier, Self.getObject(authorization: "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="),
                            now: s3DocTime) == .unsupportedAlgorithm("AWS"))
        #expect(verifyError(Self.verifier, Self.getObject(authorization: "AWS4-ECDSA-P256-SHA256 Credential=x"), now: s3DocTime)
            == .unsupportedAlgorithm("AWS4-ECDSA-P256-SHA256"))
        var v2 = Self.getObject(authorization: nil)
        v2.rawQuery = "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1141889120&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D"
        #expect(verifyError(Self.verifier, v2, now: s3DocTime) == .unsupportedAlgorithm("AWS"))
    }

    @Test func toleratesSpacingInTheAuthorizationHeader() throws {
        for variant in [Self.goodAuthorization.replacingOccurrences(of: ", ", with: ","),
                        Self.goodAuthorization.replacingOccurrences(of: ", ", with: " ,  "),
                        "  " + Self.goodAuthorization.replacingOccurrences(of: " Credential", with: "   Credential") + " "] {
            _ = try Self.verifier.verify(Self.getObject(authorization: variant), service: "s3", now: s3DocTime)
        }
    }

    @Test(arguments: [
        "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3, SignedHeaders=host, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws5_request, SignedHeaders=host, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/2013052/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524//s3/aws4_request, SignedHeaders=host, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=range;x-amz-date, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc, Signature=abc",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc, junk",
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130525/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc",
        "AWS4-HMAC-SHA256",
    ])
    func malformedAuthorizationHeaders(_ authorization: String) {
        let error = verifyError(Self.verifier, Self.getObject(authorization: authorization), now: s3DocTime)
        guard case .authorizationHeaderMalformed(let message) = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(!message.isEmpty && !message.hasPrefix("The authorization header is malformed"))
    }

    @Test func clockSkew() throws {
        for offset in [-900.0, 0, 900] {
            _ = try Self.verifier.verify(Self.getObject(), service: "s3", now: s3DocTime.addingTimeInterval(offset))
        }
        #expect(verifyError(Self.verifier, Self.getObject(), now: s3DocTime.addingTimeInterval(901))
            == .requestTimeTooSkewed(requestTime: "20130524T000000Z", serverTime: "2013-05-24T00:15:01Z"))
        #expect(verifyError(Self.verifier, Self.getObject(), now: s3DocTime.addingTimeInterval(-901))
            == .requestTimeTooSkewed(requestTime: "20130524T000000Z", serverTime: "2013-05-23T23:44:59Z"))
        let strict = SigV4Verifier(credentials: s3DocCredentials, maxClockSkewSeconds: 60)
        #expect(verifyError(strict, Self.getObject(), now: s3DocTime.addingTimeInterval(61))
            == .requestTimeTooSkewed(requestTime: "20130524T000000Z", serverTime: "2013-05-24T00:01:01Z"))
    }

    @Test func dates() throws {
        #expect(verifyError(Self.verifier, Self.getObject(date: nil), now: s3DocTime) == .missingDate)
        #expect(verifyError(Self.verifier, Self.getObject(date: "2013-05-24T00:00:00Z"), now: s3DocTime) == .missingDate)

        // Only a Date header: the string to sign still uses the ISO 8601 basic form (the S3 PUT example's date).
        let headers: [(name: String, value: String)] = [("Host", "examplebucket.s3.amazonaws.com"),
                                                        ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                                                        ("x-amz-content-sha256", emptySHA256Hex)]
        let names = ["date", "host", "x-amz-content-sha256"]
        let canonical = canonicalRequest(method: "GET", canonicalURI: "/k", canonicalQuery: "", headers: headers,
                                         signedHeaders: names, payloadHash: emptySHA256Hex)
        let key = signingKey(secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", date: "20130524", region: "eu-west-3", service: "s3")
        let sig = signature(signingKey: key, stringToSign: stringToSign(amzDate: "20130524T000000Z",
                                                                        scope: "20130524/eu-west-3/s3/aws4_request",
                                                                        canonicalRequest: canonical))
        let request = SignableRequest(method: "GET", rawPath: "/k", rawQuery: "", headers: headers + [("authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/eu-west-3/s3/aws4_request, "
            + "SignedHeaders=date;host;x-amz-content-sha256, Signature=" + sig)])
        let verified = try Self.verifier.verify(request, service: "s3", now: s3DocTime)
        #expect(verified.amzDate == "20130524T000000Z")
        #expect(verified.region == "eu-west-3")
        #expect(verified.requestDate == s3DocTime)
    }

    @Test func credentialsAndSignature() {
        let unknown = Self.goodAuthorization.replacingOccurrences(of: "AKIAIOSFODNN7EXAMPLE", with: "AKIAUNKNOWN")
        #expect(verifyError(Self.verifier, Self.getObject(authorization: unknown), now: s3DocTime) == .invalidAccessKeyId)

        let wrongSecret = SigV4Verifier(credentials: StaticCredentialProvider(["AKIAIOSFODNN7EXAMPLE": "other"]))
        #expect(verifyError(wrongSecret, Self.getObject(), now: s3DocTime) == .signatureDoesNotMatch(
            stringToSign: "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                + "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
            canonicalRequest: Self.getCanonicalRequest))

        var tampered = Self.getObject()
        tampered.setHeader("Range", "bytes=0-99")
        guard case .signatureDoesNotMatch(_, let canonical) = verifyError(Self.verifier, tampered, now: s3DocTime) else {
            Issue.record("tampered header accepted")
            return
        }
        #expect(canonical.contains("range:bytes=0-99\n"))

        // A signed header that is absent just fails to match.
        var missing = Self.getObject()
        missing.headers.removeAll { $0.name == "Range" }
        guard case .signatureDoesNotMatch = verifyError(Self.verifier, missing, now: s3DocTime) else {
            Issue.record("missing signed header accepted")
            return
        }
        // Upper-case hex in the signature is the same signature.
        let upper = Self.goodAuthorization.replacingOccurrences(of: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
                                                                with: "F0E8BDB87C964420E857BD35B5D6ED310BD44F0170ABA48DD91039C6036BDB41")
        #expect(verifyError(Self.verifier, Self.getObject(authorization: upper), now: s3DocTime) == nil)
    }

    @Test func contentSHA256() throws {
        #expect(verifyError(Self.verifier, Self.getObject(contentSHA256: nil), now: s3DocTime) == .missingContentSHA256)
        for bad in ["abc", String(emptySHA256Hex.dropLast()), "STREAMING-UNSIGNED-PAYLOAD", "unsigned-payload"] {
            #expect(verifyError(Self.verifier, Self.getObject(contentSHA256: bad), now: s3DocTime) == .invalidContentSHA256)
        }
        for (value, mode) in [("UNSIGNED-PAYLOAD", PayloadMode.unsigned),
                              ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", .streamingSigned),
                              ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", .streamingSignedTrailer),
                              ("STREAMING-UNSIGNED-PAYLOAD-TRAILER", .streamingUnsignedTrailer)] {
            let request = SignableRequest(method: "PUT", rawPath: "/b/k", rawQuery: "", headers: [("Host", "localhost:9000")])
            let signed = Self.signer.sign(request, date: s3DocTime, payloadHash: value)
            let verified = try Self.verifier.verify(signed.request, service: "s3", now: s3DocTime)
            #expect(verified.payload == mode)
            #expect((verified.makeChunkedDecoder() != nil) == mode.isStreaming)
        }
    }

    /// kms, dynamodb and sts clients may omit x-amz-content-sha256: the body hash comes from the caller.
    @Test func nonS3ServicesSignTheBodyHash() throws {
        let body = bytes("{\"KeyId\":\"alias/x\"}")
        let bodyHash = Digest.sha256(body).hexString
        let kms = SigV4Signer(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                              region: "eu-central-1", service: "kms")
        let request = SignableRequest(method: "POST", rawPath: "/", rawQuery: "", headers: [
            ("Host", "kms.eu-central-1.amazonaws.com"), ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "TrentService.Encrypt"),
        ])
        let signed = kms.sign(request, date: s3DocTime, payloadHash: bodyHash)
        #expect(signed.request.header("x-amz-content-sha256") == nil)
        let verified = try Self.verifier.verify(signed.request, service: "kms", now: s3DocTime, bodySHA256Hex: bodyHash)
        #expect(verified.service == "kms")
        #expect(verified.payload == .signed(sha256Hex: bodyHash))
        guard case .signatureDoesNotMatch = verifyError(Self.verifier, signed.request, service: "kms", now: s3DocTime,
                                                        bodySHA256Hex: Digest.sha256(bytes("{}")).hexString) else {
            Issue.record("a different body verified")
            return
        }
    }

    /// Clients disagree on escaping; the path as signed is found among the usual forms.
    @Test(arguments: [
        ("/b/a%2Fb", "/b/a%2Fb"),       // escaped slash, signed escaped
        ("/b/a%2Fb", "/b/a/b"),         // escaped slash, signed decoded
        ("/b/a+b", "/b/a+b"),           // literal '+', signed verbatim
        ("/b/a+b", "/b/a%2Bb"),         // literal '+', signed escaped
        ("/b/%e1%88%b4", "/b/%e1%88%b4"), // lower-case escapes signed verbatim
        ("/b/a%20b", "/b/a%20b"),
        ("/b//c/./../d", "/b//c/./../d"),
    ])
    func pathForms(rawPath: String, signedURI: String) throws {
        let headers: [(name: String, value: String)] = [("Host", "localhost"), ("x-amz-date", "20130524T000000Z"),
                                                        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]
        let names = ["host", "x-amz-content-sha256", "x-amz-date"]
        let canonical = canonicalRequest(method: "GET", canonicalURI: signedURI, canonicalQuery: "", headers: headers,
                                         signedHeaders: names, payloadHash: "UNSIGNED-PAYLOAD")
        let key = signingKey(secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", date: "20130524", region: "us-east-1", service: "s3")
        let sig = signature(signingKey: key, stringToSign: stringToSign(amzDate: "20130524T000000Z",
                                                                        scope: "20130524/us-east-1/s3/aws4_request",
                                                                        canonicalRequest: canonical))
        let request = SignableRequest(method: "GET", rawPath: rawPath, rawQuery: "", headers: headers + [("Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=" + sig)])
        _ = try Self.verifier.verify(request, service: "s3", now: s3DocTime)
    }

    @Test func allowAnyCredentials() throws {
        let lenient = SigV4Verifier(credentials: s3DocCredentials, allowAnyCredentials: true)
        // Unknown key, signature made with the key as its own secret: it verifies.
        let selfKeyed = SigV4Signer(accessKey: "test", secretKey: "test")
        let request = SignableRequest(method: "PUT", rawPath: "/b/k", rawQuery: "", headers: [("Host", "localhost")])
        let signed = selfKeyed.sign(request, date: s3DocTime, payloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        var verified = try lenient.verify(signed.request, service: "s3", now: s3DocTime)
        #expect(verified.signatureChecked)
        #expect(verified.accessKey == "test")
        #expect(verified.signingKey == signingKey(secret: "test", date: "20130524", region: "us-east-1", service: "s3"))

        // Unknown key with any other secret, and a known key with a wrong signature: accepted, unchecked.
        let other = SigV4Signer(accessKey: "test", secretKey: "other").sign(request, date: s3DocTime,
                                                                             payloadHash: "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        verified = try lenient.verify(other.request, service: "s3", now: s3DocTime)
        #expect(!verified.signatureChecked)
        #expect(verified.seedSignature == other.signature)
        let wrong = Self.goodAuthorization.replacingOccurrences(of: "f0e8bdb8", with: "00000000")
        verified = try lenient.verify(Self.getObject(authorization: wrong), service: "s3", now: s3DocTime)
        #expect(!verified.signatureChecked)
        #expect(verified.signingKey == signingKey(secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", date: "20130524",
                                                  region: "us-east-1", service: "s3"))
        // A chunked body signed from another seed decodes, without chunk-signature checks.
        let unchecked = try lenient.verify(other.request, service: "s3", now: s3DocTime)
        let body = AWSChunkedEncoder.encode([UInt8](repeating: 7, count: 10000), chunkSize: 9000, signing: other.chunkSigning)
        #expect(try decode(body, with: unchecked.makeChunkedDecoder()!) == [UInt8](repeating: 7, count: 10000))

        // Everything else is still enforced.
        #expect(verifyError(lenient, Self.getObject(authorization: "AWS4-HMAC-SHA256 Credential=x"), now: s3DocTime)
            == .authorizationHeaderMalformed("missing the SignedHeaders component."))
        #expect(verifyError(lenient, Self.getObject(), now: s3DocTime.addingTimeInterval(3600))
            == .requestTimeTooSkewed(requestTime: "20130524T000000Z", serverTime: "2013-05-24T01:00:00Z"))
        #expect(verifyError(lenient, Self.getObject(contentSHA256: nil), now: s3DocTime) == .missingContentSHA256)
        #expect(verifyError(lenient, Self.getObject(authorization: nil), now: s3DocTime) == .missingAuthentication)
    }
}

@Suite("Presigned URLs")
struct PresignedTests {
    static let verifier = SigV4Verifier(credentials: s3DocCredentials)
    static let signer = SigV4Signer(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let base = SignableRequest(method: "GET", rawPath: "/bucket/a%20key", rawQuery: "versionId=3&x-id=GetObject",
                                      headers: [("Host", "127.0.0.1:9000")])

    static func query(replacing name: String, with value: String?, in query: String) -> String {
        query.split(separator: "&").compactMap { item -> String? in
            guard item.hasPrefix(name + "=") else { return String(item) }
            return value.map { name + "=" + $0 }
        }.joined(separator: "&")
    }

    @Test func roundTrip() throws {
        let presigned = Self.signer.presign(Self.base, date: s3DocTime, expires: 600)
        let verified = try Self.verifier.verify(presigned.request, service: "s3", now: s3DocTime.addingTimeInterval(600))
        #expect(verified.isPresigned)
        #expect(verified.payload == .unsigned)
        #expect(verified.seedSignature == presigned.signature)
        #expect(verifyError(Self.verifier, presigned.request, now: s3DocTime.addingTimeInterval(601))
            == .expired(expiresAt: "2013-05-24T00:10:00Z", serverTime: "2013-05-24T00:10:01Z"))
        // Dated in the future: fine within the skew, "not valid yet" beyond it.
        _ = try Self.verifier.verify(presigned.request, service: "s3", now: s3DocTime.addingTimeInterval(-900))
        #expect(verifyError(Self.verifier, presigned.request, now: s3DocTime.addingTimeInterval(-901)) == .notYetValid)
        // Tampering with a parameter, the path or the method breaks the signature.
        var tampered = presigned.request
        tampered.rawQuery = tampered.rawQuery.replacingOccurrences(of: "versionId=3", with: "versionId=4")
        guard case .signatureDoesNotMatch = verifyError(Self.verifier, tampered, now: s3DocTime) else {
            Issue.record("tampered query accepted")
            return
        }
        tampered = presigned.request
        tampered.method = "DELETE"
        guard case .signatureDoesNotMatch = verifyError(Self.verifier, tampered, now: s3DocTime) else {
            Issue.record("tampered method accepted")
            return
        }
    }

    @Test func payloadHashFromHeader() throws {
        var request = Self.base
        request.headers.append(("x-amz-content-sha256", emptySHA256Hex))
        let presigned = Self.signer.presign(request, date: s3DocTime, expires: 60)
        // The signer used UNSIGNED-PAYLOAD, but the header, when present, is what must have been signed.
        guard case .signatureDoesNotMatch(_, let canonical) = verifyError(Self.verifier, presigned.request, now: s3DocTime) else {
            Issue.record("expected a mismatch")
            return
        }
        #expect(canonical.hasSuffix("\n" + emptySHA256Hex))
    }

    @Test func expiresLimits() throws {
        _ = try Self.verifier.verify(Self.signer.presign(Self.base, date: s3DocTime, expires: 604_800).request, service: "s3", now: s3DocTime)
        #expect(verifyError(Self.verifier, Self.signer.presign(Self.base, date: s3DocTime, expires: 604_801).request, now: s3DocTime)
            == .authorizationQueryParametersError("X-Amz-Expires must be less than a week (in seconds) that is 7 days"))
        #expect(verifyError(Self.verifier, Self.signer.presign(Self.base, date: s3DocTime, expires: -1).request, now: s3DocTime)
            == .authorizationQueryParametersError("X-Amz-Expires must be non-negative"))
        // Valid for no time at all: expired even within the second it was signed, as S3 answers it.
        guard case .expired = verifyError(Self.verifier, Self.signer.presign(Self.base, date: s3DocTime, expires: 0).request, now: s3DocTime) else {
            Issue.record("X-Amz-Expires=0 accepted")
            return
        }
        _ = try Self.verifier.verify(Self.signer.presign(Self.base, date: s3DocTime, expires: 1).request, service: "s3",
                                     now: s3DocTime.addingTimeInterval(1))
        let presigned = Self.signer.presign(Self.base, date: s3DocTime, expires: 60).request
        var request = presigned
        request.rawQuery = Self.query(replacing: "X-Amz-Expires", with: "soon", in: presigned.rawQuery)
        #expect(verifyError(Self.verifier, request, now: s3DocTime)
            == .authorizationQueryParametersError("X-Amz-Expires should be a number"))
    }

    @Test(arguments: ["X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"])
    func missingParameter(_ name: String) {
        var request = Self.signer.presign(Self.base, date: s3DocTime, expires: 60).request
        request.rawQuery = Self.query(replacing: name, with: nil, in: request.rawQuery)
        guard case .authorizationQueryParametersError(let message) = verifyError(Self.verifier, request, now: s3DocTime) else {
            Issue.record("expected AuthorizationQueryParametersError")
            return
        }
        #expect(message.hasPrefix("Query-string authentication version 4 requires"))
    }

    @Test(arguments: [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA1"),
        ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3"),
        ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE%2F20130523%2Fus-east-1%2Fs3%2Faws4_request"),
        ("X-Amz-Date", "2013-05-24T00%3A00%3A00Z"),
        ("X-Amz-SignedHeaders", "x-amz-date"),
    ])
    func badParameter(name: String, value: String) {
        var request = Self.signer.presign(Self.base, date: s3DocTime, expires: 60).request
        request.rawQuery = Self.query(replacing: name, with: value, in: request.rawQuery)
        guard case .authorizationQueryParametersError = verifyError(Self.verifier, request, now: s3DocTime) else {
            Issue.record("expected AuthorizationQueryParametersError")
            return
        }
    }

    @Test func unknownKeyAndBothMechanisms() {
        let other = SigV4Signer(accessKey: "AKIAOTHER", secretKey: "x").presign(Self.base, date: s3DocTime, expires: 60)
        #expect(verifyError(Self.verifier, other.request, now: s3DocTime) == .invalidAccessKeyId)

        var both = Self.signer.presign(Self.base, date: s3DocTime, expires: 60).request
        both.headers.append(("Authorization", VerifierTests.goodAuthorization))
        guard case .authorizationHeaderMalformed = verifyError(Self.verifier, both, now: s3DocTime) else {
            Issue.record("two auth mechanisms accepted")
            return
        }
    }
}
