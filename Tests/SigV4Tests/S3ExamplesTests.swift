import Foundation
import LockstepCrypto
import Testing
@testable import SigV4

/// The worked examples of the Amazon S3 API reference ("Signature Calculations for the Authorization Header",
/// "Query string authentication", "sigv4-streaming" and "sigv4-streaming-trailers"): AKIAIOSFODNN7EXAMPLE,
/// bucket examplebucket, 20130524T000000Z, us-east-1.
@Suite("S3 documentation examples")
struct S3ExamplesTests {
    static let signer = SigV4Signer(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let verifier = SigV4Verifier(credentials: s3DocCredentials)
    static let bucketHost = "examplebucket.s3.amazonaws.com"
    static let putBodyHash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"  // "Welcome to Amazon S3."

    static func authorization(_ signedHeaders: String, _ signature: String) -> String {
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders="
            + signedHeaders + ", Signature=" + signature
    }

    struct HeaderExample: CustomTestStringConvertible, Sendable {
        var name: String
        var method: String
        var path: String
        var query: String
        var headers: [(name: String, value: String)]
        var signedHeaders: String
        var signature: String
        var testDescription: String { name }
    }

    static let headerExamples: [HeaderExample] = [
        HeaderExample(name: "GET object with Range", method: "GET", path: "/test.txt", query: "",
                      headers: [("Host", bucketHost), ("Range", "bytes=0-9"), ("x-amz-content-sha256", emptySHA256Hex),
                                ("x-amz-date", "20130524T000000Z")],
                      signedHeaders: "host;range;x-amz-content-sha256;x-amz-date",
                      signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
        HeaderExample(name: "PUT object", method: "PUT", path: "/test%24file.text", query: "",
                      headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("Host", bucketHost), ("x-amz-date", "20130524T000000Z"),
                                ("x-amz-storage-class", "REDUCED_REDUNDANCY"), ("x-amz-content-sha256", putBodyHash)],
                      signedHeaders: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                      signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
        HeaderExample(name: "GET bucket lifecycle", method: "GET", path: "/", query: "lifecycle",
                      headers: [("Host", bucketHost), ("x-amz-date", "20130524T000000Z"), ("x-amz-content-sha256", emptySHA256Hex)],
                      signedHeaders: "host;x-amz-content-sha256;x-amz-date",
                      signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        HeaderExample(name: "GET bucket (list objects)", method: "GET", path: "/", query: "max-keys=2&prefix=J",
                      headers: [("Host", bucketHost), ("x-amz-date", "20130524T000000Z"), ("x-amz-content-sha256", emptySHA256Hex)],
                      signedHeaders: "host;x-amz-content-sha256;x-amz-date",
                      signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ]

    @Test(arguments: headerExamples)
    func headerSignedExamples(_ e: HeaderExample) throws {
        let request = SignableRequest(method: e.method, rawPath: e.path, rawQuery: e.query,
                                      headers: e.headers + [("Authorization", Self.authorization(e.signedHeaders, e.signature))])
        let verified = try Self.verifier.verify(request, service: "s3", now: s3DocTime)
        #expect(verified.seedSignature == e.signature)
        #expect(verified.service == "s3")
        #expect(verified.amzDate == "20130524T000000Z")
        #expect(verified.signatureChecked)
        let hash = e.headers.first { $0.name == "x-amz-content-sha256" }!.value
        #expect(verified.payload == .signed(sha256Hex: hash))

        // The signer reproduces the published Authorization header.
        let unsigned = SignableRequest(method: e.method, rawPath: e.path, rawQuery: e.query, headers: e.headers)
        let signed = Self.signer.sign(unsigned, date: s3DocTime, payloadHash: hash)
        #expect(signed.request.header("authorization") == Self.authorization(e.signedHeaders, e.signature))
    }

    /// The intermediate strings of the GET object example.
    @Test func getObjectCanonicalRequest() {
        let request = SignableRequest(method: "GET", rawPath: "/test.txt", rawQuery: "", headers: [
            ("Host", Self.bucketHost), ("Range", "bytes=0-9"), ("x-amz-content-sha256", emptySHA256Hex),
        ])
        let signed = Self.signer.sign(request, date: s3DocTime)
        #expect(signed.canonicalRequest == """
            GET
            /test.txt

            host:examplebucket.s3.amazonaws.com
            range:bytes=0-9
            x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-amz-date:20130524T000000Z

            host;range;x-amz-content-sha256;x-amz-date
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(signed.stringToSign == """
            AWS4-HMAC-SHA256
            20130524T000000Z
            20130524/us-east-1/s3/aws4_request
            7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
            """)
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    static let presignedQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"

    @Test func presignedURL() throws {
        let request = SignableRequest(method: "GET", rawPath: "/test.txt", rawQuery: Self.presignedQuery,
                                      headers: [("Host", Self.bucketHost)])
        let verified = try Self.verifier.verify(request, service: "s3", now: s3DocTime.addingTimeInterval(3600))
        #expect(verified.isPresigned)
        #expect(verified.payload == .unsigned)
        #expect(verified.seedSignature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        // Valid through its last second, expired one second later.
        _ = try Self.verifier.verify(request, service: "s3", now: s3DocTime.addingTimeInterval(86400))
        #expect(verifyError(Self.verifier, request, now: s3DocTime.addingTimeInterval(86401))
            == .expired(expiresAt: "2013-05-25T00:00:00Z", serverTime: "2013-05-25T00:00:01Z"))

        let presigned = Self.signer.presign(SignableRequest(method: "GET", rawPath: "/test.txt", rawQuery: "",
                                                            headers: [("Host", Self.bucketHost)]),
                                            date: s3DocTime, expires: 86400)
        #expect(presigned.request.rawQuery == Self.presignedQuery)
        #expect(presigned.canonicalRequest == """
            GET
            /test.txt
            X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host
            host:examplebucket.s3.amazonaws.com

            host
            UNSIGNED-PAYLOAD
            """)
    }

    // MARK: Chunked upload (sigv4-streaming)

    static let chunkedSignatures = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ]

    /// 65536 and 1024 bytes of 'a', then the 0-size chunk, framed as in the docs.
    static func chunkedBody(_ signatures: [String], trailer: String? = nil) -> [UInt8] {
        var body = bytes("10000;chunk-signature=\(signatures[0])\r\n") + [UInt8](repeating: 0x61, count: 65536)
        body += bytes("\r\n400;chunk-signature=\(signatures[1])\r\n") + [UInt8](repeating: 0x61, count: 1024)
        body += bytes("\r\n0;chunk-signature=\(signatures[2])\r\n")
        body += bytes(trailer ?? "\r\n")
        return body
    }

    static let chunkedRequest = SignableRequest(method: "PUT", rawPath: "/examplebucket/chunkObject.txt", rawQuery: "", headers: [
        ("Host", "s3.amazonaws.com"), ("x-amz-date", "20130524T000000Z"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("Authorization", authorization("content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
            + "x-amz-decoded-content-length;x-amz-storage-class", "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"), ("Content-Length", "66824"),
    ])

    @Test func chunkedUpload() throws {
        let verified = try Self.verifier.verify(Self.chunkedRequest, service: "s3", now: s3DocTime)
        #expect(verified.payload == .streamingSigned)
        #expect(verified.seedSignature == "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9")
        let body = Self.chunkedBody(Self.chunkedSignatures)
        #expect(body.count == 66824)
        let decoder = try #require(verified.makeChunkedDecoder())
        let decoded = try decode(body, with: decoder, pieces: [1000, 7, 65536])
        #expect(decoded == [UInt8](repeating: 0x61, count: 66560))
        #expect(decoder.decodedLength == 66560)
        #expect(decoder.trailers.isEmpty)

        // The encoder produces the same bytes from the same seed.
        #expect(AWSChunkedEncoder.encode([UInt8](repeating: 0x61, count: 66560), chunkSize: 65536,
                                         signing: .signed(signingKey: verified.signingKey, amzDate: verified.amzDate,
                                                          scope: verified.scope, seedSignature: verified.seedSignature)) == body)
    }

    @Test func chunkedUploadRejectsAlteredChunk() throws {
        let verified = try Self.verifier.verify(Self.chunkedRequest, service: "s3", now: s3DocTime)
        var body = Self.chunkedBody(Self.chunkedSignatures)
        body[90 + 40000] = 0x62
        #expect(decodeError(body, with: verified.makeChunkedDecoder()!) == .chunkSignatureMismatch)
        // Swapping the last two signatures breaks the chain.
        let swapped = Self.chunkedBody([Self.chunkedSignatures[0], Self.chunkedSignatures[2], Self.chunkedSignatures[1]])
        #expect(decodeError(swapped, with: verified.makeChunkedDecoder()!) == .chunkSignatureMismatch)
    }

    // MARK: Chunked upload with a trailer (sigv4-streaming-trailers)

    static let trailerRequest = SignableRequest(method: "PUT", rawPath: "/examplebucket/chunkObject.txt", rawQuery: "", headers: [
        ("Host", "s3.amazonaws.com"), ("x-amz-date", "20130524T000000Z"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("Authorization", authorization("content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;"
            + "x-amz-storage-class;x-amz-trailer", "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e")),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"), ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"), ("x-amz-trailer", "x-amz-checksum-crc32c"),
    ])

    static let trailerSignatures = [
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    ]
    static let trailerSection = "x-amz-checksum-crc32c:sOO8/Q==\r\n"
        + "x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"

    @Test(arguments: ["\r\n", ""])
    func chunkedUploadWithTrailer(closing: String) throws {
        let verified = try Self.verifier.verify(Self.trailerRequest, service: "s3", now: s3DocTime)
        #expect(verified.payload == .streamingSignedTrailer)
        // The published trailer omits the closing empty line; both forms are accepted.
        let body = Self.chunkedBody(Self.trailerSignatures, trailer: Self.trailerSection + closing)
        let decoder = try #require(verified.makeChunkedDecoder())
        let decoded = try decode(body, with: decoder, pieces: [4096])
        #expect(decoded.count == 66560)
        #expect(decoder.trailers.map(\.name) == ["x-amz-checksum-crc32c"])
        #expect(decoder.trailers.map(\.value) == ["sOO8/Q=="])
        // The trailer's checksum is the CRC-32C of the payload.
        #expect(ChecksumComputer.base64(.crc32c, decoded) == "sOO8/Q==")

        let encoded = AWSChunkedEncoder.encode(decoded, chunkSize: 65536, signing: .signed(
            signingKey: verified.signingKey, amzDate: verified.amzDate, scope: verified.scope, seedSignature: verified.seedSignature),
            trailers: [("x-amz-checksum-crc32c", "sOO8/Q==")])
        #expect(encoded == Self.chunkedBody(Self.trailerSignatures, trailer: Self.trailerSection + "\r\n"))
    }

    @Test func trailerWithAlteredChecksumIsRejected() throws {
        let verified = try Self.verifier.verify(Self.trailerRequest, service: "s3", now: s3DocTime)
        let forged = Self.trailerSection.replacingOccurrences(of: "sOO8/Q==", with: "AAAAAA==")
        let body = Self.chunkedBody(Self.trailerSignatures, trailer: forged + "\r\n")
        #expect(decodeError(body, with: verified.makeChunkedDecoder()!) == .trailerSignatureMismatch)
    }
}
