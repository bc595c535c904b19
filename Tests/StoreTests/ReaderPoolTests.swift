import Foundation
import LockstepCrypto
@testable import Store
import Testing

/// Point reads (`readNow`, on the calling thread) and listings run side by side without ever waiting for each other
/// forever: a listing gives its reader connection back before its task resumes, so point reads blocked on the pool
/// cannot starve the tasks that hold the readers. Many of each at once, on this machine's few threads, used to hang.
@Suite(.timeLimit(.minutes(1))) struct ReaderPoolTests {
    @Test func manyListingsAndPointReadsAtOnce() async throws {
        let f = try StoreFixture()
        try await f.store.createBucket(name: "b", region: "us-east-1")
        for i in 0..<50 { try await f.put("b", "k\(i)", [UInt8(i)]) }
        let store = f.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for round in 0..<400 {
                group.addTask {
                    if round % 2 == 0 {
                        let listing = try await store.listObjects(bucket: "b", prefix: "", delimiter: nil, after: nil, maxKeys: 1000)
                        #expect(listing.objects.count == 50)
                    } else {
                        let version = try await store.object(bucket: "b", key: "k\(round % 50)")
                        #expect(version.size == 1)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
