import Foundation
import HTTPTypes
import KeyService
import LockstepCrypto
import LockstepXML
import NIOCore
import S3API
import SigV4
import Store
import Testing

// MARK: - Clock

/// A store clock the tests move by hand; every signature is made at its current time.
final class ManualClock: StoreClock, @unchecked Sendable {
    private let lock = NSLock()
    private var millis: Int64

    /// 2025-03-01T12:00:00.250Z: a fixed start with a sub-second part, so second truncation matters.
    static let start: Int64 = 1_740_830_400_250

    init(millis: Int64 = ManualClock.start) { self.millis = millis }

    func nowMillis() -> Int64 {
        lock.lock(); defer { lock.unlock() }
        return millis
    }

    func advance(seconds: Double) {
        lock.lock(); defer { lock.unlock() }
        millis += Int64(seconds * 1000)
    }

    var date: Date { Date(timeIntervalSince1970: Double(nowMillis()) / 1000) }
}

// MARK: - Response body collection

/// Collects a streamed response body.
final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [UInt8] = []

    func write(_ buffer: ByteBuffer) async throws { append(buffer) }

    private func append(_ buffer: ByteBuffer) {
        lock.lock(); defer { lock.unlock() }
        storage += buffer.readableBytesView
    }

    var bytes: [UInt8] {
        lock.lock(); defer { lock.unlock() }
        return storage
    }
}

// MARK: - Replies

struct Reply {
    let status: Int
    let headers: HTTPFields
    let body: [UInt8]
    /// Declared length of a streamed body (nil for fixed bodies).
    let streamLength: Int64?

    func header(_ name: String) -> String? {
        guard let field = HTTPField.Name(name) else { return nil }
        return headers[field]
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as XML, or nil.
    var xml: XMLNode? { body.isEmpty ? nil : try? XMLParser.parse(body) }

    /// `<Error><Code>` of an error document.
    var errorCode: String? {
        guard let root = xml, root.name == "Error" else { return nil }
        return root.value("Code")
    }

    /// Text of a direct child of the error document.
    func errorField(_ name: String) -> String? {
        guard let root = xml, root.name == "Error" else { return nil }
        return root.value(name)
    }
}

extension XMLNode {
    /// Descends through direct children by name.
    func at(_ names: String...) -> XMLNode? {
        var node: XMLNode? = self
        for name in names { node = node?.child(name) }
        return node
    }

    /// Texts of `<name>` children of every `<group>` child (e.g. all Contents/Key).
    func texts(_ group: String, _ name: String) -> [String] {
        all(group).compactMap { $0.value(name) }
    }
}

// MARK: - Request styles

enum PayloadStyle {
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

enum AuthStyle {
    case signed
    case anonymous
    /// Header auth with other credentials.
    case credentials(accessKey: String, secretKey: String)
    /// Header auth dated `offset` seconds away from the server clock.
    case skewed(seconds: Double)
    /// Presigned URL made `age` seconds ago, valid for `expires` seconds.
    case presigned(expires: Int, age: Double)
}

// MARK: - Server under test

let testAccessKey = "AK"
let testSecretKey = "SK"
let testHost = "localhost:9000"

/// One fresh store and service per test, in a temp directory removed afterwards.
final class S3TestServer: @unchecked Sendable {
    let directory: String
    let clock: ManualClock
    let store: ObjectStore
    let keyring: Keyring
    let service: S3Service

