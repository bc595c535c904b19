/// What S3 answers a POST Object that succeeded, from the form's `success_action_redirect` (or the older `redirect`)
/// and `success_action_status`.
enum SuccessAction: Sendable, Equatable {
    /// `303 See Other` to this URL, with `bucket`, `key` and `etag` added to its query.
    case redirect(String)
    /// 200 or 204 with an empty body, or 201 with a `PostResponse` document.
    case status(Int)

    /// A redirect S3 can read wins over the status; one it cannot (not an absolute http(s) URL, e.g. a relative
    /// path) is ignored as if absent. A status other than 200, 201 and 204 is 204, S3's default.
    init(_ form: PostForm) {
        for field in ["success_action_redirect", "redirect"] {
            if let url = form.expandedValue(field), Self.isAbsoluteHTTPURL(url) {
                self = .redirect(url)
                return
            }
        }
        switch form.expandedValue("success_action_status") {
        case "200": self = .status(200)
        case "201": self = .status(201)
        default: self = .status(204)
        }
    }

    var statusCode: Int {
        switch self {
        case .redirect: 303
        case .status(let code): code
        }
    }

    /// The `Location` of a redirect: the URL as given, its query kept, then `bucket`, `key` and `etag` in that order,
    /// form-encoded as S3 writes them (`/` as `%2F`, a space as `+`, the ETag's quotes as `%22`). `etag` is the
    /// ETag header's value, quotes included. nil for a status answer.
    func redirectLocation(bucket: String, key: String, etag: String) -> String? {
        guard case .redirect(let url) = self else { return nil }
        var base = Substring(url), fragment: Substring = ""
        if let hash = url.firstIndex(of: "#") {
            base = url[..<hash]
            fragment = url[hash...]
        }
        let separator = !base.contains("?") ? "?" : (base.hasSuffix("?") || base.hasSuffix("&") ? "" : "&")
        let added = [("bucket", bucket), ("key", key), ("etag", etag)]
            .map { "\($0.0)=\(Self.formEncoded($0.1))" }.joined(separator: "&")
        return base + separator + added + fragment
    }

    /// The object's URL as S3 gives it in `Location`: the bucket's URL (`https://bucket.host` or
    /// `https://host/bucket`, no trailing slash) and the key percent-encoded, its `/` included.
    static func objectLocation(bucketURL: String, key: String) -> String {
        bucketURL + "/" + percentEncoded(key)
    }

    /// The 201 body. `etag` is the ETag header's value, quotes included; the key is written as is, escaped for XML.
    static func postResponseXML(location: String, bucket: String, key: String, etag: String) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PostResponse><Location>\(xmlEscaped(location))</Location>"
            + "<Bucket>\(xmlEscaped(bucket))</Bucket><Key>\(xmlEscaped(key))</Key>"
            + "<ETag>\(xmlEscaped(etag))</ETag></PostResponse>"
    }

    private static func isAbsoluteHTTPURL(_ url: String) -> Bool {
        let lower = url.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let host = lower.dropFirst(scheme.count).prefix { !"/?#".contains($0) }
            return !host.isEmpty && !url.contains(where: { $0.isNewline })
        }
        return false
    }

    /// `application/x-www-form-urlencoded`: letters, digits and `.-*_` kept, a space as `+`, every other UTF-8 byte
    /// as `%XX`.
    static func formEncoded(_ text: String) -> String {
        encode(text) { byte in
            if byte == 0x20 { return "+" }
            return isAlphanumeric(byte) || ".-*_".utf8.contains(byte) ? String(UnicodeScalar(byte)) : nil
        }
    }

    /// RFC 3986: unreserved characters kept, every other UTF-8 byte (`/` too) as `%XX`.
    static func percentEncoded(_ text: String) -> String {
        encode(text) { byte in isAlphanumeric(byte) || "-._~".utf8.contains(byte) ? String(UnicodeScalar(byte)) : nil }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    private static func encode(_ text: String, keeping: (UInt8) -> String?) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = ""
        for byte in text.utf8 {
            if let kept = keeping(byte) {
                out += kept
            } else {
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]], as: UTF8.self)
            }
        }
        return out
    }

    private static func xmlEscaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\r": out += "&#13;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
