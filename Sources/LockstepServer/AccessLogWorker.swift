import Logging
import S3API
import ServiceLifecycle

/// Moves server access log records along off the request path: every `writeIntervalMillis` it appends what requests
/// recorded to the spool file, and every `flushIntervalMillis` it delivers them to their target buckets. The last
/// delivery at shutdown is the server's, after the last request.
struct AccessLogWorker: Service {
    let accessLog: AccessLog
    let flush: @Sendable () async -> Void
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var sinceFlush: Int64 = 0
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(accessLog.writeIntervalMillis))
                do {
                    try accessLog.spool.writePending()
                } catch {
                    logger.error("access logs: cannot write the spool: \(error)")
                }
                sinceFlush += accessLog.writeIntervalMillis
                if sinceFlush >= accessLog.flushIntervalMillis {
                    sinceFlush = 0
                    await flush()
                }
            }
        }
    }
}
