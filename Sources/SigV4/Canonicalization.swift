import LockstepCrypto

/// The SigV4 algorithm name, first line of every string to sign.
let sigV4Algorithm = "AWS4-HMAC-SHA256"

/// One query parameter as received, with its name and value still percent-encoded.
struct RawQueryItem {
    var name: Substring
    var value: Substring

    /// Decoded name, for matching X-Amz-* parameters.
    var decodedName: String { String(decoding: percentDecode(name.utf8), as: UTF8.self) }
    var decodedValue: String { String(decoding: percentDecode(value.utf8), as: UTF8.self) }
}

/// Splits a raw query on '&'; an item without '=' has an empty value; empty items are skipped.
func parseRawQuery(_ rawQuery: String) -> [RawQueryItem] {
    rawQuery.split(separator: "&", omittingEmptySubsequences: true).map { item in
        if let eq = item.firstIndex(of: "=") {
            return RawQueryItem(name: item[..<eq], value: item[item.index(after: eq)...])
        }
        return RawQueryItem(name: item, value: "")
    }
}

/// The canonical query string: names and values re-encoded the AWS way, sorted by name then value
/// (byte order), joined as `name=value` with '&'. `excluding` drops a parameter by decoded name
/// (X-Amz-Signature for presigned URLs).
func canonicalQueryString(_ items: [RawQueryItem], excluding: String? = nil) -> String {
    var pairs: [(name: String, value: String)] = []
    for item in items {
        if let excluding, item.decodedName == excluding { continue }
        pairs.append((canonicalReencode(item.name), canonicalReencode(item.value)))
    }
    pairs.sort { a, b in
        if a.name != b.name { return a.name.utf8.lexicographicallyPrecedes(b.name.utf8) }
        return a.value.utf8.lexicographicallyPrecedes(b.value.utf8)
    }
    return pairs.map { $0.name + "=" + $0.value }.joined(separator: "&")
}

func canonicalQueryString(rawQuery: String) -> String { canonicalQueryString(parseRawQuery(rawQuery)) }

/// A header value in canonical form: trimmed, inner runs of spaces and tabs collapsed to one space.
func canonicalHeaderValue(_ value: String) -> String {
    var out = [UInt8]()
    out.reserveCapacity(value.utf8.count)
    var pendingSpace = false
    for c in value.utf8 {
        if c == 0x20 || c == 0x09 {
            pendingSpace = !out.isEmpty
        } else {
            if pendingSpace { out.append(0x20); pendingSpace = false }
            out.append(c)
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// The canonical headers block (each line "name:value\n") for the signed header names, in their given order.
/// Repeated headers are joined with ','; a signed header missing from the request gets an empty value (the
/// signature then simply fails to match).
func canonicalHeaders(_ headers: [(name: String, value: String)], signedHeaders: [String]) -> String {
    var grouped: [String: [String]] = [:]
    for header in headers {
        grouped[asciiLowercased(header.name), default: []].append(canonicalHeaderValue(header.value))
    }
    var out = ""
    for name in signedHeaders {
        out += name + ":" + (grouped[name] ?? []).joined(separator: ",") + "\n"
    }
    return out
}

func canonicalRequest(method: String, canonicalURI: String, canonicalQuery: String,
                      headers: [(name: String, value: String)], signedHeaders: [String], payloadHash: String) -> String {
    [method, canonicalURI, canonicalQuery,
     canonicalHeaders(headers, signedHeaders: signedHeaders),
     signedHeaders.joined(separator: ";"), payloadHash].joined(separator: "\n")
}

func stringToSign(amzDate: String, scope: String, canonicalRequest: String) -> String {
    sigV4Algorithm + "\n" + amzDate + "\n" + scope + "\n" + Digest.sha256(Array(canonicalRequest.utf8)).hexString
}

/// The SigV4 signing key: HMAC chain over "AWS4"+secret, date (yyyymmdd), region, service, "aws4_request".
public func signingKey(secret: String, date: String, region: String, service: String) -> [UInt8] {
    var key = HMAC.sha256(key: Array(("AWS4" + secret).utf8), Array(date.utf8))
    key = HMAC.sha256(key: key, Array(region.utf8))
    key = HMAC.sha256(key: key, Array(service.utf8))
    return HMAC.sha256(key: key, Array("aws4_request".utf8))
}

/// Hex HMAC-SHA256 of a string to sign.
func signature(signingKey: [UInt8], stringToSign: String) -> String {
    HMAC.sha256(key: signingKey, Array(stringToSign.utf8)).hexString
}

/// "yyyymmdd/region/service/aws4_request"
func credentialScope(date: String, region: String, service: String) -> String {
    date + "/" + region + "/" + service + "/aws4_request"
}
