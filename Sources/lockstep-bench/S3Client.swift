import Foundation
import LockstepCrypto
import NIOCore
import NIOHTTP1
import SigV4

/// What every worker's client shares: where to connect and how to sign.
struct ClientConfiguration: Sendable {
    var endpoint: Endpoint
    var signer: SigV4Signer
    /// `x-amz-content-sha256: UNSIGNED-PAYLOAD` instead of the body's SHA-256 (s3bench's -payload unsigned).
    var unsignedPayload: Bool
    var timeout: TimeAmount
}

enum RequestBody {
    case none
    /// A body in memory; its SHA-256 is computed when not given (and the payload is signed).
    case bytes(ByteBuffer, sha256Hex: String? = nil)
    /// A generated body of `length` bytes; `makeSource` starts it from the beginning.
    case stream(length: Int64, sha256Hex: String?, makeSource: () -> BodySource)
}

struct S3Request {
    var method: String
    var bucket = ""
    var key = ""
    /// Decoded names and values; an empty value goes on the wire as a bare name (`?versioning`), as the AWS CLI sends it.
    var query: [(String, String)] = []
    var headers: [(String, String)] = []
    var body: RequestBody = .none
    /// Takes a 2xx body as it arrives instead of it being collected.
    var sink: ResponseSink?
    var timeout: TimeAmount?

    init(_ method: String, bucket: String = "", key: String = "", query: [(String, String)] = [],
         headers: [(String, String)] = [], body: RequestBody = .none) {
        self.method = method
        self.bucket = bucket
        self.key = key
        self.query = query
        self.headers = headers
        self.body = body
    }
}

struct S3Response: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer
    var bodyBytes: Int64
    /// From just before the request was written to the end of the answer.
    var nanoseconds: UInt64

    func header(_ name: String) -> String? { headers.first(name: name) }

    var bodyString: String { String(buffer: body) }

    func bodyText(limit: Int) -> String {
        let text = bodyString.trimmingCharacters(in: .whitespacesAndNewlines)
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }

    func bodyContains(_ needle: String) -> Bool { ByteScan.contains(body, needle) }
}

/// Signs and sends S3 requests over one keep-alive connection, reconnecting when the server closed it. One per worker:
/// requests are sequential, as on one connection of a pool.
final class S3Client {
    let configuration: ClientConfiguration
    private var connection: HTTPConnection?

    /// Headers never signed, as in the AWS SDKs (and s3bench); every other header is.
    private static let unsignedHeaderNames: Set<String> = [
        "authorization", "user-agent", "expect", "transfer-encoding", "connection", "accept-encoding", "x-amzn-trace-id",
    ]

    init(_ configuration: ClientConfiguration) {
        self.configuration = configuration
    }

    deinit { connection?.close() }

    func close() {
        connection?.close()
        connection = nil
    }

    func send(_ request: S3Request) async -> Result<S3Response, Error> {
        do {
            return .success(try await perform(request))
        } catch {
            close()
            return .failure(error)
        }
    }

    private func perform(_ request: S3Request) async throws -> S3Response {
        var path = "/"
        if !request.bucket.isEmpty {
            path += sigV4URIEncode(request.bucket, encodeSlash: false)
            if !request.key.isEmpty { path += "/" + sigV4URIEncode(request.key, encodeSlash: false) }
        }
        let rawQuery = S3Client.wireQuery(request.query)

        let length: Int64
        let outgoing: OutgoingBody
        let signsBody = !configuration.unsignedPayload
        var payloadHash = signsBody ? emptySHA256Hex : PayloadMode.unsignedPayload
        switch request.body {
        case .none:
            length = 0
            outgoing = .none
        case .bytes(let buffer, let hash):
            length = Int64(buffer.readableBytes)
            outgoing = .bytes(buffer)
            if signsBody && length > 0 { payloadHash = hash ?? Digest.sha256(buffer.readableBytesView).hexString }
        case .stream(let size, let hash, let makeSource):
            length = size
            outgoing = .stream(makeSource())
            if signsBody && length > 0 { payloadHash = hash ?? S3Client.sha256(of: makeSource()) }
        }

        var signable = SignableRequest(method: request.method, rawPath: path, rawQuery: rawQuery,
                                       headers: [("Host", configuration.endpoint.authority)])
        if length > 0 { signable.headers.append(("Content-Length", String(length))) }
        var unsignedHeaders: [(String, String)] = [("User-Agent", "lockstep-bench/1.0")]
        for (name, value) in request.headers {
            if S3Client.unsignedHeaderNames.contains(name.lowercased()) {
                unsignedHeaders.append((name, value))
            } else {
                signable.headers.append((name, value))
            }
        }
        if length == 0 && (request.method == "PUT" || request.method == "POST") { unsignedHeaders.append(("Content-Length", "0")) }
        let signed = configuration.signer.sign(signable, date: Date(), payloadHash: payloadHash)

        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method),
                                   uri: rawQuery.isEmpty ? path : path + "?" + rawQuery)
        for (name, value) in signed.request.headers { head.headers.add(name: name, value: value) }
        for (name, value) in unsignedHeaders { head.headers.add(name: name, value: value) }

        let conn = try await liveConnection()
        let start = Monotonic.now()
        let raw = try await conn.execute(head, body: outgoing, sink: request.sink, timeout: request.timeout ?? configuration.timeout)
        let elapsed = Monotonic.now() &- start
        if !raw.reusable { close() }
        return S3Response(status: raw.status, headers: raw.headers, body: raw.body, bodyBytes: raw.bodyBytes, nanoseconds: elapsed)
    }

    private func liveConnection() async throws -> HTTPConnection {
        if let connection, connection.isActive { return connection }
        connection?.close()
        connection = nil
        let fresh = try await HTTPConnection.connect(host: configuration.endpoint.host, port: configuration.endpoint.port)
        connection = fresh
        return fresh
    }

    /// Sorted by encoded name then value (the canonical order), empty values as bare names.
    static func wireQuery(_ query: [(String, String)]) -> String {
        query.map { (sigV4URIEncode($0.0, encodeSlash: true), sigV4URIEncode($0.1, encodeSlash: true)) }
            .sorted { a, b in a.0 != b.0 ? a.0.utf8.lexicographicallyPrecedes(b.0.utf8) : a.1.utf8.lexicographicallyPrecedes(b.1.utf8) }
            .map { $0.1.isEmpty ? $0.0 : $0.0 + "=" + $0.1 }
            .joined(separator: "&")
    }

    static func sha256(of source: BodySource) -> String {
        let digest = Digest(.sha256)
        let allocator = ByteBufferAllocator()
        while let chunk = source.nextChunk(allocator: allocator) {
            chunk.withUnsafeReadableBytes { digest.update($0) }
        }
        return digest.finalize().hexString
    }
}

extension Result where Success == S3Response {
    /// The request's duration (0 when it failed).
    var nanoseconds: UInt64 {
        if case .success(let r) = self { return r.nanoseconds }
        return 0
    }
}
