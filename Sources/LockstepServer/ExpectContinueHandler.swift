import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// `Expect: 100-continue` done the way S3 does it: the interim `100 Continue` goes out only when the front door starts
/// reading the body — after it has authenticated the request and checked what it can without the body — so a refused
/// upload (403, 404, 412) is answered at once and its body never crosses the wire. Hummingbird sends no 100 on its own.
///
/// A request answered without its 100 still has its body on the client's side: the response says `Connection: close`
/// and the connection is closed after it, so no client can send that body where the next request is expected.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Sent by the server's body reader (`LockstepResponder`) before its first read.
    struct SendContinue: Sendable {}

    /// One request on the connection, from its head until its response's end (in order: HTTP/1.1 answers in order).
    private struct Exchange {
        var expectsContinue: Bool
        var continued = false
        var answered = false
        var closeAfterResponse = false
    }
    private var exchanges: [Exchange] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            exchanges.append(Exchange(expectsContinue: head.headerFields[.expect]?.lowercased() == "100-continue"))
        }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is SendContinue else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        // The request being served is the oldest one not yet answered: earlier responses went through this handler
        // before the front door could read this request's body.
        if var current = exchanges.first, current.expectsContinue, !current.continued, !current.answered {
            current.continued = true
            exchanges[0] = current
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        promise?.succeed(())
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !exchanges.isEmpty else {
            context.write(data, promise: promise)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.kind != .informational:
            exchanges[0].answered = true
            guard exchanges[0].expectsContinue && !exchanges[0].continued else {
                context.write(data, promise: promise)
                return
            }
            exchanges[0].closeAfterResponse = true
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            let exchange = exchanges.removeFirst()
            guard exchange.closeAfterResponse else {
                context.write(data, promise: promise)
                return
            }
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            if let promise { written.futureResult.cascade(to: promise) }
            context.writeAndFlush(data, promise: written)
        default:
            context.write(data, promise: promise)
        }
    }
}
