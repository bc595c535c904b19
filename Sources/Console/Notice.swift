/// What an action did, carried to the page it redirects to as `?done=code` or `?done=code:detail`. Only these codes
/// are shown, in the console's own words, and a detail is limited to characters an error code, a version id or a
/// duration uses — a link cannot make a console page say something of the sender's choosing.
struct Notice: Equatable {
    let code: String
    let detail: String?

    init(code: String, detail: String? = nil) {
        self.code = code
        self.detail = detail.flatMap(Self.safe)
    }

    var query: String { detail.map { code + ":" + $0 } ?? code }

    static func safe(_ detail: String) -> String? {
        guard !detail.isEmpty, detail.count <= 64,
              detail.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || " ._-".unicodeScalars.contains($0)) })
        else { return nil }
        return detail
    }

    /// The sentence for `?done=…`, nil for anything the console did not write.
    static func text(_ query: String) -> String? {
        let parts = query.split(separator: ":", maxSplits: 1).map(String.init)
        let notice = Notice(code: parts.first ?? "", detail: parts.count == 2 ? parts[1] : nil)
        let detail = notice.detail
        switch (notice.code, detail) {
        case ("unlocked", nil): return "Lock released."
        case ("lock-changed", nil): return "The lock changed since the page was loaded; nothing was released."
        case ("unlock-no-etag", nil): return "Nothing was released: the form did not name the lock to release."
        case ("unlock-refused", let code?): return "Not released: \(code)."
        case ("no-version", nil): return "No version was chosen."
        case ("locked", nil): return "The state is locked, or its lock cannot be read; release the lock before restoring a version."
        case ("restored", let version?): return "Version \(version) restored as the current state."
        case ("restore-refused", let code?): return "Not restored: \(code)."
        case ("advanced", let amount?): return "The store clock moved forward \(amount); lifecycle rules now due run in the background."
        case ("bad-duration", nil): return "Give a non-negative duration such as 30d, 12h, 15m or 90s."
        case ("clock-failed", nil): return "The clock did not move."
        default: return nil
        }
    }
}
