import Foundation
import GRDB

/// The durable store of DynamoDB tables and their items: a SQLite file of its own (`tables.sqlite`: WAL,
/// synchronous=FULL, group commit), beside the object index. It knows tables, keys and sealed item bodies, not
/// DynamoDB's types or expressions: a key is two byte strings whose byte order is DynamoDB's key order, and a write is
/// decided by a closure that sees the item's current body inside the write transaction, so a condition is checked and
/// the write applied atomically.
public final class TableStore: @unchecked Sendable {
    // Unchecked: its members are constants of thread-safe types (GRDB's pool, the group committer).
    let db: DatabasePool
    let writer: GroupCommitter

    public static let fileName = "tables.sqlite"

    public init(dataDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 4
        db = try DatabasePool(path: dataDirectory + "/" + Self.fileName, configuration: configuration)
        // DatabasePool sets synchronous=NORMAL with WAL; an acknowledged write must survive power loss.
        try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
        try TableSchema.migrate(db)
        writer = GroupCommitter(pool: db)
    }

    public func close() throws {
        try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try db.close()
    }

    // MARK: Tables

    public func createTable(name: String, description: [UInt8], wrappedKey: [UInt8], createdMillis: Int64) async throws -> StoredTable {
        try await writer.write { db in
            if try Self.table(db, named: name) != nil { throw TableStoreError.tableExists(name) }
            try db.execute(sql: "INSERT INTO tables (name, created_millis, description, wrapped_key) VALUES (?, ?, ?, ?)",
                           arguments: [name, createdMillis, Data(description), Data(wrappedKey)])
            return StoredTable(id: db.lastInsertedRowID, name: name, createdMillis: createdMillis, description: description,
                               wrappedKey: wrappedKey)
        }
    }

    public func table(named name: String) throws -> StoredTable? {
        try db.unsafeRead { try Self.table($0, named: name) }
    }

    /// Table names in order, after `exclusiveStart`, at most `limit`.
    public func tableNames(after exclusiveStart: String?, limit: Int) throws -> [String] {
        try db.unsafeRead { db in
            try String.fetchAll(db, sql: "SELECT name FROM tables WHERE name > ? ORDER BY name LIMIT ?",
                                arguments: [exclusiveStart ?? "", limit])
        }
    }

    /// Changes a table's description (the service's own document) in one write.
    public func updateTable(named name: String, _ change: @escaping @Sendable (inout [UInt8]) throws -> Void) async throws -> StoredTable {
        try await writer.write { db in
            guard var table = try Self.table(db, named: name) else { throw TableStoreError.noSuchTable(name) }
            try change(&table.description)
            try db.execute(sql: "UPDATE tables SET description = ? WHERE id = ?", arguments: [Data(table.description), table.id])
            return table
        }
    }

    /// Deletes a table and every item in it.
    public func deleteTable(named name: String) async throws -> StoredTable {
        try await writer.write { db in
            guard let table = try Self.table(db, named: name) else { throw TableStoreError.noSuchTable(name) }
            try db.execute(sql: "DELETE FROM items WHERE table_id = ?", arguments: [table.id])
            try db.execute(sql: "DELETE FROM tables WHERE id = ?", arguments: [table.id])
            return table
        }
    }

    /// The item count and the bytes of their stored bodies, for DescribeTable.
    public func statistics(table: StoredTable) throws -> (items: Int64, bytes: Int64) {
        try db.unsafeRead { db in
            let row = try Row.fetchOne(db, sql: "SELECT count(*), coalesce(sum(length(body)), 0) FROM items WHERE table_id = ?",
                                       arguments: [table.id])
            return (row?[0] ?? 0, row?[1] ?? 0)
        }
    }

