import Foundation
import FrontDoors
import HTTPTypes
import LockstepCrypto
import SigV4

/// How a test request's body is covered by its signature.
public enum PayloadStyle: Sendable {
    /// `x-amz-content-sha256` is the body's hex SHA-256.
    case sha256
    /// A hex SHA-256 that is deliberately not the body's.
    case wrongSHA256
    case unsigned
    /// aws-chunked body with real chunk signatures.
    case streamingSigned(chunkSize: Int)
    /// aws-chunked body with real chunk signatures whose data is altered after signing (byte `tamperAt` flipped).
    case streamingSignedTampered(chunkSize: Int, tamperAt: Int)
    /// Unsigned aws-chunked body followed by trailers, announced in `x-amz-trailer`.
    case streamingUnsignedTrailer(chunkSize: Int, trailers: [(String, String)])
    /// aws-chunked body with chunk signatures and a signed trailer section.
    case streamingSignedTrailer(chunkSize: Int, trailers: [(String, String)])
}

/// How a test request is authenticated.
public enum AuthStyle: Sendable {
    case signed
    case anonymous
    /// Header auth with other credentials.
    case credentials(accessKey: String, secretKey: String)
    /// Header auth dated `offset` seconds away from the server clock.
    case skewed(seconds: Double)
    /// Presigned URL made `age` seconds ago, valid for `expires` seconds.
    case presigned(expires: Int, age: Double)
}

public let testAccessKey = "AK"
public let testSecretKey = "SK"
public let testHost = "localhost:9000"

/// Builds requests exactly as the AWS SDKs put them on the wire: SigV4 header or presigned auth, every payload mode,
/// aws-chunked framing with chunk and trailer signatures.
public struct RequestSigner: Sendable {
    public var accessKey: String
    public var secretKey: String

    public init(accessKey: String = testAccessKey, secretKey: String = testSecretKey) {
        self.accessKey = accessKey
        self.secretKey = secretKey
    }

    /// The request, signed at `date`, with its body delivered in pieces of `transferChunk` bytes.
    public func request(_ method: HTTPRequest.Method, _ path: String, query: String = "", headers: [(String, String)] = [],
                        body: [UInt8] = [], payload: PayloadStyle = .sha256, auth: AuthStyle = .signed, date: Date,
                        transferChunk: Int = 7_919, declaredLength: Int? = nil, host: String = testHost,
                        signingService: String = "s3") -> APIRequest {
        let (signable, wire) = sign(method, path, query: query, headers: headers, body: body, payload: payload, auth: auth, date: date,
                                    declaredLength: declaredLength, host: host, signingService: signingService)
        var fields = HTTPFields()
        for (name, value) in signable.headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        let target = signable.rawQuery.isEmpty ? signable.rawPath : signable.rawPath + "?" + signable.rawQuery
        return APIRequest(method: method, target: target, headers: fields, body: .bytes(wire, chunkSize: transferChunk))
    }

