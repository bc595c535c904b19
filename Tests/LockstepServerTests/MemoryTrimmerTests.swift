@testable import LockstepServer
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
}
