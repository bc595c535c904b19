#if canImport(Glibc)
import Glibc
#endif

/// `Mon, 02 Jan 2006 15:04:05 GMT`: the `Date` header of every response, `Last-Modified`, and the HTTP date forms
/// requests carry. Written without Foundation formatters: it is on every response.
public enum HTTPDate {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    public static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The UTC calendar fields of a moment.
    public static func components(_ millis: Int64) -> tm {
        var seconds = time_t(millis / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return parts
    }

    public static func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }

    public static func format(_ millis: Int64) -> String {
        let t = components(millis)
        return "\(weekdays[Int(t.tm_wday)]), \(two(t.tm_mday)) \(months[Int(t.tm_mon)]) \(t.tm_year + 1900) \(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)) GMT"
    }

    /// Parses the three HTTP date forms (RFC 1123 `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 850
    /// `Sunday, 06-Nov-94 08:49:37 GMT`, asctime `Sun Nov  6 08:49:37 1994`) and ISO 8601, to milliseconds. By hand:
    /// Foundation's DateFormatter traps on some non-ASCII input (found by fuzzing), and request headers are untrusted.
    public static func parse(_ text: String) -> Int64? {
        if let first = text.utf8.first, first >= 0x30 && first <= 0x39 { return ISO8601Date.parse(text) }
        let tokens = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var day: Int?, month: Int?, year: Int?, time: String?
        switch tokens.count {
        case 6 where tokens[0].hasSuffix(",") && isZone(tokens[5]):  // RFC 1123
            (day, month, year, time) = (decimal(tokens[1]), monthIndex(tokens[2]), decimal(tokens[3]), tokens[4])
            guard tokens[3].utf8.count == 4 else { return nil }
        case 4 where tokens[0].hasSuffix(",") && isZone(tokens[3]):  // RFC 850
            let parts = tokens[1].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, parts[2].utf8.count == 2, let yy = decimal(parts[2]) else { return nil }
            (day, month, year, time) = (decimal(parts[0]), monthIndex(parts[1]), yy < 70 ? 2000 + yy : 1900 + yy, tokens[2])
        case 5:  // asctime
            (day, month, year, time) = (decimal(tokens[2]), monthIndex(tokens[1]), decimal(tokens[4]), tokens[3])
            guard tokens[4].utf8.count == 4 else { return nil }
        default:
            return nil
        }
        guard let day, let month, let year, let time, let seconds = secondsOfDay(time),
              let midnight = ISO8601Date.utcMidnight(year: year, month: month, day: day) else { return nil }
        return (midnight + Int64(seconds)) * 1000
    }

    /// One to four ASCII digits.
    private static func decimal(_ text: String) -> Int? {
        guard (1...4).contains(text.utf8.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    private static func isZone(_ token: String) -> Bool { token == "GMT" || token == "UTC" }

    private static func monthIndex(_ name: String) -> Int? { months.firstIndex(of: name).map { $0 + 1 } }

    /// `HH:MM:SS`.
    private static func secondsOfDay(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ $0.utf8.count == 2 }), let h = decimal(String(parts[0])),
              let m = decimal(String(parts[1])), let s = decimal(String(parts[2])), h < 24, m < 60, s < 61 else { return nil }
        return h * 3600 + m * 60 + s
    }
}
