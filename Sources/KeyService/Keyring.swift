import Foundation
import LockstepCrypto

/// One symmetric KMS key: its state and every generation of key material (rotation adds one; old ones stay so data
/// keys wrapped under them can still be unwrapped — nothing is re-encrypted).
public struct KMSKey: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable { case enabled = "Enabled", disabled = "Disabled", pendingDeletion = "PendingDeletion" }

    public struct Material: Codable, Sendable, Equatable {
        public var version: Int
        public var createdMillis: Int64
        /// Base64 of the 32-byte AES-256 key. Only ever written inside the encrypted keyring.
        var secret: String
    }

    public var id: String
    public var description: String
    public var state: State
    public var createdMillis: Int64
    public var deletionMillis: Int64?
    public var rotationEnabled: Bool
    public var materials: [Material]
    public var tags: [String: String]

    public var currentMaterialVersion: Int { materials.last?.version ?? 0 }
}

public enum KeyringError: Error, Equatable, Sendable {
    case wrongRootKey
    case corrupt(String)
    case notFound(String)
    case disabled(String)
    case pendingDeletion(String)
    case invalidCiphertext
    case io(String)
}

/// The encrypted file of KMS keys (`keyring` in the data dir), sealed with AES-256-GCM under the root key.
/// Data keys are wrapped under a key's current material with the encryption context bound as associated data.
public final class Keyring: @unchecked Sendable {
    private struct Document: Codable {
        var keys: [KMSKey]
        var aliases: [String: String]
    }

    public static let fileName = "keyring"
    static let fileAAD = Array("lockstep keyring v1".utf8)
    static let blobMagic = Array("LSK1".utf8)

    private let path: String
    private let rootKey: [UInt8]
    private let lock = NSLock()
    private var document = Document(keys: [], aliases: [:])

    /// Opens the keyring in `dataDirectory`, or starts an empty one. A keyring that does not open under this root key
    /// is an error, never silently replaced.
    public init(dataDirectory: String, rootKey: RootKey) throws {
        path = dataDirectory + "/" + Self.fileName
        self.rootKey = rootKey.bytes
        guard let sealed = FileManager.default.contents(atPath: path) else { return }
        let bytes = Array(sealed)
        guard bytes.count >= 12 + 16 else { throw KeyringError.corrupt("the keyring file is too short") }
        let nonce = Array(bytes[0..<12]), tag = Array(bytes[12..<28]), ciphertext = Array(bytes[28...])
        let plaintext: [UInt8]
        do {
            plaintext = try AESGCM.open(key: self.rootKey, nonce: nonce, ciphertext: ciphertext, tag: tag, aad: Self.fileAAD)
        } catch {
            throw KeyringError.wrongRootKey
        }
        do {
            document = try JSONDecoder().decode(Document.self, from: Data(plaintext))
        } catch {
            throw KeyringError.corrupt("the keyring does not decode: \(error)")
        }
    }

    public var keys: [KMSKey] { lock.withLock { document.keys } }
    public var aliases: [String: String] { lock.withLock { document.aliases } }

    public func key(_ id: String) throws -> KMSKey {
        try lock.withLock {
            guard let key = document.keys.first(where: { $0.id == id }) else { throw KeyringError.notFound(id) }
            return key
        }
    }

    public func createKey(description: String = "", tags: [String: String] = [:], nowMillis: Int64) throws -> KMSKey {
        let key = KMSKey(id: UUID().uuidString.lowercased(), description: description, state: .enabled, createdMillis: nowMillis,
                         deletionMillis: nil, rotationEnabled: false,
                         materials: [KMSKey.Material(version: 1, createdMillis: nowMillis, secret: Base64.encode(secureRandomBytes(32)))],
                         tags: tags)
        try mutate { $0.keys.append(key) }
        return key
    }

    /// Adds a new generation of key material; later wraps use it, earlier wraps still unwrap.
    @discardableResult
    public func rotate(_ id: String, nowMillis: Int64) throws -> KMSKey {
        try update(id) { key in
            let next = KMSKey.Material(version: key.currentMaterialVersion + 1, createdMillis: nowMillis,
                                       secret: Base64.encode(secureRandomBytes(32)))
            key.materials.append(next)
        }
    }

