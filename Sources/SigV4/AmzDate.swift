#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HTTPDates

/// Timestamps in the forms SigV4 uses, handled as whole seconds since 1970 (UTC) without calendars or locales.
public enum AmzDate {
    /// "20130524T000000Z" (ISO 8601 basic, as in X-Amz-Date).
    static func parseBasic(_ s: String) -> Int64? {
        let c = Array(s.utf8)
        guard c.count == 16, c[8] == UInt8(ascii: "T"), c[15] == UInt8(ascii: "Z"),
              let year = number(c[0..<4]), let month = number(c[4..<6]), let day = number(c[6..<8]),
              let hour = number(c[9..<11]), let minute = number(c[11..<13]), let second = number(c[13..<15])
        else { return nil }
        return epoch(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// A request's `Date` header, in any form HTTP allows (`HTTPDate.parse`, the server's one date parser), to seconds.
    static func parseHTTP(_ s: String) -> Int64? {
        HTTPDate.parse(s).map { $0 / 1000 }
    }

    /// "20130524T000000Z"
    public static func formatBasic(_ t: Int64) -> String {
        let (y, mo, d, h, mi, s) = civil(t)
        return pad(y, 4) + pad(mo, 2) + pad(d, 2) + "T" + pad(h, 2) + pad(mi, 2) + pad(s, 2) + "Z"
    }

    /// "2013-05-24T00:00:00Z", the form S3 uses in error bodies.
    public static func formatISO8601(_ t: Int64) -> String {
        let (y, mo, d, h, mi, s) = civil(t)
        return pad(y, 4) + "-" + pad(mo, 2) + "-" + pad(d, 2) + "T" + pad(h, 2) + ":" + pad(mi, 2) + ":" + pad(s, 2) + "Z"
    }

    static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
    static func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: Double(seconds)) }

    private static func number<C: Collection>(_ digits: C) -> Int? where C.Element == UInt8 {
        guard !digits.isEmpty, digits.count <= 4 else { return nil }
        var n = 0
        for c in digits {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            n = n * 10 + Int(c - 0x30)
        }
        return n
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func epoch(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64? {
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year, month),
              hour < 24, minute < 60, second < 61 else { return nil }
        return Int64(daysFromCivil(year, month, day)) * 86400 + Int64(hour * 3600 + minute * 60 + min(second, 59))
    }

    private static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
    private static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    private static func civil(_ t: Int64) -> (Int, Int, Int, Int, Int, Int) {
        var days = Int(t / 86400)
        var secs = Int(t % 86400)
        if secs < 0 { secs += 86400; days -= 1 }
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
    }
}
