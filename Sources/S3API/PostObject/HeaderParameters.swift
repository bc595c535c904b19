/// A MIME header value of the form `type; name=value; name="quoted value"` (`Content-Type`,
/// `Content-Disposition`), split into its lowercased type and its parameters.
struct HeaderParameters: Sendable {
    /// The part before the first `;`, lowercased (`multipart/form-data`, `form-data`).
    var type: String
    /// In order, names lowercased (they are case-insensitive), values as written without their quotes.
    var parameters: [(name: String, value: String)]

    /// The first parameter called `name` (lowercase).
    func value(_ name: String) -> String? {
        parameters.first { $0.name == name }?.value
    }

    /// nil when a quoted value is never closed.
    ///
    /// In a quoted value only `\"` and `\\` are escapes: browsers never escape (they write `"` as `%22`), and older
    /// ones send Windows paths raw (`filename="C:\dir\a.txt"`), whose backslashes must survive for `${filename}`.
    init?(_ header: String) {
        let scalars = Array(header.unicodeScalars)
        var i = 0
        func isSpace(_ s: Unicode.Scalar) -> Bool { s == " " || s == "\t" }
        func trimmed(_ s: [Unicode.Scalar]) -> String {
            var view = s[...]
            while let first = view.first, isSpace(first) { view = view.dropFirst() }
            while let last = view.last, isSpace(last) { view = view.dropLast() }
            return String(String.UnicodeScalarView(view))
        }

        var head: [Unicode.Scalar] = []
        while i < scalars.count, scalars[i] != ";" {
            head.append(scalars[i])
            i += 1
        }
        type = trimmed(head).lowercased()
        parameters = []

        while i < scalars.count {
            i += 1  // the `;`
            var name: [Unicode.Scalar] = []
            while i < scalars.count, scalars[i] != "=", scalars[i] != ";" {
                name.append(scalars[i])
                i += 1
            }
            let parameterName = trimmed(name).lowercased()
            guard i < scalars.count, scalars[i] == "=" else {
                if !parameterName.isEmpty { parameters.append((parameterName, "")) }
                continue
            }
            i += 1
            while i < scalars.count, isSpace(scalars[i]) { i += 1 }
            var value: [Unicode.Scalar] = []
            if i < scalars.count, scalars[i] == "\"" {
                i += 1
                var closed = false
                while i < scalars.count {
                    let s = scalars[i]
                    if s == "\"" {
                        closed = true
                        i += 1
                        break
                    }
                    if s == "\\", i + 1 < scalars.count, scalars[i + 1] == "\"" || scalars[i + 1] == "\\" {
                        value.append(scalars[i + 1])
                        i += 2
                        continue
                    }
                    value.append(s)
                    i += 1
                }
                guard closed else { return nil }
                while i < scalars.count, scalars[i] != ";" { i += 1 }  // anything after the closing quote
                parameters.append((parameterName, String(String.UnicodeScalarView(value))))
            } else {
                while i < scalars.count, scalars[i] != ";" {
                    value.append(scalars[i])
                    i += 1
                }
                parameters.append((parameterName, trimmed(value)))
            }
        }
    }
}
