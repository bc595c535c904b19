import Logging
import ServiceLifecycle
import Store

/// Runs lifecycle passes in the background, off the request path, every `wakeIntervalMillis`; passes run in bounded
/// batches, so requests interleave with them. A failed pass is logged and the next wake tries again.
struct LifecycleWorker: Service {
    let runner: LifecycleRunner
    let logger: Logger

    func run() async throws {
        // A shutdown cancels the loop, a pass in progress included: each batch commits on its own, and the next start's
        // pass picks up where this one stopped.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(runner.wakeIntervalMillis))
                do {
                    let result = try await runner.runPass()
                    if result != LifecyclePassResult() { logger.debug("lifecycle pass: \(result)") }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("lifecycle pass failed: \(error)")
                }
            }
        }
    }
}
