import SigV4

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=…]`, URL-encoded.
public struct CopySource: Sendable, Equatable {
    public var bucket: String
    public var key: String
    public var versionId: String?

    init(_ header: String) throws {
        var text = header
        var versionId: String?
        if let q = text.range(of: "?versionId=") {
            versionId = percentDecode(String(text[q.upperBound...]))
            text = String(text[..<q.lowerBound])
        }
        guard var path = percentDecodedUTF8(text) else {
            throw S3Error.invalidArgument("Invalid copy source object key", name: "x-amz-copy-source", value: header)
        }
        if path.hasPrefix("/") { path.removeFirst() }
        guard let slash = path.firstIndex(of: "/"), slash != path.startIndex, path.index(after: slash) != path.endIndex else {
            throw S3Error.invalidArgument("Copy Source must mention the source bucket and key: sourcebucket/sourcekey", name: "x-amz-copy-source", value: header)
        }
        bucket = String(path[..<slash])
        key = String(path[path.index(after: slash)...])
        try Validation.checkVersionId(versionId)
        self.versionId = versionId
    }
}