    static func table(_ db: Database, named name: String) throws -> StoredTable? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, created_millis, description, wrapped_key FROM tables WHERE name = ?"),
                                         arguments: [name]) else { return nil }
        return StoredTable(id: row[0], name: name, createdMillis: row[1], description: [UInt8](row[2] as Data),
                           wrappedKey: [UInt8](row[3] as Data))
    }

    // MARK: Items

    public func item(in table: StoredTable, key: StoredItemKey) throws -> [UInt8]? {
        try db.unsafeRead { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT body FROM items WHERE table_id = ? AND hash = ? AND range = ?"),
                              arguments: [table.id, Data(key.hash), Data(key.range)]).map { [UInt8]($0) }
        }
    }

    /// Reads the item's current body and writes what `decide` answers, in one write transaction: of racing writers
    /// to one key, each decides on what the previous one committed. A table deleted meanwhile is `noSuchTable`.
    public func writeItem<T: Sendable>(in table: StoredTable, key: StoredItemKey,
                                       _ decide: @escaping @Sendable (_ current: [UInt8]?) throws -> (ItemWrite, T)) async throws -> T {
        try await writer.write { db in
            try Self.requireTable(db, table)
            let current = try Self.body(db, table.id, key)
            let (write, result) = try decide(current)
            try Self.apply(db, table.id, key, write)
            return result
        }
    }

    /// Several unconditional writes, possibly to several tables, in one transaction (BatchWriteItem).
    public func writeItems(_ writes: [(table: StoredTable, key: StoredItemKey, write: ItemWrite)]) async throws {
        try await writer.write { db in
            for (table, key, write) in writes {
                try Self.requireTable(db, table)
                try Self.apply(db, table.id, key, write)
            }
        }
    }

    /// Items in key order (hash, then range) after `exclusiveStart`, at most `limit`: a Scan page.
    public func scan(_ table: StoredTable, after exclusiveStart: StoredItemKey?, limit: Int) throws -> [StoredItem] {
        try db.unsafeRead { db in
            let rows: [Row]
            if let start = exclusiveStart {
                rows = try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT hash, range, body FROM items WHERE table_id = ? AND (hash > ? OR (hash = ? AND range > ?))
                    ORDER BY hash, range LIMIT ?
                    """), arguments: [table.id, Data(start.hash), Data(start.hash), Data(start.range), limit])
            } else {
                rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT hash, range, body FROM items WHERE table_id = ? ORDER BY hash, range LIMIT ?"),
                                        arguments: [table.id, limit])
            }
            return rows.map(Self.storedItem)
        }
    }

    /// Items of one hash key in range order (or reverse), starting at `start` (a range bound), at most `limit`: a Query page.
    public func query(_ table: StoredTable, hash: [UInt8], from start: RangeStart?, forward: Bool, limit: Int) throws -> [StoredItem] {
        try db.unsafeRead { db in
            var sql = "SELECT hash, range, body FROM items WHERE table_id = ? AND hash = ?"
            var arguments: StatementArguments = [table.id, Data(hash)]
            if let start {
                let comparison = forward ? (start.inclusive ? ">=" : ">") : (start.inclusive ? "<=" : "<")
                sql += " AND range \(comparison) ?"
                _ = arguments.append(contentsOf: [Data(start.range)])
            }
            sql += forward ? " ORDER BY range LIMIT ?" : " ORDER BY range DESC LIMIT ?"
            _ = arguments.append(contentsOf: [limit])
            return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(Self.storedItem)
        }
    }

    private static func storedItem(_ row: Row) -> StoredItem {
        StoredItem(key: StoredItemKey(hash: [UInt8](row[0] as Data), range: [UInt8](row[1] as Data)), body: [UInt8](row[2] as Data))
    }

    private static func requireTable(_ db: Database, _ table: StoredTable) throws {
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM tables WHERE id = ?"), arguments: [table.id]) != nil else {
            throw TableStoreError.noSuchTable(table.name)
        }
    }

    private static func body(_ db: Database, _ tableId: Int64, _ key: StoredItemKey) throws -> [UInt8]? {
        try Data.fetchOne(db.cachedStatement(sql: "SELECT body FROM items WHERE table_id = ? AND hash = ? AND range = ?"),
                          arguments: [tableId, Data(key.hash), Data(key.range)]).map { [UInt8]($0) }
    }

    private static func apply(_ db: Database, _ tableId: Int64, _ key: StoredItemKey, _ write: ItemWrite) throws {
        switch write {
        case .keep:
            break
        case .put(let body):
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO items (table_id, hash, range, body) VALUES (?, ?, ?, ?)")
                .execute(arguments: [tableId, Data(key.hash), Data(key.range), Data(body)])
        case .delete:
            try db.cachedStatement(sql: "DELETE FROM items WHERE table_id = ? AND hash = ? AND range = ?")
                .execute(arguments: [tableId, Data(key.hash), Data(key.range)])
        }
    }
}

/// One table as stored: its identity (a re-created table is a new id), the service's description document, and its
/// items' data key wrapped under the service key.
public struct StoredTable: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let createdMillis: Int64
    public var description: [UInt8]
    public let wrappedKey: [UInt8]
}

/// An item's primary key as bytes in DynamoDB's key order; `range` is empty for a table without a range key.
public struct StoredItemKey: Hashable, Sendable {
    public var hash: [UInt8]
    public var range: [UInt8]
    public init(hash: [UInt8], range: [UInt8] = []) { self.hash = hash; self.range = range }
}

public struct StoredItem: Sendable {
    public let key: StoredItemKey
    public let body: [UInt8]
}

/// Where a Query page starts within a hash key's range keys.
public struct RangeStart: Sendable {
    public var range: [UInt8]
    public var inclusive: Bool
    public init(range: [UInt8], inclusive: Bool) { self.range = range; self.inclusive = inclusive }
}

public enum ItemWrite: Sendable {
    case put([UInt8])
    case delete
    case keep
}

public enum TableStoreError: Error, Equatable {
    case tableExists(String)
    case noSuchTable(String)
}

enum TableSchema {
    static let currentVersion = 1

    static func migrate(_ pool: DatabasePool) throws {
        try pool.writeWithoutTransaction { db in
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            if version > currentVersion {
                throw StoreError.io("\(TableStore.fileName) was written by a newer Lockstep (schema \(version), this build knows \(currentVersion))")
            }
            guard version < currentVersion else { return }
            try db.inTransaction(.immediate) {
                try db.execute(sql: """
                    CREATE TABLE tables (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL UNIQUE,
                        created_millis INTEGER NOT NULL,
                        description BLOB NOT NULL,
                        wrapped_key BLOB NOT NULL);
                    CREATE TABLE items (
                        table_id INTEGER NOT NULL,
                        hash BLOB NOT NULL,
                        range BLOB NOT NULL,
                        body BLOB NOT NULL,
                        PRIMARY KEY (table_id, hash, range)) WITHOUT ROWID;
                    PRAGMA user_version = \(currentVersion);
                    """)
                return .commit
            }
        }
    }
}