    init(region: String = "us-east-1") throws {
        directory = NSTemporaryDirectory() + "lockstep-s3tests-" + UUID().uuidString
        clock = ManualClock()
        store = try ObjectStore(dataDirectory: directory, clock: clock)
        let clock = self.clock
        keyring = try Keyring(dataDirectory: directory, rootKey: RootKey(bytes: secureRandomBytes(32), source: .environment),
                              now: { clock.nowMillis() })
        service = S3Service(store: store, keyring: keyring,
                            configuration: S3ServiceConfiguration(region: region, credentials: [testAccessKey: testSecretKey]))
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// `/bucket/key` with the key encoded as AWS clients encode it (`/` kept).
    static func path(_ bucket: String, _ key: String? = nil) -> String {
        guard let key else { return "/" + bucket }
        return "/" + bucket + "/" + sigV4URIEncode(key, encodeSlash: false)
    }

    /// Sends one request through `S3Service.handle` and collects the whole response.
    func send(_ method: HTTPRequest.Method, _ path: String, query: String = "", headers: [(String, String)] = [],
              body: [UInt8] = [], payload: PayloadStyle = .sha256, auth: AuthStyle = .signed,
              transferChunk: Int = 7_919, declaredLength: Int? = nil, host: String = testHost,
              signingService: String = "s3") async -> Reply {
        var signable = SignableRequest(method: method.rawValue, rawPath: path, rawQuery: query, headers: [("Host", host)])
        for (name, value) in headers { signable.headers.append((name: name, value: value)) }
        var wire = body

        var accessKey = testAccessKey, secretKey = testSecretKey
        var date = clock.date
        switch auth {
        case .credentials(let a, let s): accessKey = a; secretKey = s
        case .skewed(let seconds): date = date.addingTimeInterval(seconds)
        default: break
        }
        let signer = SigV4Signer(accessKey: accessKey, secretKey: secretKey, service: signingService)

        func setLength(_ n: Int) {
            if signable.header("content-length") == nil { signable.setHeader("Content-Length", String(declaredLength ?? n)) }
        }

        switch auth {
        case .anonymous:
            if !body.isEmpty || method == .put || method == .post { setLength(body.count) }
        case .presigned(let expires, let age):
            if !body.isEmpty || method == .put || method == .post { setLength(body.count) }
            let signed = signer.presign(signable, date: date.addingTimeInterval(-age), expires: expires)
            signable = signed.request
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
                // The encoded length does not depend on the signature values, so measure it with a dummy context.
                let dummy = AWSChunkedDecoder.Signing.signed(signingKey: [UInt8](repeating: 0, count: 32), amzDate: "20250101T000000Z",
                                                             scope: "x", seedSignature: String(repeating: "0", count: 64))
                let encodedLength = AWSChunkedEncoder.encode(body, chunkSize: chunkSize, signing: dummy).count
                if signable.header("content-encoding") == nil { signable.setHeader("Content-Encoding", "aws-chunked") }
                signable.setHeader("x-amz-decoded-content-length", String(declaredLength ?? body.count))
                signable.setHeader("Content-Length", String(encodedLength))
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
                let dummy = AWSChunkedDecoder.Signing.signed(signingKey: [UInt8](repeating: 0, count: 32), amzDate: "20250101T000000Z",
                                                             scope: "x", seedSignature: String(repeating: "0", count: 64))
                let encodedLength = AWSChunkedEncoder.encode(body, chunkSize: chunkSize, signing: dummy, trailers: named).count
                if signable.header("content-encoding") == nil { signable.setHeader("Content-Encoding", "aws-chunked") }
                signable.setHeader("x-amz-decoded-content-length", String(declaredLength ?? body.count))
                if signable.header("x-amz-trailer") == nil {
                    signable.setHeader("x-amz-trailer", trailers.map(\.0).joined(separator: ","))
                }
                signable.setHeader("Content-Length", String(encodedLength))
                let signed = signer.sign(signable, date: date, payloadHash: PayloadMode.streamingSignedTrailerPayload)
                signable = signed.request
                wire = AWSChunkedEncoder.encode(body, chunkSize: chunkSize, signing: signed.chunkSigning, trailers: named)
            case .streamingUnsignedTrailer(let chunkSize, let trailers):
                let named = trailers.map { (name: $0.0, value: $0.1) }
                wire = AWSChunkedEncoder.encode(body, chunkSize: chunkSize, signing: .unsigned, trailers: named)
                if signable.header("content-encoding") == nil { signable.setHeader("Content-Encoding", "aws-chunked") }
                signable.setHeader("x-amz-decoded-content-length", String(declaredLength ?? body.count))
                if signable.header("x-amz-trailer") == nil {
                    signable.setHeader("x-amz-trailer", trailers.map(\.0).joined(separator: ","))
                }
                signable.setHeader("Content-Length", String(wire.count))
                signable = signer.sign(signable, date: date, payloadHash: PayloadMode.streamingUnsignedTrailerPayload).request
            }
        }

        var fields = HTTPFields()
        for (name, value) in signable.headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        let target = signable.rawQuery.isEmpty ? signable.rawPath : signable.rawPath + "?" + signable.rawQuery
        let request = S3Request(method: method, target: target, headers: fields, body: .bytes(wire, chunkSize: transferChunk))
        let response = await service.handle(request)
        return await collect(response)
    }

    func collect(_ response: S3Response) async -> Reply {
        switch response.body {
        case .empty:
            return Reply(status: response.status.code, headers: response.headers, body: [], streamLength: nil)
        case .bytes(let buffer):
            return Reply(status: response.status.code, headers: response.headers, body: Array(buffer.readableBytesView), streamLength: nil)
        case .stream(let length, let produce):
            let collector = BodyCollector()
            do {
                try await produce(collector)
            } catch {
                Issue.record("streaming the response body failed: \(error)")
            }
            return Reply(status: response.status.code, headers: response.headers, body: collector.bytes, streamLength: length)
        }
    }

    // MARK: Conveniences

