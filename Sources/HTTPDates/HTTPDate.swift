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

    /// The one parser of dates in request headers (`Date`, `If-Modified-Since`, `If-Unmodified-Since`, `Expires`, and
    /// the `Date` a signature covers), to milliseconds: the three forms RFC 9110 allows (IMF-fixdate
    /// `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT`, asctime `Sun Nov  6 08:49:37 1994`),
    /// the RFC 5322 numeric zone some clients put in the first form (`+0000`, `-0700`, `-0000`), and ISO 8601. By hand:
    /// Foundation's DateFormatter traps on some non-ASCII input (found by fuzzing), and request headers are untrusted.
    public static func parse(_ text: String) -> Int64? {
        if let first = text.utf8.first, first >= 0x30 && first <= 0x39 { return ISO8601Date.parse(text) }
        let tokens = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        var day: Int?, month: Int?, year: Int?, time: String?
        var offsetSeconds = 0
        switch tokens.count {
        case 6 where tokens[0].hasSuffix(","):  // IMF-fixdate, or RFC 5322 with a numeric zone
            guard let offset = zoneOffsetSeconds(tokens[5]), tokens[3].utf8.count == 4 else { return nil }
            (day, month, year, time) = (decimal(tokens[1]), monthIndex(tokens[2]), decimal(tokens[3]), tokens[4])
            offsetSeconds = offset
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
        return (midnight + Int64(seconds) - Int64(offsetSeconds)) * 1000
    }

    /// `GMT`/`UTC`, or `±HHMM` east of UTC (`-0000` is UTC too).
    private static func zoneOffsetSeconds(_ zone: String) -> Int? {
        if isZone(zone) { return 0 }
        let bytes = Array(zone.utf8)
        guard bytes.count == 5, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"),
              let hours = decimal(String(zone.dropFirst().prefix(2))), let minutes = decimal(String(zone.suffix(2))),
              hours < 24, minutes < 60 else { return nil }
        let seconds = hours * 3600 + minutes * 60
        return bytes[0] == UInt8(ascii: "+") ? seconds : -seconds
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
