import AWSJSON
import DynamoDBModel
import Foundation
import KeyService
import LockstepCrypto
import Store

/// The tables the service knows, kept in memory between requests (a PutItem must not re-read and decode its table's
/// definition), each with its items' data key unwrapped. Every change to a table passes through here: after the
/// change commits its name is forgotten, and an entry read from the store is kept only if no change was forgotten
/// while it was read, so a slow read can never put back what a change replaced.
final class TableCatalog: @unchecked Sendable {
    // Unchecked: `entries` and `generation` are only touched under `lock`.
    struct Entry: Sendable {
        let stored: StoredTable
        let definition: TableDefinition
        let sealer: ItemSealer
    }

    let store: TableStore
    let keyring: Keyring
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    /// Counts the changes forgotten so far.
    private var generation = 0

    init(store: TableStore, keyring: Keyring) {
        self.store = store
        self.keyring = keyring
    }

    /// The table, or DynamoDB's ResourceNotFoundException.
    func table(_ name: String) throws -> Entry {
        guard let entry = try lookup(name) else { throw DynamoDBErrors.resourceNotFound }
        return entry
    }

    func lookup(_ name: String) throws -> Entry? {
        lock.lock()
        let cached = entries[name]
        let readAt = generation
        lock.unlock()
        if let cached { return cached }
        guard let stored = try store.table(named: name) else { return nil }
        let definition = try TableDefinition.decode(stored.description)
        let opened = try keyring.unwrap(stored.wrappedKey, context: Self.keyContext(stored.name))
        let entry = Entry(stored: stored, definition: definition, sealer: ItemSealer(key: opened.dataKey, tableId: stored.id))
        lock.lock()
        if generation == readAt { entries[name] = entry }
        lock.unlock()
        return entry
    }

    /// Called after a change to the table committed: the next lookup reads it again.
    func forget(_ name: String) {
        lock.lock()
        generation += 1
        entries[name] = nil
        lock.unlock()
    }

    /// A new table's data key, wrapped under the service key and bound to the table's name.
    func newWrappedKey(for name: String) throws -> [UInt8] {
        try keyring.wrap(dataKey: secureRandomBytes(AESGCM.keySize), keyId: keyring.serviceKey().id, context: Self.keyContext(name))
    }

    static func keyContext(_ name: String) -> [String: String] { ["aws:dynamodb:tableName": name] }
}

/// Seals item bodies at rest: AES-256-GCM under the table's data key, a random nonce per write, and the table and the
/// item's key as associated data, so a body cannot be moved to another item or table unnoticed.
struct ItemSealer: Sendable {
    let key: [UInt8]
    let tableId: Int64

    func seal(_ item: Item, key itemKey: StoredItemKey) throws -> [UInt8] {
        let nonce = secureRandomBytes(AESGCM.nonceSize)
        let sealed = try AESGCM.seal(key: key, nonce: nonce, plaintext: ItemCodec.encode(item), aad: aad(itemKey))
        return nonce + sealed.ciphertext + sealed.tag
    }

    func open(_ body: [UInt8], key itemKey: StoredItemKey) throws -> Item {
        guard body.count >= AESGCM.nonceSize + AESGCM.tagSize else { throw AESGCMError.authenticationFailed }
        let nonce = Array(body[0..<AESGCM.nonceSize])
        let ciphertext = Array(body[AESGCM.nonceSize..<(body.count - AESGCM.tagSize)])
        let tag = Array(body[(body.count - AESGCM.tagSize)...])
        return try ItemCodec.decode(try AESGCM.open(key: key, nonce: nonce, ciphertext: ciphertext, tag: tag, aad: aad(itemKey)))
    }

    private func aad(_ itemKey: StoredItemKey) -> [UInt8] {
        var bytes = withUnsafeBytes(of: tableId.bigEndian, Array.init)
        bytes += withUnsafeBytes(of: UInt32(itemKey.hash.count).bigEndian, Array.init)
        return bytes + itemKey.hash + itemKey.range
    }
}
