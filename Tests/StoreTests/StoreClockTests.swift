import Foundation
@testable import Store
import Testing

/// The store clock: real time plus an offset that only grows and outlives the process.
@Suite("Store clock")
struct StoreClockTests {
    @Test func theOffsetPersistsAndOnlyGrows() throws {
        let directory = NSTemporaryDirectory() + "lockstep-clocktests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let clock = try OffsetClock(dataDirectory: directory)
        #expect(clock.offsetMillis == 0)
        let before = WallClock().nowMillis()
        try clock.advance(byMillis: 30 * 86_400_000)
        #expect(clock.nowMillis() >= before + 30 * 86_400_000)
        try clock.advance(byMillis: 500)
        #expect(clock.offsetMillis == 30 * 86_400_000 + 500)
        #expect(throws: StoreError.self) { try clock.advance(byMillis: OffsetClock.maximumOffsetMillis) }
        #expect(clock.offsetMillis == 30 * 86_400_000 + 500)

        // As after a restart (or kill -9: the file is replaced atomically and fsynced before the move takes effect).
        #expect(try OffsetClock(dataDirectory: directory).offsetMillis == 30 * 86_400_000 + 500)
        #expect(!FileManager.default.fileExists(atPath: directory + "/clock.tmp"))

        try Data("soon".utf8).write(to: URL(fileURLWithPath: directory + "/clock"))
        #expect(throws: StoreError.self) { try OffsetClock(dataDirectory: directory) }
    }
}
