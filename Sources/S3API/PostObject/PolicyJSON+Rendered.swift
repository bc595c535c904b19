import AccessPolicy

/// A POST policy's values written back as JSON, the way S3 echoes operands in its messages.
extension PolicyJSON {
    /// The value written back as JSON, the way S3 quotes operands in "Policy Condition failed" messages.
    var rendered: String {
        switch self {
        case .string(let s): return Self.quoted(s)
        case .number(let text): return text
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.rendered).joined(separator: ", ") + "]"
        case .object(let members):
            return "{" + members.map { Self.quoted($0.name) + ": " + $0.value.rendered }.joined(separator: ", ") + "}"
        }
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
