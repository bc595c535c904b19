import CoreMetrics
import Foundation
import Prometheus
import S3API
import Store

/// The series read at each scrape rather than counted as things happen: how much the store holds, access log records
/// waiting and delivered, and the process's start time and resident memory (Prometheus' standard `process_*` names).
final class ScrapeGauges: @unchecked Sendable {
    // Unchecked: `deliveredSeen` and `updates` are only touched under `lock`; the rest are constants of thread-safe types.
    private let objects: CoreMetrics.Gauge
    private let versions: CoreMetrics.Gauge
    private let bytes: CoreMetrics.Gauge
    private let accessLogPending: CoreMetrics.Gauge
    private let accessLogDelivered: CoreMetrics.Counter
    private let residentMemory: CoreMetrics.Gauge
    private let lock = NSLock()
    /// The spool's delivered count when last read: the counter moves by the difference.
    private var deliveredSeen = 0
    private var updateCount = 0
    /// How many times the gauges were brought up to date (each a store scan).
    var updates: Int { lock.withLock { updateCount } }

    init(factory: PrometheusMetricsFactory) {
        objects = CoreMetrics.Gauge(label: "lockstep_store_objects", factory: factory)
        versions = CoreMetrics.Gauge(label: "lockstep_store_versions", factory: factory)
        bytes = CoreMetrics.Gauge(label: "lockstep_store_bytes", factory: factory)
        accessLogPending = CoreMetrics.Gauge(label: "lockstep_access_log_records_pending", factory: factory)
        accessLogDelivered = CoreMetrics.Counter(label: "lockstep_access_log_records_delivered_total", factory: factory)
        residentMemory = CoreMetrics.Gauge(label: "process_resident_memory_bytes", factory: factory)
        CoreMetrics.Gauge(label: "process_start_time_seconds", factory: factory).record(ProcessStatistics.startTimeSeconds())
    }

    func update(store: ObjectStore?, accessLog: AccessLogSpool?) async {
        lock.withLock { updateCount += 1 }
        if let store, let size = try? await store.statistics() {
            objects.record(size.objects)
            versions.record(size.versions - size.deleteMarkers)
            bytes.record(size.bytes)
        }
        if let accessLog {
            let counts = accessLog.counts
            accessLogPending.record(counts.pending)
            let newlyDelivered = lock.withLock {
                defer { deliveredSeen = max(deliveredSeen, counts.delivered) }
                return max(0, counts.delivered - deliveredSeen)
            }
            if newlyDelivered > 0 { accessLogDelivered.increment(by: newlyDelivered) }
        }
        if let resident = ProcessStatistics.residentBytes() { residentMemory.record(resident) }
    }
}
