import Foundation

/// Runs lifecycle passes one at a time: the background worker's and the admin API's (`POST /_lockstep/lifecycle/run`)
/// never overlap, and a pass asked for while one runs starts after it, so it sees everything that one did.
public final class LifecycleRunner: @unchecked Sendable {
    // Unchecked: `tail` is only touched under `lock`.
    public let store: ObjectStore
    public let schedule: LifecycleSchedule
    private let lock = NSLock()
    private var tail: Task<LifecyclePassResult, any Error>?
    /// Told what every completed pass did, whoever asked for it (the server's metrics count lifecycle actions).
    private let onPass: @Sendable (LifecyclePassResult) -> Void

    public init(store: ObjectStore, schedule: LifecycleSchedule, onPass: @escaping @Sendable (LifecyclePassResult) -> Void = { _ in }) {
        self.store = store
        self.schedule = schedule
        self.onPass = onPass
    }

    /// One complete pass at the store clock's time when it starts.
    public func runPass() async throws -> LifecyclePassResult {
        let task: Task<LifecyclePassResult, any Error> = lock.withLock {
            let previous = tail
            let next = Task { [store, schedule, onPass] in
                _ = await previous?.result
                let result = try await store.runLifecyclePass(schedule: schedule)
                onPass(result)
                return result
            }
            tail = next
            return next
        }
        return try await task.value
    }

    /// Waits for the pass in progress (and any queued behind it) to end: the server calls it before closing the store.
    public func waitUntilIdle() async {
        _ = await lock.withLock({ tail })?.result
    }

    /// How often the background worker looks for due work: twice per lifecycle day, at most every minute and at
    /// least every 100 ms — so a rule runs within about half a day of its due time.
    public var wakeIntervalMillis: Int64 { min(max(schedule.dayMillis / 2, 100), 60_000) }
}
