/// S3 Object Lock as the store keeps and enforces it: a bucket's lock configuration, and each version's retention and
/// legal hold (in its metadata). A version is protected while its retention date is in the future on the store clock
/// or while a legal hold is on; GOVERNANCE retention yields to a caller allowed to bypass it, COMPLIANCE and legal holds
/// never do.
public enum RetentionMode: String, Sendable, Codable {
    case governance = "GOVERNANCE"
    case compliance = "COMPLIANCE"
}

public struct ObjectRetention: Sendable, Codable, Equatable {
    public var mode: RetentionMode
    public var retainUntilMillis: Int64
    public init(mode: RetentionMode, retainUntilMillis: Int64) { self.mode = mode; self.retainUntilMillis = retainUntilMillis }
}

/// PutObjectLockConfiguration: lock is on for the bucket (it never goes off), optionally with a default retention that
/// new versions get when they ask for none.
public struct ObjectLockConfiguration: Sendable, Codable, Equatable {
    public struct DefaultRetention: Sendable, Codable, Equatable {
        public var mode: RetentionMode
        public var days: Int?
        public var years: Int?
        public init(mode: RetentionMode, days: Int? = nil, years: Int? = nil) { self.mode = mode; self.days = days; self.years = years }

        /// The retention a version created at `createdMillis` gets (a year is 365 days, as S3 counts it).
        public func retention(createdMillis: Int64) -> ObjectRetention {
            let days = Int64(self.days ?? 0) + Int64(years ?? 0) * 365
            return ObjectRetention(mode: mode, retainUntilMillis: createdMillis + days * 86_400_000)
        }
    }

    public var defaultRetention: DefaultRetention?
    public init(defaultRetention: DefaultRetention? = nil) { self.defaultRetention = defaultRetention }
}

extension ObjectMetadata {
    /// Whether the version may not be deleted (nor its retention shortened) at `nowMillis`.
    public func isProtected(nowMillis: Int64, bypassGovernance: Bool) -> Bool {
        if legalHold == true { return true }
        guard let retention, retention.retainUntilMillis > nowMillis else { return false }
        return retention.mode == .compliance || !bypassGovernance
    }
}
