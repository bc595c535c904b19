#if canImport(Glibc)
import Glibc
#endif

/// Runs background work (a lifecycle batch inside its write transaction) at the lowest CPU priority of the calling
/// thread, then restores it. On two cores, a busy thread at normal priority delays every event loop that wakes up
/// while it runs by the scheduler's granularity (milliseconds); at nice 19 the event loops preempt it at once.
/// Restoring the priority needs the right to raise it again (root, or `RLIMIT_NICE` of 20); without it, the work runs
/// at normal priority rather than leaving the shared writer thread slowed for good, and passes pace themselves instead.
enum BackgroundPriority {
    static let available: Bool = {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(__RLIMIT_NICE.rawValue), &limit) == 0 else { return false }
        // RLIMIT_NICE allows nice values down to 20 - limit; 20 means back to nice 0.
        return geteuid() == 0 || limit.rlim_cur >= 20
    }()

    static func run<T>(_ body: () throws -> T) rethrows -> T {
        guard available else { return try body() }
        // On Linux the nice value belongs to each thread, and `PRIO_PROCESS` with id 0 means the calling thread.
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        errno = 0
        let previous = getpriority(which, 0)
        guard errno == 0, setpriority(which, 0, 19) == 0 else { return try body() }
        defer { _ = setpriority(which, 0, previous) }
        return try body()
    }
}
