#if canImport(Glibc)
import Glibc
#endif
@testable import Store
import Testing

/// Lifecycle batches run at nice 19 and give the thread its priority back; where the priority could not be raised
/// again, they run unchanged.
@Suite struct BackgroundPriorityTests {
    static func nice() -> Int32 { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }

    @Test func theBodyRunsAtTheLowestPriorityAndThePriorityComesBack() throws {
        let before = Self.nice()
        let inside = BackgroundPriority.run { Self.nice() }
        #expect(inside == (BackgroundPriority.available ? 19 : before))
        #expect(Self.nice() == before)
        // Also when the body throws.
        struct Failure: Error {}
        #expect(throws: Failure.self) { try BackgroundPriority.run { throw Failure() } }
        #expect(Self.nice() == before)
    }
}
