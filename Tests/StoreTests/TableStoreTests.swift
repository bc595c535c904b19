import Foundation
import Store
import Testing

/// The table store under DynamoDB: tables with stable identities, items decided inside their write transaction, and
/// pages in key order.
@Suite("Table store")
struct TableStoreTests {
    final class Directory: @unchecked Sendable {
        // Unchecked: a constant path.
        let path = NSTemporaryDirectory() + "lockstep-tablestore-" + UUID().uuidString
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func tablesAreCreatedOnceAndDeletedWithTheirItems() async throws {
        let directory = Directory()
        let store = try TableStore(dataDirectory: directory.path)
        let first = try await store.createTable(name: "locks", description: bytes("d1"), wrappedKey: [1, 2], createdMillis: 5)
        await #expect(throws: TableStoreError.tableExists("locks")) {
            try await store.createTable(name: "locks", description: [], wrappedKey: [], createdMillis: 6)
        }
        _ = try await store.writeItem(in: first, key: StoredItemKey(hash: bytes("a"))) { _ in (.put(bytes("body")), ()) }
        #expect(try store.statistics(table: first) == (1, 4))
        let updated = try await store.updateTable(named: "locks") { $0 = Array("d2".utf8) }
        #expect(updated.description == bytes("d2"))
        #expect(try store.table(named: "locks")?.description == bytes("d2"))

        _ = try await store.deleteTable(named: "locks")
        #expect(try store.table(named: "locks") == nil)
        // Writes through the old handle fail rather than land in a table that is gone.
        await #expect(throws: TableStoreError.noSuchTable("locks")) {
            try await store.writeItem(in: first, key: StoredItemKey(hash: bytes("b"))) { _ in (.put([1]), ()) }
        }
        // A new table of the same name is a new table, empty.
        let second = try await store.createTable(name: "locks", description: [], wrappedKey: [], createdMillis: 7)
        #expect(second.id != first.id)
        #expect(try store.item(in: second, key: StoredItemKey(hash: bytes("a"))) == nil)
        try store.close()
    }

    @Test func ofRacingConditionalWritersExactlyOneWins() async throws {
        let directory = Directory()
        let store = try TableStore(dataDirectory: directory.path)
        let table = try await store.createTable(name: "t", description: [], wrappedKey: [], createdMillis: 0)
        let key = StoredItemKey(hash: bytes("lock"))
        let wins = try await withThrowingTaskGroup(of: Bool.self) { group in
            for writer in 0..<32 {
                group.addTask {
                    try await store.writeItem(in: table, key: key) { current in
                        current == nil ? (.put([UInt8(writer)]), true) : (.keep, false)
                    }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        #expect(try store.item(in: table, key: key)?.count == 1)
        try store.close()
    }

    @Test func scanAndQueryPagesFollowKeyOrder() async throws {
        let directory = Directory()
        let store = try TableStore(dataDirectory: directory.path)
        let table = try await store.createTable(name: "t", description: [], wrappedKey: [], createdMillis: 0)
        var writes: [(table: StoredTable, key: StoredItemKey, write: ItemWrite)] = []
        for hash in ["b", "a"] {
            for range in [3, 1, 2] { writes.append((table, StoredItemKey(hash: bytes(hash), range: [UInt8(range)]), .put(bytes("\(hash)\(range)")))) }
        }
        try await store.writeItems(writes)

        var seen: [String] = []
        var after: StoredItemKey?
        repeat {
            let page = try store.scan(table, after: after, limit: 4)
            seen += page.map { String(decoding: $0.body, as: UTF8.self) }
            after = page.count == 4 ? page.last?.key : nil
        } while after != nil
        #expect(seen == ["a1", "a2", "a3", "b1", "b2", "b3"])

        let forward = try store.query(table, hash: bytes("b"), from: RangeStart(range: [2], inclusive: true), forward: true, limit: 10)
        #expect(forward.map { $0.body } == [bytes("b2"), bytes("b3")])
        let backward = try store.query(table, hash: bytes("b"), from: RangeStart(range: [2], inclusive: false), forward: false, limit: 10)
        #expect(backward.map { $0.body } == [bytes("b1")])
        #expect(try store.query(table, hash: bytes("a"), from: nil, forward: false, limit: 2).map { $0.body } == [bytes("a3"), bytes("a2")])

        _ = try await store.writeItem(in: table, key: StoredItemKey(hash: bytes("a"), range: [1])) { _ in (.delete, ()) }
        #expect(try store.query(table, hash: bytes("a"), from: nil, forward: true, limit: 10).count == 2)
        try store.close()
    }

    @Test func itemsSurviveReopening() async throws {
        let directory = Directory()
        do {
            let store = try TableStore(dataDirectory: directory.path)
            let table = try await store.createTable(name: "t", description: bytes("doc"), wrappedKey: [9], createdMillis: 1)
            _ = try await store.writeItem(in: table, key: StoredItemKey(hash: bytes("k"))) { _ in (.put(bytes("v")), ()) }
            try store.close()
        }
        let reopened = try TableStore(dataDirectory: directory.path)
        let table = try #require(try reopened.table(named: "t"))
        #expect(table.wrappedKey == [9])
        #expect(try reopened.item(in: table, key: StoredItemKey(hash: bytes("k"))) == bytes("v"))
        #expect(try reopened.tableNames(after: nil, limit: 10) == ["t"])
        try reopened.close()
    }
}
