import HTTPTypes
import NIOCore

/// A request body as it arrives from the connection (never collected whole).
public final class BodyStream: @unchecked Sendable {
    // Unchecked: a request's body is read by the one task that serves the request, never concurrently.
    private let nextChunk: () async throws -> ByteBuffer?

    public init(_ next: @escaping () async throws -> ByteBuffer?) { nextChunk = next }

    public func next() async throws -> ByteBuffer? { try await nextChunk() }

    public static var empty: BodyStream { BodyStream { nil } }

    /// The whole body of a small request (a JSON document, a form, a Terraform state), or nil as soon as it proves
    /// longer than `limit` bytes, before holding more than that.
    public func collect(limit: Int) async throws -> [UInt8]? {
        var body: [UInt8] = []
        while let chunk = try await next() {
            guard body.count + chunk.readableBytes <= limit else { return nil }
            body += chunk.readableBytesView
        }
        return body
    }

    /// A body of known bytes, delivered in chunks of `chunkSize` (tests use small chunks to exercise framing).
    public static func bytes(_ bytes: [UInt8], chunkSize: Int = 64 * 1024) -> BodyStream {
        var offset = 0
        return BodyStream {
            guard offset < bytes.count else { return nil }
            let end = min(bytes.count, offset + max(1, chunkSize))
            defer { offset = end }
            return ByteBuffer(bytes: bytes[offset..<end])
        }
    }
}

/// Reading a request's body failed below HTTP's semantics: the client hung up mid-body, or the framing was broken
/// (thrown by the server's `BodyStream`). The client's fault, never the server's: each front door answers it as a
/// client error and logs it at debug level.
public struct BodyReadError: Error, CustomStringConvertible {
    public let underlying: any Error
    public init(_ underlying: any Error) { self.underlying = underlying }
    public var description: String { "the request body could not be read: \(underlying)" }
}

/// One HTTP request as every front door sees it: raw path and query exactly as received, headers (with `Host`), and a
/// streaming body. The server builds it from the connection; tests build it by hand.
public struct APIRequest: Sendable {
    public var method: HTTPRequest.Method
    public var rawPath: String
    public var rawQuery: String
    public var headers: HTTPFields
    public var body: BodyStream
    public var remoteAddress: String?

    public init(method: HTTPRequest.Method, target: String, headers: HTTPFields, body: BodyStream = .empty, remoteAddress: String? = nil) {
        self.method = method
        if let q = target.firstIndex(of: "?") {
            rawPath = String(target[..<q])
            rawQuery = String(target[target.index(after: q)...])
        } else {
            rawPath = target
            rawQuery = ""
        }
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    public func header(_ name: String) -> String? {
        guard let field = HTTPField.Name(name) else { return nil }
        return headers[field]
    }
}

public protocol ResponseBodyWriter: Sendable {
    func write(_ buffer: ByteBuffer) async throws
}

public enum APIResponseBody: Sendable {
    case empty
    case bytes(ByteBuffer)
    /// A streamed body of exactly `length` bytes.
    case stream(length: Int64, @Sendable (any ResponseBodyWriter) async throws -> Void)
}

public struct APIResponse: Sendable {
    public var status: HTTPResponse.Status
    public var headers: HTTPFields
    public var body: APIResponseBody
    /// What the front door says about the request, for metrics, the request log and the console (not sent).
    public var summary: RequestSummary?

    public init(status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], body: APIResponseBody = .empty) {
        self.status = status; self.headers = headers; self.body = body
    }

    public mutating func set(_ name: String, _ value: String?) {
        guard let value, let field = HTTPField.Name(name) else { return }
        headers[field] = value
    }

    public func header(_ name: String) -> String? {
        guard let field = HTTPField.Name(name) else { return nil }
        return headers[field]
    }
}
