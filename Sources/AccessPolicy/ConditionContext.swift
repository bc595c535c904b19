/// The condition keys of one request and their values. Key names compare as IAM compares them, without regard to
/// case, except what follows the first `/` (the tag key of `s3:ExistingObjectTag/<key>`), which S3 compares exactly.
/// A key may hold several values (`s3:RequestObjectTagKeys`); a key set to an empty list is absent.
public struct ConditionContext: Sendable, ExpressibleByDictionaryLiteral {
    private var values: [String: [String]] = [:]

    public init() {}

    public init(_ values: [String: [String]]) {
        for (key, keyValues) in values { self[key] = keyValues }
    }

    public init(dictionaryLiteral elements: (String, [String])...) {
        for (key, keyValues) in elements { self[key] = keyValues }
    }

    public subscript(key: String) -> [String]? {
        get { values[Self.normalize(key)] }
        set {
            let key = Self.normalize(key)
            if let newValue, !newValue.isEmpty {
                values[key] = newValue
            } else {
                values[key] = nil
            }
        }
    }

    /// Looks up a key already in normal form (as statements hold their keys).
    func values(normalizedKey key: String) -> [String]? {
        values[key]
    }

    /// The name part lower-cased, a tag key after the first `/` kept as written.
    static func normalize(_ key: String) -> String {
        guard let slash = key.utf8.firstIndex(of: UInt8(ascii: "/")) else { return lowercaseASCII(key) }
        return lowercaseASCII(String(key[..<slash])) + String(key[slash...])
    }

    /// ASCII lower-casing: key names are ASCII, and it keeps non-ASCII text exactly as written.
    static func lowercaseASCII(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return text }
        return String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}
