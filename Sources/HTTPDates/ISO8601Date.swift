#if canImport(Glibc)
import Glibc
#endif

/// ISO 8601 dates as S3 documents carry them (lifecycle dates, Object Lock retention): parsed by hand, byte by byte,
/// so no input can reach a formatter's edge cases.
public enum ISO8601Date {
    /// `2026-12-04T21:45:33.123Z`: to the millisecond, for dates kept to the millisecond (Object Lock retention, the
    /// store clock).
    public static func format(_ millis: Int64) -> String {
        let t = HTTPDate.components(millis)
        let two = HTTPDate.two
        let fraction = String(((millis % 1000) + 1000) % 1000 + 1000).dropFirst()
        return "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday))T\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)).\(fraction)Z"
    }

    /// An ISO 8601 date (`2026-01-01`) or date-time (`2026-01-01T00:00:00Z`, `…00.000Z`, `…00+02:00`) in milliseconds
    /// since the epoch; nil for anything else.
    public static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= bytes.count else { return nil }
            var value = 0
            for b in bytes[i..<(i + digits)] {
                guard b >= 0x30 && b <= 0x39 else { return nil }
                value = value * 10 + Int(b - 0x30)
            }
            i += digits
            return value
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var seconds = 0, millis = 0, offset = 0
        if i < bytes.count {
            guard expect(0x54), let hour = number(2), expect(0x3A), let minute = number(2), expect(0x3A), let second = number(2),
                  hour < 24, minute < 60, second < 61 else { return nil }
            seconds = hour * 3600 + minute * 60 + second
            if expect(0x2E) {
                let start = i
                while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
                guard i > start else { return nil }
                let digits = bytes[start..<min(i, start + 3)].map { Int($0 - 0x30) }
                millis = digits.enumerated().reduce(0) { $0 + $1.element * [100, 10, 1][$1.offset] }
            }
            if expect(0x5A) {
                offset = 0
            } else if i < bytes.count, bytes[i] == 0x2B || bytes[i] == 0x2D {
                let sign = bytes[i] == 0x2B ? 1 : -1
                i += 1
                guard let h = number(2), expect(0x3A), let m = number(2), h < 24, m < 60 else { return nil }
                offset = sign * (h * 3600 + m * 60)
            } else {
                return nil
            }
        }
        guard i == bytes.count else { return nil }
        guard let midnight = utcMidnight(year: year, month: month, day: day) else { return nil }
        return (midnight + Int64(seconds - offset)) * 1000 + Int64(millis)
    }

    /// Seconds since the epoch at 00:00 UTC of a calendar day; nil for days that do not exist (30 February).
    static func utcMidnight(year: Int, month: Int, day: Int) -> Int64? {
        guard (1...9999).contains(year), (1...12).contains(month), (1...31).contains(day) else { return nil }
        var t = tm()
        t.tm_year = Int32(year - 1900); t.tm_mon = Int32(month - 1); t.tm_mday = Int32(day)
        var seconds = timegm(&t)
        var check = tm()
        gmtime_r(&seconds, &check)
        guard check.tm_mday == Int32(day), check.tm_mon == Int32(month - 1) else { return nil }
        return Int64(seconds)
    }
}
