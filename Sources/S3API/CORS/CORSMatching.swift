/// How S3 matches a request against a rule: the origin against `AllowedOrigin`, the method against `AllowedMethod`,
/// and every name in `Access-Control-Request-Headers` against `AllowedHeader`. A pattern holds at most one `*`, which
/// stands for any run of characters, none included, and the pattern is anchored at both ends. Origins and methods are
/// compared byte for byte (browsers serialize origins in lowercase, and S3 refuses lowercase methods in a rule);
/// header names without regard to ASCII case, as HTTP compares them.
extension CORSRule {
    /// The first of the rule's origins that admits `origin`, as written in the rule.
    func admittingOrigin(_ origin: String) -> String? {
        allowedOrigins.first { CORSPattern.matches($0, origin, ignoringCase: false) }
    }

    func allows(method: String) -> Bool { allowedMethods.contains(method) }

    /// Every requested name is covered by some allowed header; a rule without `AllowedHeader` allows none.
    func allows(requestHeaders: [String]) -> Bool {
        requestHeaders.allSatisfy { name in
            allowedHeaders.contains { CORSPattern.matches($0, name, ignoringCase: true) }
        }
    }
}

enum CORSPattern {
    static func matches(_ pattern: String, _ value: String, ignoringCase: Bool) -> Bool {
        let pattern = ignoringCase ? asciiLowercased(pattern) : Array(pattern.utf8)
        let value = ignoringCase ? asciiLowercased(value) : Array(value.utf8)
        guard let star = pattern.firstIndex(of: UInt8(ascii: "*")) else { return pattern == value }
        let prefix = pattern[..<star]
        let suffix = pattern[(star + 1)...]
        return value.count >= prefix.count + suffix.count && value.starts(with: prefix) && value.reversed().starts(with: suffix.reversed())
    }

    private static func asciiLowercased(_ text: String) -> [UInt8] {
        text.utf8.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 }
    }
}
