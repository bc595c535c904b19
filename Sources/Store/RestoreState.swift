/// A restore of an archived version (RestoreObject): requested at one time, readable from `completesMillis` until
/// `expiresMillis`, all on the store clock. A restore asked for again while ready only moves its expiry.
public struct RestoreState: Sendable, Codable, Equatable {
    public var tier: String
    public var days: Int
    public var requestedMillis: Int64
    public var completesMillis: Int64
    public var expiresMillis: Int64

    public init(tier: String, days: Int, requestedMillis: Int64, completesMillis: Int64, expiresMillis: Int64) {
        self.tier = tier; self.days = days; self.requestedMillis = requestedMillis
        self.completesMillis = completesMillis; self.expiresMillis = expiresMillis
    }

    public func isOngoing(nowMillis: Int64) -> Bool { nowMillis < completesMillis }
    public func isReadable(nowMillis: Int64) -> Bool { nowMillis >= completesMillis && nowMillis < expiresMillis }
}
