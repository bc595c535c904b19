import LockstepCrypto

/// RFC 2047 encoded-words in user metadata, as S3 handles them: values arrive decoded from `=?UTF-8?B?…?=` (or
/// `?Q?`) into the text they stand for, and values with non-ASCII characters go out encoded as `=?UTF-8?B?…?=`, so
/// headers stay ASCII. Anything that is not a well-formed encoded-word is kept as written.
enum RFC2047 {
    static func encode(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 >= 0x80 }) else { return value }
        return "=?UTF-8?B?" + Base64.encode(Array(value.utf8)) + "?="
    }

    static func decode(_ value: String) -> String {
        guard value.contains("=?") else { return value }
        let bytes = Array(value.utf8)
        var out: [UInt8] = []
        var index = 0
        // Whitespace between two encoded-words is not part of the text; it is held back until it is known to be.
        var pendingSpace: [UInt8] = []
        var previousWasWord = false
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "="), let (text, end) = word(bytes, at: index) {
                if !previousWasWord { out += pendingSpace }
                pendingSpace = []
                out += text
                index = end
                previousWasWord = true
            } else if bytes[index] == 0x20 || bytes[index] == 0x09 {
                pendingSpace.append(bytes[index])
                index += 1
            } else {
                out += pendingSpace
                pendingSpace = []
                out.append(bytes[index])
                index += 1
                previousWasWord = false
            }
        }
        out += pendingSpace
        return String(decoding: out, as: UTF8.self)
    }

    /// `=?charset?B|Q?text?=` at `start`: the decoded text as UTF-8 and the index after it.
    private static func word(_ bytes: [UInt8], at start: Int) -> ([UInt8], Int)? {
        guard start + 1 < bytes.count, bytes[start + 1] == UInt8(ascii: "?") else { return nil }
        var fields: [ArraySlice<UInt8>] = []
        var fieldStart = start + 2, index = start + 2
        while index < bytes.count, fields.count < 3 {
            if bytes[index] == UInt8(ascii: "?") {
                fields.append(bytes[fieldStart..<index])
                fieldStart = index + 1
            }
            index += 1
        }
        guard fields.count == 3, index < bytes.count, bytes[index] == UInt8(ascii: "=") else { return nil }
        let charset = String(decoding: fields[0], as: UTF8.self).lowercased()
        let raw: [UInt8]
        switch String(decoding: fields[1], as: UTF8.self).uppercased() {
        case "B":
            guard let decoded = Base64.decode(String(decoding: fields[2], as: UTF8.self)) else { return nil }
            raw = decoded
        case "Q":
            guard let decoded = quoted(fields[2]) else { return nil }
            raw = decoded
        default:
            return nil
        }
        switch charset {
        case "utf-8", "utf8":
            guard String(validating: raw, as: UTF8.self) != nil else { return nil }
            return (raw, index + 1)
        case "iso-8859-1", "latin1", "us-ascii":
            var text = String.UnicodeScalarView()
            for byte in raw { text.append(Unicode.Scalar(byte)) }
            return (Array(String(text).utf8), index + 1)
        default:
            return nil
        }
    }

    /// The `Q` encoding: `_` is a space, `=XX` a byte.
    private static func quoted(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == UInt8(ascii: "_") {
                out.append(0x20)
            } else if byte == UInt8(ascii: "=") {
                guard index + 2 < text.endIndex, let value = Hex.decode(String(decoding: text[(index + 1)...(index + 2)], as: UTF8.self))
                else { return nil }
                out += value
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }
}
