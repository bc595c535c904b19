import SigV4

/// The query string, split and percent-decoded (`+` stays `+`, as S3 clients encode spaces as %20).
public struct QueryParameters: Sendable {
    public private(set) var items: [(name: String, value: String)] = []

    public init(raw: String) {
        guard !raw.isEmpty else { return }
        for part in raw.split(separator: "&", omittingEmptySubsequences: true) {
            if let eq = part.firstIndex(of: "=") {
                items.append((percentDecode(String(part[..<eq])), percentDecode(String(part[part.index(after: eq)...]))))
            } else {
                items.append((percentDecode(String(part)), ""))
            }
        }
    }

    public subscript(name: String) -> String? { items.first { $0.name == name }?.value }
    public func has(_ name: String) -> Bool { items.contains { $0.name == name } }
}

/// Percent-decodes a URL component; invalid escapes are kept literally, `+` stays `+`.
public func percentDecode(_ text: String) -> String { percentDecoded(text) }

/// Encodes for `encoding-type=url` responses: everything but unreserved characters and `/`.
public func urlEncodeForListing(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "/"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
        }
    }
    return out
}

extension String {
    func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
