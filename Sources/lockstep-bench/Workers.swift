import NIOCore
import NIOPosix

/// Runs `count` workers concurrently and returns their results in worker order.
func runWorkers<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) async -> T) async -> [T] {
    await withTaskGroup(of: (Int, T).self) { group in
        for w in 0..<count {
            group.addTask { (w, await body(w)) }
        }
        var results = [T?](repeating: nil, count: count)
        for await (w, result) in group { results[w] = result }
        return results.map { $0! }
    }
}

/// Stops a timed loop at the deadline.
struct Deadline: Sendable {
    let at: UInt64

    init(after duration: GoDuration) { at = Monotonic.now() + duration.nanoseconds }

    var passed: Bool { Monotonic.now() >= at }
}

/// Sleeps on an event loop timer rather than with Task.sleep, whose timers run on a separate thread pool: the lock
/// scenarios pause thousands of times a second, and the extra thread hops cost more client CPU than the requests.
func pause(_ duration: GoDuration) async {
    let loop = MultiThreadedEventLoopGroup.singleton.any()
    try? await loop.scheduleTask(in: .nanoseconds(Int64(duration.nanoseconds))) {}.futureResult.get()
}
