import NIOCore

/// One ListObjectsV2 page.
struct ListObjectsPage {
    var isTruncated = false
    var nextContinuationToken = ""
    var keys: [String] = []
    var commonPrefixes = 0
}

struct VersionEntry {
    var key: String
    var versionId: String
    var isLatest: Bool
}

/// One ListObjectVersions page.
struct ListVersionsPage {
    var isTruncated = false
    var nextKeyMarker = ""
    var nextVersionIdMarker = ""
    var versions: [VersionEntry] = []
    var deleteMarkers: [VersionEntry] = []
}

/// Reads the few elements of S3 listings the scenarios need. S3 answers are flat, attribute-free elements, so a scan
/// for `<Name>…</Name>` is enough and keeps an XML library out of the generator.
struct ListingXML {
    private let bytes: [UInt8]

    init(_ buffer: ByteBuffer) { bytes = Array(buffer.readableBytesView) }

    /// Nil when the document is not a ListBucketResult.
    static func objectsPage(_ buffer: ByteBuffer) -> ListObjectsPage? {
        let doc = ListingXML(buffer)
        guard doc.find("<ListBucketResult", from: 0, to: doc.bytes.count) != nil else { return nil }
        let all = 0..<doc.bytes.count
        var page = ListObjectsPage()
        page.isTruncated = doc.text("IsTruncated", in: all) == "true"
        page.nextContinuationToken = doc.text("NextContinuationToken", in: all) ?? ""
        page.keys = doc.elements("Contents", in: all).compactMap { doc.text("Key", in: $0) }
        page.commonPrefixes = doc.elements("CommonPrefixes", in: all).count
        return page
    }

    /// Nil when the document is not a ListVersionsResult.
    static func versionsPage(_ buffer: ByteBuffer) -> ListVersionsPage? {
        let doc = ListingXML(buffer)
        guard doc.find("<ListVersionsResult", from: 0, to: doc.bytes.count) != nil else { return nil }
        let all = 0..<doc.bytes.count
        var page = ListVersionsPage()
        page.isTruncated = doc.text("IsTruncated", in: all) == "true"
        page.nextKeyMarker = doc.text("NextKeyMarker", in: all) ?? ""
        page.nextVersionIdMarker = doc.text("NextVersionIdMarker", in: all) ?? ""
        func entries(_ name: String) -> [VersionEntry] {
            doc.elements(name, in: all).map {
                VersionEntry(key: doc.text("Key", in: $0) ?? "", versionId: doc.text("VersionId", in: $0) ?? "",
                             isLatest: doc.text("IsLatest", in: $0) == "true")
            }
        }
        page.versions = entries("Version")
        page.deleteMarkers = entries("DeleteMarker")
        return page
    }

    /// Content ranges of every `<name>…</name>` in `range`.
    func elements(_ name: String, in range: Range<Int>) -> [Range<Int>] {
        let open = "<" + name + ">", close = "</" + name + ">"
        var out: [Range<Int>] = []
        var at = range.lowerBound
        while let start = find(open, from: at, to: range.upperBound) {
            let contentStart = start + open.utf8.count
            guard let end = find(close, from: contentStart, to: range.upperBound) else { break }
            out.append(contentStart..<end)
            at = end + close.utf8.count
        }
        return out
    }

    /// The unescaped text of the first `<name>` in `range`.
    func text(_ name: String, in range: Range<Int>) -> String? {
        elements(name, in: range).first.map { ListingXML.unescape(bytes[$0]) }
    }

    private func find(_ needle: String, from: Int, to: Int) -> Int? {
        guard from < to else { return nil }
        return bytes.withUnsafeBytes { raw in
            ByteScan.find(Array(needle.utf8), in: UnsafeRawBufferPointer(rebasing: raw[from..<to])).map { $0 + from }
        }
    }

    static func unescape(_ text: ArraySlice<UInt8>) -> String {
        let s = String(decoding: text, as: UTF8.self)
        guard s.contains("&") else { return s }
        var out = ""
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else { break }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let code = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16)
                    : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                if let code, let scalar = Unicode.Scalar(code) {
                    out.unicodeScalars.append(scalar)
                } else {
                    out += "&" + entity + ";"
                }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}
