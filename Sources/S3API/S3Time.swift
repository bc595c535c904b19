import Foundation
import FrontDoors

/// Timestamps as S3 writes them in XML.
enum S3Time {
    /// `2006-01-02T15:04:05.000Z` (XML listings). Whole seconds, like S3 and like `Last-Modified`, so a listing and a
    /// HEAD of the same object agree (sync tools compare them).
    static func iso8601(_ millis: Int64) -> String {
        let t = HTTPDate.components(millis)
        let two = HTTPDate.two
        return "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday))T\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)).000Z"
    }

    /// `2006-01-02T15:04:05.123Z`: with milliseconds, for dates S3 keeps to the millisecond (Object Lock retention).
    static func iso8601Millis(_ millis: Int64) -> String {
        let whole = iso8601(millis)
        let fraction = String(((millis % 1000) + 1000) % 1000 + 1000).dropFirst()
        return String(whole.dropLast(5)) + "." + fraction + "Z"
    }

    /// An ISO 8601 date or date-time in milliseconds since the epoch; nil for anything else.
    static func parseISO8601(_ text: String) -> Int64? { ISO8601Date.parse(text) }
}
