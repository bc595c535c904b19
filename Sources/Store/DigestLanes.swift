import Foundation
import NIOCore

/// Runs the per-chunk work of a large body (MD5 for the ETag on one lane; SHA-256, the additional checksum and the
/// blob write on another) on two serial dispatch queues, so a single upload uses a second core instead of hashing
/// everything on the thread that reads the socket. Chunks keep their order within a lane; at most `limit` chunks per
/// lane are in flight, so memory stays bounded however large the body is.
final class DigestLanes: @unchecked Sendable {
    // Unchecked: the lanes and their work are fixed at creation; `inFlight`, `waiter` and `failure` are only touched under
    // `lock`; each lane's work runs on its own serial queue.
    typealias Work = (UnsafeRawBufferPointer) throws -> Void

    private let lanes: [(queue: DispatchQueue, work: [Work])]
    private let lock = NSLock()
    private var inFlight = 0
    private var waiter: CheckedContinuation<Void, Never>?
    private var failure: (any Error)?
    private let limit: Int

    init(_ lanes: [[Work]], limitPerLane: Int = 16) {
        self.lanes = lanes.enumerated().map { (DispatchQueue(label: "lockstep.digest-lane-\($0.offset)"), $0.element) }
        limit = limitPerLane * lanes.count
    }

    func submit(_ buffer: ByteBuffer) async throws {
        let (mustWait, failed) = lock.withLock { () -> (Bool, (any Error)?) in
            if let failure { return (false, failure) }
            inFlight += lanes.count
            return (inFlight > limit, nil)
        }
        if let failed { throw failed }
        for index in lanes.indices {
            lanes[index].queue.async {
                do {
                    try buffer.withUnsafeReadableBytes { bytes in
                        for work in self.lanes[index].work { try work(bytes) }
                    }
                } catch {
                    self.lock.lock()
                    if self.failure == nil { self.failure = error }
                    self.lock.unlock()
                }
                self.completed()
            }
        }
        if mustWait {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                lock.lock()
                if inFlight <= limit {
                    lock.unlock()
                    continuation.resume()
                } else {
                    waiter = continuation
                    lock.unlock()
                }
            }
        }
    }

    private func completed() {
        lock.lock()
        inFlight -= 1
        if let waiter, inFlight <= limit {
            self.waiter = nil
            lock.unlock()
            waiter.resume()
        } else {
            lock.unlock()
        }
    }

    /// Waits until every submitted chunk has been processed on every lane; rethrows the first failure.
    func finish() async throws {
        await drain()
        if let failure = lock.withLock({ failure }) { throw failure }
    }

    /// Waits until every submitted chunk has been processed on every lane (on the way out after a failure).
    func drain() async {
        for lane in lanes {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in lane.queue.async { continuation.resume() } }
        }
    }
}
