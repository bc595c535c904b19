import Hummingbird
import HTTPTypes
import NIOCore
import S3API

/// Adapts Hummingbird's request/response to the S3 layer. S3 routing happens in `S3Service`, not in a path router,
/// because keys may contain `//` and dispatch depends on query keys and headers.
struct S3Responder: HTTPResponder {
    typealias Context = BasicRequestContext
    let service: S3Service

    func respond(to request: Request, context: Context) async throws -> Response {
        if request.head.path?.hasPrefix("/_lockstep/") == true, let admin = AdminEndpoints.respond(to: request) {
            return admin
        }
        var iterator = request.body.makeAsyncIterator()
        let body = BodyStream { try await iterator.next() }
        var headers = request.headers
        // HTTPTypes moves Host into the :authority pseudo-header; SigV4 and virtual-host addressing need it back.
        if let authority = request.head.authority, headers[hostField] == nil { headers[hostField] = authority }
        let s3Request = S3Request(method: request.method, target: request.head.path ?? "/", headers: headers, body: body)
        let s3Response = await service.handle(s3Request)
        headers = s3Response.headers
        switch s3Response.body {
        case .empty:
            // HEAD keeps the object's Content-Length; everything else with no body says 0.
            if request.method != .head && headers[.contentLength] == nil && s3Response.status != .noContent && s3Response.status != .notModified {
                headers[.contentLength] = "0"
            }
            return Response(status: s3Response.status, headers: headers, body: ResponseBody())
        case .bytes(let buffer):
            headers[.contentLength] = String(buffer.readableBytes)
            return Response(status: s3Response.status, headers: headers, body: ResponseBody(byteBuffer: buffer))
        case .stream(let length, let produce):
            headers[.contentLength] = String(length)
            return Response(status: s3Response.status, headers: headers, body: ResponseBody(contentLength: Int(length)) { writer in
                let adapter = WriterAdapter(writer: writer)
                try await produce(adapter)
                writer = adapter.writer
                try await writer.finish(nil)
            })
        }
    }
}

let hostField = HTTPField.Name("Host")!

/// Lets the S3 layer write a streamed body without knowing Hummingbird's writer type.
final class WriterAdapter: S3API.ResponseBodyWriter, @unchecked Sendable {
    var writer: any Hummingbird.ResponseBodyWriter
    init(writer: any Hummingbird.ResponseBodyWriter) { self.writer = writer }
    func write(_ buffer: ByteBuffer) async throws { try await writer.write(buffer) }
}

/// `/_lockstep/…`: not a valid bucket name, so it can never collide with S3 paths.
enum AdminEndpoints {
    static func respond(to request: Request) -> Response? {
        switch (request.method, request.uri.path) {
        case (.get, "/_lockstep/health"), (.get, "/_lockstep/ready"):
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
        default:
            return nil
        }
    }
}
