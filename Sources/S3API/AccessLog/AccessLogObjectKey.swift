import FrontDoors
import HTTPDates
import KeyService
import Store

/// The key of a delivered log object, as AWS names them:
/// `SimplePrefix`:      TargetPrefix + `YYYY-mm-DD-HH-MM-SS-UniqueString`
/// `PartitionedPrefix`: TargetPrefix + `SourceAccountId/SourceRegion/SourceBucket/YYYY/MM/DD/` + the same name,
/// where the partition date is the records' event time or the delivery time, as configured.
enum AccessLogObjectKey {
    static func key(_ target: BucketLogging, source: String, region: String, deliveryMillis: Int64, eventMillis: Int64, unique: String) -> String {
        let name = timestamp(deliveryMillis) + "-" + unique
        switch target.keyFormat {
        case .simple:
            return target.targetPrefix + name
        case .partitioned(let dateSource):
            let t = HTTPDate.components(dateSource == .eventTime ? eventMillis : deliveryMillis)
            let day = "\(t.tm_year + 1900)/\(HTTPDate.two(t.tm_mon + 1))/\(HTTPDate.two(t.tm_mday))"
            return target.targetPrefix + "\(LockstepAccount.id)/\(region)/\(source)/\(day)/" + name
        }
    }

    /// `2019-02-06-00-00-38`
    static func timestamp(_ millis: Int64) -> String {
        let t = HTTPDate.components(millis)
        return "\(t.tm_year + 1900)-\(HTTPDate.two(t.tm_mon + 1))-\(HTTPDate.two(t.tm_mday))-"
            + "\(HTTPDate.two(t.tm_hour))-\(HTTPDate.two(t.tm_min))-\(HTTPDate.two(t.tm_sec))"
    }

    /// The UTC day of a moment, for grouping records by event date.
    static func utcDay(_ millis: Int64) -> Int64 { millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000 }
}
