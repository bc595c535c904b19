import Hummingbird
import NIOCore

/// The request context of every request Lockstep serves: Hummingbird's core storage plus the connection's channel,
/// through which a front door's first read of the body asks for `100 Continue` (see `ExpectContinueHandler`).
public struct LockstepRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
