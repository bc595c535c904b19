import Foundation
import FrontDoors
import HTTPDates

/// Timestamps as S3 writes them in XML.
enum S3Time {
    /// `2006-01-02T15:04:05.000Z` (XML listings). Whole seconds, like S3 and like `Last-Modified`, so a listing and a
    /// HEAD of the same object agree (sync tools compare them).
    static func iso8601(_ millis: Int64) -> String {
        let t = HTTPDate.components(millis)
        let two = HTTPDate.two
        return "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday))T\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec)).000Z"
    }
}
