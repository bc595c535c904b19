#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Monotonic nanoseconds: one cheap clock shared by every worker, so timestamps from different workers compare.
enum Monotonic {
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    static func seconds(since start: UInt64) -> Double { Double(now() &- start) / 1e9 }
    static func ms(_ nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1e6 }
}

/// Wall-clock time, for the `time` field.
enum WallClock {
    static func epochSeconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }
}
