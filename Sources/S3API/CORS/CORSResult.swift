/// The CORS headers S3 sends when a rule matched, on a preflight's 200 and on an actual request's response alike.
struct CORSResult: Sendable, Equatable {
    /// The request's origin, or `*` when the origin that admitted it is the rule's bare `*`.
    var allowOrigin: String
    /// The matched rule's methods, all of them, in the rule's order.
    var allowMethods: [String]
    /// The names the request asked for in `Access-Control-Request-Headers`, in its order and lowercased.
    var allowHeaders: [String]
    var exposeHeaders: [String]
    var maxAgeSeconds: Int?

    /// S3 varies every CORS answer on the three request headers it evaluated.
    static let vary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"

    /// Credentials are allowed whenever the origin is echoed; a `*` answer cannot carry them.
    var allowCredentials: Bool { allowOrigin != "*" }

    init(rule: CORSRule, admittedBy pattern: String, origin: String, requestHeaders: [String]) {
        allowOrigin = pattern == "*" ? "*" : origin
        allowMethods = rule.allowedMethods
        allowHeaders = requestHeaders.map { $0.lowercased() }
        exposeHeaders = rule.exposeHeaders
        maxAgeSeconds = rule.maxAgeSeconds
    }

    /// In the order of S3's published preflight sample; lists are joined with ", " as S3 joins them.
    var headers: [(String, String)] {
        var headers = [("Access-Control-Allow-Origin", allowOrigin),
                       ("Access-Control-Allow-Methods", allowMethods.joined(separator: ", "))]
        if !allowHeaders.isEmpty { headers.append(("Access-Control-Allow-Headers", allowHeaders.joined(separator: ", "))) }
        if !exposeHeaders.isEmpty { headers.append(("Access-Control-Expose-Headers", exposeHeaders.joined(separator: ", "))) }
        if let maxAgeSeconds { headers.append(("Access-Control-Max-Age", String(maxAgeSeconds))) }
        if allowCredentials { headers.append(("Access-Control-Allow-Credentials", "true")) }
        headers.append(("Vary", Self.vary))
        return headers
    }
}
