/// The fields of a POST Object form that came before its file, and what the file part said of itself.
///
/// Field names are case-insensitive (`Policy`, `X-Amz-Signature` and `policy` are one field), values are not. A name
/// given twice is one field whose value is the values joined by commas, the form S3's policy documentation asks
/// conditions to match (`"Ninja,Stallman"`).
struct PostForm: Sendable, Equatable {
    struct Field: Sendable, Equatable {
        /// As the form spelled it.
        var name: String
        var value: String
    }

    /// In the order they came.
    var fields: [Field]
    /// The file part's `filename` parameter as sent (a browser may send a path); nil when the part has none.
    var filename: String?
    /// The file part's own `Content-Type`, if it has one.
    var fileContentType: String?

    init(fields: [Field], filename: String? = nil, fileContentType: String? = nil) {
        self.fields = fields
        self.filename = filename
        self.fileContentType = fileContentType
    }

    /// The field's value as sent, duplicates joined by commas; nil when the form lacks it.
    func value(_ name: String) -> String? {
        let name = name.lowercased()
        let values = fields.filter { $0.name.lowercased() == name }.map(\.value)
        return values.isEmpty ? nil : values.joined(separator: ",")
    }

    /// The field's value with `${filename}` replaced, as S3 expands every field before it checks the policy.
    func expandedValue(_ name: String) -> String? {
        value(name).map(expand)
    }

    /// The object key: the `key` field, expanded.
    var key: String? { expandedValue("key") }

    /// The key, or S3's error for a form without one (an empty key is treated as none).
    func requiredKey() throws(PostObjectError) -> String {
        guard let key, !key.isEmpty else { throw .missingField("key") }
        return key
    }

    /// Each field name once, as first spelled, in order.
    var fieldNames: [String] {
        var seen = Set<String>()
        return fields.map(\.name).filter { seen.insert($0.lowercased()).inserted }
    }

    /// What `${filename}` becomes: the text after the file name's last `/` or `\` (browsers and clients may send a
    /// path). nil when the file part has no `filename` parameter — S3 then leaves `${filename}` as written, where its
    /// documentation says "an empty string"; an empty `filename=""` does expand to nothing.
    var filenameForExpansion: String? {
        guard let filename else { return nil }
        if let cut = filename.lastIndex(where: { $0 == "/" || $0 == "\\" }) {
            return String(filename[filename.index(after: cut)...])
        }
        return filename
    }

    /// `text` with every `${filename}` replaced (unchanged when there is no file name to put there).
    func expand(_ text: String) -> String {
        guard let name = filenameForExpansion, text.contains("${filename}") else { return text }
        return text.replacing("${filename}", with: name)
    }
}
