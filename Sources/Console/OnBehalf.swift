import FrontDoors
import HTTPTypes
import NIOCore
import S3API

/// An S3 answer collected whole.
struct CollectedResponse: Sendable {
    let status: Int
    let headers: HTTPFields
    let body: [UInt8]
    /// The body was larger than the reader's limit and is not here.
    var tooLarge = false

    func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
}

/// Collects a streamed response body up to `limit` bytes (the console reads small objects: states and locks); past it
/// the transfer stops, so no object can make a page hold more than that.
final class CollectingWriter: ResponseBodyWriter, @unchecked Sendable {
    // Unchecked: one response body is written by one task, in order.
    var bytes: [UInt8] = []
    var truncated = false
    let limit: Int
    init(limit: Int) { self.limit = limit }

    struct TooLarge: Error {}

    func write(_ buffer: ByteBuffer) async throws {
        guard bytes.count + buffer.readableBytes <= limit else {
            truncated = true
            throw TooLarge()
        }
        bytes += buffer.readableBytesView
    }
}

extension S3Service {
    /// An S3 request made for a signed-in console user: authorized, logged and answered as if that user had signed it.
    func request(_ method: HTTPRequest.Method, _ target: String, as identity: Identity, remoteAddress: String?,
                 headers: [(String, String)] = [], body: [UInt8] = [], limit: Int = 8 << 20) async -> CollectedResponse {
        var fields = HTTPFields()
        for (name, value) in headers { if let field = HTTPField.Name(name) { fields[field] = value } }
        if !body.isEmpty { fields[.contentLength] = String(body.count) }
        let request = APIRequest(method: method, target: target, headers: fields, body: body.isEmpty ? .empty : .bytes(body),
                                 remoteAddress: remoteAddress)
        let response = await handle(request, onBehalfOf: identity)
        var collected: [UInt8] = []
        var tooLarge = false
        switch response.body {
        case .empty:
            break
        case .bytes(let buffer):
            tooLarge = buffer.readableBytes > limit
            if !tooLarge { collected = Array(buffer.readableBytesView) }
        case .stream(let length, let produce):
            if length > limit {
                tooLarge = true
            } else {
                let writer = CollectingWriter(limit: limit)
                try? await produce(writer)
                (collected, tooLarge) = (writer.truncated ? [] : writer.bytes, writer.truncated)
            }
        }
        return CollectedResponse(status: Int(response.status.code), headers: response.headers, body: collected, tooLarge: tooLarge)
    }
}

extension ConsoleFrontDoor {
    /// Whether the signed-in user may make this S3 request (see `S3Service.permits`).
    func permits(_ session: ConsoleSession, _ method: HTTPRequest.Method, _ target: String) async -> Bool {
        await s3.permits(session.identity, method, target, remoteAddress: session.remoteAddress)
    }

    /// An S3 request as the signed-in user, from their address.
    func request(_ method: HTTPRequest.Method, _ target: String, session: ConsoleSession, headers: [(String, String)] = [],
                 limit: Int = 8 << 20) async -> CollectedResponse {
        await s3.request(method, target, as: session.identity, remoteAddress: session.remoteAddress, headers: headers, limit: limit)
    }
}

/// A key or bucket as it appears in an S3 request path.
func s3Path(_ bucket: String, _ key: String? = nil) -> String {
    "/" + HTML.urlComponent(bucket) + (key.map { "/" + HTML.keyPath($0) } ?? "")
}
