#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LockstepCrypto

/// Signs requests the way AWS clients do (header auth and presigned URLs), to build raw signed requests for tests.
public struct SigV4Signer: Sendable {
    public var accessKey: String
    public var secretKey: String
    public var region: String
    public var service: String

    public init(accessKey: String, secretKey: String, region: String = "us-east-1", service: String = "s3") {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.region = region
        self.service = service
    }

    /// A signed request with the intermediate strings, for comparison with published vectors.
    public struct Signed: Sendable {
        public var request: SignableRequest
        public var canonicalRequest: String
        public var stringToSign: String
        public var signature: String
        public var signingKey: [UInt8]
        public var amzDate: String
        public var scope: String

        /// Signing context for an aws-chunked body that follows this request.
        public var chunkSigning: AWSChunkedDecoder.Signing {
            .signed(signingKey: signingKey, amzDate: amzDate, scope: scope, seedSignature: signature)
        }
    }

    /// Header authentication: sets X-Amz-Date (and, when `contentSHA256Header`, x-amz-content-sha256), then adds
    /// Authorization. `payloadHash` is a hex SHA-256 or one of the `PayloadMode` keywords. By default every header
    /// present is signed; the request must already carry Host.
    public func sign(_ request: SignableRequest, date: Date, payloadHash: String = emptySHA256Hex,
                     contentSHA256Header: Bool? = nil, signedHeaders: [String]? = nil) -> Signed {
        var request = request
        let amzDate = AmzDate.formatBasic(AmzDate.seconds(date))
        request.setHeader("X-Amz-Date", amzDate)
        if contentSHA256Header ?? (service == "s3") { request.setHeader("x-amz-content-sha256", payloadHash) }
        request.headers.removeAll { asciiCaseInsensitiveEquals($0.name, "authorization") }
        let names = Set((signedHeaders ?? request.headers.map(\.name)).map(asciiLowercased)).sorted()
        var signed = compute(request, amzDate: amzDate, signedHeaders: names,
                             canonicalQuery: canonicalQueryString(rawQuery: request.rawQuery), payloadHash: payloadHash)
        signed.request.headers.append((name: "Authorization", value: sigV4Algorithm + " Credential=" + accessKey + "/"
            + signed.scope + ", SignedHeaders=" + names.joined(separator: ";") + ", Signature=" + signed.signature))
        return signed
    }

    /// A presigned URL: appends the X-Amz-* parameters (and X-Amz-Signature) to the query. Only Host is signed
    /// unless `signedHeaders` says otherwise. The payload hash is UNSIGNED-PAYLOAD for S3, the empty body's hash
    /// for other services.
    public func presign(_ request: SignableRequest, date: Date, expires: Int, signedHeaders: [String] = ["host"]) -> Signed {
        var request = request
        let amzDate = AmzDate.formatBasic(AmzDate.seconds(date))
        let names = signedHeaders.map(asciiLowercased).sorted()
        let scope = credentialScope(date: String(amzDate.prefix(8)), region: region, service: service)
        let added = [
            ("X-Amz-Algorithm", sigV4Algorithm),
            ("X-Amz-Credential", accessKey + "/" + scope),
            ("X-Amz-Date", amzDate),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", names.joined(separator: ";")),
        ].map { sigV4URIEncode($0.0, encodeSlash: true) + "=" + sigV4URIEncode($0.1, encodeSlash: true) }
        request.rawQuery = ((request.rawQuery.isEmpty ? [] : [request.rawQuery]) + added).joined(separator: "&")
        let payloadHash = service == "s3" ? PayloadMode.unsignedPayload : emptySHA256Hex
        var signed = compute(request, amzDate: amzDate, signedHeaders: names,
                             canonicalQuery: canonicalQueryString(rawQuery: request.rawQuery), payloadHash: payloadHash)
        signed.request.rawQuery += "&X-Amz-Signature=" + signed.signature
        return signed
    }

    private func compute(_ request: SignableRequest, amzDate: String, signedHeaders: [String],
                         canonicalQuery: String, payloadHash: String) -> Signed {
        let day = String(amzDate.prefix(8))
        let scope = credentialScope(date: day, region: region, service: service)
        let key = SigV4.signingKey(secret: secretKey, date: day, region: region, service: service)
        let canonical = canonicalRequest(method: request.method, canonicalURI: canonicalURICandidates(rawPath: request.rawPath)[0],
                                         canonicalQuery: canonicalQuery, headers: request.headers,
                                         signedHeaders: signedHeaders, payloadHash: payloadHash)
        let toSign = stringToSign(amzDate: amzDate, scope: scope, canonicalRequest: canonical)
        return Signed(request: request, canonicalRequest: canonical, stringToSign: toSign,
                      signature: signature(signingKey: key, stringToSign: toSign), signingKey: key, amzDate: amzDate, scope: scope)
    }
}

/// Builds aws-chunked bodies, as SDKs send them for streaming uploads.
public enum AWSChunkedEncoder {
    /// Splits `payload` into chunks of `chunkSize` bytes (the last one shorter), then the 0-size chunk. With
    /// `trailers` (even empty) a trailer section follows, signed when `signing` is signed.
    public static func encode(_ payload: [UInt8], chunkSize: Int, signing: AWSChunkedDecoder.Signing,
                              trailers: [(name: String, value: String)]? = nil) -> [UInt8] {
        precondition(chunkSize > 0)
        var out = [UInt8]()
        var previous = ""
        if case .signed(_, _, _, let seed) = signing { previous = seed }

        func header(_ size: Int, _ data: ArraySlice<UInt8>) -> String {
            guard case .signed(let key, let amzDate, let scope, _) = signing else { return String(size, radix: 16) }
            previous = ChunkSigning.chunkSignature(signingKey: key, amzDate: amzDate, scope: scope, previousSignature: previous,
                                                   chunkSHA256Hex: Digest.sha256(data).hexString)
            return String(size, radix: 16) + ";chunk-signature=" + previous
        }

        var offset = 0
        while offset < payload.count {
            let data = payload[offset..<min(offset + chunkSize, payload.count)]
            out += Array((header(data.count, data) + "\r\n").utf8) + data + Array("\r\n".utf8)
            offset += data.count
        }
        out += Array((header(0, []) + "\r\n").utf8)
        if let trailers {
            for t in trailers { out += Array((t.name + ":" + t.value + "\r\n").utf8) }
            if case .signed(let key, let amzDate, let scope, _) = signing {
                let canonical = trailers.map { $0.name + ":" + $0.value + "\n" }.joined()
                let sig = ChunkSigning.trailerSignature(signingKey: key, amzDate: amzDate, scope: scope,
                                                        previousSignature: previous, canonicalTrailer: canonical)
                out += Array(("x-amz-trailer-signature:" + sig + "\r\n").utf8)
            }
        }
        out += Array("\r\n".utf8)
        return out
    }
}
