/// Where the server is: an `http://host[:port]` URL. TLS is not supported (it would pull a TLS library into the build).
struct Endpoint: Sendable, CustomStringConvertible {
    let url: String
    /// Name or address to connect to (an IPv6 address without brackets).
    let host: String
    let port: Int
    /// `host[:port]` as in the URL: the Host header, which is signed.
    let authority: String

    var description: String { url }

    init(_ text: String) throws {
        var rest = Substring(text)
        guard rest.hasPrefix("http://") else {
            if rest.hasPrefix("https://") { throw EndpointError("\(text): https is not supported; use an http:// endpoint") }
            throw EndpointError("\(text): the endpoint must be an http:// URL")
        }
        rest = rest.dropFirst("http://".count)
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...].allSatisfy({ $0 == "/" }) else { throw EndpointError("\(text): the endpoint must not have a path") }
            rest = rest[..<slash]
        }
        guard !rest.isEmpty else { throw EndpointError("\(text): no host") }
        authority = String(rest)
        var hostPart = rest
        var portNumber = 80
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw EndpointError("\(text): unterminated IPv6 address") }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else { throw EndpointError("\(text): bad port") }
                portNumber = p
            } else if !after.isEmpty {
                throw EndpointError("\(text): bad authority")
            }
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { throw EndpointError("\(text): bad port") }
            portNumber = p
        }
        host = String(hostPart)
        port = portNumber
        url = "http://" + authority
    }

    static func loopback(port: Int) -> Endpoint {
        // Always a valid URL: a literal address and a port in range.
        try! Endpoint("http://127.0.0.1:\(port)")
    }
}

struct EndpointError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
