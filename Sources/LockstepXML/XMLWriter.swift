/// Builds S3 response documents. Escapes text and attribute values; output is UTF-8.
public struct XMLWriter {
    public private(set) var bytes: [UInt8] = []
    private var open: [String] = []

    public static let s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

    public init(declaration: Bool = true) {
        if declaration { bytes.append(contentsOf: Array(#"<?xml version="1.0" encoding="UTF-8"?>"#.utf8) + [10]) }
        bytes.reserveCapacity(1024)
    }

    public mutating func start(_ name: String, attributes: [(String, String)] = []) {
        bytes.append(UInt8(ascii: "<"))
        bytes.append(contentsOf: name.utf8)
        for (key, value) in attributes {
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: key.utf8)
            bytes.append(contentsOf: Array("=\"".utf8))
            appendEscaped(value, attribute: true)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: ">"))
        open.append(name)
    }

    public mutating func end() {
        let name = open.removeLast()
        bytes.append(contentsOf: Array("</".utf8))
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: ">"))
    }

    /// `<name>text</name>`
    public mutating func element(_ name: String, _ text: String) {
        start(name)
        appendEscaped(text, attribute: false)
        end()
    }

    /// Escaped character data inside the open element.
    public mutating func text(_ text: String) { appendEscaped(text, attribute: false) }

    public mutating func element(_ name: String, _ value: Int) { element(name, String(value)) }
    public mutating func element(_ name: String, _ value: Bool) { element(name, value ? "true" : "false") }

    /// Emits the element only when the value is present.
    public mutating func optional(_ name: String, _ text: String?) {
        if let text { element(name, text) }
    }

    public mutating func group(_ name: String, attributes: [(String, String)] = [], _ body: (inout XMLWriter) -> Void) {
        start(name, attributes: attributes)
        body(&self)
        end()
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    private mutating func appendEscaped(_ text: String, attribute: Bool) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): bytes.append(contentsOf: Array("&amp;".utf8))
            case UInt8(ascii: "<"): bytes.append(contentsOf: Array("&lt;".utf8))
            case UInt8(ascii: ">"): bytes.append(contentsOf: Array("&gt;".utf8))
            case UInt8(ascii: "\"") where attribute: bytes.append(contentsOf: Array("&quot;".utf8))
            case 0x0D: bytes.append(contentsOf: Array("&#13;".utf8))
            case 0x00..<0x20 where byte != 0x09 && byte != 0x0A:
                // Control characters cannot appear in XML 1.0; S3 keys may contain them, so emit a character reference.
                bytes.append(contentsOf: Array("&#x\(String(byte, radix: 16));".utf8))
            default: bytes.append(byte)
            }
        }
    }
}
