#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// `Mon, 02 Jan 2006 15:04:05 GMT`: the `Date` header of every response, `Last-Modified`, and the HTTP date forms
/// requests carry. Written without Foundation formatters: it is on every response.
public enum HTTPDate {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

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

    private static let parsers: [DateFormatter] = ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy",
                                                   "yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mm:ss.SSSXXXXX"].map { format in
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = format
        return f
    }
    private static let parserLock = NSLock()

    /// Parses the three HTTP date forms (RFC 1123, RFC 850, asctime) and ISO 8601, to milliseconds.
    public static func parse(_ text: String) -> Int64? {
        parserLock.withLock {
            for parser in parsers {
                if let date = parser.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
            }
            return nil
        }
    }
}
