@testable import LockstepServer
import Synchronization
import Testing

/// Memory goes back to the system after a burst, and never while requests are in flight or the server sits idle.
@Suite struct MemoryTrimmerTests {
    @Test func trimsOnTheFewIdlePassesAfterABurst() {
        let trimmer = MemoryTrimmer()
        #expect(!trimmer.trimIfIdle(), "nothing served yet: nothing to give back")
        trimmer.started()
        trimmer.started()
        trimmer.finished()
        #expect(!trimmer.trimIfIdle(), "a request is still in flight")
        trimmer.finished()
        for _ in 0..<MemoryTrimmer.passesAfterActivity { #expect(trimmer.trimIfIdle()) }
        #expect(!trimmer.trimIfIdle(), "an idle server is left alone")
    }

    /// Cancelled (as a service group cancels its services), the loop ends: it used to spin on a sleep that returned at
    /// once, keeping a core busy for good (found as a test process that never finished under TSan).
    @Test func cancellationEndsTheLoop() async throws {
        let trimmer = MemoryTrimmer(interval: .milliseconds(5))
        let ended = Atomic<Bool>(false)
        let loop = Task {
            try? await trimmer.run()
            ended.store(true, ordering: .relaxed)
        }
        try await Task.sleep(for: .milliseconds(30))
        loop.cancel()
        for _ in 0..<100 where !ended.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(50)) }
        let finished = ended.load(ordering: .relaxed)
        #expect(finished)
    }
}
