import Foundation
import Store

/// A clock the tests move by hand; the store stamps with it and every signature is made at its current time. As a
/// store clock behind the admin API, its offset is how far it has moved since it started.
public final class ManualClock: AdvanceableClock, @unchecked Sendable {
    // Unchecked: `millis` is only touched under `lock`.
    private let lock = NSLock()
    private var millis: Int64

    /// 2025-03-01T12:00:00.250Z: a fixed start with a sub-second part, so second truncation matters.
    public static let start: Int64 = 1_740_830_400_250

    private let startMillis: Int64

    public init(millis: Int64 = ManualClock.start) {
        self.millis = millis
        startMillis = millis
    }

    public func nowMillis() -> Int64 {
        lock.withLock { millis }
    }

    public func advance(seconds: Double) {
        lock.withLock { millis += Int64(seconds * 1000) }
    }

    public var offsetMillis: Int64 { lock.withLock { millis - startMillis } }

    public func advance(byMillis delta: Int64) throws {
        lock.withLock { millis += delta }
    }

    public var date: Date { Date(timeIntervalSince1970: Double(nowMillis()) / 1000) }
}
