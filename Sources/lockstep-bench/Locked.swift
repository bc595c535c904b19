import Foundation

/// A value shared between workers, behind a lock. Used off the hot path (errors, counters with a limit).
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    var current: Value { withLock { $0 } }
}

/// Hands out at most `limit` tickets (unlimited when the limit is 0): s3bench's -max-ops and friends.
final class OperationBudget: Sendable {
    private let limit: Int64
    private let taken = Locked<Int64>(0)

    init(limit: Int64) { self.limit = limit }

    /// False once the budget is spent; never locks when there is no limit.
    func take() -> Bool {
        guard limit > 0 else { return true }
        return taken.withLock { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
    }

    var used: Int64 { taken.current }
}
