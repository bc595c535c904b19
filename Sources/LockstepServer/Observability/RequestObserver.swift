import FrontDoors
import Logging

/// Where every answered request goes once the server has measured it (`LockstepResponder.serve`): the recent-request
/// ring the console shows, the metrics (unless `--no-metrics`), and the request log — a debug line per request, an
/// error line per 5xx. The log has the path without its query, so presigned signatures and credentials never reach it.
public final class RequestObserver: Sendable {
    public let recent: RecentRequests
    public let metrics: ServerMetrics?
    let logger: Logger

    public init(recent: RecentRequests, metrics: ServerMetrics?, logger: Logger) {
        self.recent = recent
        self.metrics = metrics
        self.logger = logger
    }

    public func observe(_ event: RequestEvent) {
        recent.record(event)
        metrics?.record(event)
        if event.status >= 500 {
            logger.error("request failed", metadata: Self.metadata(event))
        } else {
            logger.debug("request", metadata: Self.metadata(event))
        }
    }

    static func metadata(_ event: RequestEvent) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "method": .string(event.method),
            "path": .string(event.path),
            "status": .stringConvertible(event.status),
            "latency_ms": .stringConvertible(Double(event.latencyNanos / 1_000) / 1_000),
        ]
        if let summary = event.summary {
            metadata["service"] = .string(summary.service)
            metadata["operation"] = .string(summary.operation)
            if let requestId = summary.requestId { metadata["request_id"] = .string(requestId) }
            if let errorCode = summary.errorCode { metadata["error_code"] = .string(errorCode) }
        }
        return metadata
    }
}
