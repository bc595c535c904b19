import CoreMetrics
import Foundation
import FrontDoors
import Prometheus
import S3API
import Store

/// Lockstep's Prometheus series (`lockstep_…`; every one is listed in docs/operations.md, "Metrics"), recorded through
/// swift-metrics into a registry of this server's own. Nothing goes through `MetricsSystem.bootstrap`: it is
/// process-wide, and tests run many servers in one process.
///
/// A request costs a dictionary lookup under a lock and a few atomic adds; a series is made the first time its labels
/// occur and kept.
public final class ServerMetrics: @unchecked Sendable {
    // Unchecked: `operations` and `kmsOperations` are only touched under `lock`; the rest are constants of thread-safe
    // types.
    public let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    private let lock = NSLock()
    private var operations: [OperationKey: OperationSeries] = [:]
    private var kmsOperations: [KMSSeries: CoreMetrics.Counter] = [:]
    /// By `lockIndex(_:)`.
    private let terraformLocks: [CoreMetrics.Counter]
    private let lifecyclePasses: CoreMetrics.Counter
    /// In `LifecyclePassResult`'s order: expired, noncurrent expired, delete markers removed, transitioned, uploads aborted.
    private let lifecycleActions: [CoreMetrics.Counter]
    let state: ScrapeGauges

    /// Request latency buckets, 0.5 ms to 10 s.
    static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
        .seconds(5), .seconds(10),
    ]

    /// Operation names come from the front doors, which name only what they serve. Past this many (service, operation)
    /// pairs, or for a name no operation has, the series is `Other`, so no client can grow the registry without end.
    static let operationLimit = 500

    static let lockPaths: [RequestSummary.LockEvent.Path] = [.s3Lockfile, .dynamodb, .http]
    static let lockOutcomes: [RequestSummary.LockEvent.Outcome] = [.acquired, .refused, .released]
    static let lifecycleActionNames = ["expired", "noncurrent_expired", "delete_markers_removed", "transitioned", "uploads_aborted"]
    static let statusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"]

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = ["lockstep_request_duration_seconds": Self.latencyBuckets]
        self.factory = factory
        terraformLocks = Self.lockPaths.flatMap { path in
            Self.lockOutcomes.map { outcome in
                CoreMetrics.Counter(label: "lockstep_terraform_locks_total", dimensions: [("path", path.rawValue), ("outcome", outcome.rawValue)],
                                    factory: factory)
            }
        }
        lifecyclePasses = CoreMetrics.Counter(label: "lockstep_lifecycle_passes_total", factory: factory)
        lifecycleActions = Self.lifecycleActionNames.map {
            CoreMetrics.Counter(label: "lockstep_lifecycle_actions_total", dimensions: [("action", $0)], factory: factory)
        }
        state = ScrapeGauges(factory: factory)
    }

    // MARK: Requests

    /// `lockstep_requests_total{service,operation,status_class}`, `lockstep_request_duration_seconds{service,operation}`,
    /// `lockstep_request_bytes_total` and `lockstep_response_bytes_total{service,operation}`, Terraform locks and KMS
    /// operations by key state.
    func record(_ event: RequestEvent) {
        let service = event.summary?.service ?? "unknown"
        let operation = event.summary?.operation ?? "Unknown"
        let statusClass = min(max(event.status / 100, 1), 5) - 1
        let (series, requests) = lock.withLock { () -> (OperationSeries, CoreMetrics.Counter) in
            let series = operationSeries(OperationKey(service: service, operation: operation))
            return (series, series.requests(statusClass, factory: factory))
        }
        requests.increment()
        series.duration.recordNanoseconds(Int64(clamping: event.latencyNanos))
        if event.bytesIn > 0 { series.bytesIn.increment(by: event.bytesIn) }
        if event.bytesOut > 0 { series.bytesOut.increment(by: event.bytesOut) }
        guard let summary = event.summary else { return }
        if let lockEvent = summary.lock { terraformLocks[Self.lockIndex(lockEvent)].increment() }
        if service == "kms" { kmsCounter(series.key.operation, keyState: summary.keyState ?? "none").increment() }
    }

    /// Under `lock`.
    private func operationSeries(_ key: OperationKey) -> OperationSeries {
        if let series = operations[key] { return series }
        var key = key
        if operations.count >= Self.operationLimit || !Self.isOperationName(key.operation) { key.operation = "Other" }
        if let series = operations[key] { return series }
        let series = OperationSeries(key, factory: factory)
        operations[key] = series
        return series
    }

    private func kmsCounter(_ operation: String, keyState: String) -> CoreMetrics.Counter {
        lock.withLock {
            let key = KMSSeries(operation: operation, keyState: keyState)
            if let counter = kmsOperations[key] { return counter }
            let counter = CoreMetrics.Counter(label: "lockstep_kms_operations_total",
                                              dimensions: [("operation", operation), ("key_state", keyState)], factory: factory)
            kmsOperations[key] = counter
            return counter
        }
    }

    /// AWS's operation names and Lockstep's own are ASCII letters and digits, never empty.
    static func isOperationName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }
    }

    static func lockIndex(_ event: RequestSummary.LockEvent) -> Int {
        let path: Int
        switch event.path {
        case .s3Lockfile: path = 0
        case .dynamodb: path = 1
        case .http: path = 2
        }
        let outcome: Int
        switch event.outcome {
        case .acquired: outcome = 0
        case .refused: outcome = 1
        case .released: outcome = 2
        }
        return path * 3 + outcome
    }

    // MARK: Background work

    /// `lockstep_lifecycle_passes_total` and `lockstep_lifecycle_actions_total{action}`: what every pass did, the
    /// worker's and the admin API's.
    public func recordLifecyclePass(_ result: LifecyclePassResult) {
        lifecyclePasses.increment()
        let counts = [result.expired, result.noncurrentExpired, result.deleteMarkersRemoved, result.transitioned, result.uploadsAborted]
        for (counter, count) in zip(lifecycleActions, counts) where count > 0 { counter.increment(by: count) }
    }

    // MARK: Scrape

    /// The exposition text, with the gauges that are read rather than counted (store size, access log records, the
    /// process) brought up to date first.
    func exposition(store: ObjectStore?, accessLog: AccessLogSpool?) async -> [UInt8] {
        await state.update(store: store, accessLog: accessLog)
        return registry.emitToBuffer()
    }
}

