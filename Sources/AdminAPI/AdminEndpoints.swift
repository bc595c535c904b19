import Hummingbird

/// Lockstep's own endpoints under `/_lockstep/` — not a valid bucket name, so they can never collide with S3 paths.
/// A middleware in front of the protocol front doors: requests under the prefix are answered here, everything else
/// passes on. Unknown endpoints under the prefix are 404s, never S3 requests.
public struct AdminEndpoints<Context: RequestContext>: RouterMiddleware {
    public static var prefix: String { "/_lockstep/" }
    private let responder: RouterResponder<Context>

    public init() {
        let router = Router(context: Context.self)
        router.get("/_lockstep/health") { _, _ in Self.plainText("ok\n") }
        router.get("/_lockstep/ready") { _, _ in Self.plainText("ok\n") }
        responder = router.buildResponder()
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix(Self.prefix) else { return try await next(request, context) }
        return try await responder.respond(to: request, context: context)
    }

    static func plainText(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