    @discardableResult
    public func update(_ id: String, _ change: (inout KMSKey) throws -> Void) throws -> KMSKey {
        var updated: KMSKey?
        try mutate { document in
            guard let index = document.keys.firstIndex(where: { $0.id == id }) else { throw KeyringError.notFound(id) }
            try change(&document.keys[index])
            updated = document.keys[index]
        }
        return updated!
    }

    public func setAlias(_ alias: String, to id: String?) throws {
        try mutate { document in
            if let id { document.aliases[alias] = id } else { document.aliases.removeValue(forKey: alias) }
        }
    }

    /// Wraps a data key under the key's current material. The blob names the key and material version, so unwrapping
    /// needs no key id; the encryption context is bound as associated data.
    public func wrap(dataKey: [UInt8], keyId: String, context: [String: String] = [:]) throws -> [UInt8] {
        let key = try usableKey(keyId)
        guard let material = key.materials.last, let secret = Base64.decode(material.secret) else { throw KeyringError.corrupt(keyId) }
        let idBytes = Array(key.id.utf8)
        var header = Self.blobMagic
        header.append(UInt8(idBytes.count))
        header += idBytes
        header += withUnsafeBytes(of: UInt32(material.version).bigEndian) { Array($0) }
        let nonce = secureRandomBytes(12)
        let sealed = try AESGCM.seal(key: secret, nonce: nonce, plaintext: dataKey, aad: header + Self.canonical(context))
        return header + nonce + sealed.tag + sealed.ciphertext
    }

    public func unwrap(_ blob: [UInt8], context: [String: String] = [:]) throws -> (keyId: String, materialVersion: Int, dataKey: [UInt8]) {
        guard blob.count > 5, Array(blob[0..<4]) == Self.blobMagic else { throw KeyringError.invalidCiphertext }
        let idLength = Int(blob[4])
        let headerLength = 5 + idLength + 4
        guard blob.count >= headerLength + 12 + 16 else { throw KeyringError.invalidCiphertext }
        let keyId = String(decoding: blob[5..<(5 + idLength)], as: UTF8.self)
        let version = Int(blob[(5 + idLength)..<headerLength].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        let key = try usableKey(keyId)
        guard let material = key.materials.first(where: { $0.version == version }), let secret = Base64.decode(material.secret) else {
            throw KeyringError.invalidCiphertext
        }
        let header = Array(blob[0..<headerLength])
        let nonce = Array(blob[headerLength..<(headerLength + 12)])
        let tag = Array(blob[(headerLength + 12)..<(headerLength + 28)])
        let ciphertext = Array(blob[(headerLength + 28)...])
        do {
            let dataKey = try AESGCM.open(key: secret, nonce: nonce, ciphertext: ciphertext, tag: tag, aad: header + Self.canonical(context))
            return (keyId, version, dataKey)
        } catch {
            throw KeyringError.invalidCiphertext
        }
    }

    private func usableKey(_ id: String) throws -> KMSKey {
        let key = try self.key(id)
        switch key.state {
        case .enabled: return key
        case .disabled: throw KeyringError.disabled(id)
        case .pendingDeletion: throw KeyringError.pendingDeletion(id)
        }
    }

    /// Sorted `key=value` lines: the same context always gives the same associated data.
    static func canonical(_ context: [String: String]) -> [UInt8] {
        Array(context.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined().utf8)
    }

    /// Applies a change and persists the whole keyring durably (temp file, fsync, rename, fsync directory).
    private func mutate(_ change: (inout Document) throws -> Void) throws {
        try lock.withLock {
            var next = document
            try change(&next)
            let plaintext = Array(try JSONEncoder().encode(next))
            let nonce = secureRandomBytes(12)
            let sealed = try AESGCM.seal(key: rootKey, nonce: nonce, plaintext: plaintext, aad: Self.fileAAD)
            let bytes = nonce + sealed.tag + sealed.ciphertext
            let tmp = path + ".tmp"
            unlink(tmp)
            let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw KeyringError.io("cannot write \(tmp): \(String(cString: strerror(errno)))") }
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            let synced = fsync(fd)
            close(fd)
            guard written == bytes.count, synced == 0, rename(tmp, path) == 0 else {
                throw KeyringError.io("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            try fsyncDirectory(of: path)
            document = next
        }
    }
}