/// A series' labels: service and operation.
struct OperationKey: Hashable {
    var service: String
    var operation: String
}

/// A KMS series' labels: operation and key state.
struct KMSSeries: Hashable {
    var operation: String
    var keyState: String
}

/// The series of one operation. `statusClasses` is only touched under `ServerMetrics.lock`.
final class OperationSeries: @unchecked Sendable {
    let key: OperationKey
    let duration: CoreMetrics.Timer
    let bytesIn: CoreMetrics.Counter
    let bytesOut: CoreMetrics.Counter
    private var statusClasses: [CoreMetrics.Counter?] = Array(repeating: nil, count: ServerMetrics.statusClasses.count)

    init(_ key: OperationKey, factory: PrometheusMetricsFactory) {
        self.key = key
        let dimensions = [("service", key.service), ("operation", key.operation)]
        duration = CoreMetrics.Timer(label: "lockstep_request_duration_seconds", dimensions: dimensions, factory: factory)
        bytesIn = CoreMetrics.Counter(label: "lockstep_request_bytes_total", dimensions: dimensions, factory: factory)
        bytesOut = CoreMetrics.Counter(label: "lockstep_response_bytes_total", dimensions: dimensions, factory: factory)
    }

    /// `lockstep_requests_total` for one status class (0 = 1xx … 4 = 5xx), made on its first request.
    func requests(_ statusClass: Int, factory: PrometheusMetricsFactory) -> CoreMetrics.Counter {
        if let counter = statusClasses[statusClass] { return counter }
        let counter = CoreMetrics.Counter(label: "lockstep_requests_total",
                                          dimensions: [("service", key.service), ("operation", key.operation),
                                                       ("status_class", ServerMetrics.statusClasses[statusClass])],
                                          factory: factory)
        statusClasses[statusClass] = counter
        return counter
    }
}
