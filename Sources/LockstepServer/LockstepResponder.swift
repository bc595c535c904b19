import FrontDoors
import HTTPTypes
import Hummingbird
import NIOCore
import Store

/// Lockstep's one Hummingbird responder: hands each request to the front door of its protocol (Lockstep's admin API
/// included). S3 routing happens in the S3 front door, not in a path router, because keys may contain `//` and
/// dispatch depends on query keys and headers.
public struct LockstepResponder: HTTPResponder {
    public typealias Context = LockstepRequestContext
    let protocols: ProtocolRouter
    let trimmer: MemoryTrimmer?
    let observer: RequestObserver?
    let wallClock = WallClock()

    init(protocols: ProtocolRouter, trimmer: MemoryTrimmer? = nil, observer: RequestObserver? = nil) {
        self.protocols = protocols
        self.trimmer = trimmer
        self.observer = observer
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        trimmer?.started()
        defer { trimmer?.finished() }
        return await serve(request, context: context)
    }

    /// Hands the request to its front door and the answer back to Hummingbird; every request is observed here, in one
    /// place, once its response head is ready (a streamed body's transfer is not in its latency).
    func serve(_ request: Request, context: Context) async -> Response {
        let started = ContinuousClock.now
        let receivedMillis = observer == nil ? 0 : wallClock.nowMillis()
        let bodyRead = BodyByteCount()
        let apiRequest = Self.apiRequest(request, channel: context.channel, counting: bodyRead)
        let response = await protocols.frontDoor(for: apiRequest).handle(apiRequest)
        if let observer {
            observer.observe(Self.event(apiRequest, response, bodyBytesRead: bodyRead.bytes, receivedMillis: receivedMillis,
                                        latency: started.duration(to: .now)))
        }
        return Self.response(response)
    }

    /// `bodyBytesRead` is what the body stream delivered: a request refused before its body was read counts 0, whatever
    /// length it declared.
    static func event(_ request: APIRequest, _ response: APIResponse, bodyBytesRead: Int64, receivedMillis: Int64,
                      latency: Duration) -> RequestEvent {
        let (seconds, attoseconds) = latency.components
        let bytesOut: Int64
        switch response.body {
        case .empty: bytesOut = 0
        case .bytes(let buffer): bytesOut = Int64(buffer.readableBytes)
        case .stream(let length, _): bytesOut = length
        }
        // An aws-chunked body's framing is not payload: once its declared decoded length has arrived, that is the count.
        // The declared figure only ever lowers the count, so no header can inflate it.
        var bytesIn = bodyBytesRead
        if let decoded = request.headers[decodedContentLengthField].flatMap({ Int64($0) }), decoded >= 0 { bytesIn = min(bytesIn, decoded) }
        return RequestEvent(receivedMillis: receivedMillis, method: request.method.rawValue, path: request.rawPath, status: response.status.code,
                            latencyNanos: UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds)) / 1_000_000_000,
                            bytesIn: bytesIn, bytesOut: bytesOut, summary: response.summary)
    }

    /// The request as front doors see it: raw target, headers with `Host`, and a body that asks for `100 Continue` the
    /// first time it is read — so a request refused before its body is read (403, 412) never gets one. `counting` adds up
    /// the body bytes the stream delivers.
    static func apiRequest(_ request: Request, channel: any Channel, counting: BodyByteCount = BodyByteCount()) -> APIRequest {
        var iterator = request.body.makeAsyncIterator()
        var headers = request.headers
        // HTTPTypes moves Host into the :authority pseudo-header; SigV4 and virtual-host addressing need it back.
        if let authority = request.head.authority, headers[hostField] == nil { headers[hostField] = authority }
        var continueOwed = headers[.expect]?.lowercased() == "100-continue"
        let body = BodyStream {
            if continueOwed {
                continueOwed = false
                channel.triggerUserOutboundEvent(ExpectContinueHandler.SendContinue(), promise: nil)
            }
            do {
                let chunk = try await iterator.next()
                if let chunk { counting.bytes += Int64(chunk.readableBytes) }
                return chunk
            } catch {
                throw BodyReadError(error)
            }
        }
        return APIRequest(method: request.method, target: request.head.path ?? "/", headers: headers, body: body,
                          remoteAddress: channel.remoteAddress?.ipAddress)
    }

    /// Content-Length is the exact length of fixed and streamed bodies. An empty body keeps the length a front door gave
    /// (HEAD reports the object's); otherwise Hummingbird says 0, and NIO drops it from 204 and 304 answers.
    static func response(_ response: APIResponse) -> Response {
        var headers = response.headers
        switch response.body {
        case .empty:
            return Response(status: response.status, headers: headers, body: ResponseBody())
        case .bytes(let buffer):
            headers[.contentLength] = String(buffer.readableBytes)
            return Response(status: response.status, headers: headers, body: ResponseBody(byteBuffer: buffer))
        case .stream(let length, let produce):
            headers[.contentLength] = String(length)
            return Response(status: response.status, headers: headers, body: ResponseBody(contentLength: Int(length)) { writer in
                let adapter = WriterAdapter(writer: writer)
                try await produce(adapter)
                writer = adapter.writer
                try await writer.finish(nil)
            })
        }
    }
}

/// The body bytes one request's stream has delivered, read once its front door has answered.
final class BodyByteCount: @unchecked Sendable {
    // Unchecked: a request's body is read by the one task that serves it, and counted before that task answers.
    var bytes: Int64 = 0
}

let hostField = HTTPField.Name("Host")!
let decodedContentLengthField = HTTPField.Name("x-amz-decoded-content-length")!

/// Lets a front door write a streamed body without knowing Hummingbird's writer type.
final class WriterAdapter: FrontDoors.ResponseBodyWriter, @unchecked Sendable {
    // Unchecked: one response body is written by one task, in order.
    var writer: any Hummingbird.ResponseBodyWriter
    init(writer: any Hummingbird.ResponseBodyWriter) { self.writer = writer }
    func write(_ buffer: ByteBuffer) async throws { try await writer.write(buffer) }
}
