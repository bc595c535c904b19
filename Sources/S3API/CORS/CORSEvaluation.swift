import Foundation

/// Evaluating requests against the configuration. S3 uses the first rule, in document order, that admits the origin,
/// allows the method and covers every requested header; later rules are not consulted.
extension CORSConfiguration {
    /// A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`): the headers of the 200, or nil when
    /// no rule matches, which S3 refuses with `preflightRefusal`'s 403. `requestHeaders` are the names in
    /// `Access-Control-Request-Headers`, as `requestedHeaders` splits them.
    func preflight(origin: String, method: String, requestHeaders: [String]) -> CORSResult? {
        for rule in rules where rule.allows(method: method) && rule.allows(requestHeaders: requestHeaders) {
            if let pattern = rule.admittingOrigin(origin) {
                return CORSResult(rule: rule, admittedBy: pattern, origin: origin, requestHeaders: requestHeaders)
            }
        }
        return nil
    }

    /// The CORS headers S3 adds to any other request that carries `Origin`, error responses included. Nothing is
    /// added, not even `Vary`, when no rule matches: the request is served as if it were not cross-origin.
    ///
    /// S3 evaluates an actual request as it would a preflight when the preflight's headers are present: a request
    /// naming `Access-Control-Request-Method` is matched on that method instead of its own, and one naming
    /// `Access-Control-Request-Headers` must have those names allowed. The request's real headers are not checked.
    func headers(forOrigin origin: String, method: String, accessControlRequestMethod: String? = nil,
                 accessControlRequestHeaders: [String] = []) -> [(String, String)] {
        preflight(origin: origin, method: accessControlRequestMethod ?? method, requestHeaders: accessControlRequestHeaders)?
            .headers ?? []
    }

    /// The names in `Access-Control-Request-Headers` (or in several such fields joined with ","): a comma-separated
    /// list whose items may be surrounded by whitespace and whose empty items are ignored.
    static func requestedHeaders(_ field: String?) -> [String] {
        guard let field else { return [] }
        let whitespace = CharacterSet(charactersIn: " \t")
        return field.split(separator: ",").map { $0.trimmingCharacters(in: whitespace) }.filter { !$0.isEmpty }
    }
}
