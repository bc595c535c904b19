import NIOCore
import NIOHTTP1
import NIOPosix

/// Produces a request body piece by piece on the connection's event loop, so that a large object never sits in memory.
protocol BodySource: AnyObject, Sendable {
    /// The next piece, or nil when the body is complete.
    func nextChunk(allocator: ByteBufferAllocator) -> ByteBuffer?
}

/// Receives a 2xx response body piece by piece on the connection's event loop instead of it being collected.
protocol ResponseSink: AnyObject, Sendable {
    func consume(_ buffer: ByteBuffer)
}

enum OutgoingBody: Sendable {
    case none
    case bytes(ByteBuffer)
    case stream(BodySource)
}

/// A response as received: collected body (when no sink took it), byte count, and whether the connection can carry
/// another request.
struct RawResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer
    var bodyBytes: Int64
    var reusable: Bool
}

struct HTTPClientFailure: Error, CustomStringConvertible {
    let description: String
}

/// One persistent HTTP/1.1 connection that carries one request at a time. The whole exchange (writing the head and
/// body, reading the answer) runs on the channel's event loop; the caller only awaits the end.
final class HTTPConnection: Sendable {
    let channel: Channel
    private let handler: ExchangeHandler

    private init(channel: Channel, handler: ExchangeHandler) {
        self.channel = channel
        self.handler = handler
    }

    static func connect(host: String, port: Int, timeout: TimeAmount = .seconds(5)) async throws -> HTTPConnection {
        let handler = ExchangeHandler()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            // Big enough that a streamed upload keeps the socket busy between refills.
            .channelOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 1 << 20, high: 4 << 20))
            .channelOption(ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16_384, maximum: 1 << 20))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: host, port: port)
            .get()
        return HTTPConnection(channel: channel, handler: handler)
    }

    var isActive: Bool { channel.isActive }

    func execute(_ head: HTTPRequestHead, body: OutgoingBody, sink: ResponseSink?, timeout: TimeAmount) async throws -> RawResponse {
        let promise = channel.eventLoop.makePromise(of: RawResponse.self)
        let handler = self.handler
        channel.eventLoop.execute {
            handler.start(head: head, body: body, sink: sink, timeout: timeout, promise: promise)
        }
        return try await promise.futureResult.get()
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// Drives one exchange at a time. Its state is only touched on its channel's event loop.
private final class ExchangeHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// Collected bodies beyond this are counted but dropped, as s3bench caps them.
    private static let collectLimit = 256 << 20

    private struct Exchange {
        let promise: EventLoopPromise<RawResponse>
        let sink: ResponseSink?
        var source: BodySource?
        var requestComplete: Bool
        var status = 0
        var headers = HTTPHeaders()
        var keepAlive = true
        var body: ByteBuffer?
        var bodyBytes: Int64 = 0
        var timeout: Scheduled<Void>?
    }

    private var context: ChannelHandlerContext?
    private var exchange: Exchange?
    private var broken = false

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func start(head: HTTPRequestHead, body: OutgoingBody, sink: ResponseSink?, timeout: TimeAmount,
               promise: EventLoopPromise<RawResponse>) {
        guard let context, exchange == nil, !broken, context.channel.isActive else {
            promise.fail(HTTPClientFailure(description: "connection closed"))
            return
        }
        var current = Exchange(promise: promise, sink: sink, source: nil, requestComplete: false)
        current.timeout = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            self.fail(HTTPClientFailure(description: "no complete answer within \(timeout.nanoseconds / 1_000_000_000) s"))
        }
        exchange = current
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        switch body {
        case .none:
            finishRequest(context)
        case .bytes(let buffer):
            if buffer.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
            finishRequest(context)
        case .stream(let source):
            exchange?.source = source
            pump(context)
        }
    }

    private func finishRequest(_ context: ChannelHandlerContext) {
        exchange?.requestComplete = true
        exchange?.source = nil
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Writes body pieces while the channel takes them; resumes when it becomes writable again.
    private func pump(_ context: ChannelHandlerContext) {
        guard let source = exchange?.source else { return }
        while context.channel.isWritable {
            guard let chunk = source.nextChunk(allocator: context.channel.allocator) else {
                finishRequest(context)
                return
            }
            context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
        }
        context.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pump(context) }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard exchange != nil else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            exchange!.status = Int(head.status.code)
            exchange!.headers = head.headers
            exchange!.keepAlive = head.isKeepAlive
        case .body(let buffer):
            exchange!.bodyBytes += Int64(buffer.readableBytes)
            if let sink = exchange!.sink, (200..<300).contains(exchange!.status) {
                sink.consume(buffer)
            } else if exchange!.body == nil {
                exchange!.body = buffer
            } else if exchange!.body!.readableBytes < ExchangeHandler.collectLimit {
                var piece = buffer
                exchange!.body!.writeBuffer(&piece)
            }
        case .end:
            let done = exchange!
            exchange = nil
            done.timeout?.cancel()
            // An answer that arrives before the whole body was sent leaves the connection out of step: close it.
            let reusable = done.keepAlive && done.requestComplete
            if !reusable { broken = true }
            done.promise.succeed(RawResponse(status: done.status, headers: done.headers, body: done.body ?? ByteBuffer(),
                                             bodyBytes: done.bodyBytes, reusable: reusable))
            if !reusable { context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(HTTPClientFailure(description: "the connection closed before the answer was complete"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(error)
    }

    private func fail(_ error: Error) {
        broken = true
        if let done = exchange {
            exchange = nil
            done.timeout?.cancel()
            done.promise.fail(error)
        }
        context?.close(promise: nil)
    }
}
