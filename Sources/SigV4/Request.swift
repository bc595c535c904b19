/// An HTTP request exactly as it arrived, before any decoding: what SigV4 signs.
public struct SignableRequest: Sendable {
    public var method: String
    /// The path from the request line, still percent-encoded, e.g. "/bucket/a%20b//c".
    public var rawPath: String
    /// The query from the request line without the leading "?", still percent-encoded; may be "".
    public var rawQuery: String
    /// Headers as received: any case, repeated names possible.
    public var headers: [(name: String, value: String)]

    public init(method: String, rawPath: String, rawQuery: String, headers: [(name: String, value: String)]) {
        self.method = method
        self.rawPath = rawPath
        self.rawQuery = rawQuery
        self.headers = headers
    }

    /// All values of a header, in order of arrival (name compared case-insensitively).
    public func headerValues(_ name: String) -> [String] {
        headers.filter { asciiCaseInsensitiveEquals($0.name, name) }.map(\.value)
    }

    /// The first value of a header.
    public func header(_ name: String) -> String? {
        headers.first { asciiCaseInsensitiveEquals($0.name, name) }?.value
    }

    /// Replaces every occurrence of a header by one value.
    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { asciiCaseInsensitiveEquals($0.name, name) }
        headers.append((name: name, value: value))
    }
}

func asciiLowercased(_ s: String) -> String {
    // Header names are ASCII; avoid Unicode case mapping so "K" (Kelvin) and friends can't alias.
    String(decoding: s.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
}

func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
    let x = a.utf8, y = b.utf8
    guard x.count == y.count else { return false }
    return zip(x, y).allSatisfy { p, q in
        (p >= 0x41 && p <= 0x5A ? p | 0x20 : p) == (q >= 0x41 && q <= 0x5A ? q | 0x20 : q)
    }
}