    @discardableResult
    func createBucket(_ name: String, body: [UInt8] = []) async -> Reply {
        let reply = await send(.put, Self.path(name), body: body)
        #expect(reply.status == 200, "CreateBucket \(name): \(reply.status) \(reply.text)")
        return reply
    }

    @discardableResult
    func put(_ bucket: String, _ key: String, _ body: [UInt8], headers: [(String, String)] = [], query: String = "",
             payload: PayloadStyle = .sha256) async -> Reply {
        await send(.put, Self.path(bucket, key), query: query, headers: headers, body: body, payload: payload)
    }

    func get(_ bucket: String, _ key: String, query: String = "", headers: [(String, String)] = []) async -> Reply {
        await send(.get, Self.path(bucket, key), query: query, headers: headers)
    }

    func head(_ bucket: String, _ key: String, query: String = "", headers: [(String, String)] = []) async -> Reply {
        await send(.head, Self.path(bucket, key), query: query, headers: headers)
    }

    func delete(_ bucket: String, _ key: String, query: String = "") async -> Reply {
        await send(.delete, Self.path(bucket, key), query: query)
    }

    func setVersioning(_ bucket: String, _ status: String) async {
        let body = Array("<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>\(status)</Status></VersioningConfiguration>".utf8)
        let reply = await send(.put, Self.path(bucket), query: "versioning", body: body)
        #expect(reply.status == 200, "PutBucketVersioning: \(reply.status) \(reply.text)")
    }

    /// ListObjectsV2 with the given raw query additions.
    func listV2(_ bucket: String, _ query: String = "") async -> Reply {
        await send(.get, Self.path(bucket), query: "list-type=2" + (query.isEmpty ? "" : "&" + query))
    }
}

// MARK: - Helpers

/// Deterministic test data.
func testBytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    var x = UInt32(seed) &* 2_654_435_761 | 1
    for i in 0..<count {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5
        out[i] = UInt8(truncatingIfNeeded: x)
    }
    return out
}

func md5Hex(_ bytes: [UInt8]) -> String { Digest.md5(bytes).hexString }
func md5Base64(_ bytes: [UInt8]) -> String { Base64.encode(Digest.md5(bytes)) }
func quoted(_ s: String) -> String { "\"" + s + "\"" }

/// Query-string encoding of one value (AWS rules).
func q(_ s: String) -> String { sigV4URIEncode(s, encodeSlash: true) }

/// Decodes an `encoding-type=url` value, accepting `+` or `%20` for a space as clients do (unquote_plus).
func formDecode(_ s: String) -> String {
    let bytes = Array(s.utf8)
    var out: [UInt8] = []
    var i = 0
    func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
    while i < bytes.count {
        if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let hi = hex(bytes[i + 1]), let lo = hex(bytes[i + 2]) {
            out.append(hi << 4 | lo); i += 3
        } else if bytes[i] == UInt8(ascii: "+") {
            out.append(0x20); i += 1
        } else {
            out.append(bytes[i]); i += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// Checks the parts every S3 error response must have.
func expectWellFormedError(_ reply: Reply, code: String, status: Int, resource: String? = nil,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(reply.status == status, "status \(reply.status), body \(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.errorCode == code, "body \(reply.text)", sourceLocation: sourceLocation)
    let requestId = reply.header("x-amz-request-id")
    #expect(requestId != nil && !requestId!.isEmpty, sourceLocation: sourceLocation)
    #expect(reply.header("x-amz-id-2") != nil, sourceLocation: sourceLocation)
    #expect(reply.header("Content-Type") == "application/xml", sourceLocation: sourceLocation)
    guard let root = reply.xml else {
        Issue.record("error body is not XML: \(reply.text)", sourceLocation: sourceLocation)
        return
    }
    #expect(root.name == "Error", sourceLocation: sourceLocation)
    for element in ["Code", "Message", "Resource", "RequestId", "HostId"] {
        #expect(root.child(element) != nil, "missing <\(element)> in \(reply.text)", sourceLocation: sourceLocation)
    }
    #expect(!(root.value("Message") ?? "").isEmpty, sourceLocation: sourceLocation)
    #expect(root.value("RequestId") == requestId, sourceLocation: sourceLocation)
    #expect(root.value("HostId") == reply.header("x-amz-id-2"), sourceLocation: sourceLocation)
    if let resource { #expect(root.value("Resource") == resource, sourceLocation: sourceLocation) }
}

/// An HTTP date `seconds` away from `millis`, at whole-second precision.
func httpDate(millis: Int64, offsetSeconds: Int64 = 0) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return formatter.string(from: Date(timeIntervalSince1970: Double(millis / 1000 + offsetSeconds)))
}
