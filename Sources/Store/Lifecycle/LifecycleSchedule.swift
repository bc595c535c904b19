/// When lifecycle actions fall due, as AWS decides it: a rule's `Days` are added to the object's creation time (or the
/// time it became noncurrent, or the upload's initiation) and the result is rounded up to the next midnight UTC. With
/// a short lifecycle day (`--lifecycle-day-seconds`) a "day" is that many seconds and "midnight" its next multiple
/// since the epoch, so a 30-day rule can be watched firing in a minute.
public struct LifecycleSchedule: Sendable, Equatable {
    public var dayMillis: Int64

    public static let standardDayMillis: Int64 = 86_400_000

    public init(dayMillis: Int64 = LifecycleSchedule.standardDayMillis) {
        precondition(dayMillis > 0)
        self.dayMillis = dayMillis
    }

    /// `days` after `start`, then on to the next day boundary (AWS: a 3-day rule on an object created 1/15 10:30 UTC
    /// fires 1/19 00:00 UTC; one created at 00:00 exactly still waits for the following midnight).
    public func due(after start: Int64, days: Int) -> Int64 {
        let (span, spanOverflow) = Int64(days).multipliedReportingOverflow(by: dayMillis)
        let (raw, overflow) = start.addingReportingOverflow(span)
        guard !spanOverflow, !overflow, raw < Int64.max - dayMillis else { return Int64.max }
        let remainder = raw % dayMillis
        return raw - (remainder < 0 ? remainder + dayMillis : remainder) + dayMillis
    }
}

extension LifecycleConfiguration {
    /// The enabled rule that expires a current object soonest, and when (the `x-amz-expiration` header).
    public func expiration(key: String, size: Int64, tags: [Tag], createdMillis: Int64,
                           schedule: LifecycleSchedule) -> (dueMillis: Int64, ruleId: String)? {
        var best: (Int64, String)?
        for rule in rules where rule.enabled {
            guard let expiration = rule.expiration, rule.filter.matches(key: key, size: size, tags: tags) else { continue }
            let due: Int64
            if let days = expiration.days {
                due = schedule.due(after: createdMillis, days: days)
            } else if let date = expiration.dateMillis {
                due = date
            } else {
                continue
            }
            if best == nil || due < best!.0 { best = (due, rule.id) }
        }
        return best.map { (dueMillis: $0.0, ruleId: $0.1) }
    }

    /// The enabled rule that aborts an upload soonest, and when (`x-amz-abort-date`, `x-amz-abort-rule-id`).
    public func abortDate(key: String, initiatedMillis: Int64, schedule: LifecycleSchedule) -> (dueMillis: Int64, ruleId: String)? {
        var best: (Int64, String)?
        for rule in rules where rule.enabled {
            guard let days = rule.abortIncompleteUploadDays, rule.filter.matchesUpload(key: key) else { continue }
            let due = schedule.due(after: initiatedMillis, days: days)
            if best == nil || due < best!.0 { best = (due, rule.id) }
        }
        return best.map { (dueMillis: $0.0, ruleId: $0.1) }
    }
}
