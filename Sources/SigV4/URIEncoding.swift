private let upperHex = Array("0123456789ABCDEF".utf8)

@inline(__always)
func isUnreserved(_ c: UInt8) -> Bool {
    (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
        || c == 0x2D || c == 0x2E || c == 0x5F || c == 0x7E  // - . _ ~
}

/// AWS URI encoding: every byte of the UTF-8 form except A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex);
/// '/' is kept when `encodeSlash` is false (object key paths).
public func sigV4URIEncode(_ s: String, encodeSlash: Bool) -> String {
    var out = [UInt8]()
    out.reserveCapacity(s.utf8.count)
    for c in s.utf8 { appendEncoded(c, to: &out, keepSlash: !encodeSlash) }
    return String(decoding: out, as: UTF8.self)
}

@inline(__always)
func appendEncoded(_ c: UInt8, to out: inout [UInt8], keepSlash: Bool) {
    if isUnreserved(c) || (keepSlash && c == 0x2F) {
        out.append(c)
    } else {
        out.append(0x25)
        out.append(upperHex[Int(c >> 4)])
        out.append(upperHex[Int(c & 0x0F)])
    }
}

@inline(__always)
private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x41...0x46: return c - 0x41 + 10
    case 0x61...0x66: return c - 0x61 + 10
    default: return nil
    }
}

/// Percent-decodes a URL component to a string (invalid UTF-8 is repaired); `+` stays `+`.
public func percentDecoded(_ s: String) -> String {
    guard s.utf8.contains(0x25) else { return s }
    return String(decoding: percentDecode(Substring(s).utf8), as: UTF8.self)
}

/// Percent-decodes a URL component that must be UTF-8 once decoded (an object key, a bucket name): nil when the bytes
/// are not (a stray `%FF`, an overlong or surrogate encoding), so that no two different keys can decode alike.
public func percentDecodedUTF8(_ s: String) -> String? {
    guard s.utf8.contains(0x25) else { return s }
    return String(validating: percentDecode(Substring(s).utf8), as: UTF8.self)
}

/// Percent-decodes to bytes. '+' stays '+' (SigV4 never treats it as a space); a '%' not followed by two
/// hex digits is kept literally, so any input decodes.
func percentDecode(_ s: Substring.UTF8View) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(s.count)
    var it = Array(s)[...]
    while let c = it.popFirst() {
        if c == 0x25, it.count >= 2, let hi = hexValue(it[it.startIndex]), let lo = hexValue(it[it.startIndex + 1]) {
            out.append(hi << 4 | lo)
            it = it.dropFirst(2)
        } else {
            out.append(c)
        }
    }
    return out
}

/// Re-encodes an already percent-encoded string in the canonical AWS form (decode, then encode with
/// `sigV4URIEncode` rules). Used for query names and values.
func canonicalReencode(_ s: Substring) -> String {
    var out = [UInt8]()
    for c in percentDecode(s.utf8) { appendEncoded(c, to: &out, keepSlash: false) }
    return String(decoding: out, as: UTF8.self)
}

/// The canonical URI forms a client may have signed for an S3 path, most likely first.
///
/// S3 signs the path as the client encoded it, without normalisation (`//`, `.` and `..` are kept). Clients
/// differ in which characters they escape, so the received path is normalised to the AWS encoding. An escaped
/// slash (%2F) stays escaped in the first form, since a client that sent %2F almost always signed it; the
/// second form decodes it, and the last is the raw path verbatim.
func canonicalURICandidates(rawPath: String) -> [String] {
    let raw = rawPath.isEmpty ? "/" : rawPath
    var keepEscapedSlash = [UInt8](), decodeAll = [UInt8]()
    var bytes = Array(raw.utf8)[...]
    while let c = bytes.popFirst() {
        if c == 0x25, bytes.count >= 2, let hi = hexValue(bytes[bytes.startIndex]), let lo = hexValue(bytes[bytes.startIndex + 1]) {
            let decoded = hi << 4 | lo
            bytes = bytes.dropFirst(2)
            appendEncoded(decoded, to: &keepEscapedSlash, keepSlash: false)
            appendEncoded(decoded, to: &decodeAll, keepSlash: true)
        } else {
            appendEncoded(c, to: &keepEscapedSlash, keepSlash: true)
            appendEncoded(c, to: &decodeAll, keepSlash: true)
        }
    }
    var forms = [String(decoding: keepEscapedSlash, as: UTF8.self)]
    for extra in [String(decoding: decodeAll, as: UTF8.self), raw] where !forms.contains(extra) {
        forms.append(extra)
    }
    return forms
}