    /// The signed request line and headers, and the bytes to send as its body.
    public func sign(_ method: HTTPRequest.Method, _ path: String, query: String = "", headers: [(String, String)] = [],
                     body: [UInt8] = [], payload: PayloadStyle = .sha256, auth: AuthStyle = .signed, date: Date,
                     declaredLength: Int? = nil, host: String = testHost, signingService: String = "s3") -> (SignableRequest, [UInt8]) {
        var signable = SignableRequest(method: method.rawValue, rawPath: path, rawQuery: query, headers: [("Host", host)])
        for (name, value) in headers { signable.headers.append((name: name, value: value)) }
        var wire = body

        var accessKey = self.accessKey, secretKey = self.secretKey
        var date = date
        switch auth {
        case .credentials(let a, let s): accessKey = a; secretKey = s
        case .skewed(let seconds): date = date.addingTimeInterval(seconds)
        default: break
        }
        let signer = SigV4Signer(accessKey: accessKey, secretKey: secretKey, service: signingService)

        func setLength(_ n: Int) {
            // A chunked transfer carries no Content-Length.
            if signable.header("content-length") == nil && signable.header("transfer-encoding") == nil {
                signable.setHeader("Content-Length", String(declaredLength ?? n))
            }
        }
        // The encoded length does not depend on the signature values, so it is measured with a dummy context.
        let dummy = AWSChunkedDecoder.Signing.signed(signingKey: [UInt8](repeating: 0, count: 32), amzDate: "20250101T000000Z",
                                                     scope: "x", seedSignature: String(repeating: "0", count: 64))
        func announceChunked(trailers: [(String, String)]) {
            if signable.header("content-encoding") == nil { signable.setHeader("Content-Encoding", "aws-chunked") }
            signable.setHeader("x-amz-decoded-content-length", String(declaredLength ?? body.count))
            if !trailers.isEmpty, signable.header("x-amz-trailer") == nil {
                signable.setHeader("x-amz-trailer", trailers.map(\.0).joined(separator: ","))
            }
        }

        switch auth {
        case .anonymous:
            if !body.isEmpty || method == .put || method == .post { setLength(body.count) }
        case .presigned(let expires, let age):
            if !body.isEmpty || method == .put || method == .post { setLength(body.count) }
            signable = signer.presign(signable, date: date.addingTimeInterval(-age), expires: expires).request
        case .signed, .credentials, .skewed:
            switch payload {
            case .sha256, .wrongSHA256, .unsigned:
                if !body.isEmpty || method == .put || method == .post { setLength(body.count) }
                let hash: String
                switch payload {
                case .unsigned: hash = PayloadMode.unsignedPayload
                case .wrongSHA256: hash = Digest.sha256(body + [0]).hexString
                default: hash = Digest.sha256(body).hexString
                }
                signable = signer.sign(signable, date: date, payloadHash: hash).request
            case .streamingSigned(let chunkSize), .streamingSignedTampered(let chunkSize, _):
                announceChunked(trailers: [])
                signable.setHeader("Content-Length", String(AWSChunkedEncoder.encode(body, chunkSize: chunkSize, signing: dummy).count))
                let signed = signer.sign(signable, date: date, payloadHash: PayloadMode.streamingSignedPayload)
                signable = signed.request
                wire = AWSChunkedEncoder.encode(body, chunkSize: chunkSize, signing: signed.chunkSigning)
                if case .streamingSignedTampered(_, let at) = payload {
                    // Find the `at`-th payload byte in the encoded body: skip the first chunk header line.
                    let headerEnd = wire.firstIndex(of: 0x0A)! + 1
                    wire[headerEnd + at] ^= 0x01
                }
            case .streamingSignedTrailer(let chunkSize, let trailers):
                let named = trailers.map { (name: $0.0, value: $0.1) }
                announceChunked(trailers: trailers)
                let encodedLength = AWSChunkedEncoder.encode(body, chunkSize: chunkSize, signing: dummy, trailers: named).count
                signable.setHeader("Content-Length", String(encodedLength))
                let signed = signer.sign(signable, date: date, payloadHash: PayloadMode.streamingSignedTrailerPayload)
                signable = signed.request
                wire = AWSChunkedEncoder.encode(body, chunkSize: chunkSize, signing: signed.chunkSigning, trailers: named)
            case .streamingUnsignedTrailer(let chunkSize, let trailers):
                let named = trailers.map { (name: $0.0, value: $0.1) }
                wire = AWSChunkedEncoder.encode(body, chunkSize: chunkSize, signing: .unsigned, trailers: named)
                announceChunked(trailers: trailers)
                signable.setHeader("Content-Length", String(wire.count))
                signable = signer.sign(signable, date: date, payloadHash: PayloadMode.streamingUnsignedTrailerPayload).request
            }
        }
        return (signable, wire)
    }
}

/// Deterministic test data.
public func testBytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    var x = UInt32(seed) &* 2_654_435_761 | 1
    for i in 0..<count {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5
        out[i] = UInt8(truncatingIfNeeded: x)
    }
    return out
}
