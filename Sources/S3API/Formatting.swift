#if canImport(Glibc)
import Glibc
#endif
import Foundation
import LockstepCrypto

/// Timestamps as S3 writes them, without Foundation formatters on the hot path.
enum S3Time {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func components(_ millis: Int64) -> tm {
        var seconds = time_t(millis / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return parts
    }

    private static func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// `2006-01-02T15:04:05.000Z` (XML listings). Whole seconds, like S3 and like `Last-Modified`, so a listing and a
    /// HEAD of the same object agree (sync tools compare them).
    static func iso8601(_ millis: Int64) -> String {
        let t = components(millis)
        return "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday))T\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)).000Z"
    }

    /// `Mon, 02 Jan 2006 15:04:05 GMT` (Last-Modified, Date).
    static func httpDate(_ millis: Int64) -> String {
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
    static func parseHTTPDate(_ text: String) -> Int64? {
        parserLock.lock()
        defer { parserLock.unlock() }
        for parser in parsers {
            if let date = parser.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
        }
        return nil
    }
}

enum RequestIds {
    private static let prefix = secureRandomBytes(4).hexString.uppercased()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var counter: UInt32 = 0

    /// 16 upper-case hex digits like AWS's: a per-process random prefix and a counter (unique, and cheap per request).
    static func requestId() -> String {
        let n = lock.withLock { () -> UInt32 in
            counter &+= 1
            return counter
        }
        let hex = String(n, radix: 16, uppercase: true)
        return prefix + String(repeating: "0", count: 8 - hex.count) + hex
    }
    static func hostId() -> String { Base64.encode(secureRandomBytes(48)) }
}
