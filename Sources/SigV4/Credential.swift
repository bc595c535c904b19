/// The `Credential` of an Authorization header or X-Amz-Credential: "AKID/yyyymmdd/region/service/aws4_request".
struct Credential: Equatable {
    var accessKey: String
    var date: String
    var region: String
    var service: String

    var scope: String { credentialScope(date: date, region: region, service: service) }

    enum Problem: Error, Equatable { case malformed, emptyAccessKey, badTerminator(String), badDate(String) }

    static func parse(_ s: String) throws(Problem) -> Credential {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 5 else { throw .malformed }
        let n = parts.count
        // Access key ids never contain '/', but splitting from the end keeps the scope intact regardless.
        let accessKey = parts[0..<(n - 4)].joined(separator: "/")
        let (date, region, service, terminator) = (parts[n - 4], parts[n - 3], parts[n - 2], parts[n - 1])
        guard !accessKey.isEmpty else { throw .emptyAccessKey }
        guard terminator == "aws4_request" else { throw .badTerminator(terminator) }
        guard date.utf8.count == 8, date.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw .badDate(date) }
        guard !region.isEmpty, !service.isEmpty else { throw .malformed }
        return Credential(accessKey: accessKey, date: date, region: region, service: service)
    }
}

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
struct AuthorizationHeader {
    var credential: Credential
    var signedHeaders: [String]
    var signature: String

    static func parse(_ value: String) throws(SigV4Error) -> AuthorizationHeader {
        // Byte-level parsing: this runs on every request, and Character-level String work is several times slower.
        let bytes = Array(value.utf8)
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 }
        var i = 0
        while i < bytes.count && isSpace(bytes[i]) { i += 1 }
        let schemeStart = i
        while i < bytes.count && !isSpace(bytes[i]) && bytes[i] != UInt8(ascii: ",") { i += 1 }
        let scheme = String(decoding: bytes[schemeStart..<i], as: UTF8.self)
        guard scheme == sigV4Algorithm else {
            // "AWS AKID:signature" is SigV2; anything else (AWS4-ECDSA-P256-SHA256, Bearer, …) is unsupported too.
            throw .unsupportedAlgorithm(scheme.isEmpty ? value : scheme)
        }
        // Components are separated by ',' with optional spaces; tolerate spaces alone as well.
        var fields: [String: String] = [:]
        for component in bytes[i...].split(whereSeparator: { $0 == UInt8(ascii: ",") || isSpace($0) }) {
            guard let eq = component.firstIndex(of: UInt8(ascii: "=")) else {
                throw .authorizationHeaderMalformed("the authorization component \"\(String(decoding: component, as: UTF8.self))\" is malformed.")
            }
            let key = String(decoding: component[..<eq], as: UTF8.self)
            guard fields[key] == nil else {
                throw .authorizationHeaderMalformed("the authorization component \"\(key)\" is repeated.")
            }
            fields[key] = String(decoding: component[(eq + 1)...], as: UTF8.self)
        }
        for key in ["Credential", "SignedHeaders", "Signature"] where fields[key] == nil {
            throw .authorizationHeaderMalformed("missing the \(key) component.")
        }
        let credential: Credential
        do { credential = try Credential.parse(fields["Credential"]!) } catch {
            throw .authorizationHeaderMalformed(error.message)
        }
        let signedHeaders = parseSignedHeaders(fields["SignedHeaders"]!)
        guard !signedHeaders.isEmpty else {
            throw .authorizationHeaderMalformed("the SignedHeaders component is empty.")
        }
        let signature = fields["Signature"]!
        guard !signature.isEmpty else {
            throw .authorizationHeaderMalformed("the Signature component is empty.")
        }
        return AuthorizationHeader(credential: credential, signedHeaders: signedHeaders, signature: signature)
    }
}

/// "host;range;x-amz-date" → lower-cased names in the given order (the order that was signed).
func parseSignedHeaders(_ s: String) -> [String] {
    s.split(separator: ";").map { asciiLowercased(String($0)) }
}

extension Credential.Problem {
    var message: String {
        switch self {
        case .malformed:
            return "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
        case .emptyAccessKey:
            return "a non-empty Access Key (AKID) must be provided in the credential."
        case .badTerminator(let t):
            return "incorrect terminal \"\(t)\". This endpoint uses \"aws4_request\"."
        case .badDate(let d):
            return "incorrect date format \"\(d)\". This date in the credential must be in the format \"yyyyMMdd\"."
        }
    }
}
