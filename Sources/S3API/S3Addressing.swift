import FrontDoors
import SigV4

/// Which bucket and key a request addresses: path-style `/bucket/key`, or virtual-hosted `bucket.localhost` /
/// `bucket.<domain>` with the key as the path. The key is percent-decoded and keeps `//`.
struct S3Addressing: Sendable {
    /// Base domains a bucket name may precede, the configured one (`--domain`) first.
    let baseDomains: [String]

    init(domain: String?) {
        var bases = ["localhost"]
        if let domain = domain?.lowercased(), !domain.isEmpty { bases.insert(domain, at: 0) }
        baseDomains = bases
    }

    /// `virtualHost`: the bucket came from the Host header.
    func address(_ request: APIRequest) throws -> (bucket: String, key: String, virtualHost: Bool) {
        guard request.rawPath.hasPrefix("/") else { throw S3Error.invalidRequest("Invalid request target") }
        // A key is never altered: one that does not decode to UTF-8 is refused, as S3 refuses it.
        func decode(_ part: some StringProtocol) throws -> String {
            guard let text = percentDecodedUTF8(String(part)) else { throw S3Error(.invalidURI, details: [("URI", request.rawPath)]) }
            return text
        }
        var host = (request.header("host") ?? "").lowercased()
        if host.hasPrefix("[") {
            host = ""  // IPv6 literal: never a virtual host
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        for base in baseDomains where host.hasSuffix("." + base) {
            let bucket = String(host.dropLast(base.count + 1))
            return (bucket, try decode(request.rawPath.dropFirst()), true)
        }
        let path = request.rawPath.dropFirst()
        guard let slash = path.firstIndex(of: "/") else { return (try decode(path), "", false) }
        return (try decode(path[..<slash]), try decode(path[path.index(after: slash)...]), false)
    }
}
