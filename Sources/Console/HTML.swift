import SigV4

/// HTML text: every value placed in a page goes through `escape`, since object keys, state contents, lock holders and
/// request paths are all untrusted input.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A path segment or query value for a link (everything but unreserved characters percent-encoded).
    static func urlComponent(_ text: String) -> String { sigV4URIEncode(text, encodeSlash: true) }

    /// A key as a path: encoded as a segment is, the slashes kept.
    static func keyPath(_ key: String) -> String { sigV4URIEncode(key, encodeSlash: false) }

    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}

/// A page's frame: the header with navigation and sign-out, then the page's own body.
struct PageLayout {
    let title: String
    let session: ConsoleSession?
    let active: String

    func render(_ body: String) -> String {
        var nav = ""
        if let session {
            let links = [("buckets", "/_lockstep/console/", "Buckets"), ("keys", "/_lockstep/console/keys", "Keys"),
                         ("clock", "/_lockstep/console/clock", "Clock"), ("requests", "/_lockstep/console/requests", "Requests")]
            nav = "<nav>" + links.map { id, href, label in
                "<a href=\"\(href)\"\(id == active ? " class=\"active\"" : "")>\(label)</a>"
            }.joined() + """
                <form method="post" action="/_lockstep/console/signout" class="signout">\
                <span class="who">\(HTML.escape(session.identity.arn))</span>\
                <input type="hidden" name="csrf" value="\(HTML.escape(session.csrfToken))">\
                <button type="submit">Sign out</button></form></nav>
                """
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) · Lockstep</title>
            <link rel="stylesheet" href="/_lockstep/console/assets/console.css">
            <script src="/_lockstep/console/assets/console.js" defer></script>
            </head><body>
            <header><a class="brand" href="/_lockstep/console/">Lockstep</a>\(nav)</header>
            <main>
            \(body)
            </main></body></html>
            """
    }
}
