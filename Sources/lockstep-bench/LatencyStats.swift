/// Latency summaries in milliseconds, computed as s3bench does (nearest-rank percentiles).
enum LatencyStats {
    /// {"n", "p50", "p90", "p99", "max", "mean"} of nanosecond samples; only {"n": 0} when there are none.
    static func summary(_ samples: [UInt64]) -> JSONObject {
        var o = JSONObject()
        o.add("n", samples.count)
        guard !samples.isEmpty else { return o }
        let sorted = samples.sorted()
        for p in [50.0, 90.0, 99.0] {
            o.add("p" + String(Int(p)), Monotonic.ms(percentile(sorted, p)))
        }
        o.add("max", Monotonic.ms(sorted[sorted.count - 1]))
        let sum = sorted.reduce(0.0) { $0 + Double($1) }
        o.add("mean", sum / Double(sorted.count) / 1e6)
        return o
    }

    /// Nearest rank: the smallest sample with at least p % of the samples at or below it.
    static func percentile(_ sorted: [UInt64], _ p: Double) -> UInt64 {
        var index = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        index = max(0, min(sorted.count - 1, index))
        return sorted[index]
    }

    /// The lower median, as s3bench's `median`.
    static func median<T: Comparable>(_ values: [T]) -> T? {
        guard !values.isEmpty else { return nil }
        return values.sorted()[(values.count - 1) / 2]
    }
}
