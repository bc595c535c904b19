import FrontDoors
import HTTPTypes
import NIOCore
import S3API

/// An S3 answer collected whole.
struct CollectedResponse: Sendable {
    let status: Int
    let headers: HTTPFields
    let body: [UInt8]

    func header(_ name: String) -> String? { HTTPField.Name(name).flatMap { headers[$0] } }
}

/// Collects a streamed response body (the console reads small objects: states and locks).
final class CollectingWriter: ResponseBodyWriter, @unchecked Sendable {
    // Unchecked: one response body is written by one task, in order.
    var bytes: [UInt8] = []
    func write(_ buffer: ByteBuffer) async throws { bytes += buffer.readableBytesView }
}

extension S3Service {
    /// An S3 request made for a signed-in console user: authorized, logged and answered as if that user had signed it.
    func request(_ method: HTTPRequest.Method, _ target: String, as identity: Identity, headers: [(String, String)] = [],
                 body: [UInt8] = []) async -> CollectedResponse {
        var fields = HTTPFields()
        for (name, value) in headers { if let field = HTTPField.Name(name) { fields[field] = value } }
        if !body.isEmpty { fields[.contentLength] = String(body.count) }
        let request = APIRequest(method: method, target: target, headers: fields, body: body.isEmpty ? .empty : .bytes(body))
        let response = await handle(request, onBehalfOf: identity)
        var collected: [UInt8] = []
        switch response.body {
        case .empty:
            break
        case .bytes(let buffer):
            collected = Array(buffer.readableBytesView)
        case .stream(_, let produce):
            let writer = CollectingWriter()
            try? await produce(writer)
            collected = writer.bytes
        }
        return CollectedResponse(status: Int(response.status.code), headers: response.headers, body: collected)
    }
}

/// A key or bucket as it appears in an S3 request path.
func s3Path(_ bucket: String, _ key: String? = nil) -> String {
    "/" + HTML.urlComponent(bucket) + (key.map { "/" + HTML.keyPath($0) } ?? "")
}
