import CLibXML2

/// A parsed XML element: the small tree the S3 handlers read request bodies from.
public struct XMLNode: Sendable, Equatable {
    public var name: String
    public var text: String
    public var children: [XMLNode]

    public init(name: String, text: String = "", children: [XMLNode] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    public func child(_ name: String) -> XMLNode? { children.first { $0.name == name } }
    public func all(_ name: String) -> [XMLNode] { children.filter { $0.name == name } }
    /// Text of a direct child, or nil when absent.
    public func value(_ name: String) -> String? { child(name)?.text }
}

public enum XMLParseError: Error, Equatable {
    case malformed(String)
    case tooLarge
    case doctypeNotAllowed
}

public enum XMLParser {
    private static let initialize: Void = { xmlInitParser() }()

    /// Parses a document safely: no network, no entity expansion, no DTD; element names lose their namespace prefix.
    public static func parse(_ bytes: [UInt8], maxBytes: Int = 1 << 20) throws -> XMLNode {
        _ = initialize
        guard bytes.count <= maxBytes else { throw XMLParseError.tooLarge }
        guard !bytes.isEmpty else { throw XMLParseError.malformed("empty document") }
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue | XML_PARSE_NOCDATA.rawValue)
        let doc: xmlDocPtr? = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                xmlReadMemory($0, Int32(buffer.count), "request.xml", nil, options)
            }
        }
        guard let doc else {
            let message = xmlGetLastError().map { String(cString: $0.pointee.message) } ?? "not well-formed"
            throw XMLParseError.malformed(message.trimmingTrailingNewline)
        }
        defer { xmlFreeDoc(doc) }
        if doc.pointee.intSubset != nil { throw XMLParseError.doctypeNotAllowed }
        guard let root = xmlDocGetRootElement(doc) else { throw XMLParseError.malformed("no root element") }
        return convert(root)
    }

    private static func convert(_ node: xmlNodePtr) -> XMLNode {
        var result = XMLNode(name: String(cString: node.pointee.name))
        var child = node.pointee.children
        var text = ""
        while let current = child {
            switch current.pointee.type {
            case XML_ELEMENT_NODE:
                result.children.append(convert(current))
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = current.pointee.content { text += String(cString: content) }
            default:
                break
            }
            child = current.pointee.next
        }
        result.text = text
        return result
    }
}

extension String {
    fileprivate var trimmingTrailingNewline: String {
        var s = self
        while s.last == "\n" { s.removeLast() }
        return s
    }
}
