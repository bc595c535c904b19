import SigV4

/// `application/x-www-form-urlencoded` name/value pairs (a query string or a POST body): `+` is a space, then
/// percent-decoding. The first occurrence of a name wins.
struct FormParameters {
    private var values: [String: String] = [:]

    init(_ text: String) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0])
            if values[name] == nil { values[name] = parts.count > 1 ? Self.decode(parts[1]) : "" }
        }
    }

    subscript(name: String) -> String? { values[name] }

    mutating func merge(_ other: FormParameters) {
        values.merge(other.values) { mine, _ in mine }
    }

    private static func decode(_ text: Substring) -> String {
        percentDecoded(text.replacingOccurrences(of: "+", with: " "))
    }
}
