import Foundation
import GRDB

/// Group commit: write transactions submitted while another is being made durable are run together in the next
/// transaction, each in its own savepoint, so N concurrent writers share one WAL fsync instead of paying N.
/// A failing writer (say, a failed precondition) rolls back only its savepoint. Every writer is answered only after the
/// transaction that holds its changes has committed, so "acknowledged" still means "on disk".
final class GroupCommitter: @unchecked Sendable {
    // Unchecked: `pending` and `draining` are only touched under `lock`; jobs run on the one serial `queue`.
    private struct Job {
        let run: (Database) -> Void          // runs the work inside a savepoint, records its result
        let finish: ((any Error)?) -> Void   // answers the caller: nil = committed
    }

    private let pool: DatabasePool
    private let lock = NSLock()
    private var pending: [Job] = []
    private var draining = false
    private let queue = DispatchQueue(label: "lockstep.group-commit")
    /// Upper bound on writers per transaction, to keep one failing batch small.
    private let maxBatch = 256

    init(pool: DatabasePool) { self.pool = pool }

    func write<T: Sendable>(_ work: @escaping (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            var outcome: Result<T, any Error>?
            let job = Job(run: { db in
                do {
                    var value: T?
                    try db.inSavepoint {
                        value = try work(db)
                        return .commit
                    }
                    outcome = .success(value!)
                } catch {
                    outcome = .failure(error)
                }
            }, finish: { transactionError in
                if let transactionError {
                    continuation.resume(throwing: transactionError)
                } else {
                    continuation.resume(with: outcome!)
                }
            })
            lock.lock()
            pending.append(job)
            let start = !draining
            draining = true
            lock.unlock()
            if start { queue.async { self.drain() } }
        }
    }

    private func drain() {
        while true {
            lock.lock()
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            if batch.isEmpty {
                draining = false
                lock.unlock()
                return
            }
            lock.unlock()
            do {
                try pool.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        for job in batch { job.run(db) }
                        return .commit
                    }
                }
                for job in batch { job.finish(nil) }
            } catch {
                for job in batch { job.finish(error) }
            }
        }
    }
}
