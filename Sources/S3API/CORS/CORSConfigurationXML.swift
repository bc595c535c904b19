import Foundation
import LockstepXML

/// The `CORSConfiguration` document of Put/GetBucketCors.
///
/// Reading checks the document against S3's schema first, every rule of it, so a shape error anywhere is
/// `MalformedXML` before any rule's values are judged: no rule, an unknown or repeated element, a rule without an
/// origin or a method, a `MaxAgeSeconds` that is not an integer. Then the values, rule by rule in document order:
/// methods, origins, allowed headers, exposed headers, ID.
extension CORSConfiguration {
    init(xml root: XMLNode) throws(CORSConfigurationError) {
        guard root.name == "CORSConfiguration", !root.children.isEmpty,
              root.children.allSatisfy({ $0.name == "CORSRule" }) else { throw .malformedXML }
        var rules: [CORSRule] = []
        for node in root.children { rules.append(try CORSRule(shapeOf: node)) }
        guard rules.count <= Self.maximumRules else { throw .tooManyRules }
        for rule in rules { try rule.validate() }
        self.init(rules: rules)
    }

    /// GetBucketCors's answer. Members are written in the order of S3's model (ID, AllowedHeader, AllowedMethod,
    /// AllowedOrigin, ExposeHeader, MaxAgeSeconds); each list keeps the order it was put in.
    func write(into x: inout XMLWriter) {
        x.group("CORSConfiguration", attributes: [("xmlns", XMLWriter.s3Namespace)]) { x in
            for rule in rules {
                x.group("CORSRule") { x in
                    x.optional("ID", rule.id)
                    for header in rule.allowedHeaders { x.element("AllowedHeader", header) }
                    for method in rule.allowedMethods { x.element("AllowedMethod", method) }
                    for origin in rule.allowedOrigins { x.element("AllowedOrigin", origin) }
                    for header in rule.exposeHeaders { x.element("ExposeHeader", header) }
                    if let maxAge = rule.maxAgeSeconds { x.element("MaxAgeSeconds", maxAge) }
                }
            }
        }
    }
}

extension CORSRule {
    private static let elements: Set<String> = [
        "ID", "AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader", "MaxAgeSeconds",
    ]
    private static let singletons: Set<String> = ["ID", "MaxAgeSeconds"]

    /// The rule as the schema allows it, values not yet judged.
    fileprivate init(shapeOf node: XMLNode) throws(CORSConfigurationError) {
        var seen: Set<String> = []
        for child in node.children {
            guard Self.elements.contains(child.name), child.children.isEmpty else { throw .malformedXML }
            if Self.singletons.contains(child.name), !seen.insert(child.name).inserted { throw .malformedXML }
        }
        let origins = node.all("AllowedOrigin").map(\.text)
        let methods = node.all("AllowedMethod").map(\.text)
        guard !origins.isEmpty, !methods.isEmpty else { throw .malformedXML }
        var maxAge: Int?
        if let text = node.value("MaxAgeSeconds") {
            // The schema's type is a 32-bit integer, which may be signed and surrounded by whitespace.
            guard let value = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw .malformedXML }
            maxAge = Int(value)
        }
        self.init(id: node.value("ID"), allowedOrigins: origins, allowedMethods: methods,
                  allowedHeaders: node.all("AllowedHeader").map(\.text), exposeHeaders: node.all("ExposeHeader").map(\.text),
                  maxAgeSeconds: maxAge)
    }

    /// S3's checks of the values. An empty origin is accepted, as S3 accepts it; an empty method is not a method.
    fileprivate func validate() throws(CORSConfigurationError) {
        if let method = allowedMethods.first(where: { !Self.supportedMethods.contains($0) }) {
            throw .unsupportedMethod(method)
        }
        if let origin = allowedOrigins.first(where: { $0.wildcardCount > 1 }) { throw .originWildcards(origin) }
        if let header = allowedHeaders.first(where: { $0.wildcardCount > 1 }) { throw .headerWildcards(header) }
        if let header = exposeHeaders.first(where: { $0.contains("*") }) { throw .exposeHeaderWildcard(header) }
        if let id, id.count > Self.maximumIDLength { throw .idTooLong(id) }
    }
}

extension String {
    fileprivate var wildcardCount: Int { utf8.count { $0 == UInt8(ascii: "*") } }
}
